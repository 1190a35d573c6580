"""Webhooks: signed deliveries to a local receiver, Connect ``account`` key, delivery log."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import stripe
from stripe_sandbox import pytest_plugin


class Receiver(ThreadingHTTPServer):
    """A tiny webhook endpoint on 127.0.0.1 that keeps what it receives."""

    def __init__(self):
        self.received = []
        super().__init__(("127.0.0.1", 0), ReceiverHandler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/ofn/stripe/webhook"


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((body, self.headers["Stripe-Signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def receiver(stripe_sandbox):
    server = Receiver()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    stripe_sandbox.register_webhook(server.url, name="receiver")
    yield server
    stripe_sandbox.unregister_webhook("receiver")
    server.shutdown()
    server.server_close()


def _received_event(stripe_sandbox, receiver, event_type, account=None):
    delivery = stripe_sandbox.wait_for_delivery(
        type=event_type, **({"account": account} if account else {})
    )
    assert delivery["ok"] and delivery["status"] == 200 and delivery["url"] == receiver.url
    for body, signature in receiver.received:
        event = stripe.Webhook.construct_event(body, signature, stripe_sandbox.webhook_secret)
        if event.id == delivery["event"]:
            return event, body, signature
    raise AssertionError(f"{delivery['event']} was not received")


def test_connect_event_is_signed_and_names_the_account(
    stripe_sandbox, receiver, hub, hub_client, new_card
):
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "confirm": True,
            "payment_method": new_card(hub_client).id,
        }
    )
    event, body, signature = _received_event(
        stripe_sandbox, receiver, "payment_intent.succeeded", account=hub
    )
    assert event.account == hub
    assert event.data.object.id == intent.id
    assert json.loads(body)["account"] == hub
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, "whsec_" + "wrong")
    assert hub_client.v1.events.retrieve(event.id).type == "payment_intent.succeeded"


def test_platform_event_has_no_account(stripe_sandbox, receiver, platform):
    customer = platform.v1.customers.create({"email": "p@example.com"})
    event, body, _ = _received_event(stripe_sandbox, receiver, "customer.created")
    assert event.data.object.id == customer.id
    assert "account" not in json.loads(body)
    assert stripe_sandbox.deliveries(type="customer.created")[0]["account"] is None


def test_account_events_reach_the_endpoint(stripe_sandbox, platform, hub, receiver):
    platform.v1.accounts.update(hub, {"metadata": {"tier": "gold"}})
    event, _, _ = _received_event(stripe_sandbox, receiver, "account.updated", account=hub)
    assert event.data.object.metadata.tier == "gold"


def test_late_webhooks_wait_until_time_passes(stripe_sandbox, receiver, platform):
    """A day's delay stands for webhooks that come late; ``deliver_now`` is the day passing."""
    url = stripe_sandbox.url + "/_sandbox/webhooks"
    previous = requests.post(f"{url}/delay", data={"seconds": 86400}, timeout=10).json()
    try:
        customer = platform.v1.customers.create({"email": "late@example.com"})
        time.sleep(0.5)
        assert not stripe_sandbox.deliveries(type="customer.created"), "not before a day"
        assert requests.post(f"{url}/deliver_now", timeout=10).json() == {"delivered": 1}
        event, _, _ = _received_event(stripe_sandbox, receiver, "customer.created")
        assert event.data.object.id == customer.id
    finally:
        requests.post(f"{url}/delay", data={"seconds": previous["previous"]}, timeout=10)


def test_event_filter_and_failed_delivery_log(stripe_sandbox, receiver, platform):
    closed = "http://127.0.0.1:9/closed"
    stripe_sandbox.register_webhook(closed, name="closed", events=["product.created"])
    try:
        platform.v1.customers.create({})
        stripe_sandbox.wait_for_delivery(type="customer.created", url=receiver.url)
        platform.v1.products.create({"name": "Apples"})
        failed = stripe_sandbox.wait_for_delivery(type="product.created", url=closed)
        assert (failed["ok"], failed["status"]) == (False, None)
        assert [d["type"] for d in stripe_sandbox.deliveries(url=closed)] == ["product.created"]
    finally:
        stripe_sandbox.unregister_webhook("closed")


def test_endpoint_given_on_the_command_line(tmp_path):
    receiver = Receiver()
    threading.Thread(
        target=receiver.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    secret = "whsec_" + "cli"
    server = pytest_plugin._start(
        tmp_path, ["--webhook-url", receiver.url, "--webhook-secret", secret]
    )
    try:
        customer = server.client().v1.customers.create({})
        delivery = server.wait_for_delivery(type="customer.created")
        body, signature = receiver.received[0]
        event = stripe.Webhook.construct_event(body, signature, secret)
        assert (event.id, event.data.object.id, delivery["url"]) == (
            delivery["event"],
            customer.id,
            receiver.url,
        )
    finally:
        pytest_plugin._stop(server)
        receiver.shutdown()
        receiver.server_close()
