"""PaymentIntents: the fields Odoo's ``payment_stripe`` and the Connect gateway send, Stripe's
confirmation rules, and both response shapes.

Accepted and echoed: ``description``, ``statement_descriptor(_suffix)``, ``setup_future_usage``,
``application_fee_amount`` (only on a connected account, as Stripe requires for direct charges),
``on_behalf_of``, ``receipt_email``, ``shipping``, ``payment_method_options``,
``payment_method_types`` (``allowed_payment_method_types`` in the SDK's pinned version),
``capture_method``, ``metadata``, ``customer``, ``payment_method``, ``confirm``/``off_session``.
The list (``GET /v1/payment_intents``) filters by ``customer``, newest first.
An intent has both ``charges`` (every attempt, the API 2019-05-16 shape Odoo reads) and
``latest_charge`` (an id unless expanded); each response keeps the one of its API version
(:mod:`.strict`).

Confirmation: a declining card gives a 402 ``card_error`` (see :mod:`.charges`). A card that asks
for 3-D Secure (see :mod:`.cards`) leaves the intent in ``requires_action`` with a
``use_stripe_sdk`` next action; off session the request also fails with a 402
``authentication_required`` carrying that intent, which the customer can then authenticate
(localstripe's ``POST /v1/payment_intents/{id}/_authenticate``). A successful intent with
``setup_future_usage`` attaches its card to its customer (and sets it up for off-session use).
"""

from aiohttp import web
from localstripe.resources import List, PaymentIntent, PaymentMethod
from localstripe.server import get_post_data, json_response

from . import cards, charges, errors, scoping, webhooks
from .params import bool_param, int_param

routes = web.RouteTableDef()

#: Fields kept as sent (after the checks of :func:`checked_fields`); ``None`` until then.
INTENT_FIELDS = (
    "application_fee_amount",
    "description",
    "on_behalf_of",
    "payment_method_options",
    "receipt_email",
    "setup_future_usage",
    "shipping",
    "statement_descriptor",
    "statement_descriptor_suffix",
)
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CONFIRM_PARAMS = {
    "client_secret",
    "error_on_requires_action",
    "mandate_data",
    "off_session",
    "payment_method",
    "payment_method_data",
    "payment_method_options",
    "receipt_email",
    "return_url",
    "setup_future_usage",
    "use_stripe_sdk",
}
NEXT_ACTION = {
    "type": "use_stripe_sdk",
    "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": ""},
}

for _field in INTENT_FIELDS:
    setattr(PaymentIntent, _field, None)
PaymentIntent.confirmation_method = "automatic"
PaymentIntent.payment_method_types = ["card"]
PaymentIntent._auth_error = None


def checked_fields(data, amount):
    """The :data:`INTENT_FIELDS` present in ``data``, checked and converted as Stripe does."""
    fields = {name: data[name] for name in INTENT_FIELDS if name in data}
    if fields.get("application_fee_amount") is not None:
        fee = fields["application_fee_amount"] = int_param(
            fields["application_fee_amount"], "application_fee_amount"
        )
        if scoping.connected_account() is None:
            raise errors.invalid_request(
                "Can only apply an application_fee_amount when the PaymentIntent is attempting a "
                "direct payment (using an OAuth key or Stripe-Account header) or destination "
                "payment (using `transfer_data[destination]`).",
                param="application_fee_amount",
            )
        if fee > amount:
            raise errors.invalid_request(
                "The application fee cannot exceed the amount.", param="application_fee_amount"
            )
    if fields.get("setup_future_usage") not in (None, "on_session", "off_session"):
        raise errors.invalid_request(
            "Invalid setup_future_usage: must be on_session or off_session",
            param="setup_future_usage",
        )
    if len(fields.get("statement_descriptor_suffix") or "") > 22:
        raise errors.invalid_request(
            "The statement descriptor suffix is longer than 22 characters.",
            param="statement_descriptor_suffix",
        )
    return fields


def _payment_method_id(payment_method):
    """The stored id of ``payment_method`` (a test id such as ``pm_card_visa`` makes a new one)."""
    return PaymentMethod._api_retrieve(payment_method).id


def _create(cls, confirm=None, off_session=None, **data):
    confirm, off_session = bool_param(confirm, "confirm"), bool_param(off_session, "off_session")
    if off_session and not confirm:
        raise errors.invalid_request(
            "off_session can only be used together with confirm=true.", param="off_session"
        )
    if data.get("amount") is None:
        raise errors.missing_parameter("amount")
    fields = checked_fields(data, int_param(data["amount"], "amount", minimum=1))
    data = {k: v for k, v in data.items() if k not in INTENT_FIELDS}
    # the SDK's pinned version names it allowed_payment_method_types; 2019-05-16, as localstripe
    # does, payment_method_types
    if "allowed_payment_method_types" in data:
        data["payment_method_types"] = data.pop("allowed_payment_method_types")
    if data.get("payment_method"):
        data["payment_method"] = _payment_method_id(data["payment_method"])
    intent = cls(**data)
    intent.payment_method_types = data.get("payment_method_types") or ["card"]
    vars(intent).update(fields)
    webhooks.emit("payment_intent.created", intent)
    if confirm:
        confirm_intent(intent, off_session)
    return intent


