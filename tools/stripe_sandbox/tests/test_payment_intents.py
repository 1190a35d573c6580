"""PaymentIntents: echoed fields, expansion, declines, 3-D Secure, application fees."""

import pytest
import requests
import stripe

#: A card as Stripe.js sends it to ``POST /v1/payment_methods``.
CARD_4242 = {
    "card[number]": "4242424242424242",
    "card[exp_month]": "12",
    "card[exp_year]": "2034",
    "card[cvc]": "123",
}


@pytest.fixture
def customer(hub_client):
    return hub_client.v1.customers.create({"email": "bob@example.com"})


def test_fields_are_echoed_and_expandable(hub, hub_client, customer, new_card):
    card = new_card(hub_client, customer=customer.id)
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 2500,
            "currency": "eur",
            "customer": customer.id,
            "payment_method": card.id,
            "description": "Order S00042",
            "statement_descriptor_suffix": "GREEN VALLEY",
            "setup_future_usage": "off_session",
            "application_fee_amount": 125,
            "on_behalf_of": hub,
            "receipt_email": "bob@example.com",
            "allowed_payment_method_types": ["card"],
            "capture_method": "automatic",
            "metadata": {"occurrence": "17"},
            "confirm": True,
            "off_session": True,
            "expand": ["latest_charge", "payment_method"],
        }
    )
    assert intent.status == "succeeded"
    assert (intent.amount, intent.amount_received, intent.currency) == (2500, 2500, "eur")
    assert intent.description == "Order S00042"
    assert intent.statement_descriptor_suffix == "GREEN VALLEY"
    assert intent.setup_future_usage == "off_session"
    assert intent.application_fee_amount == 125
    assert intent.on_behalf_of == hub
    assert intent.receipt_email == "bob@example.com"
    assert intent.payment_method_types == ["card"]
    assert intent.capture_method == "automatic"
    assert intent.metadata.to_dict() == {"occurrence": "17"}
    assert intent.customer == customer.id
    assert intent.payment_method.id == card.id and intent.payment_method.card.last4 == "4242"
    charge = intent.latest_charge
    assert charge.object == "charge" and charge.status == "succeeded" and charge.paid
    assert charge.payment_intent == intent.id
    assert (charge.description, charge.receipt_email) == ("Order S00042", "bob@example.com")
    assert charge.metadata.to_dict() == {"occurrence": "17"}
    assert charge.application_fee_amount == 125 and charge.application_fee.startswith("fee_")
    assert charge.outcome.type == "authorized"
    assert "charges" not in intent  # the 2019-05-16 shape; the pinned version has latest_charge
    listed = hub_client.v1.charges.list({"payment_intent": intent.id}).data
    assert [c.id for c in listed] == [charge.id]
    assert listed[0].payment_method_details.card.brand == "visa"

    plain = hub_client.v1.payment_intents.retrieve(intent.id)
    assert plain.latest_charge == charge.id
    assert plain.payment_method == card.id
    expanded = hub_client.v1.payment_intents.retrieve(
        intent.id, {"expand": ["latest_charge.balance_transaction"]}
    )
    assert expanded.latest_charge.balance_transaction.object == "balance_transaction"


def test_odoo_style_request_with_api_version_2019(
    stripe_sandbox, hub, hub_client, customer, new_card
):
    """What Odoo's payment_stripe sends for a token payment (Stripe-Version 2019-05-16)."""
    card = new_card(hub_client, customer=customer.id)
    headers = {
        "Authorization": "Bearer " + stripe_sandbox.secret_key,
        "Stripe-Version": "2019-05-16",
        "Stripe-Account": hub,
        "Idempotency-Key": "tx-S00042",
    }
    payload = {
        "amount": 1234,
        "currency": "eur",
        "description": "S00042",
        "capture_method": "automatic",
        "payment_method_types[]": "card",
        "expand[]": "payment_method",
        "confirm": True,
        "customer": customer.id,
        "off_session": True,
        "payment_method": card.id,
        "shipping[name]": "Bob",
        "shipping[address][city]": "Lyon",
    }
    response = requests.post(
        stripe_sandbox.url + "/v1/payment_intents", data=payload, headers=headers, timeout=5
    )
    assert response.status_code == 200, response.text
    intent = response.json()
    assert intent["status"] == "succeeded"
    assert intent["payment_method"]["card"]["brand"] == "visa"
    assert intent["charges"]["data"][0]["payment_method_details"]["type"] == "card"
    assert intent["shipping"]["address"]["city"] == "Lyon"
    # Odoo re-reads the intent with a POST carrying only expand[].
    reread = requests.post(
        f"{stripe_sandbox.url}/v1/payment_intents/{intent['id']}",
        data={"expand[]": "payment_method"},
        headers={**headers, "Idempotency-Key": "r1"},
        timeout=5,
    ).json()
    assert reread["payment_method"]["id"] == card.id
    refund = requests.post(
        stripe_sandbox.url + "/v1/refunds",
        headers={**headers, "Idempotency-Key": "r2"},
        data={"payment_intent": intent["id"], "amount": 234},
        timeout=5,
    ).json()
    assert (refund["status"], refund["amount"]) == ("succeeded", 234)


