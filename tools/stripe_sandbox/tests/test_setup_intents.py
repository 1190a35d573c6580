"""SetupIntents: saving cards, 3-D Secure on setup, consent on a connected account."""

import pytest
import requests
import stripe


@pytest.fixture
def customer(platform):
    return platform.v1.customers.create({"email": "dana@example.com"})


def test_confirm_attaches_the_card_to_the_customer(platform, customer, new_card):
    card = new_card(platform)
    intent = platform.v1.setup_intents.create(
        {
            "customer": customer.id,
            "description": "Wallet card",
            "allowed_payment_method_types": ["card"],
            "usage": "off_session",
        }
    )
    assert intent.status == "requires_payment_method"
    intent = platform.v1.setup_intents.confirm(intent.id, {"payment_method": card.id})
    assert intent.status == "succeeded"
    assert intent.description == "Wallet card"
    assert platform.v1.payment_methods.retrieve(card.id).customer == customer.id
    assert (
        platform.v1.events.list({"type": "setup_intent.succeeded"}).data[0].data.object.id
        == intent.id
    )


def test_odoo_validation_payload_is_accepted(stripe_sandbox, platform, customer):
    """Odoo's payment_stripe adds mandate options for EUR when it validates a card."""
    headers = {
        "Authorization": "Bearer " + stripe_sandbox.secret_key,
        "Stripe-Version": "2019-05-16",
    }
    option = "payment_method_options[card][mandate_options]"
    response = requests.post(
        stripe_sandbox.url + "/v1/setup_intents",
        headers=headers,
        timeout=5,
        data={
            "customer": customer.id,
            "description": "V-0001",
            "payment_method_types[]": "card",
            f"{option}[reference]": "V-0001",
            f"{option}[amount_type]": "maximum",
            f"{option}[amount]": "15000",
            f"{option}[start_date]": "1700000000",
            f"{option}[interval]": "sporadic",
            f"{option}[supported_types][]": "india",
            f"{option}[currency]": "eur",
        },
    )
    assert response.status_code == 200, response.text
    assert "payment_method_options" not in response.json()  # not in 2019-05-16's SetupIntent
    options = platform.v1.setup_intents.retrieve(response.json()["id"]).payment_method_options
    assert options.card.mandate_options.interval == "sporadic"


def test_3ds_card_waits_for_authentication(stripe_sandbox, platform, customer, new_card):
    card = new_card(platform, "4000002500003155")
    intent = platform.v1.setup_intents.create(
        {"customer": customer.id, "payment_method": card.id, "confirm": True}
    )
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"
    assert platform.v1.payment_methods.retrieve(card.id).customer is None

    response = requests.post(
        f"{stripe_sandbox.url}/v1/setup_intents/{intent.id}/_authenticate",
        timeout=5,
        data={
            "key": stripe_sandbox.publishable_key,
            "client_secret": intent.client_secret,
            "success": "true",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded"
    assert platform.v1.payment_methods.retrieve(card.id).customer == customer.id

    # Set up for off-session use, this card no longer asks for authentication off session.
    payment = platform.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "customer": customer.id,
            "payment_method": card.id,
            "confirm": True,
            "off_session": True,
        }
    )
    assert payment.status == "succeeded"


def test_failed_authentication(stripe_sandbox, platform, customer, new_card):
    intent = platform.v1.setup_intents.create(
        {
            "customer": customer.id,
            "confirm": True,
            "payment_method": new_card(platform, "4000002760003184").id,
        }
    )
    response = requests.post(
        f"{stripe_sandbox.url}/v1/setup_intents/{intent.id}/_authenticate",
        timeout=5,
        data={
            "key": stripe_sandbox.publishable_key,
            "client_secret": intent.client_secret,
            "success": "false",
        },
    )
    body = response.json()
    assert body["status"] == "requires_payment_method"
    assert body["last_setup_error"]["code"] == "setup_intent_authentication_failure"