def _update(cls, id, **data):
    intent = cls._api_retrieve(id)
    data.update(checked_fields(data, intent.amount))
    intent._update(**data)
    return intent


def confirm_intent(intent, off_session=False, payment_method=None):
    """Attempt the payment: a charge, or a 3-D Secure next action (and a 402 when off session)."""
    if intent.status not in CONFIRMABLE:
        raise errors.invalid_request(
            "This PaymentIntent could not be confirmed because it has a status of "
            f"{intent.status}.",
            code="payment_intent_unexpected_state",
        )
    if payment_method:
        intent.payment_method = _payment_method_id(payment_method)
    if not intent.payment_method:
        raise errors.invalid_request(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="payment_intent_unexpected_state",
            param="payment_method",
        )
    # A new attempt: earlier charges stay listed in `charges`.
    intent.latest_charge = None
    intent.next_action = None
    intent._auth_error = None
    intent._authentication_failed = False
    card = PaymentMethod._api_retrieve(intent.payment_method)
    if not cards.needs_authentication(card, off_session):
        intent._create_charge(on_failure_now=intent._report_failure)
        return
    intent.next_action = dict(NEXT_ACTION)
    webhooks.emit("payment_intent.requires_action", intent)
    if off_session:
        intent._auth_error = {
            "type": "card_error",
            "code": "authentication_required",
            "decline_code": "authentication_required",
            "message": "Your card was declined. This transaction requires authentication.",
            "doc_url": charges.doc_url("authentication_required"),
            "payment_method": card._export(),
        }
        error = {k: v for k, v in intent._auth_error.items() if k not in ("type", "message")}
        raise errors.card_error(
            intent._auth_error["message"], payment_intent=intent._export(), **error
        )


def _charges(self):
    listing = List("/v1/charges?payment_intent=" + self.id)
    listing._list = [
        obj
        for key, obj in reversed(scoping.current_store().items())
        if key.startswith("charge:") and obj.payment_intent == self.id
    ]
    return listing


def _last_payment_error(self):
    if self._authentication_failed:
        return {
            "type": "invalid_request_error",
            "code": "payment_intent_authentication_failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide "
            "payment_method again to attempt authentication again.",
        }
    if self.next_action and self._auth_error:
        return self._auth_error
    if self.latest_charge is not None and self.latest_charge.status == "failed":
        return charges.decline_error(self.latest_charge)
    return None


_export = PaymentIntent._export


def _export_with_charge_id(self, expand=None):
    obj = _export(self, expand=expand)
    expanded = {path.split(".")[0] for path in expand or ()}
    if isinstance(obj.get("latest_charge"), dict) and "latest_charge" not in expanded:
        obj["latest_charge"] = obj["latest_charge"]["id"]
    return obj


_on_success = PaymentIntent._on_success


def _on_success_saving_card(self):
    if self.setup_future_usage and self.customer:
        card = PaymentMethod._api_retrieve(self.payment_method)
        if card.customer != self.customer:
            PaymentMethod._api_attach(card.id, customer=self.customer)
        if self.setup_future_usage == "off_session":
            card._set_up_off_session = True
    _on_success(self)


_list_all = PaymentIntent._api_list_all.__func__


def _list(cls, url, limit=None, starting_after=None, customer=None, **kwargs):
    """``GET /v1/payment_intents``: Stripe's ``customer`` filter, newest first."""
    page = _list_all(cls, url, limit=limit, starting_after=starting_after, **kwargs)
    page._list = sorted(
        (intent for intent in page._list if customer is None or intent.customer == customer),
        key=lambda intent: intent.created,
        reverse=True,
    )
    return page


PaymentIntent._api_create = classmethod(_create)
PaymentIntent._api_list_all = classmethod(_list)
PaymentIntent._api_update = classmethod(_update)
PaymentIntent._export = _export_with_charge_id
PaymentIntent._on_success = _on_success_saving_card
PaymentIntent.charges = property(_charges)
PaymentIntent.last_payment_error = property(_last_payment_error)
PaymentIntent.amount_received = property(
    lambda self: self.amount if self.status == "succeeded" else 0
)
PaymentIntent.amount_capturable = property(
    lambda self: self.amount if self.status == "requires_capture" else 0
)


@routes.post("/v1/payment_intents/{id}/confirm")
async def confirm(request):
    data = dict(await get_post_data(request) or {})
    expand = data.pop("expand", None)
    if set(data) - CONFIRM_PARAMS:
        raise errors.not_implemented(set(data) - CONFIRM_PARAMS)
    intent = PaymentIntent._api_retrieve(request.match_info["id"])
    payment_method = data.get("payment_method")
    if data.get("payment_method_data"):
        payment_method = PaymentMethod(**data["payment_method_data"]).id
    vars(intent).update(checked_fields(data, intent.amount))
    confirm_intent(intent, bool_param(data.get("off_session"), "off_session"), payment_method)
    return json_response(intent._export(expand=expand))