def test_application_fee_needs_a_connected_account(platform):
    with pytest.raises(stripe.InvalidRequestError) as error:
        platform.v1.payment_intents.create(
            {"amount": 1000, "currency": "eur", "application_fee_amount": 10}
        )
    assert error.value.param == "application_fee_amount"


def test_application_fee_objects_and_balance_transactions(platform, hub, hub_client, new_card):
    card = new_card(hub_client)
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "payment_method": card.id,
            "application_fee_amount": 100,
            "confirm": True,
        }
    )
    charge = hub_client.v1.charges.retrieve(
        intent.latest_charge, {"expand": ["balance_transaction"]}
    )
    transaction = charge.balance_transaction
    stripe_fee = 29 + 30  # 2.9 % of 1000 + 30
    assert (transaction.type, transaction.amount, transaction.fee) == (
        "charge",
        1000,
        stripe_fee + 100,
    )
    assert transaction.net == 1000 - stripe_fee - 100
    assert transaction.source == charge.id and transaction.reporting_category == "charge"
    assert {d.type: d.amount for d in transaction.fee_details} == {
        "stripe_fee": stripe_fee,
        "application_fee": 100,
    }

    fees = platform.v1.application_fees.list().data
    assert len(fees) == 1
    fee = fees[0]
    assert fee.id == charge.application_fee
    assert (fee.account, fee.amount, fee.charge, fee.currency, fee.refunded) == (
        hub,
        100,
        charge.id,
        "eur",
        False,
    )
    assert platform.v1.application_fees.retrieve(fee.id).amount == 100
    assert platform.v1.application_fees.list({"charge": "ch_other"}).data == []
    platform_transaction = platform.v1.balance_transactions.retrieve(fee.balance_transaction)
    assert (platform_transaction.type, platform_transaction.amount, platform_transaction.net) == (
        "application_fee",
        100,
        100,
    )
    assert platform_transaction.source == fee.id
    assert hub_client.v1.application_fees.list().data == []
    assert [
        e.data.object.id for e in platform.v1.events.list({"type": "application_fee.created"}).data
    ] == [fee.id]


@pytest.mark.parametrize(
    "number, code, decline_code",
    [
        ("4000000000000002", "card_declined", "generic_decline"),
        ("4000000000009995", "card_declined", "insufficient_funds"),
        ("4000000000000069", "expired_card", "expired_card"),
        ("4000000000000127", "incorrect_cvc", "incorrect_cvc"),
        ("4100000000000019", "card_declined", "fraudulent"),
        ("4000000000000341", "card_declined", "generic_decline"),
    ],
)
def test_declines(hub_client, customer, new_card, number, code, decline_code):
    card = new_card(hub_client, number, customer=customer.id)
    with pytest.raises(stripe.CardError) as raised:
        hub_client.v1.payment_intents.create(
            {
                "amount": 1800,
                "currency": "eur",
                "customer": customer.id,
                "payment_method": card.id,
                "confirm": True,
                "off_session": True,
            }
        )
    error = raised.value
    assert error.http_status == 402
    assert error.code == code
    assert error.json_body["error"]["type"] == "card_error"
    assert error.error.decline_code == decline_code
    assert error.error.charge.startswith("ch_")
    intent = error.error.payment_intent
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["decline_code"] == decline_code
    assert intent["last_payment_error"]["code"] == code
    assert intent["last_payment_error"]["payment_method"]["id"] == card.id
    charge = hub_client.v1.charges.retrieve(error.error.charge)
    assert (charge.status, charge.failure_code, charge.outcome.reason) == (
        "failed",
        code,
        decline_code,
    )
    assert hub_client.v1.payment_intents.retrieve(intent["id"]).status == "requires_payment_method"
    assert (
        hub_client.v1.events.list({"type": "payment_intent.payment_failed"}).data[0].data.object.id
        == intent["id"]
    )


