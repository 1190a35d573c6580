"""Connect OAuth (Standard accounts): authorize page, token, deauthorize."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe

REDIRECT_URI = "http://odoo.example/ofn/stripe/oauth/callback"


def _authorize_url(platform, **params):
    return platform.oauth.authorize_url(
        {
            "scope": "read_write",
            "redirect_uri": REDIRECT_URI,
            "state": "csrf-1",
            "stripe_user": {"email": "farm@example.com", "business_name": "Farm Hub"},
            **params,
        }
    )


def _submit(url, decision, **fields):
    """Load the authorize page and submit its form as the browser would."""
    page = requests.get(url, timeout=5)
    assert page.status_code == 200
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form = {unescape(k): unescape(v) for k, v in form.items()}
    assert f'value="{decision}"' in page.text
    response = requests.post(
        url, data={**form, **fields, "decision": decision}, allow_redirects=False, timeout=5
    )
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def test_approve_then_token_connects_an_enabled_standard_account(stripe_sandbox, platform):
    url = _authorize_url(platform)
    assert url.startswith(stripe_sandbox.url + "/oauth/authorize?")
    callback = _submit(url, "approve")
    assert callback["state"] == "csrf-1"
    assert callback["scope"] == "read_write"
    assert callback["code"].startswith("ac_")

    token = platform.oauth.token({"grant_type": "authorization_code", "code": callback["code"]})
    assert token.stripe_user_id.startswith("acct_")
    assert token.token_type == "bearer" and token.scope == "read_write" and token.livemode is False
    assert token.access_token.startswith("sk_test_") and token.stripe_publishable_key.startswith(
        "pk_test_"
    )
    assert token.refresh_token

    account = platform.v1.accounts.retrieve(token.stripe_user_id)
    assert account.type == "standard"
    assert account.email == "farm@example.com" and account.business_profile.name == "Farm Hub"
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    hub = stripe_sandbox.client(stripe_account=account.id)
    assert hub.v1.customers.create({}).id.startswith("cus_")
    assert (
        hub.v1.events.list({"type": "account.application.authorized"}).data[0].account == account.id
    )


def test_approve_can_connect_an_existing_account(platform):
    existing = platform.v1.accounts.create({"type": "standard"})
    callback = _submit(_authorize_url(platform), "approve", stripe_user_id=existing.id)
    token = platform.oauth.token({"grant_type": "authorization_code", "code": callback["code"]})
    assert token.stripe_user_id == existing.id


def test_deny_redirects_with_access_denied(platform):
    callback = _submit(_authorize_url(platform), "deny")
    assert callback == {
        "error": "access_denied",
        "error_description": "The user denied your request",
        "state": "csrf-1",
    }
    assert platform.v1.accounts.list().data == []


def test_codes_are_single_use(platform):
    code = _submit(_authorize_url(platform), "approve")["code"]
    platform.oauth.token({"grant_type": "authorization_code", "code": code})
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        platform.oauth.token({"grant_type": "authorization_code", "code": code})
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        platform.oauth.token({"grant_type": "authorization_code", "code": "ac_unknown"})


def test_token_takes_the_secret_key_as_client_secret(stripe_sandbox, platform):
    code = _submit(_authorize_url(platform), "approve")["code"]
    response = requests.post(
        stripe_sandbox.url + "/oauth/token",
        timeout=5,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_secret": stripe_sandbox.secret_key,
        },
    )
    assert response.status_code == 200
    assert response.json()["stripe_user_id"].startswith("acct_")
    assert (
        requests.post(
            stripe_sandbox.url + "/oauth/token",
            timeout=5,
            data={"grant_type": "authorization_code", "code": code},
        ).status_code
        == 401
    )


def test_bad_authorize_requests_are_plain_400_pages(stripe_sandbox):
    base = stripe_sandbox.url + "/oauth/authorize"
    for params in (
        {"response_type": "code", "client_id": "ca_other", "redirect_uri": REDIRECT_URI},
        {"response_type": "code", "client_id": stripe_sandbox.client_id},
        {
            "response_type": "token",
            "client_id": stripe_sandbox.client_id,
            "redirect_uri": REDIRECT_URI,
        },
    ):
        response = requests.get(base, params=params, timeout=5)
        assert response.status_code == 400
        assert response.headers["Content-Type"].startswith("text/plain")


def test_deauthorize_revokes_access_and_emits_the_event(stripe_sandbox, platform):
    code = _submit(_authorize_url(platform), "approve")["code"]
    account_id = platform.oauth.token(
        {"grant_type": "authorization_code", "code": code}
    ).stripe_user_id

    assert platform.oauth.deauthorize({"stripe_user_id": account_id}).stripe_user_id == account_id

    with pytest.raises(stripe.PermissionError):
        stripe_sandbox.client(stripe_account=account_id).v1.customers.list()
    with pytest.raises(stripe.PermissionError):
        platform.v1.accounts.retrieve(account_id)
    assert platform.v1.accounts.list().data == []
    with pytest.raises(stripe.oauth_error.InvalidClientError):
        platform.oauth.deauthorize({"stripe_user_id": account_id})

    # The event sits on the account; reconnecting it by OAuth makes it readable again.
    _submit(_authorize_url(platform), "approve", stripe_user_id=account_id)
    event = (
        stripe_sandbox.client(stripe_account=account_id)
        .v1.events.list({"type": "account.application.deauthorized"})
        .data[0]
    )
    assert event.account == account_id
    assert event.data.object.to_dict() == {
        "id": stripe_sandbox.client_id,
        "object": "application",
        "name": "OFN Platform (sandbox)",
    }
