"""Strict by version: what Stripe refuses is refused, in Stripe's words, under the SDK's pinned
version and under 2019-05-16 (payment_stripe's); responses and webhook events in the version
asked for; payouts as Stripe makes them."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import stripe
from stripe_sandbox import api_versions

PINNED = stripe.api_version
LEGACY = "2019-05-16"
CARD = {
    "card[number]": "4242424242424242",
    "card[exp_month]": "12",
    "card[exp_year]": "2034",
    "card[cvc]": "123",
}


def _fields(cls):
    """The fields of an SDK resource class, as its annotations list them."""
    names = {n for k in cls.__mro__ for n in vars(k).get("__annotations__", {})}
    return {n for n in names if not n.startswith("_") and n != "OBJECT_NAME"} | {"id", "object"}


def _legacy_fields(kind):
    return set(json.loads(api_versions.LEGACY_FILE.read_text())["objects"][kind])


@pytest.fixture
def legacy(stripe_sandbox):
    """A StripeClient sending ``Stripe-Version: 2019-05-16``, as payment_stripe does."""
    return stripe_sandbox.client(stripe_version=LEGACY)


@pytest.fixture
def raw(stripe_sandbox):
    """A plain HTTP request with the secret key (and ``Stripe-Version`` when given): for what
    the SDK cannot send. Returns the ``requests`` response."""

    def call(method, path, version=None, headers=None, **kwargs):
        headers = {"Authorization": "Bearer " + stripe_sandbox.secret_key, **(headers or {})}
        if version:
            headers["Stripe-Version"] = version
        return requests.request(
            method, stripe_sandbox.url + path, headers=headers, timeout=10, **kwargs
        )

    return call


def _refusal(call, *args, **kwargs):
    """The ``InvalidRequestError`` the SDK raises for ``call(*args, **kwargs)``."""
    with pytest.raises(stripe.InvalidRequestError) as raised:
        call(*args, **kwargs)
    return raised.value


def _error(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]


# --- Refusals under the pinned version ---------------------------------------------------------


def test_unknown_version_is_refused(raw, platform):
    response = raw("GET", "/v1/customers", version="2020-08-27")
    assert _error(response, 400) == {
        "type": "invalid_request_error",
        "code": "api_version_invalid",
        "message": "Invalid Stripe API version: 2020-08-27",
        "param": None,
    }
    error = _refusal(platform.v1.customers.list, options={"stripe_version": "2019-13-01"})
    assert error.code == "api_version_invalid"


def test_no_version_header_is_the_pinned_version(raw, platform):
    customer = platform.v1.customers.create({})
    # payment_method_types is 2019-05-16's name: the pinned version calls it otherwise.
    response = raw(
        "POST",
        "/v1/setup_intents",
        data={"customer": customer.id, "payment_method_types[]": "card"},
    )
    assert _error(response, 400)["param"] == "payment_method_types"
    accepted = raw(
        "POST",
        "/v1/setup_intents",
        data={"customer": customer.id, "allowed_payment_method_types[]": "card"},
    )
    assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize("version", [PINNED, LEGACY])
def test_unknown_endpoint(raw, version):
    response = raw("POST", "/v1/foo", version=version, data={"a": "b"})
    assert _error(response, 404) == {
        "type": "invalid_request_error",
        "message": "Unrecognized request URL (POST: /v1/foo). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    }
    # An endpoint the SDK reaches with GET only.
    assert _error(raw("DELETE", "/v1/balance", version=version), 404)["message"].startswith(
        "Unrecognized request URL (DELETE: /v1/balance)."
    )


def test_unknown_parameter(raw, platform):
    error = _refusal(platform.v1.customers.create, {"email": "a@example.com", "nickname": "Al"})
    assert (error.http_status, error.code, error.param) == (400, "parameter_unknown", "nickname")
    assert _error(raw("POST", "/v1/customers", data={"nickname": "Al"}), 400) == {
        "type": "invalid_request_error",
        "code": "parameter_unknown",
        "message": "Received unknown parameter: nickname",
        "param": "nickname",
    }


def test_unknown_nested_parameter(platform):
    error = _refusal(
        platform.v1.payment_intents.create,
        {
            "amount": 1000,
            "currency": "eur",
            "payment_method_options": {"card": {"request_three_d_secure": "any", "colour": "red"}},
        },
    )
    assert (error.code, error.param) == (
        "parameter_unknown",
        "payment_method_options[card][colour]",
    )
    assert error.user_message == "Received unknown parameter: payment_method_options[card][colour]"


def test_missing_required_parameter(platform):
    error = _refusal(platform.v1.payment_intents.create, {"currency": "eur"})
    assert (error.code, error.param) == ("parameter_missing", "amount")
    assert error.user_message == "Missing required param: amount."
    nested = _refusal(
        platform.v1.payment_intents.create,
        {"amount": 1000, "currency": "eur", "shipping": {"address": {"city": "Lyon"}}},
    )
    assert (nested.code, nested.param) == ("parameter_missing", "shipping[name]")


def test_value_outside_an_enum(platform):
    error = _refusal(platform.v1.setup_intents.create, {"usage": "sometimes"})
    assert error.param == "usage"
    assert error.user_message == "Invalid usage: must be one of off_session or on_session"
    error = _refusal(
        platform.v1.payment_intents.create,
        {"amount": 1000, "currency": "eur", "capture_method": "later"},
    )
    assert error.user_message == (
        "Invalid capture_method: must be one of automatic, automatic_async, or manual"
    )


def test_values_of_the_wrong_type_or_empty(raw, platform):
    error = _refusal(platform.v1.payment_intents.create, {"amount": "a lot", "currency": "eur"})
    assert (error.code, error.param, error.user_message) == (
        "parameter_invalid_integer",
        "amount",
        "Invalid integer: a lot",
    )
    response = raw("POST", "/v1/payment_intents", data={"amount": "100", "currency": ""})
    assert _error(response, 400)["code"] == "parameter_invalid_empty"
    # An "emptyable" parameter unsets with an empty value; a metadata key too.
    customer = platform.v1.customers.create({"email": "a@example.com", "metadata": {"k": "v"}})
    response = raw("POST", f"/v1/customers/{customer.id}", data={"shipping": "", "metadata[k]": ""})
    assert response.status_code == 200, response.text


def test_get_filters_are_checked(raw, platform):
    error = _refusal(platform.v1.customers.list, {"colour": "red"})
    assert (error.code, error.param) == ("parameter_unknown", "colour")
    error = _refusal(platform.v1.balance_transactions.list, {"created": {"since": 1}})
    assert (error.code, error.param) == ("parameter_unknown", "created[since]")
    response = raw("GET", "/v1/customers", params={"limit": "many"})
    assert _error(response, 400)["code"] == "parameter_invalid_integer"
    response = raw("GET", "/v1/payment_intents", params={"expand[]": "data.customer"})
    assert response.status_code == 200, response.text
    assert platform.v1.balance_transactions.list({"created": {"gte": 1}, "limit": 3}).data == []


# --- Refusals under 2019-05-16 ------------------------------------------------------------------


def test_payment_method_types_belongs_to_2019(platform, legacy):
    customer = platform.v1.customers.create({})
    params = {"customer": customer.id, "payment_method_types": ["card"]}
    assert legacy.v1.setup_intents.create(params).payment_method_types == ["card"]
    error = _refusal(platform.v1.setup_intents.create, params)
    assert (error.code, error.param) == ("parameter_unknown", "payment_method_types")


def test_2019_refusals(raw, legacy):
    error = _refusal(legacy.v1.customers.create, {"nickname": "Al"})
    assert (error.code, error.param) == ("parameter_unknown", "nickname")
    error = _refusal(
        legacy.v1.payment_intents.create,
        {
            "amount": 1000,
            "currency": "eur",
            "shipping": {"name": "Bob", "address": {"line1": "1 rue", "planet": "Mars"}},
        },
    )
    assert (error.code, error.param) == ("parameter_unknown", "shipping[address][planet]")
    error = _refusal(legacy.v1.payment_intents.create, {"amount": 1000})
    assert (error.code, error.param, error.user_message) == (
        "parameter_missing",
        "currency",
        "Missing required param: currency.",
    )
    response = raw(
        "POST",
        "/v1/payment_intents",
        version=LEGACY,
        data={"amount": "1000", "currency": "eur", "capture_method": "later"},
    )
    assert _error(response, 400) == {
        "type": "invalid_request_error",
        "message": "Invalid capture_method: must be one of automatic, automatic_async, or manual",
        "param": "capture_method",
    }
    error = _refusal(legacy.v1.refunds.list, {"colour": "red"})
    assert (error.code, error.param) == ("parameter_unknown", "colour")
    response = raw("GET", "/v1/refunds", version=LEGACY, params={"created[after]": "1"})
    assert _error(response, 400)["param"] == "created[after]"


def test_what_odoo_sends_with_2019_is_accepted(raw, platform):
    """Parameters and endpoints Stripe added after 2019-05-16 are taken with that version too, as
    Stripe takes them: payment_stripe sends them with its 2019-05-16 header."""
    customer = platform.v1.customers.create({})
    response = raw(
        "GET",
        f"/v1/customers/{customer.id}/payment_methods",
        version=LEGACY,
        params={"type": "card"},
    )
    assert response.status_code == 200, response.text
    response = raw(
        "POST",
        "/v1/payment_intents",
        version=LEGACY,
        data={
            "amount": "1000",
            "currency": "eur",
            "payment_method_types[]": "card",
            "setup_future_usage": "off_session",
            "customer": customer.id,
        },
    )
    assert response.status_code == 200, response.text


# --- Responses and events in the request's version ----------------------------------------------


def test_account_in_each_version(platform, legacy, hub):
    account = platform.v1.accounts.retrieve(hub).to_dict()
    assert "livemode" not in account
    assert set(account) <= _fields(stripe.Account)
    assert {"charges_enabled", "requirements", "settings"} <= set(account)
    assert set(legacy.v1.accounts.retrieve(hub).to_dict()) <= _legacy_fields("account")


def test_payment_intent_in_each_version(hub_client, stripe_sandbox, hub, new_card):
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 1500,
            "currency": "eur",
            "payment_method": new_card(hub_client).id,
            "confirm": True,
            "expand": ["latest_charge"],
        }
    )
    assert "charges" not in intent and "statement_descriptor_suffix" in intent
    assert set(intent.to_dict()) <= _fields(stripe.PaymentIntent)
    assert set(intent.latest_charge.to_dict()) <= _fields(stripe.Charge)

    in_2019 = stripe_sandbox.client(stripe_account=hub, stripe_version=LEGACY)
    old = in_2019.v1.payment_intents.retrieve(intent.id).to_dict()
    assert "latest_charge" not in old and "statement_descriptor_suffix" not in old
    assert old["charges"]["data"][0]["id"] == intent.latest_charge.id
    assert set(old) <= _legacy_fields("payment_intent")
    assert set(old["charges"]) <= _legacy_fields("list")
    assert set(old["charges"]["data"][0]) <= _legacy_fields("charge")


def test_objects_in_errors_are_in_the_version(stripe_sandbox, hub, hub_client, new_card):
    in_2019 = stripe_sandbox.client(stripe_account=hub, stripe_version=LEGACY)
    declining = new_card(hub_client, "4000000000000002").id
    with pytest.raises(stripe.CardError) as raised:
        in_2019.v1.payment_intents.create(
            {"amount": 900, "currency": "eur", "payment_method": declining, "confirm": True}
        )
    intent = raised.value.error.payment_intent
    assert "charges" in intent and "latest_charge" not in intent
    with pytest.raises(stripe.CardError) as raised:
        hub_client.v1.payment_intents.confirm(intent["id"], {"payment_method": declining})
    assert "charges" not in raised.value.error.payment_intent


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint on 127.0.0.1 keeping the events it receives."""

    def __init__(self):
        self.events = []
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/webhook"

    def wait_for(self, event_type, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.events if e["type"] == event_type]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no {event_type} received")


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.events.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def receivers(stripe_sandbox):
    """Two endpoints: one registered with 2019-05-16 (as Odoo registers its own), one with no
    version (the default, the pinned one)."""
    old, new = Receiver(), Receiver()
    stripe_sandbox.register_webhook(old.url, name="old", api_version=LEGACY)
    stripe_sandbox.register_webhook(new.url, name="new")
    yield old, new
    for name, server in (("old", old), ("new", new)):
        stripe_sandbox.unregister_webhook(name)
        server.shutdown()
        server.server_close()


