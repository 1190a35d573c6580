"""Errors of the Stripe integration, as Odoo ``UserError``s: shown to users as they are."""

from odoo.exceptions import UserError, ValidationError

from . import const


class StripeNotConfigured(UserError):
    """A platform setting the feature needs is missing from the environment."""


class StripeGatewayError(ValidationError):
    """Stripe (or the network to it) refused a request.

    A ``ValidationError``, as ``payment_stripe``'s callers expect of a refused request. ``kind``
    says what happened (``const.ERROR_*``: declined, authentication required, account
    unreachable, outcome unknown, rate limited, refused), set when the error is made; callers
    read it, never the message. ``code`` is Stripe's error code (``card_declined``,
    ``authentication_required``, ``account_invalid``...), ``decline_code`` the bank's reason,
    ``http_status`` the HTTP status, ``payment_intent`` the PaymentIntent carried by a card error
    (as a dict), ``error_type`` the SDK's exception class name (``CardError``,
    ``PermissionError``...), ``json_body`` Stripe's error response (``{"error": {...}}``),
    ``reason`` the gateway's message before a caller put it in context (:meth:`copy_with`).
    """

    def __init__(
        self,
        message,
        code=None,
        decline_code=None,
        http_status=None,
        payment_intent=None,
        error_type=None,
        json_body=None,
        kind=None,
        reason=None,
    ):
        super().__init__(message)
        self.json_body = json_body
        self.code = code
        self.decline_code = decline_code
        self.http_status = http_status
        self.payment_intent = payment_intent
        self.error_type = error_type
        self.kind = kind or _kind_of(error_type, http_status, code)
        if self.kind not in const.ERROR_KINDS:
            raise ValueError(f"unknown kind of Stripe error: {kind!r}")
        self.reason = message if reason is None else reason

    @classmethod
    def from_stripe_error(cls, error, message):
        body = (getattr(error, "json_body", None) or {}).get("error")
        body = body if isinstance(body, dict) else {}  # OAuth errors: {"error": "invalid_grant"}
        code = getattr(error, "code", None) or body.get("code")
        if not code and error.__class__.__name__ == "PermissionError":
            code = "account_invalid"
        return cls(
            message,
            code=code,
            decline_code=body.get("decline_code"),
            http_status=getattr(error, "http_status", None),
            payment_intent=body.get("payment_intent"),
            error_type=error.__class__.__name__,
            json_body=getattr(error, "json_body", None),
        )

    def copy_with(self, message):
        """The same error (kind, fields, ``reason``) told with ``message``."""
        return type(self)(
            message,
            code=self.code,
            decline_code=self.decline_code,
            http_status=self.http_status,
            payment_intent=self.payment_intent,
            error_type=self.error_type,
            json_body=self.json_body,
            kind=self.kind,
            reason=self.reason,
        )

    @property
    def requires_authentication(self):
        return self.kind == const.ERROR_AUTHENTICATION_REQUIRED

    @property
    def outcome_unknown(self):
        """Stripe may have acted, or not: its answer never came back (the network), or Stripe
        failed while handling the request (5xx). Never "nothing happened": the same request,
        with the same idempotency key, settles it."""
        return self.kind == const.ERROR_OUTCOME_UNKNOWN

    @property
    def rate_limited(self):
        """Stripe refused to handle the request now (429): nothing was done, ask again later."""
        return self.kind == const.ERROR_RATE_LIMITED

    @property
    def ask_again(self):
        """No outcome to record: Stripe's answer never came back, or it asked to slow down. The
        same request, with the same idempotency key, is sent again later."""
        return self.outcome_unknown or self.rate_limited

    @property
    def account_unreachable(self):
        return self.kind == const.ERROR_ACCOUNT_UNREACHABLE


def _kind_of(error_type, http_status, code):
    """The kind of an error from the SDK's exception class, the HTTP status and Stripe's code."""
    if error_type == "APIConnectionError" or (http_status or 0) >= 500:
        return const.ERROR_OUTCOME_UNKNOWN
    if error_type == "RateLimitError" or http_status == 429:
        return const.ERROR_RATE_LIMITED
    if error_type == "PermissionError" or code == "account_invalid":
        return const.ERROR_ACCOUNT_UNREACHABLE
    if code == "authentication_required":
        return const.ERROR_AUTHENTICATION_REQUIRED
    if error_type == "CardError":
        return const.ERROR_DECLINED
    return const.ERROR_REFUSED
