"""Connect OAuth for Standard accounts: the authorize page, the token exchange and deauthorization.

``GET /oauth/authorize`` shows an approve/deny form for a ``ca_`` client id (only ``--client-id``
when given). Approving connects a new, fully enabled Standard account (prefilled from
``stripe_user[...]``), or the existing account named by ``stripe_user_id`` (a form field or query
parameter, for tests), and redirects to ``redirect_uri`` with a one-time ``code``; denying redirects
with ``error=access_denied``. ``POST /oauth/token`` exchanges the code for the account id and
tokens; a reused or unknown code is an ``invalid_grant`` (``stripe.oauth_error.InvalidGrantError``).
``POST /oauth/deauthorize`` disconnects the account: the platform gets 403 for it from then on, and
an ``account.application.deauthorized`` event is emitted on it.
"""

from dataclasses import dataclass

from aiohttp import web
from localstripe.resources import random_id
from localstripe.server import get_post_data, json_response

from . import PLATFORM_ACCOUNT_ID, PLATFORM_NAME, pages, scoping, webhooks
from .accounts import Account, connect_standard_account
from .config import CONFIG
from .state import STATE

routes = web.RouteTableDef()

SCOPES = ("read_only", "read_write")


@dataclass
class AuthorizationCode:
    account: str
    client_id: str
    scope: str
    used: bool = False


def _application(client_id):
    return {"id": client_id, "object": "application", "name": PLATFORM_NAME}


def _oauth_error(error, description, status=400):
    return json_response({"error": error, "error_description": description}, status=status)


def _client_id_is_valid(client_id):
    if CONFIG.client_id:
        return client_id == CONFIG.client_id
    return bool(client_id) and client_id.startswith("ca_")


def _authorize_params(params):
    """The authorize request's parameters, or a 400 page saying what is wrong with them."""
    if params.get("response_type", "code") != "code":
        raise web.HTTPBadRequest(text='Invalid response_type: only "code" is supported.\n')
    if not _client_id_is_valid(params.get("client_id")):
        raise web.HTTPBadRequest(text=f"Invalid client_id: {params.get('client_id')!r}.\n")
    if not params.get("redirect_uri", "").startswith(("http://", "https://")):
        raise web.HTTPBadRequest(text="Missing or invalid redirect_uri.\n")
    if params.get("scope", "read_only") not in SCOPES:
        raise web.HTTPBadRequest(text=f"Invalid scope: {params['scope']!r}.\n")
    return params


@routes.get("/oauth/authorize")
async def authorize_page(request):
    params = _authorize_params(dict(request.query))
    scope = params.get("scope", "read_only")
    return pages.form_page(
        "Stripe sandbox: connect your account",
        [
            f"{PLATFORM_NAME} ({params['client_id']}) asks for {scope} access to a Stripe account.",
            "Approving creates a new Standard account unless you name an existing one.",
        ],
        params,
        [("decision", "approve", "Approve"), ("decision", "deny", "Deny")],
        inputs=[("stripe_user_id", "Existing account id (optional)")],
    )


@routes.post("/oauth/authorize")
async def authorize_decision(request):
    params = _authorize_params({**request.query, **(await request.post())})
    redirect_uri, state = params["redirect_uri"], params.get("state")
    if params.get("decision") != "approve":
        raise pages.redirect(
            redirect_uri,
            error="access_denied",
            error_description="The user denied your request",
            state=state,
        )
    account_id = params.get("stripe_user_id")
    if account_id:
        with scoping.platform():
            account = scoping.STORE.get("account:" + account_id)
        if account is None or account.id == PLATFORM_ACCOUNT_ID:
            raise web.HTTPBadRequest(text=f"No such account: {account_id!r}.\n")
        account._connected = True
    else:
        account = connect_standard_account(
            country=params.get("stripe_user[country]"),
            email=params.get("stripe_user[email]"),
            business_name=params.get("stripe_user[business_name]"),
        )
    scope = params.get("scope", "read_only")
    code = "ac_" + random_id(24)
    STATE.oauth_codes[code] = AuthorizationCode(account.id, params["client_id"], scope)
    webhooks.emit(
        "account.application.authorized", _application(params["client_id"]), account=account.id
    )
    raise pages.redirect(redirect_uri, code=code, scope=scope, state=state)


@routes.post("/oauth/token")
async def token(request):
    data = await get_post_data(request) or {}
    grant_type, code = data.get("grant_type"), data.get("code")
    if grant_type != "authorization_code":
        return _oauth_error("unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    grant = STATE.oauth_codes.get(code)
    if grant is None:
        return _oauth_error("invalid_grant", f"Authorization code does not exist: {code}")
    if grant.used:
        return _oauth_error(
            "invalid_grant",
            "This authorization code has already been used. "
            "All tokens issued with this code have been revoked.",
        )
    grant.used = True
    # Token values are sandbox-shaped ('_oauth_' inside) so that nobody mistakes them for real keys.
    return json_response(
        {
            "access_token": "sk_test_oauth_" + random_id(24),
            "refresh_token": "rt_oauth_" + random_id(24),
            "token_type": "bearer",
            "livemode": False,
            "scope": grant.scope,
            "stripe_publishable_key": "pk_test_oauth_" + random_id(24),
            "stripe_user_id": grant.account,
        }
    )


@routes.post("/oauth/deauthorize")
async def deauthorize(request):
    data = await get_post_data(request) or {}
    client_id, account_id = data.get("client_id"), data.get("stripe_user_id")
    if not _client_id_is_valid(client_id):
        return _oauth_error("invalid_client", f"No such application: {client_id}")
    if account_id == PLATFORM_ACCOUNT_ID or not scoping.account_is_accessible(account_id):
        return _oauth_error(
            "invalid_client",
            f"This application is not connected to stripe account "
            f"{account_id}, or that account does not exist.",
        )
    webhooks.emit("account.application.deauthorized", _application(client_id), account=account_id)
    Account._api_retrieve(account_id)._connected = False
    return json_response({"stripe_user_id": account_id})