def test_webhook_events_in_the_endpoint_version(receivers, hub, hub_client, new_card):
    old, new = receivers
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "payment_method": new_card(hub_client).id,
            "confirm": True,
        }
    )
    in_2019, pinned = (
        old.wait_for("payment_intent.succeeded"),
        new.wait_for("payment_intent.succeeded"),
    )
    assert (in_2019["api_version"], pinned["api_version"]) == (LEGACY, PINNED)
    assert in_2019["account"] == pinned["account"] == hub
    assert in_2019["data"]["object"]["id"] == pinned["data"]["object"]["id"] == intent.id
    assert in_2019["data"]["object"]["charges"]["data"][0]["status"] == "succeeded"
    assert set(in_2019["data"]["object"]) <= _legacy_fields("payment_intent")
    assert "charges" not in pinned["data"]["object"]
    assert set(pinned["data"]["object"]) <= _fields(stripe.PaymentIntent)
    assert set(pinned) <= _fields(stripe.Event)


def test_webhook_registration_refuses_an_unknown_version(stripe_sandbox):
    response = requests.post(
        stripe_sandbox.url + "/_config/webhooks/bad",
        data={"url": "http://127.0.0.1:9/x", "secret": "s", "api_version": "2020-08-27"},
        timeout=5,
    )
    assert _error(response, 400)["code"] == "api_version_invalid"


