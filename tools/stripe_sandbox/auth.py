"""API keys, checked the way Stripe checks them (localstripe's own check, extended).

Any secret key (``sk_...``) may call everything, as in localstripe. A publishable key (``pk_...``,
in the ``Authorization`` header or as the ``key`` parameter, as Stripe.js sends it) may only make
the calls Stripe.js makes, and reaches a Payment/SetupIntent only together with that intent's
``client_secret``; it creates PaymentMethods from card details, never clones one (``customer`` +
``payment_method``). OAuth's token and deauthorize calls take the secret key as ``client_secret``
too. The HTML pages (OAuth authorize, onboarding), the Stripe.js shim, CORS preflights and the
``/_config`` and ``/_sandbox`` control routes need no key.
"""

import base64
import re

from aiohttp import web
from localstripe.server import get_post_data, unflatten_data

from . import errors, scoping

OPEN_PATHS = re.compile(
    r"^/(js\.stripe\.com/|_config/|_sandbox/|connect/onboarding/|oauth/authorize$)"
)
PUBLISHABLE_CALLS = [
    (method, re.compile(pattern))
    for method, pattern in (
        ("POST", r"^/v1/(tokens|sources|payment_methods)$"),
        ("GET", r"^/v1/(payment|setup)_intents/[\w]+$"),
        ("POST", r"^/v1/payment_intents/[\w]+/(confirm|_authenticate)$"),
        ("POST", r"^/v1/setup_intents/[\w]+/(confirm|cancel|_authenticate)$"),
    )
]
INTENT_PATH = re.compile(r"^/v1/(?P<kind>payment|setup)_intents/(?P<id>\w+)")
#: The request key telling later middlewares (:mod:`.strict`) it was made with a publishable key.
PUBLISHABLE = web.RequestKey("stripe_sandbox_publishable_key", bool)


def _header_key(request):
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme == "Bearer":
        return credentials
    if scheme == "Basic":
        try:
            return base64.b64decode(credentials).decode("utf-8").partition(":")[0]
        except ValueError:  # not base64, or not UTF-8
            return None
    return None


def _client_secret_matches(path, client_secret):
    match = INTENT_PATH.match(path)
    if not match:
        return True
    intent = scoping.current_store().get(f"{match['kind']}_intent:{match['id']}")
    return intent is not None and client_secret == intent.client_secret


@web.middleware
async def middleware(request, handler):
    if request.method == "OPTIONS" or OPEN_PATHS.match(request.path):
        return await handler(request)
    if request.method == "POST":
        params = await get_post_data(request, remove_auth=False) or {}
    else:
        params = unflatten_data(request.query)
    key = _header_key(request) or params.get("key") or ""
    if request.path.startswith("/oauth/"):
        key = key or params.get("client_secret") or ""
    if key.startswith("sk_"):
        return await handler(request)
    request[PUBLISHABLE] = key.startswith("pk_")
    if not request[PUBLISHABLE]:
        raise errors.StripeError(
            401,
            "You did not provide an API key. Provide it in the Authorization header "
            '(Bearer auth), e.g. "Authorization: Bearer YOUR_SECRET_KEY".',
        )
    is_clone = request.path == "/v1/payment_methods" and (
        "customer" in params or "payment_method" in params
    )
    if is_clone or not any(
        method == request.method and pattern.match(request.path)
        for method, pattern in PUBLISHABLE_CALLS
    ):
        raise errors.StripeError(
            401,
            "This API call cannot be made with a publishable API key. Please use a secret API key.",
        )
    if not _client_secret_matches(request.path, params.get("client_secret")):
        raise errors.StripeError(
            401,
            "The client_secret provided does not match the client_secret associated "
            "with this intent.",
            code="payment_intent_invalid_parameter",
            param="client_secret",
        )
    return await handler(request)
