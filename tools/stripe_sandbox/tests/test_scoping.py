"""Stripe-Account: each account sees only its own data; unreachable accounts get a 403."""

import pytest
import requests
import stripe
from stripe_sandbox import PLATFORM_ACCOUNT_ID


@pytest.fixture
def other_hub(platform, onboard):
    account = platform.v1.accounts.create({"type": "express", "email": "other@example.com"})
    onboard(account.id)
    return account.id


def test_objects_are_invisible_to_other_accounts_and_to_the_platform(
    stripe_sandbox, platform, hub_client, other_hub, new_card
):
    other_client = stripe_sandbox.client(stripe_account=other_hub)
    customer = hub_client.v1.customers.create({"email": "carol@example.com"})
    card = new_card(hub_client, customer=customer.id)
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 1500,
            "currency": "eur",
            "customer": customer.id,
            "payment_method": card.id,
            "confirm": True,
        }
    )

    assert hub_client.v1.customers.retrieve(customer.id).email == "carol@example.com"
    assert [c.id for c in hub_client.v1.customers.list().data] == [customer.id]
    for client in (platform, other_client):
        for service, object_id in (
            (client.v1.customers, customer.id),
            (client.v1.payment_methods, card.id),
            (client.v1.payment_intents, intent.id),
        ):
            with pytest.raises(stripe.InvalidRequestError) as error:
                service.retrieve(object_id)
            assert error.value.http_status == 404
            assert error.value.code == "resource_missing"
        assert client.v1.customers.list().data == []
        assert client.v1.payment_intents.list().data == []


def test_unknown_account_is_a_permission_error(stripe_sandbox):
    with pytest.raises(stripe.PermissionError) as error:
        stripe_sandbox.client(stripe_account="acct_doesnotexist").v1.customers.list()
    assert error.value.http_status == 403
    assert error.value.error.code == "account_invalid"
    assert "does not have access to account 'acct_doesnotexist'" in error.value.user_message


def test_deleted_account_is_a_permission_error(stripe_sandbox, platform, hub, hub_client):
    hub_client.v1.customers.create({})
    assert platform.v1.accounts.delete(hub).deleted is True
    with pytest.raises(stripe.PermissionError):
        hub_client.v1.customers.list()


def test_platform_header_is_the_platform(stripe_sandbox, platform):
    customer = platform.v1.customers.create({"email": "p@example.com"})
    as_platform = stripe_sandbox.client(stripe_account=PLATFORM_ACCOUNT_ID)
    assert as_platform.v1.customers.retrieve(customer.id).id == customer.id


def test_events_are_listed_per_account(platform, hub_client):
    hub_customer = hub_client.v1.customers.create({})
    platform_customer = platform.v1.customers.create({})
    hub_events = hub_client.v1.events.list({"type": "customer.created"}).data
    platform_events = platform.v1.events.list({"type": "customer.created"}).data
    assert [e.data.object.id for e in hub_events] == [hub_customer.id]
    assert [e.data.object.id for e in platform_events] == [platform_customer.id]
    assert hub_events[0].account == hub_client.v1.accounts.retrieve_current().id
    assert "account" not in platform_events[0]


def test_lists_are_newest_first_and_paginate(platform):
    ids = [platform.v1.customers.create({"email": f"c{i}@example.com"}).id for i in range(5)]
    page = platform.v1.customers.list({"limit": 2})
    assert [c.id for c in page.data] == ids[::-1][:2]
    assert page.has_more is True
    rest = platform.v1.customers.list({"limit": 10, "starting_after": page.data[-1].id})
    assert [c.id for c in rest.data] == ids[::-1][2:]
    assert rest.has_more is False


def test_raw_http_header_scopes_too(stripe_sandbox, hub, hub_client):
    customer = hub_client.v1.customers.create({})
    headers = {"Authorization": "Bearer " + stripe_sandbox.secret_key}
    url = f"{stripe_sandbox.url}/v1/customers/{customer.id}"
    assert (
        requests.get(url, headers={**headers, "Stripe-Account": hub}, timeout=5).status_code == 200
    )
    assert requests.get(url, headers=headers, timeout=5).status_code == 404
