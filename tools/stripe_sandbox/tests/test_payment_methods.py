"""PaymentMethods: cloning platform cards to connected accounts, test ids, brands."""

import pytest
import stripe


@pytest.fixture
def wallet(platform):
    """A platform customer (the wallet owner)."""
    return platform.v1.customers.create({"email": "alice@example.com", "name": "Alice Martin"})


def test_clone_copies_the_card_to_the_hub(platform, hub_client, wallet, new_card):
    card = new_card(platform, "4242424242424242", customer=wallet.id)
    clone = hub_client.v1.payment_methods.create({"customer": wallet.id, "payment_method": card.id})
    assert clone.id != card.id
    assert clone.customer is None
    for field in ("brand", "last4", "exp_month", "exp_year", "fingerprint", "country", "funding"):
        assert clone.card[field] == card.card[field]
    assert clone.billing_details.name == "Alice Martin"
    assert hub_client.v1.payment_methods.retrieve(clone.id).id == clone.id
    with pytest.raises(stripe.InvalidRequestError):
        platform.v1.payment_methods.retrieve(clone.id)


def test_same_card_number_has_the_same_fingerprint_everywhere(platform, hub_client, new_card):
    assert (
        new_card(platform, "4000000000009995").card.fingerprint
        == new_card(hub_client, "4000000000009995").card.fingerprint
    )
    assert (
        new_card(platform, "4242424242424242").card.fingerprint
        != new_card(platform, "4000000000009995").card.fingerprint
    )


def test_clone_keeps_the_decline(platform, hub_client, wallet, new_card):
    card = new_card(platform, "4000000000000002", customer=wallet.id)
    clone = hub_client.v1.payment_methods.create({"customer": wallet.id, "payment_method": card.id})
    hub_customer = hub_client.v1.customers.create({"email": "alice@example.com"})
    hub_client.v1.payment_methods.attach(clone.id, {"customer": hub_customer.id})
    with pytest.raises(stripe.CardError) as error:
        hub_client.v1.payment_intents.create(
            {
                "amount": 2000,
                "currency": "eur",
                "customer": hub_customer.id,
                "payment_method": clone.id,
                "confirm": True,
                "off_session": True,
            }
        )
    assert error.value.error.decline_code == "generic_decline"


def test_clone_keeps_the_3ds_requirement(platform, hub_client, wallet, new_card):
    card = new_card(platform, "4000002760003184", customer=wallet.id)
    clone = hub_client.v1.payment_methods.create({"customer": wallet.id, "payment_method": card.id})
    intent = hub_client.v1.payment_intents.create(
        {"amount": 2000, "currency": "eur", "payment_method": clone.id, "confirm": True}
    )
    assert intent.status == "requires_action"


def test_clone_needs_a_card_attached_to_that_platform_customer(
    platform, hub_client, wallet, new_card
):
    loose = new_card(platform)
    with pytest.raises(stripe.InvalidRequestError) as error:
        hub_client.v1.payment_methods.create({"customer": wallet.id, "payment_method": loose.id})
    assert error.value.code == "resource_missing" and error.value.param == "payment_method"
    with pytest.raises(stripe.InvalidRequestError) as error:
        hub_client.v1.payment_methods.create(
            {"customer": "cus_unknown", "payment_method": loose.id}
        )
    assert error.value.code == "resource_missing"
    hub_card = new_card(hub_client)
    with pytest.raises(
        stripe.InvalidRequestError
    ):  # the source is read from the platform, not the hub
        hub_client.v1.payment_methods.create({"customer": wallet.id, "payment_method": hub_card.id})


def test_clone_needs_a_connected_account(platform, wallet, new_card):
    card = new_card(platform, customer=wallet.id)
    with pytest.raises(stripe.InvalidRequestError):
        platform.v1.payment_methods.create({"customer": wallet.id, "payment_method": card.id})


def test_test_payment_method_ids_and_brands(platform, wallet):
    card = platform.v1.payment_methods.attach("pm_card_mastercard", {"customer": wallet.id})
    assert card.id.startswith("pm_") and card.id != "pm_card_mastercard"
    assert (card.card.brand, card.card.last4) == ("mastercard", "4444")
    listed = platform.v1.customers.payment_methods.list(wallet.id, {"type": "card"})
    assert [pm.id for pm in listed.data] == [card.id]


def test_lost_card_is_refused_when_saved(platform, wallet, new_card):
    with pytest.raises(stripe.CardError) as error:
        new_card(platform, "4000000000009987", customer=wallet.id)
    assert error.value.code == "card_declined"
