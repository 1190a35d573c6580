"""Strict by version: the sandbox refuses what Stripe refuses, before anything handles the request,
and answers in the request's API version.

Every ``/v1`` request is checked against the version its ``Stripe-Version`` header names (the
accounts' default, the SDK's pinned version, without it; see :mod:`.api_versions`), as Stripe
checks it:

- an unknown version: 400 ``api_version_invalid``;
- an endpoint the version does not have: 404 "Unrecognized request URL (POST: /v1/foo). ...";
- its parameters (form body and query string, ``a[b][c]``, ``a[]``, ``a[0]``): 400
  ``parameter_unknown`` "Received unknown parameter: a[b][c]", ``parameter_missing`` "Missing
  required param: a.", "Invalid a: must be one of x, y, or z", "Invalid integer: x",
  ``parameter_invalid_empty`` for an empty value that cannot unset the parameter, ... (see
  :mod:`.schema`).

A refused request reaches neither the idempotency keys nor localstripe, so it changes nothing.
Responses (and the objects embedded in errors, such as a declined PaymentIntent) keep the fields
the version's objects have. Not Stripe's, hence not checked: the paths outside ``/v1/``
(``/_sandbox/``, ``/_config/``, ``/connect/``, ``/js.stripe.com/``) and the sandbox's test helpers
under ``/v1`` (a last segment starting with ``_``: ``.../_authenticate``). ``/oauth/token`` and
``/oauth/deauthorize`` take the parameters the SDK's OAuth TypedDicts list (and, for the token,
``client_secret``), refused with OAuth's own error shape. Nothing turns this off.
"""

import functools
import json

from aiohttp import web
from localstripe.errors import UserError
from stripe._oauth import OAuth

from . import api_versions, auth, errors, schema, sdk_rules

#: What a request made with a publishable key (Stripe.js) may carry beyond the endpoint's own
#: parameters: ``key``, the publishable key itself (Stripe.js authenticates with a parameter, not
#: a header), and ``client_secret``, the intent's secret that Stripe.js sends to confirm or
#: retrieve an intent (the SDK's confirm parameters lack it: a secret key needs no such proof).
STRIPE_JS_PARAMS = ("key", "client_secret")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@functools.cache
def _oauth_rules():
    """``path -> node`` of the Connect OAuth calls the sandbox serves, from the SDK's TypedDicts.
    Stripe documents the secret key as the token call's ``client_secret`` parameter too."""
    token = sdk_rules.typed_dict_node(OAuth.OAuthTokenParams)
    token = schema.obj(
        {**token["properties"], "client_secret": schema.scalar("string")},
        token.get("required", ()),
    )
    return {
        "/oauth/token": token,
        "/oauth/deauthorize": sdk_rules.typed_dict_node(OAuth.OAuthDeauthorizeParams),
    }


def _is_sandbox_helper(path):
    return path.rpartition("/")[2].startswith("_")


async def _params(request):
    """The request's parameters: its query string and, for a POST, its form body. Stripe's API
    reads form-encoded bodies only; another body would slip past the checks, so it is refused."""
    pairs = list(request.query.items())
    if request.method == "POST" and request.body_exists:
        if request.content_type in FORM_TYPES:
            pairs += list((await request.post()).items())
        elif (await request.read()).strip():
            raise errors.invalid_request(
                "Invalid request: the API takes form-encoded parameters (Content-Type: "
                f"application/x-www-form-urlencoded), not {request.content_type}."
            )
    return schema.parse_params(pairs)


def _check(request, version, params):
    method = "GET" if request.method == "HEAD" else request.method
    endpoint = api_versions.rules(version).endpoint(method, request.path)
    if endpoint is None:
        raise errors.unrecognized_url(method, request.path)
    if request.get(auth.PUBLISHABLE):
        for name in STRIPE_JS_PARAMS:
            params.pop(name, None)
    try:
        schema.check_params(endpoint[1], params)
    except schema.ParamError as error:
        raise errors.StripeError(
            error.status, error.message, code=error.code, param=error.param
        ) from None


def _rendered(response, version):
    if isinstance(response, web.Response) and response.content_type == "application/json":
        body = api_versions.render(json.loads(response.body), version)
        response.body = (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()
    return response


async def _check_oauth(request, node):
    """OAuth's refusal (``{"error": "invalid_request", ...}``, what the SDK's OAuth errors read),
    or ``None``."""
    try:
        schema.check_params(node, await _params(request))
    except schema.ParamError as error:
        return web.json_response(
            {"error": "invalid_request", "error_description": error.message}, status=400
        )
    return None


@web.middleware
async def middleware(request, handler):
    oauth = _oauth_rules().get(request.path) if request.method == "POST" else None
    if oauth is not None:
        refusal = await _check_oauth(request, oauth)
        return refusal if refusal is not None else await handler(request)
    if request.method == "OPTIONS" or not request.path.startswith("/v1/"):
        return await handler(request)  # CORS preflights are the browser's, not API calls
    version = request.headers.get("Stripe-Version") or api_versions.DEFAULT
    if version not in api_versions.KNOWN:
        raise errors.api_version_invalid(version)
    if not _is_sandbox_helper(request.path):
        _check(request, version, await _params(request))
    try:
        response = await handler(request)
    except UserError as error:
        error.body = api_versions.render(error.body, version)
        raise
    return _rendered(response, version)
