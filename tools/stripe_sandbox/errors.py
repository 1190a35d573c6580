"""Errors shaped like Stripe's, so that the official SDK raises the matching exception class.

localstripe's ``UserError`` renders ``{"error": {"type": "invalid_request_error", "message":
...}}``. Stripe also sends ``code``, ``param`` and, for cards, ``decline_code``; its type is
``card_error`` for HTTP 402 (the SDK's ``stripe.CardError``), ``idempotency_error`` for a reused key
(``stripe.IdempotencyError``); HTTP 403 gives ``stripe.PermissionError``. Importing this module
makes every localstripe 402 a ``card_error``.
"""

from localstripe.errors import UserError


class StripeError(UserError):
    """``{"error": {"type", "message", **fields}}`` with HTTP ``status`` (no ``None`` fields)."""

    def __init__(self, status, message, type="invalid_request_error", **fields):
        super().__init__(status, message, {k: v for k, v in fields.items() if v is not None})
        self.body["error"]["type"] = type


def invalid_request(message, code=None, param=None, status=400):
    return StripeError(status, message, code=code, param=param)


def resource_missing(object_name, object_id, param="id"):
    return StripeError(
        404, f"No such {object_name}: '{object_id}'", code="resource_missing", param=param
    )


def missing_parameter(name):
    return StripeError(
        400, f"Missing required param: {name}.", code="parameter_missing", param=name
    )


def not_implemented(names):
    """A parameter Stripe takes there (:mod:`.strict` let it through) that the sandbox does not
    implement: said as such, not as Stripe's ``parameter_unknown``."""
    name = min(names)
    return StripeError(
        400, f"The Stripe sandbox does not implement the parameter {name} here.", param=name
    )


def api_version_invalid(version):
    error = StripeError(400, f"Invalid Stripe API version: {version}", code="api_version_invalid")
    error.body["error"]["param"] = None  # Stripe names no parameter: the version is a header
    return error


def unrecognized_url(method, path):
    return StripeError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we "
        "can help at https://support.stripe.com/.",
    )


def account_invalid(account_id):
    return StripeError(
        403,
        f"The provided key does not have access to account '{account_id}' "
        "(or that account does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def idempotency_key_in_use(key):
    return StripeError(
        400,
        "Keys for idempotent requests can only be used with the same parameters they were first "
        f"used with. Try using a key other than '{key}' if you meant to execute a different "
        "request.",
        type="idempotency_error",
        code="idempotency_key_in_use",
    )


def card_error(message, **fields):
    return StripeError(402, message, type="card_error", **fields)


_user_error_init = UserError.__init__


def _user_error_with_card_type(self, code, message=None, contents=None):
    _user_error_init(self, code, message, contents)
    if code == 402:
        self.body["error"]["type"] = "card_error"


UserError.__init__ = _user_error_with_card_type