def test_event_rendering_keeps_the_version_fields():
    event = {
        "object": "event",
        "api_version": "2017-08-15",
        "account": "acct_1",
        "data": {
            "object": {"object": "account", "id": "acct_1", "email": "a@b.c", "livemode": False},
            "previous_attributes": {"email": "old@b.c", "livemode": True},
        },
    }
    rendered = api_versions.render(event, PINNED)
    assert rendered["api_version"] == PINNED and rendered["account"] == "acct_1"
    assert rendered["data"]["object"] == {"object": "account", "id": "acct_1", "email": "a@b.c"}
    assert rendered["data"]["previous_attributes"] == {"email": "old@b.c"}
    assert api_versions.render(event, LEGACY)["account"] == "acct_1"


# --- Payouts --------------------------------------------------------------------------------------


def test_payouts_take_an_exact_amount(hub_client, new_card):
    error = _refusal(hub_client.v1.payouts.create, {"currency": "eur"})
    assert (error.code, error.param) == ("parameter_missing", "amount")

    hub_client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "payment_method": new_card(hub_client).id,
            "confirm": True,
        }
    )
    available = hub_client.v1.balance.retrieve().available[0].amount
    assert available == 1000 - 59  # Stripe's fee: 2.9 % + 30
    first = hub_client.v1.payouts.create({"amount": 500, "currency": "eur"})
    assert (first.amount, first.status) == (500, "paid")
    assert hub_client.v1.balance.retrieve().available[0].amount == available - 500

    error = _refusal(hub_client.v1.payouts.create, {"amount": available - 499, "currency": "eur"})
    assert error.code == "balance_insufficient"
    assert error.user_message.startswith(
        "You have insufficient funds in your Stripe account for this transfer."
    )
    rest = hub_client.v1.payouts.create({"amount": available - 500, "currency": "eur"})
    assert hub_client.v1.balance.retrieve().available[0].amount == 0
    settled = hub_client.v1.balance_transactions.list({"payout": rest.id}).data
    assert sorted(t.type for t in settled) == ["charge", "payout", "payout"]
    assert sum(t.net for t in settled) == 0