def test_retry_with_another_card_after_a_decline(hub_client, new_card):
    declined = new_card(hub_client, "4000000000009995")
    with pytest.raises(stripe.CardError) as raised:
        hub_client.v1.payment_intents.create(
            {"amount": 900, "currency": "eur", "payment_method": declined.id, "confirm": True}
        )
    intent_id = raised.value.error.payment_intent["id"]
    intent = hub_client.v1.payment_intents.confirm(
        intent_id, {"payment_method": new_card(hub_client).id}
    )
    assert intent.status == "succeeded"
    assert len(hub_client.v1.charges.list({"payment_intent": intent_id}).data) == 2


@pytest.mark.parametrize("number", ["4000002760003184", "4000002500003155", "4000000000003220"])
def test_off_session_3ds_is_authentication_required(hub_client, customer, new_card, number):
    card = new_card(hub_client, number, customer=customer.id)
    with pytest.raises(stripe.CardError) as raised:
        hub_client.v1.payment_intents.create(
            {
                "amount": 3000,
                "currency": "eur",
                "customer": customer.id,
                "payment_method": card.id,
                "confirm": True,
                "off_session": True,
            }
        )
    error = raised.value
    assert error.code == "authentication_required"
    assert error.error.decline_code == "authentication_required"
    intent = error.error.payment_intent
    assert intent["status"] == "requires_action"
    assert intent["next_action"]["type"] == "use_stripe_sdk"
    assert intent["last_payment_error"]["code"] == "authentication_required"
    assert hub_client.v1.payment_intents.retrieve(intent["id"]).status == "requires_action"


def test_customer_completes_3ds_later_with_the_publishable_key(
    stripe_sandbox, hub, hub_client, customer, new_card
):
    card = new_card(hub_client, "4000002760003184", customer=customer.id)
    with pytest.raises(stripe.CardError) as raised:
        hub_client.v1.payment_intents.create(
            {
                "amount": 3000,
                "currency": "eur",
                "customer": customer.id,
                "payment_method": card.id,
                "confirm": True,
                "off_session": True,
            }
        )
    intent = raised.value.error.payment_intent
    url = f"{stripe_sandbox.url}/v1/payment_intents/{intent['id']}/_authenticate"
    headers = {"Stripe-Account": hub}
    wrong = requests.post(
        url,
        data={"key": stripe_sandbox.publishable_key, "client_secret": "nope"},
        headers=headers,
        timeout=5,
    )
    assert wrong.status_code == 401
    done = requests.post(
        url,
        params={"success": "true"},
        headers=headers,
        timeout=5,
        data={"key": stripe_sandbox.publishable_key, "client_secret": intent["client_secret"]},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "succeeded"
    assert done.json()["last_payment_error"] is None


def test_on_session_3ds_returns_requires_action(hub_client, new_card):
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 3000,
            "currency": "eur",
            "confirm": True,
            "payment_method": new_card(hub_client, "4000000000003220").id,
        }
    )
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"
    assert intent.last_payment_error is None


