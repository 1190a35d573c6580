"""Account Links and the hosted onboarding page they open (Stripe's Connect Onboarding, reduced
to two buttons).

``POST /v1/account_links`` returns a single-use ``url`` valid for 5 minutes. Its page offers
"Complete onboarding" and "Leave". Completing enables the account (``details_submitted``,
``charges_enabled``, ``payouts_enabled``, nothing due), emits ``account.updated`` and redirects to
``return_url``; leaving redirects to ``refresh_url``. A used or expired link redirects to
``refresh_url``, as Stripe does.
"""

import time
from dataclasses import dataclass

from aiohttp import web
from localstripe.resources import random_id
from localstripe.server import get_post_data, json_response

from . import errors, pages, webhooks
from .accounts import Account
from .state import STATE

routes = web.RouteTableDef()

LINK_LIFETIME = 300
LINK_TYPES = ("account_onboarding", "account_update")


@dataclass
class AccountLinkGrant:
    account: str
    type: str
    refresh_url: str
    return_url: str
    expires_at: int
    used: bool = False

    @property
    def usable(self):
        return not self.used and time.time() < self.expires_at


@routes.post("/v1/account_links")
async def create_account_link(request):
    data = dict(await get_post_data(request) or {})
    data.pop("expand", None)
    data.pop("collect", None)  # what to collect: the sandbox page collects nothing
    for name in ("account", "type", "refresh_url", "return_url"):
        if not data.get(name):
            raise errors.missing_parameter(name)
    if data["type"] not in LINK_TYPES:
        raise errors.invalid_request(
            "Invalid type: must be one of " + ", ".join(LINK_TYPES), param="type"
        )
    account = Account._api_retrieve(data.pop("account"))
    link_type, refresh_url, return_url = (
        data.pop("type"),
        data.pop("refresh_url"),
        data.pop("return_url"),
    )
    if data:
        raise errors.not_implemented(data)
    token = random_id(32)
    now = int(time.time())
    STATE.account_links[token] = AccountLinkGrant(
        account.id, link_type, refresh_url, return_url, now + LINK_LIFETIME
    )
    return json_response(
        {
            "object": "account_link",
            "created": now,
            "expires_at": now + LINK_LIFETIME,
            "url": f"{pages.base_url(request)}/connect/onboarding/{token}",
        }
    )


def _grant(request):
    grant = STATE.account_links.get(request.match_info["token"])
    if grant is None:
        raise web.HTTPNotFound(text="This onboarding link does not exist.\n")
    if not grant.usable:
        raise pages.redirect(grant.refresh_url)
    return grant


@routes.get("/connect/onboarding/{token}")
async def onboarding_page(request):
    grant = _grant(request)
    account = Account._api_retrieve(grant.account)
    name = account.business_profile["name"] or account.email or account.id
    return pages.form_page(
        "Stripe sandbox: account onboarding",
        [f"Account {account.id} ({name}) — {grant.type.replace('_', ' ')}."],
        {},
        [("action", "complete", "Complete onboarding"), ("action", "leave", "Leave")],
    )


@routes.post("/connect/onboarding/{token}")
async def onboarding_decision(request):
    grant = _grant(request)
    grant.used = True
    if (await request.post()).get("action") != "complete":
        raise pages.redirect(grant.refresh_url)
    account = Account._api_retrieve(grant.account)
    account._set_onboarded(True)
    webhooks.emit("account.updated", account, account=account.id)
    raise pages.redirect(grant.return_url)
