"""SetupIntents: saving a card for later payments, on the platform or on a connected account.

Created with ``customer``, ``usage`` (default ``off_session``), ``payment_method``, ``description``,
``payment_method_options``, ``confirm``. Confirming (secret key, or publishable key with the client
secret) attaches the PaymentMethod to the customer and, for off-session usage, sets the card up so
that 4000002500003155 then charges off session without authentication. A 3-D Secure card stops at
``requires_action`` until ``POST /v1/setup_intents/{id}/_authenticate`` (``success=true|false``,
like localstripe's PaymentIntent route) or a second confirm without a new payment method (what
localstripe's Stripe.js does after its dialog). Cards refused when saved (lost, stolen, ...) give a
402 ``card_error`` carrying the ``setup_intent``.
"""

from aiohttp import web
from localstripe.resources import PaymentMethod, SetupIntent
from localstripe.server import get_post_data, json_response, unflatten_data

from . import cards, charges, errors, webhooks
from .params import bool_param
from .payment_intents import NEXT_ACTION

routes = web.RouteTableDef()

EXTRA_FIELDS = ("description", "on_behalf_of", "payment_method_options")
CONFIRM_PARAMS = {
    "client_secret",
    "mandate_data",
    "payment_method",
    "payment_method_data",
    "payment_method_options",
    "return_url",
    "use_stripe_sdk",
}

for _field in EXTRA_FIELDS + ("last_setup_error",):
    setattr(SetupIntent, _field, None)


def _create(cls, confirm=None, payment_method=None, **data):
    fields = {name: data.pop(name) for name in EXTRA_FIELDS if name in data}
    # the SDK's pinned version names it allowed_payment_method_types; 2019-05-16, as localstripe
    # does, payment_method_types
    if "allowed_payment_method_types" in data:
        data["payment_method_types"] = data.pop("allowed_payment_method_types")
    intent = cls(**data)
    vars(intent).update(fields)
    if payment_method:
        intent.payment_method = PaymentMethod._api_retrieve(payment_method).id
        intent.status = "requires_confirmation"
    webhooks.emit("setup_intent.created", intent)
    if bool_param(confirm, "confirm"):
        confirm_setup(intent)
    return intent


def confirm_setup(intent, payment_method=None):
    if intent.status == "requires_action" and payment_method is None:
        _succeed(intent)
        return
    if intent.status not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise errors.invalid_request(
            f"This SetupIntent could not be confirmed because it has a status of {intent.status}.",
            code="setup_intent_unexpected_state",
        )
    if payment_method:
        intent.payment_method = payment_method
    if not intent.payment_method:
        raise errors.invalid_request(
            "You cannot confirm this SetupIntent because it's missing a payment method.",
            code="setup_intent_unexpected_state",
            param="payment_method",
        )
    card = PaymentMethod._api_retrieve(intent.payment_method)
    if card._attaching_is_declined():
        decline = cards.decline_of(card)
        intent.status = "requires_payment_method"
        intent.next_action = None
        intent.last_setup_error = {
            "type": "card_error",
            "code": decline.code,
            "decline_code": decline.decline_code,
            "message": decline.message,
            "doc_url": charges.doc_url(decline.code),
            "payment_method": card._export(),
        }
        webhooks.emit("setup_intent.setup_failed", intent)
        raise errors.card_error(
            decline.message,
            code=decline.code,
            decline_code=decline.decline_code,
            setup_intent=intent._export(),
        )
    if cards.needs_authentication(card, off_session=False):
        intent.status = "requires_action"
        intent.next_action = dict(NEXT_ACTION)
        webhooks.emit("setup_intent.requires_action", intent)
        return
    _succeed(intent)


def _succeed(intent):
    card = PaymentMethod._api_retrieve(intent.payment_method)
    if intent.customer and card.customer != intent.customer:
        PaymentMethod._api_attach(card.id, customer=intent.customer)
    if intent.usage == "off_session":
        card._set_up_off_session = True
    intent.status = "succeeded"
    intent.next_action = None
    intent.last_setup_error = None
    webhooks.emit("setup_intent.succeeded", intent)


SetupIntent._api_create = classmethod(_create)


@routes.post("/v1/setup_intents/{id}/confirm")
async def confirm(request):
    data = dict(await get_post_data(request) or {})
    expand = data.pop("expand", None)
    if set(data) - CONFIRM_PARAMS:
        raise errors.not_implemented(set(data) - CONFIRM_PARAMS)
    intent = SetupIntent._api_retrieve(request.match_info["id"])
    payment_method = data.get("payment_method")
    if payment_method:
        payment_method = PaymentMethod._api_retrieve(payment_method).id
    if data.get("payment_method_data"):
        payment_method = PaymentMethod(**data["payment_method_data"]).id
    if "payment_method_options" in data:
        intent.payment_method_options = data["payment_method_options"]
    confirm_setup(intent, payment_method)
    return json_response(intent._export(expand=expand))


@routes.post("/v1/setup_intents/{id}/_authenticate")
async def authenticate(request):
    """Complete (``success=true``) or fail the 3-D Secure step of a SetupIntent."""
    data = {**(await get_post_data(request) or {}), **unflatten_data(request.query)}
    intent = SetupIntent._api_retrieve(request.match_info["id"])
    if intent.status != "requires_action":
        raise errors.invalid_request(
            f"This SetupIntent has a status of {intent.status}, not requires_action.",
            code="setup_intent_unexpected_state",
        )
    if bool_param(data.get("success"), "success"):
        _succeed(intent)
    else:
        card = PaymentMethod._api_retrieve(intent.payment_method)
        intent.status = "requires_payment_method"
        intent.next_action = None
        intent.payment_method = None
        intent.last_setup_error = {
            "type": "invalid_request_error",
            "code": "setup_intent_authentication_failure",
            "message": "The latest attempt to set up the payment method has failed because "
            "authentication failed.",
            "payment_method": card._export(),
        }
        webhooks.emit("setup_intent.setup_failed", intent)
    return json_response(intent._export(expand=data.get("expand")))
