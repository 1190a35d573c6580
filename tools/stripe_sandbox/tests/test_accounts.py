"""Connected accounts, /v1/account and Account Link onboarding."""

import time

import pytest
import requests
import stripe
from stripe_sandbox import PLATFORM_ACCOUNT_ID, PLATFORM_NAME


def test_new_account_is_not_onboarded(platform):
    account = platform.v1.accounts.create(
        {
            "type": "express",
            "country": "GB",
            "email": "hub@example.com",
            "business_profile": {"name": "Riverside Hub", "url": "https://riverside.example"},
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": {"company_id": "7"},
        }
    )
    assert account.id.startswith("acct_")
    assert account.object == "account"
    assert (account.type, account.country, account.default_currency) == ("express", "GB", "gbp")
    assert account.email == "hub@example.com"
    assert account.business_profile.name == "Riverside Hub"
    assert account.settings.dashboard.display_name == "Riverside Hub"
    assert account.metadata.to_dict() == {"company_id": "7"}
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert (
        not account.charges_enabled
        and not account.payouts_enabled
        and not account.details_submitted
    )
    assert "external_account" in account.requirements.currently_due
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert "livemode" not in account  # not a field of the pinned version's Account
    assert account.created > 0


def test_type_is_required(platform):
    with pytest.raises(stripe.InvalidRequestError) as error:
        platform.v1.accounts.create({"email": "x@example.com"})
    assert error.value.param == "type"
    with pytest.raises(stripe.InvalidRequestError):
        platform.v1.accounts.create({"type": "premium"})


def test_retrieve_update_list_delete(platform, hub):
    assert platform.v1.accounts.retrieve(hub).id == hub
    updated = platform.v1.accounts.update(
        hub,
        {
            "metadata": {"hub": "green"},
            "email": "new@example.com",
            "business_profile": {"support_email": "help@example.com"},
        },
    )
    assert updated.email == "new@example.com"
    assert updated.metadata["hub"] == "green"
    assert updated.business_profile.support_email == "help@example.com"
    assert updated.business_profile.name == "Green Valley Hub"

    second = platform.v1.accounts.create({"type": "standard"})
    listed = platform.v1.accounts.list()
    assert [a.id for a in listed.data] == [second.id, hub]
    assert PLATFORM_ACCOUNT_ID not in [a.id for a in listed.data]

    deleted = platform.v1.accounts.delete(second.id)
    assert deleted.deleted is True and deleted.id == second.id
    assert [a.id for a in platform.v1.accounts.list().data] == [hub]
    with pytest.raises(stripe.PermissionError):
        platform.v1.accounts.retrieve(second.id)


def test_update_emits_account_updated_on_the_account(platform, hub, hub_client):
    platform.v1.accounts.update(hub, {"metadata": {"x": "1"}})
    events = hub_client.v1.events.list({"type": "account.updated"}).data
    assert events[0].account == hub
    assert events[0].data.object.metadata.x == "1"
    assert platform.v1.events.list({"type": "account.updated"}).data == []


def test_current_account(stripe_sandbox, platform, hub, hub_client):
    own = platform.v1.accounts.retrieve_current()
    assert own.id == PLATFORM_ACCOUNT_ID
    assert own.business_profile.name == PLATFORM_NAME
    assert own.settings.dashboard.display_name == PLATFORM_NAME
    assert own.charges_enabled and own.payouts_enabled
    assert hub_client.v1.accounts.retrieve_current().id == hub
    with pytest.raises(stripe.InvalidRequestError):
        platform.v1.accounts.delete(PLATFORM_ACCOUNT_ID)


def _link(platform, account_id, type="account_onboarding"):
    return platform.v1.account_links.create(
        {
            "account": account_id,
            "type": type,
            "refresh_url": "http://hub.example/onboarding/refresh?company=3",
            "return_url": "http://hub.example/onboarding/return?company=3",
        }
    )


def test_account_link_onboarding_completes_the_account(stripe_sandbox, platform):
    account = platform.v1.accounts.create(
        {"type": "express", "business_profile": {"name": "Orchard Hub"}}
    )
    link = _link(platform, account.id)
    assert link.object == "account_link"
    assert link.url.startswith(stripe_sandbox.url + "/connect/onboarding/")
    assert link.expires_at > time.time()

    page = requests.get(link.url, timeout=5)
    assert page.status_code == 200
    assert "Complete onboarding" in page.text and "Orchard Hub" in page.text

    done = requests.post(link.url, data={"action": "complete"}, allow_redirects=False, timeout=5)
    assert done.status_code == 302
    assert done.headers["Location"] == "http://hub.example/onboarding/return?company=3"

    account = platform.v1.accounts.retrieve(account.id)
    assert account.details_submitted and account.charges_enabled and account.payouts_enabled
    assert account.requirements.currently_due == [] and account.requirements.disabled_reason is None
    assert account.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    assert account.external_accounts.data[0].last4 == "6789"
    event = (
        stripe_sandbox.client(stripe_account=account.id)
        .v1.events.list({"type": "account.updated"})
        .data[0]
    )
    assert event.data.object.charges_enabled is True

    used = requests.get(link.url, allow_redirects=False, timeout=5)
    assert used.status_code == 302
    assert used.headers["Location"] == "http://hub.example/onboarding/refresh?company=3"


def test_account_link_leave_redirects_to_refresh(platform):
    account = platform.v1.accounts.create({"type": "express"})
    link = _link(platform, account.id)
    left = requests.post(link.url, data={"action": "leave"}, allow_redirects=False, timeout=5)
    assert left.headers["Location"] == "http://hub.example/onboarding/refresh?company=3"
    assert platform.v1.accounts.retrieve(account.id).charges_enabled is False


def test_account_link_checks(stripe_sandbox, platform):
    with pytest.raises(stripe.PermissionError):
        _link(platform, "acct_unknown")
    with pytest.raises(stripe.InvalidRequestError) as error:
        platform.v1.account_links.create(
            {"account": PLATFORM_ACCOUNT_ID, "type": "account_onboarding"}
        )
    assert error.value.code == "parameter_missing"
    assert (
        requests.get(stripe_sandbox.url + "/connect/onboarding/nope", timeout=5).status_code == 404
    )
