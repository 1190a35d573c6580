"""Charges as Stripe shows them: decline details, ``outcome``, ``payment_method_details``, and the
fields their PaymentIntent passed on (description, metadata, receipt email, statement descriptor
suffix, application fee amount, ``on_behalf_of``).

A declined charge's error is Stripe's: HTTP 402 ``card_error`` with ``code`` (``card_declined``,
``expired_card``, ``incorrect_cvc``), ``decline_code``, ``charge``, ``payment_method`` and, for
PaymentIntents, the ``payment_intent`` (status ``requires_payment_method``, ``last_payment_error``
set to the same error). Charge lists also filter by ``payment_intent``, as Stripe's do.
"""

from localstripe.resources import Charge, PaymentIntent, PaymentMethod

from . import cards, errors

FIELDS_FROM_INTENT = (
    "application_fee_amount",
    "description",
    "on_behalf_of",
    "receipt_email",
    "statement_descriptor",
    "statement_descriptor_suffix",
)

APPROVED = {
    "network_status": "approved_by_network",
    "reason": None,
    "risk_level": "normal",
    "seller_message": "Payment complete.",
    "type": "authorized",
}

for _field in (
    "application_fee",
    "application_fee_amount",
    "on_behalf_of",
    "outcome",
    "statement_descriptor_suffix",
):
    setattr(Charge, _field, None)
Charge._decline_code = None


def doc_url(code):
    return "https://stripe.com/docs/error-codes/" + code.replace("_", "-")


def decline_error(charge):
    """The ``error`` of a declined charge, also its PaymentIntent's ``last_payment_error``."""
    return {
        "type": "card_error",
        "code": charge.failure_code,
        "decline_code": charge._decline_code,
        "message": charge.failure_message,
        "charge": charge.id,
        "doc_url": doc_url(charge.failure_code),
        "payment_method": PaymentMethod._api_retrieve(charge.payment_method)._export(),
    }


_initialize_charge = Charge._initialize_charge


def _initialize_charge_from_intent(
    self, on_success=None, on_failure_now=None, on_failure_later=None
):
    if self.payment_intent:
        intent = PaymentIntent._api_retrieve(self.payment_intent)
        for field in FIELDS_FROM_INTENT:
            setattr(self, field, getattr(intent, field))
        self.metadata = dict(intent.metadata)
    if self._authorized:
        self.outcome = dict(APPROVED)
    _initialize_charge(self, on_success, on_failure_now, on_failure_later)


def _set_decline(self):
    decline = cards.decline_of(PaymentMethod._api_retrieve(self.payment_method))
    self.status = "failed"
    self.failure_code = decline.code
    self.failure_message = decline.message
    self._decline_code = decline.decline_code
    self.outcome = {
        "network_status": "declined_by_network",
        "reason": decline.decline_code,
        "risk_level": "normal",
        "type": "issuer_declined",
        "seller_message": "The bank did not return any further details with this decline.",
    }


def _raise_decline(self):
    error = decline_error(self)
    if self.payment_intent:
        error["payment_intent"] = PaymentIntent._api_retrieve(self.payment_intent)._export()
    del error["type"]
    raise errors.card_error(error.pop("message"), **error)


_list_charges = Charge._api_list_all.__func__


def _list_charges_of_intent(cls, url, payment_intent=None, **kwargs):
    listing = _list_charges(cls, url, **kwargs)
    if payment_intent is not None:
        listing._list = [c for c in listing._list if c.payment_intent == payment_intent]
    return listing


def _payment_method_details(self):
    payment_method = PaymentMethod._api_retrieve(self.payment_method)
    card = getattr(payment_method, "card", None)
    if not isinstance(card, dict):
        return {"type": payment_method.type}
    details = {
        k: card.get(k)
        for k in ("brand", "country", "exp_month", "exp_year", "fingerprint", "funding", "last4")
    }
    details.update(
        network=card["brand"],
        mandate=None,
        three_d_secure=None,
        checks={
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass",
        },
    )
    return {"type": "card", "card": details}


Charge._initialize_charge = _initialize_charge_from_intent
Charge._set_auth_failure = _set_decline
Charge._raise_failure = _raise_decline
Charge._api_list_all = classmethod(_list_charges_of_intent)
Charge.payment_method_details = property(_payment_method_details)
