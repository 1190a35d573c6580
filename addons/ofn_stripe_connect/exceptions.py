"""Errors of the Stripe integration, as Odoo ``UserError``s: shown to users as they are."""

from odoo.exceptions import UserError


class StripeNotConfigured(UserError):
    """A platform setting the feature needs is missing from the environment."""


class StripeGatewayError(UserError):
    """Stripe (or the network to it) refused a request.

    ``code`` is Stripe's error code (``card_declined``, ``authentication_required``,
    ``account_invalid``...), ``decline_code`` the bank's reason, ``http_status`` the HTTP status,
    ``payment_intent`` the PaymentIntent carried by a card error (as a dict), ``error_type`` the
    SDK's exception class name (``CardError``, ``PermissionError``...), ``json_body`` Stripe's
    error response (``{"error": {...}}``).
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
    ):
        super().__init__(message)
        self.json_body = json_body
        self.code = code
        self.decline_code = decline_code
        self.http_status = http_status
        self.payment_intent = payment_intent
        self.error_type = error_type

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

    @property
    def requires_authentication(self):
        return self.code == "authentication_required"

    @property
    def outcome_unknown(self):
        """Stripe may have acted, or not: its answer never came back (the network), or Stripe
        failed while handling the request (5xx). Never "nothing happened": the same request,
        with the same idempotency key, settles it."""
        return self.error_type == "APIConnectionError" or (self.http_status or 0) >= 500

    @property
    def rate_limited(self):
        """Stripe refused to handle the request now (429): nothing was done, ask again later."""
        return self.error_type == "RateLimitError" or self.http_status == 429

    @property
    def account_unreachable(self):
        return self.error_type == "PermissionError" or self.code == "account_invalid"
