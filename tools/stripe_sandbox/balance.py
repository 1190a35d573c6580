"""Balances, balance transactions and payouts, per account.

Each successful charge, refund, application fee and payout leaves a balance transaction on the
account it happened on (a Connect direct charge: the connected account; its application fee: the
platform). Funds are available at once (Stripe holds them for days). ``/v1/balance`` sums the
transactions' ``net`` per currency. ``/v1/balance_transactions`` lists them newest first, filtered
by ``type``, ``source``, ``payout``, ``currency`` and ``created``, paginated with
``limit``/``starting_after``/``has_more``.

``POST /v1/payouts`` (``amount`` and ``currency`` required, as on Stripe) pays out exactly
``amount`` from the available balance of ``currency``; more than that balance is refused with
Stripe's 400 ``balance_insufficient``. A payout that empties the balance settles every transaction
not yet paid out, its own negative ``payout`` transaction included, so ``?payout=po_...`` lists
transactions whose nets sum to zero (Stripe links transactions to its automatic payouts); a smaller
payout settles none, and its own transaction waits for the next payout that empties the balance.
The payout is ``paid`` at once (``payout.created`` then ``payout.paid``) to the account's test bank
account (``destination``, expandable). Refunds emit ``charge.refunded``.
"""

import time

from aiohttp import web
from localstripe.resources import BalanceTransaction, Charge, List, Payout, Refund, StripeObject
from localstripe.server import api_list_all, json_response

from . import errors, scoping, webhooks
from .accounts import Account
from .params import int_param

routes = web.RouteTableDef()


def _transaction_init(
    self,
    amount=None,
    currency=None,
    type=None,
    source=None,
    description=None,
    reporting_category=None,
    exchange_rate=None,
    fee_details=(),
):
    StripeObject.__init__(self)
    self.amount = amount
    self.available_on = self.created
    self.currency = currency
    self.description = description
    self.exchange_rate = exchange_rate
    self.fee_details = list(fee_details)
    self.fee = sum(detail["amount"] for detail in self.fee_details)
    self.reporting_category = reporting_category or type
    self.source = source
    self.status = "available"
    self.type = type
    self._payout = None


def transactions(currency=None):
    """The current account's balance transactions, newest first."""
    return [
        obj
        for key, obj in reversed(scoping.current_store().items())
        if key.startswith("balance_transaction:") and currency in (None, obj.currency)
    ]


def _created_filter(created):
    if created is None:
        return lambda timestamp: True
    if not isinstance(created, dict):
        created = {"eq": created}
    bounds = {op: int_param(value, f"created[{op}]") for op, value in created.items()}
    tests = {
        "eq": int.__eq__,
        "gt": int.__gt__,
        "gte": int.__ge__,
        "lt": int.__lt__,
        "lte": int.__le__,
    }
    return lambda timestamp: all(tests[op](timestamp, value) for op, value in bounds.items())


def _list_transactions(
    cls,
    url,
    type=None,
    source=None,
    payout=None,
    currency=None,
    created=None,
    limit=None,
    starting_after=None,
    **kwargs,
):
    if kwargs:
        raise errors.not_implemented(kwargs)
    created_matches = _created_filter(created)
    listing = List(url, limit=limit, starting_after=starting_after)
    listing._list = [
        t
        for t in transactions(currency)
        if type in (None, t.type)
        and source in (None, t.source)
        and payout in (None, t._payout)
        and created_matches(t.created)
    ]
    return listing


def _payout_init(
    self,
    amount=None,
    currency=None,
    description=None,
    metadata=None,
    method=None,
    statement_descriptor=None,
    **kwargs,
):
    if kwargs:
        name = min(kwargs)
        raise errors.invalid_request(f"The sandbox's payouts do not take {name}.", param=name)
    account = Account._api_retrieve(scoping.current_account())
    if not account.payouts_enabled:
        raise errors.invalid_request(
            f"Payouts are not enabled on account {account.id}: complete its onboarding.",
            code="payouts_not_allowed",
        )
    if method not in (None, "standard"):
        raise errors.invalid_request("The sandbox only makes standard payouts.", param="method")
    amount, currency = int_param(amount, "amount", minimum=1), currency.lower()
    available = sum(t.net for t in transactions(currency))
    if amount > available:
        raise errors.invalid_request(
            "You have insufficient funds in your Stripe account for this transfer. Your card "
            "balance is too low. You can use the /v1/balance endpoint to view your Stripe "
            "balance (for more details, see stripe.com/docs/api#balance).",
            code="balance_insufficient",
        )
    unpaid = [t for t in transactions(currency) if t._payout is None]
    StripeObject.__init__(self)
    self.amount = amount
    self.arrival_date = int(time.time())
    self.automatic = False
    self.currency = currency
    self.description = description
    self.destination = account._bank_account().id
    self.failure_balance_transaction = self.failure_code = self.failure_message = None
    self.metadata = metadata or {}
    self.method = "standard"
    self.original_payout = self.reversed_by = None
    self.source_type = "card"
    self.statement_descriptor = statement_descriptor
    self.type = "bank_account"
    transaction = BalanceTransaction(
        amount=-amount,
        currency=currency,
        type="payout",
        source=self.id,
        description=description or "STRIPE PAYOUT",
    )
    if amount == available:  # emptied: this payout settles what was not paid out yet
        for paid_out in [*unpaid, transaction]:
            paid_out._payout = self.id
    self.balance_transaction = transaction.id
    self.status = "pending"
    webhooks.emit("payout.created", self)
    self.status = "paid"
    webhooks.emit("payout.paid", self)


def _create_refund(cls, **data):
    refund = cls(**data)
    webhooks.emit("charge.refunded", Charge._api_retrieve(refund.charge))
    return refund


BalanceTransaction.__init__ = _transaction_init
BalanceTransaction._api_list_all = classmethod(_list_transactions)
Payout.__init__ = _payout_init
Refund._api_create = classmethod(_create_refund)


@routes.get("/v1/balance")
async def retrieve_balance(request):
    account = Account._api_retrieve(scoping.current_account())
    totals = {account.default_currency: 0}
    for transaction in transactions():
        totals[transaction.currency] = totals.get(transaction.currency, 0) + transaction.net
    return json_response(
        {
            "object": "balance",
            "livemode": False,
            "available": [
                {"amount": amount, "currency": currency, "source_types": {"card": amount}}
                for currency, amount in totals.items()
            ],
            "pending": [
                {"amount": 0, "currency": currency, "source_types": {"card": 0}}
                for currency in totals
            ],
        }
    )


# (Stripe's older alias, /v1/balance/history, is no endpoint of the SDK's pinned version.)
routes.get("/v1/balance_transactions")(api_list_all(BalanceTransaction, "/v1/balance_transactions"))
