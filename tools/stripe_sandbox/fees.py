"""Stripe's processing fee and Connect application fees, settled when a charge succeeds.

Every successful charge costs the account it is made on Stripe's fee (2.9 % + 30 minor units,
rounded half up), shown in its balance transaction's ``fee_details`` as ``stripe_fee``. A direct
charge on a connected account with an ``application_fee_amount`` also creates an ``application_fee``
on the platform (``/v1/application_fees``, with its own ``application_fee`` balance transaction
there, and an ``application_fee.created`` event), which the connected account's transaction shows as
a second ``application_fee`` fee detail; the charge names it in ``application_fee``. Charges emit
``charge.succeeded``.
"""

from decimal import ROUND_HALF_UP, Decimal

from aiohttp import web
from localstripe.resources import Charge, StripeObject
from localstripe.server import api_list_all, api_retrieve

from . import PLATFORM_ACCOUNT_ID, PLATFORM_NAME, scoping, webhooks
from .balance import BalanceTransaction  # as balance.py extends it: any type, fee_details
from .config import CONFIG

routes = web.RouteTableDef()

STRIPE_PERCENT = Decimal("0.029")
STRIPE_FIXED = 30


def stripe_fee(amount):
    return (
        int((Decimal(amount) * STRIPE_PERCENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        + STRIPE_FIXED
    )


def _fee_detail(type, amount, currency, description, application=None):
    return {
        "amount": amount,
        "application": application,
        "currency": currency,
        "description": description,
        "type": type,
    }


class ApplicationFee(StripeObject):
    """The platform's share of a connected account's charge, stored in the platform's data."""

    object = "application_fee"
    _id_prefix = "fee_"

    def __init__(self, account, amount, charge, currency):
        super().__init__()
        self.account = account
        self.amount = amount
        self.amount_refunded = 0
        self.application = CONFIG.application_id
        self.charge = charge
        self.currency = currency
        self.originating_transaction = None
        self.refunded = False
        transaction = BalanceTransaction(
            amount=amount,
            currency=currency,
            type="application_fee",
            source=self.id,
            reporting_category="platform_earning",
            description=f"Application fee from {account}",
        )
        self.balance_transaction = transaction.id

    @classmethod
    def _api_list_all(cls, url, charge=None, limit=None, starting_after=None, **kwargs):
        listing = super()._api_list_all(url, limit=limit, starting_after=starting_after, **kwargs)
        if charge is not None:
            listing._list = [fee for fee in listing._list if fee.charge == charge]
        return listing


def settle_charge(charge):
    """Record the fees of ``charge``, which just succeeded on the current account."""
    fee_details = [
        _fee_detail(
            "stripe_fee", stripe_fee(charge.amount), charge.currency, "Stripe processing fees"
        )
    ]
    account = scoping.connected_account()
    if account and charge.application_fee_amount:
        with scoping.platform():
            fee = ApplicationFee(account, charge.application_fee_amount, charge.id, charge.currency)
        charge.application_fee = fee.id
        fee_details.append(
            _fee_detail(
                "application_fee",
                fee.amount,
                charge.currency,
                f"{PLATFORM_NAME} application fee",
                application=CONFIG.application_id,
            )
        )
        webhooks.emit("application_fee.created", fee, account=PLATFORM_ACCOUNT_ID)
    transaction = BalanceTransaction._api_retrieve(charge.balance_transaction)
    transaction.fee_details = fee_details
    transaction.fee = sum(detail["amount"] for detail in fee_details)
    webhooks.emit("charge.succeeded", charge)


_trigger_payment = Charge._trigger_payment


def _trigger_payment_and_settle(self, on_success=None):
    def settled():
        settle_charge(self)
        if on_success:
            on_success()

    _trigger_payment(self, on_success=settled)


Charge._trigger_payment = _trigger_payment_and_settle

for _path, _factory in (
    ("/v1/application_fees", api_list_all),
    ("/v1/application_fees/{id}", api_retrieve),
):
    routes.get(_path)(_factory(ApplicationFee, _path))