def test_always_3ds_card_still_needs_authentication_off_session(platform, customer, new_card):
    card = new_card(platform, "4000002760003184")
    intent = platform.v1.setup_intents.create(
        {"customer": customer.id, "payment_method": card.id, "confirm": True}
    )
    platform.v1.setup_intents.confirm(
        intent.id
    )  # localstripe's Stripe.js: confirm again once authenticated
    assert platform.v1.setup_intents.retrieve(intent.id).status == "succeeded"
    with pytest.raises(stripe.CardError) as raised:
        platform.v1.payment_intents.create(
            {
                "amount": 1000,
                "currency": "eur",
                "customer": customer.id,
                "payment_method": card.id,
                "confirm": True,
                "off_session": True,
            }
        )
    assert raised.value.code == "authentication_required"


def test_confirm_with_publishable_key_and_a_card_made_with_it(stripe_sandbox, platform, customer):
    """Stripe.js's confirmSetup: the card made with the publishable key, then the confirmation."""
    intent = platform.v1.setup_intents.create({"customer": customer.id})
    url = f"{stripe_sandbox.url}/v1/setup_intents/{intent.id}/confirm"
    made = requests.post(
        stripe_sandbox.url + "/v1/payment_methods",
        timeout=5,
        data={
            "key": stripe_sandbox.publishable_key,
            "type": "card",
            "card[number]": "4242424242424242",
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        },
    )
    assert made.status_code == 200, made.text
    card = {"payment_method": made.json()["id"]}
    wrong = requests.post(
        url, timeout=5, data={"key": stripe_sandbox.publishable_key, "client_secret": "x", **card}
    )
    assert wrong.status_code == 401
    response = requests.post(
        url,
        timeout=5,
        data={"key": stripe_sandbox.publishable_key, "client_secret": intent.client_secret, **card},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded"
    listed = platform.v1.customers.payment_methods.list(customer.id)
    assert [pm.id for pm in listed.data] == [response.json()["payment_method"]]


def test_consent_on_a_connected_account(platform, hub_client, customer, new_card):
    """The wallet flow: clone the platform card to the hub, set it up there for off-session use."""
    card = new_card(platform, "4000002500003155")
    saved = platform.v1.setup_intents.create(
        {"customer": customer.id, "payment_method": card.id, "confirm": True}
    )
    assert platform.v1.setup_intents.confirm(saved.id).status == "succeeded"  # authenticated
    clone = hub_client.v1.payment_methods.create(
        {"customer": customer.id, "payment_method": card.id}
    )
    hub_customer = hub_client.v1.customers.create({"email": customer.email})
    setup = hub_client.v1.setup_intents.create(
        {
            "customer": hub_customer.id,
            "payment_method": clone.id,
            "usage": "off_session",
            "confirm": True,
        }
    )
    assert setup.status == "requires_action"  # the clone is not set up yet on the hub
    hub_client.v1.setup_intents.confirm(setup.id)
    payment = hub_client.v1.payment_intents.create(
        {
            "amount": 2200,
            "currency": "eur",
            "customer": hub_customer.id,
            "payment_method": clone.id,
            "confirm": True,
            "off_session": True,
        }
    )
    assert payment.status == "succeeded"


def test_card_refused_when_saved(platform, customer, new_card):
    card = new_card(platform, "4000000000009979")
    with pytest.raises(stripe.CardError) as raised:
        platform.v1.setup_intents.create(
            {"customer": customer.id, "payment_method": card.id, "confirm": True}
        )
    assert raised.value.error.decline_code == "stolen_card"
    assert raised.value.error.setup_intent["status"] == "requires_payment_method"
    assert raised.value.error.setup_intent["last_setup_error"]["decline_code"] == "stolen_card"


def test_a_blocked_card_declines_everywhere_from_then_on(
    stripe_sandbox, platform, hub_client, customer, new_card
):
    card = new_card(platform, customer=customer)
    blocked = requests.post(
        stripe_sandbox.url + "/_sandbox/cards/block",
        data={"payment_method": card.id},
        timeout=10,
    )
    assert blocked.json() == {"blocked": card.id}
    hub_customer = hub_client.v1.customers.create({"email": "alice@example.com"})
    clone = hub_client.v1.payment_methods.create({"customer": customer, "payment_method": card.id})
    with pytest.raises(stripe.CardError) as declined:
        hub_client.v1.setup_intents.create(
            {
                "customer": hub_customer.id,
                "payment_method": clone.id,
                "confirm": True,
                "usage": "off_session",
            }
        )
    assert declined.value.error.decline_code == "lost_card"
    assert declined.value.error.setup_intent["status"] == "requires_payment_method"
