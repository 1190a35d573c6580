"""PaymentMethods: Stripe's test card behaviour, test ``pm_card_*`` ids, and cloning to connected
accounts.

Cloning (``POST /v1/payment_methods`` with ``customer`` and ``payment_method`` and a
``Stripe-Account`` header) reads the PaymentMethod from the *platform's* data, where it must be
attached to that platform customer, and creates an unattached copy on the connected account: same
brand, last4, expiry, fingerprint and billing details, and the same test-card behaviour (declines,
3-D Secure). As on Stripe, the copy is not set up for off-session use until a SetupIntent confirms
it on that account.
"""

import copy

from aiohttp import web
from localstripe.resources import Customer, PaymentMethod
from localstripe.server import json_response, unflatten_data

from . import cards, errors, scoping

routes = web.RouteTableDef()

#: Stripe's ready-made test PaymentMethod ids (each use makes a new PaymentMethod, as on Stripe).
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedFraudulent": "4100000000000019",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_threeDSecure2Required": "4000000000003220",
}

_init = PaymentMethod.__init__
_attaching_is_declined = PaymentMethod._attaching_is_declined
_charging_is_declined = PaymentMethod._charging_is_declined


def _init_with_brand(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    if self.type == "card":
        self.card["brand"] = cards.brand(self._card_number)


def _attaching_is_declined_per_table(self):
    if cards.card_number(self) in cards.DECLINES or cards.is_blocked(self):
        return cards.declines_when_saved(self)
    return _attaching_is_declined(self)


def _charging_is_declined_per_table(self):
    return cards.declines_when_charged(self) or _charging_is_declined(self)


def _test_payment_method(cls, id):
    number = TEST_PAYMENT_METHODS.get(id)
    if number:
        return cls(
            type="card",
            card={"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
        )


def _create(cls, customer=None, payment_method=None, **data):
    if customer is None and payment_method is None:
        return cls(**data)
    return _clone(cls, customer, payment_method, **data)


def _clone(cls, customer, payment_method, metadata=None, **data):
    if data:
        raise errors.not_implemented(data)
    for name, value in (("customer", customer), ("payment_method", payment_method)):
        if not value:
            raise errors.missing_parameter(name)
    if scoping.connected_account() is None:
        raise errors.invalid_request(
            "PaymentMethods are cloned to a connected account: send the Stripe-Account "
            "header naming it.",
            param="customer",
        )
    with scoping.platform():
        Customer._api_retrieve(customer)
        source = cls._api_retrieve(payment_method)
    if source.customer != customer:
        raise errors.invalid_request(
            f"The customer does not have a payment method with the ID {payment_method}. "
            "The payment method must be attached to the customer.",
            code="resource_missing",
            param="payment_method",
        )
    if source.type != "card":
        raise errors.invalid_request(
            "The sandbox only clones card PaymentMethods.", param="payment_method"
        )
    clone = cls(
        type="card",
        billing_details=copy.deepcopy(source.billing_details),
        metadata=metadata,
        card={
            "number": source._card_number,
            "exp_month": source.card["exp_month"],
            "exp_year": source.card["exp_year"],
            "cvc": "123",
        },
    )
    clone.card = copy.deepcopy(source.card)
    clone._cloned_from = cards.lineage(source)
    return clone


PaymentMethod.__init__ = _init_with_brand
PaymentMethod._attaching_is_declined = _attaching_is_declined_per_table
PaymentMethod._charging_is_declined = _charging_is_declined_per_table
PaymentMethod._requires_authentication = lambda self: cards.needs_authentication(
    self, off_session=False
)
PaymentMethod._try_get_canonical_test_article = classmethod(_test_payment_method)
PaymentMethod._api_create = classmethod(_create)


@routes.get("/v1/customers/{id}/payment_methods")
async def list_customer_payment_methods(request):
    params = unflatten_data(request.query)
    expand = params.pop("expand", None)
    params.setdefault("type", "card")
    listing = PaymentMethod._api_list_all(request.path, customer=request.match_info["id"], **params)
    return json_response(listing._export(expand=expand))
