"""The server side of the sandbox's Stripe.js shim (static/stripe-v3.js): the calls it makes from
a hub's payment page, with the publishable key, the intent's client secret and ``Stripe-Account``,
from another origin (Odoo's)."""

import pytest
import requests
import stripe

ORIGIN = "http://odoo.example:8069"
CARD_EXPIRY = {"card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"}


@pytest.fixture
def shim(stripe_sandbox):
    """Make a request as the shim does: ``key`` parameter, ``Stripe-Account`` when acting for a
    connected account, ``Origin`` of the page. Returns the ``requests`` response."""

    def call(method, path, account=None, **params):
        headers = {"Origin": ORIGIN, "Stripe-Version": "2019-05-16"}
        if account:
            headers["Stripe-Account"] = account
        params["key"] = stripe_sandbox.publishable_key
        data, query = (None, params) if method == "GET" else (params, None)
        response = requests.request(
            method, stripe_sandbox.url + path, params=query, data=data, headers=headers, timeout=5
        )
        assert response.headers.get("Access-Control-Allow-Origin") == ORIGIN
        return response

    return call


@pytest.fixture
def card_method(shim):
    """Create a card PaymentMethod with the publishable key (the shim's first call): its id."""

    def create(number="4242424242424242", account=None):
        response = shim(
            "POST",
            "/v1/payment_methods",
            account,
            type="card",
            **{"card[number]": number},
            **CARD_EXPIRY,
        )
        assert response.status_code == 200, response.text
        return response.json()["id"]

    return create


def _confirm(shim, intent, account, payment_method, kind="payment"):
    return shim(
        "POST",
        f"/v1/{kind}_intents/{intent.id}/confirm",
        account,
        client_secret=intent.client_secret,
        payment_method=payment_method,
        return_url="http://odoo.example:8069/payment/stripe/return?reference=S1",
    )


def test_the_shim_is_served_in_place_of_stripe_js(stripe_sandbox):
    response = requests.get(stripe_sandbox.url + "/js.stripe.com/v3/", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
    assert "window.Stripe = function Stripe(" in response.text
    assert "name: `ofn-shim-card-${field}`" in response.text


def test_preflight_allows_what_the_shim_sends(stripe_sandbox):
    response = requests.options(
        stripe_sandbox.url + "/v1/payment_methods",
        timeout=5,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "stripe-account,stripe-version",
        },
    )
    assert response.status_code == 204
    allowed = response.headers["Access-Control-Allow-Headers"]
    assert "Stripe-Account" in allowed and "Stripe-Version" in allowed


def test_card_payment_on_a_hub(shim, card_method, hub, hub_client, platform):
    intent = hub_client.v1.payment_intents.create({"amount": 2500, "currency": "eur"})
    card = card_method(account=hub)
    assert hub_client.v1.payment_methods.retrieve(card).card.last4 == "4242"
    with pytest.raises(stripe.InvalidRequestError):
        platform.v1.payment_methods.retrieve(card)

    confirmed = _confirm(shim, intent, hub, card)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    assert confirmed.json()["payment_method"] == card
    shown = shim("GET", f"/v1/payment_intents/{intent.id}", hub, client_secret=intent.client_secret)
    assert shown.json()["status"] == "succeeded"
    with pytest.raises(stripe.InvalidRequestError):
        platform.v1.payment_intents.retrieve(intent.id)


def test_3ds_payment_completed_in_the_dialog(shim, card_method, hub, hub_client):
    intent = hub_client.v1.payment_intents.create({"amount": 2500, "currency": "eur"})
    confirmed = _confirm(shim, intent, hub, card_method("4000002760003184", account=hub))
    assert confirmed.json()["status"] == "requires_action"
    assert confirmed.json()["next_action"]["type"] == "use_stripe_sdk"

    path = f"/v1/payment_intents/{intent.id}/_authenticate"
    forged = shim("POST", path, hub, client_secret="pi_x_secret_y", success="true")
    assert forged.status_code == 401
    done = shim("POST", path, hub, client_secret=intent.client_secret, success="true")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "succeeded"
    assert hub_client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_3ds_payment_failed_in_the_dialog(shim, card_method, hub, hub_client):
    intent = hub_client.v1.payment_intents.create({"amount": 2500, "currency": "eur"})
    _confirm(shim, intent, hub, card_method("4000002760003184", account=hub))
    failed = shim(
        "POST",
        f"/v1/payment_intents/{intent.id}/_authenticate",
        hub,
        client_secret=intent.client_secret,
        success="false",
    )
    assert failed.json()["status"] == "requires_payment_method"
    assert failed.json()["last_payment_error"]["code"] == "payment_intent_authentication_failure"


def test_declined_card_error_is_shaped_for_stripe_js(shim, card_method, hub, hub_client):
    intent = hub_client.v1.payment_intents.create({"amount": 2500, "currency": "eur"})
    declined = _confirm(shim, intent, hub, card_method("4000000000000002", account=hub))
    assert declined.status_code == 402
    error = declined.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    assert error["message"] == "Your card was declined."
    assert error["payment_intent"]["id"] == intent.id


def test_3ds_card_saved_on_a_hub(shim, card_method, hub, hub_client):
    customer = hub_client.v1.customers.create({"email": "bob@example.com"})
    intent = hub_client.v1.setup_intents.create({"customer": customer.id})
    card = card_method("4000002760003184", account=hub)
    confirmed = _confirm(shim, intent, hub, card, kind="setup")
    assert confirmed.json()["status"] == "requires_action"
    done = shim(
        "POST",
        f"/v1/setup_intents/{intent.id}/_authenticate",
        hub,
        client_secret=intent.client_secret,
        success="true",
    )
    assert done.json()["status"] == "succeeded"
    assert hub_client.v1.payment_methods.retrieve(card).customer == customer.id


def test_publishable_key_reaches_only_the_named_account(shim, card_method, hub, hub_client):
    intent = hub_client.v1.payment_intents.create({"amount": 2500, "currency": "eur"})
    on_platform = _confirm(shim, intent, None, card_method())
    assert on_platform.status_code == 401  # no such intent there, so no client secret matches
    platform_card = _confirm(shim, intent, hub, card_method())
    assert platform_card.status_code == 404
    assert platform_card.json()["error"]["code"] == "resource_missing"
    assert hub_client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_publishable_key_cannot_clone_a_card(shim, platform, hub, new_card):
    customer = platform.v1.customers.create({"email": "carol@example.com"})
    card = new_card(platform, customer=customer.id)
    response = shim(
        "POST", "/v1/payment_methods", hub, customer=customer.id, payment_method=card.id
    )
    assert response.status_code == 401
