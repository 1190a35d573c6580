"""Balances, balance transactions and payouts per account."""

import time

import pytest
import stripe


def _pay(client, new_card, amount, fee=None):
    params = {
        "amount": amount,
        "currency": "eur",
        "payment_method": new_card(client).id,
        "confirm": True,
    }
    if fee is not None:
        params["application_fee_amount"] = fee
    return client.v1.payment_intents.create(params)


def _fee(amount):
    """Stripe's fee: 2.9 % rounded half up, plus 30."""
    return (amount * 29 + 500) // 1000 + 30


def test_balance_sums_nets_per_account(platform, hub_client, new_card):
    _pay(hub_client, new_card, 1000, fee=100)
    _pay(hub_client, new_card, 2000)
    hub_balance = hub_client.v1.balance.retrieve()
    assert hub_balance.object == "balance"
    assert [(b.currency, b.amount) for b in hub_balance.available] == [
        ("eur", 1000 - _fee(1000) - 100 + 2000 - _fee(2000))
    ]
    assert [(b.currency, b.amount) for b in hub_balance.pending] == [("eur", 0)]
    assert [(b.currency, b.amount) for b in platform.v1.balance.retrieve().available] == [
        ("eur", 100)
    ]


def test_one_transaction_per_charge_and_refund(hub_client, new_card):
    intent = _pay(hub_client, new_card, 3000)
    charge = hub_client.v1.charges.retrieve(intent.latest_charge)
    refund = hub_client.v1.refunds.create({"charge": charge.id, "amount": 500})
    transactions = hub_client.v1.balance_transactions.list().data
    assert [(t.type, t.amount, t.source) for t in transactions] == [
        ("refund", -500, refund.id),
        ("charge", 3000, charge.id),
    ]
    charge_transaction = transactions[1]
    assert charge_transaction.status == "available"
    assert charge_transaction.currency == "eur"
    assert charge_transaction.available_on >= charge_transaction.created
    assert charge_transaction.reporting_category == "charge"
    assert transactions[0].reporting_category == "refund"


def test_filters_and_pagination(hub_client, new_card):
    charges = [
        hub_client.v1.charges.retrieve(_pay(hub_client, new_card, 1000 + i).latest_charge)
        for i in range(5)
    ]
    refund = hub_client.v1.refunds.create({"charge": charges[0].id})

    by_type = hub_client.v1.balance_transactions.list({"type": "charge", "limit": 100}).data
    assert [t.source for t in by_type] == [c.id for c in reversed(charges)]
    assert [t.source for t in hub_client.v1.balance_transactions.list({"type": "refund"}).data] == [
        refund.id
    ]
    by_source = hub_client.v1.balance_transactions.list({"source": charges[2].id}).data
    assert [t.id for t in by_source] == [charges[2].balance_transaction]
    assert (
        len(
            hub_client.v1.balance_transactions.list(
                {"created": {"gte": int(time.time()) - 60}}
            ).data
        )
        == 6
    )
    assert (
        hub_client.v1.balance_transactions.list({"created": {"gte": int(time.time()) + 60}}).data
        == []
    )

    first = hub_client.v1.balance_transactions.list({"limit": 4})
    assert len(first.data) == 4 and first.has_more is True
    second = hub_client.v1.balance_transactions.list(
        {"limit": 4, "starting_after": first.data[-1].id}
    )
    assert len(second.data) == 2 and second.has_more is False
    all_ids = [t.id for t in first.data + second.data]
    assert len(set(all_ids)) == 6
    assert [t.id for t in hub_client.v1.balance_transactions.list({"limit": 6}).data] == all_ids
    assert [
        t.id for t in hub_client.v1.balance_transactions.list({"limit": 6}).auto_paging_iter()
    ] == all_ids


def test_payout_links_the_transactions_it_pays_out(hub, hub_client, new_card):
    first = _pay(hub_client, new_card, 1000, fee=50)
    second = _pay(hub_client, new_card, 2500)
    hub_client.v1.refunds.create({"payment_intent": second.id, "amount": 300})
    expected = (1000 - _fee(1000) - 50) + (2500 - _fee(2500)) - 300

    payout = hub_client.v1.payouts.create(
        {"amount": expected, "currency": "eur"}, {"idempotency_key": "payout-1"}
    )
    assert payout.object == "payout"
    assert (payout.amount, payout.currency, payout.status, payout.method) == (
        expected,
        "eur",
        "paid",
        "standard",
    )
    assert payout.automatic is False and payout.arrival_date > 0
    assert payout.destination.startswith("ba_")

    linked = hub_client.v1.balance_transactions.list({"payout": payout.id, "limit": 100}).data
    assert sorted(t.type for t in linked) == ["charge", "charge", "payout", "refund"]
    assert sum(t.net for t in linked) == 0
    assert sum(t.net for t in linked if t.type != "payout") == payout.amount
    payout_transaction = hub_client.v1.balance_transactions.retrieve(payout.balance_transaction)
    assert (payout_transaction.type, payout_transaction.amount, payout_transaction.source) == (
        "payout",
        -expected,
        payout.id,
    )
    assert hub_client.v1.balance.retrieve().available[0].amount == 0
    assert first.latest_charge in [t.source for t in linked]

    expanded = hub_client.v1.payouts.retrieve(payout.id, {"expand": ["destination"]})
    assert expanded.destination.object == "bank_account" and expanded.destination.last4 == "6789"
    events = hub_client.v1.events.list().data
    assert [e.type for e in events[:2]] == ["payout.paid", "payout.created"]
    assert events[1].data.object.status == "pending" and events[0].data.object.status == "paid"
    assert all(e.account == hub for e in events[:2])

    # The next payout only takes what came in since.
    third = _pay(hub_client, new_card, 800)
    later = hub_client.v1.payouts.create({"amount": 800 - _fee(800), "currency": "eur"})
    assert [
        t.source for t in hub_client.v1.balance_transactions.list({"payout": later.id}).data
    ] == [later.id, third.latest_charge]


def test_payout_refusals(platform, hub_client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        hub_client.v1.payouts.create({"amount": 100, "currency": "eur"})
    assert error.value.code == "balance_insufficient"
    not_onboarded = platform.v1.accounts.create({"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as error:
        platform.v1.payouts.create(
            {"amount": 100, "currency": "eur"}, {"stripe_account": not_onboarded.id}
        )
    assert error.value.code == "payouts_not_allowed"