def test_confirm_with_the_publishable_key_and_client_secret(stripe_sandbox, hub, hub_client):
    """What Stripe.js does on a hub's checkout page (stripeAccount set)."""
    intent = hub_client.v1.payment_intents.create({"amount": 700, "currency": "eur"})
    assert intent.status == "requires_payment_method"
    url = f"{stripe_sandbox.url}/v1/payment_intents/{intent.id}"
    headers = {"Stripe-Account": hub}
    shown = requests.get(
        url,
        headers=headers,
        timeout=5,
        params={"key": stripe_sandbox.publishable_key, "client_secret": intent.client_secret},
    )
    assert shown.status_code == 200 and shown.json()["id"] == intent.id
    card = requests.post(
        stripe_sandbox.url + "/v1/payment_methods",
        headers=headers,
        timeout=5,
        data={"key": stripe_sandbox.publishable_key, "type": "card", **CARD_4242},
    )
    assert card.status_code == 200, card.text
    confirmed = requests.post(
        url + "/confirm",
        headers=headers,
        timeout=5,
        data={
            "key": stripe_sandbox.publishable_key,
            "client_secret": intent.client_secret,
            "payment_method": card.json()["id"],
            "return_url": "http://odoo.example/payment/stripe/return",
        },
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    for_other_intent = requests.get(
        url,
        headers=headers,
        timeout=5,
        params={"key": stripe_sandbox.publishable_key, "client_secret": "x"},
    )
    assert for_other_intent.status_code == 401
    listing = requests.get(
        stripe_sandbox.url + "/v1/payment_intents",
        headers=headers,
        timeout=5,
        params={"key": stripe_sandbox.publishable_key},
    )
    assert listing.status_code == 401


def test_manual_capture(hub_client, new_card):
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 5000,
            "currency": "eur",
            "capture_method": "manual",
            "payment_method": new_card(hub_client).id,
            "confirm": True,
        }
    )
    assert intent.status == "requires_capture" and intent.amount_capturable == 5000
    captured = hub_client.v1.payment_intents.capture(intent.id)
    assert captured.status == "succeeded"


def test_setup_future_usage_saves_the_card_for_the_customer(hub_client, customer, new_card):
    card = new_card(hub_client, "4000002500003155")
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "customer": customer.id,
            "payment_method": card.id,
            "setup_future_usage": "off_session",
            "confirm": True,
        }
    )
    assert intent.status == "requires_action"
    hub_client.v1.payment_intents.cancel(intent.id)
    assert hub_client.v1.payment_methods.retrieve(card.id).customer is None

    plain = new_card(hub_client)
    hub_client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "customer": customer.id,
            "payment_method": plain.id,
            "setup_future_usage": "off_session",
            "confirm": True,
        }
    )
    assert hub_client.v1.payment_methods.retrieve(plain.id).customer == customer.id


def test_refund_on_the_hub(platform, hub_client, new_card):
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 4000,
            "currency": "eur",
            "confirm": True,
            "payment_method": new_card(hub_client).id,
        }
    )
    refund = hub_client.v1.refunds.create({"payment_intent": intent.id, "amount": 1500})
    transaction = hub_client.v1.balance_transactions.retrieve(refund.balance_transaction)
    assert (transaction.type, transaction.amount, transaction.net, transaction.source) == (
        "refund",
        -1500,
        -1500,
        refund.id,
    )
    with pytest.raises(stripe.InvalidRequestError):
        platform.v1.balance_transactions.retrieve(refund.balance_transaction)
    assert hub_client.v1.charges.retrieve(intent.latest_charge).amount_refunded == 1500
    assert (
        hub_client.v1.events.list({"type": "charge.refunded"}).data[0].data.object.amount_refunded
        == 1500
    )


def test_platform_charge_has_no_application_fee(platform, new_card):
    intent = platform.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "confirm": True,
            "payment_method": new_card(platform).id,
        }
    )
    charge = platform.v1.charges.retrieve(intent.latest_charge)
    assert charge.application_fee is None
    transaction = platform.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert [d.type for d in transaction.fee_details] == ["stripe_fee"]


def test_the_list_filters_by_customer_newest_first(hub_client, new_card):
    """How a payment whose answer was lost is found again: the customer's intents on the hub's
    account, with their description (Odoo's reference) and expanded payment method."""
    ann, bob = (hub_client.v1.customers.create({"email": e}) for e in ("a@x.org", "b@x.org"))
    made = {}
    for customer, reference in ((ann, "A-1"), (bob, "B-1"), (ann, "A-2")):
        card = new_card(hub_client, customer=customer.id)
        made[reference] = hub_client.v1.payment_intents.create(
            {
                "amount": 500,
                "currency": "eur",
                "customer": customer.id,
                "payment_method": card.id,
                "description": reference,
                "confirm": True,
                "off_session": True,
            }
        )
    page = hub_client.v1.payment_intents.list(
        {"customer": ann.id, "limit": 10, "expand": ["data.payment_method"]}
    )
    assert {i.description for i in page.data} == {"A-1", "A-2"}
    assert page.data[0].created >= page.data[-1].created
    assert all(i.payment_method.object == "payment_method" for i in page.data)
    everyone = hub_client.v1.payment_intents.list({"limit": 10}).data
    assert {i.description for i in everyone} >= {"A-1", "A-2", "B-1"}