# --- A refused request changes nothing; Stripe.js's requests ------------------------------------


def test_a_refused_request_stores_nothing(stripe_sandbox, platform):
    with pytest.raises(stripe.InvalidRequestError):
        platform.v1.customers.create(
            {"email": "a@example.com", "nickname": "Al"}, {"idempotency_key": "once"}
        )
    assert platform.v1.customers.list().data == []
    assert platform.v1.events.list().data == []
    # Not even the idempotency key: the same key with valid parameters is a first request.
    customer = platform.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "once"})
    assert "Idempotent-Replayed" not in customer.last_response.headers
    intent = platform.v1.payment_intents.create({"amount": 1000, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError):
        platform.v1.payment_intents.confirm(
            intent.id, {"payment_method": "pm_card_visa", "colour": "red"}
        )
    assert platform.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    assert platform.v1.charges.list().data == []


@pytest.mark.parametrize("version", [None, LEGACY])
def test_stripe_js_requests_with_a_publishable_key(stripe_sandbox, hub, hub_client, version):
    """What the Stripe.js shim sends: the key and the client secret on top of Stripe's
    parameters, and nothing else."""
    headers = {"Stripe-Account": hub, **({"Stripe-Version": version} if version else {})}
    key = {"key": stripe_sandbox.publishable_key}

    def post(path, **data):
        return requests.post(
            stripe_sandbox.url + path, data={**key, **data}, headers=headers, timeout=5
        )

    intent = hub_client.v1.payment_intents.create({"amount": 2500, "currency": "eur"})
    card = post("/v1/payment_methods", type="card", **CARD)
    assert card.status_code == 200, card.text
    confirmed = post(
        f"/v1/payment_intents/{intent.id}/confirm",
        client_secret=intent.client_secret,
        payment_method=card.json()["id"],
        return_url="http://odoo.example/payment/stripe/return",
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    shown = requests.get(
        f"{stripe_sandbox.url}/v1/payment_intents/{intent.id}",
        params={**key, "client_secret": intent.client_secret},
        headers=headers,
        timeout=5,
    )
    assert shown.json()["status"] == "succeeded"
    other = post("/v1/payment_methods", type="card", payment_user_agent="stripe.js/v3", **CARD)
    assert _error(other, 400)["param"] == "payment_user_agent"


def test_stripe_js_parameters_need_a_publishable_key(raw, platform):
    response = raw("POST", "/v1/customers", data={"key": "pk_test_" + "sandbox"})
    assert _error(response, 400)["param"] == "key"
    intent = platform.v1.payment_intents.create({"amount": 1000, "currency": "eur"})
    error = _refusal(
        platform.v1.payment_intents.confirm,
        intent.id,
        {"payment_method": "pm_card_visa", "client_secret": intent.client_secret},
    )
    assert (error.code, error.param) == ("parameter_unknown", "client_secret")


def test_oauth_parameters_are_checked(stripe_sandbox, platform):
    with pytest.raises(stripe.oauth_error.InvalidRequestError) as raised:
        platform.oauth.token({"grant_type": "authorization_code", "code": "ac_x", "colour": "red"})
    assert raised.value.user_message == "Received unknown parameter: colour"
    response = requests.post(
        stripe_sandbox.url + "/oauth/token",
        data={"code": "ac_x", "client_secret": stripe_sandbox.secret_key},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Missing required param: grant_type.",
    }
