"""The process: listening address, ready line, state file, reset, health, signing helper."""

import os
import socket
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe
from stripe_sandbox import PLATFORM_ACCOUNT_ID, pytest_plugin, sign_payload


def test_health(stripe_sandbox):
    assert requests.get(stripe_sandbox.url + "/_sandbox/health", timeout=5).json() == {"ok": True}


def test_listens_on_loopback_only(stripe_sandbox):
    url = urlsplit(stripe_sandbox.url)
    assert url.hostname == "127.0.0.1"
    with socket.create_connection((url.hostname, url.port), timeout=2):
        pass
    # localstripe listens on every interface ('::'); the sandbox only on the address it is given.
    with pytest.raises(OSError):
        socket.create_connection(("::1", url.port), timeout=2).close()


def test_default_host_is_loopback():
    output = subprocess.run(
        [sys.executable, "-m", "stripe_sandbox", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(pytest_plugin.TOOLS_DIR)},
        check=True,
    ).stdout
    assert "default: 127.0.0.1" in output


def _connected_hub_with_a_payout(server):
    """Data of every kind: onboarded hub, customer, charge with a fee, payout, unused OAuth code."""
    platform = server.client()
    hub = platform.v1.accounts.create({"type": "express"})
    link = platform.v1.account_links.create(
        {
            "account": hub.id,
            "type": "account_onboarding",
            "refresh_url": "http://x.example/r",
            "return_url": "http://x.example/ok",
        }
    )
    requests.post(
        link.url, data={"action": "complete"}, allow_redirects=False, timeout=5
    ).raise_for_status()
    hub_client = server.client(stripe_account=hub.id)
    customer = hub_client.v1.customers.create({"email": "kept@example.com"})
    intent = hub_client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "application_fee_amount": 100,
            "confirm": True,
        },
        {"idempotency_key": "kept-key"},
    )
    available = hub_client.v1.balance.retrieve().available[0].amount
    payout = hub_client.v1.payouts.create({"amount": available, "currency": "eur"})
    redirect = requests.get(
        platform.oauth.authorize_url({"redirect_uri": "http://x.example/cb"}), timeout=5
    )
    redirect.raise_for_status()
    approved = requests.post(
        redirect.url, data={"decision": "approve"}, allow_redirects=False, timeout=5
    )
    code = parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0]
    return hub.id, customer.id, intent.id, payout.id, code


def test_state_file_survives_a_restart_and_from_scratch_ignores_it(tmp_path):
    localstripe_pickle = "/tmp/localstripe.pickle"
    before = os.stat(localstripe_pickle).st_mtime if os.path.exists(localstripe_pickle) else None

    server = pytest_plugin._start(tmp_path)
    try:
        hub, customer, intent, payout, code = _connected_hub_with_a_payout(server)
    finally:
        pytest_plugin._stop(server)
    assert (tmp_path / "state.pickle").exists()

    server = pytest_plugin._start(tmp_path)
    try:
        platform, hub_client = server.client(), server.client(stripe_account=hub)
        assert hub_client.v1.customers.retrieve(customer).email == "kept@example.com"
        kept = hub_client.v1.payment_intents.retrieve(intent, {"expand": ["latest_charge"]})
        assert kept.status == "succeeded" and kept.latest_charge.application_fee_amount == 100
        replayed = hub_client.v1.payment_intents.create(
            {
                "amount": 1000,
                "currency": "eur",
                "customer": customer,
                "payment_method": "pm_card_visa",
                "application_fee_amount": 100,
                "confirm": True,
            },
            {"idempotency_key": "kept-key"},
        )
        assert replayed.id == intent
        assert (
            sum(t.net for t in hub_client.v1.balance_transactions.list({"payout": payout}).data)
            == 0
        )
        assert len(platform.v1.application_fees.list().data) == 1
        assert platform.oauth.token(
            {"grant_type": "authorization_code", "code": code}
        ).stripe_user_id
    finally:
        pytest_plugin._stop(server)

    server = pytest_plugin._start(tmp_path, ["--from-scratch"])
    try:
        with pytest.raises(stripe.PermissionError):
            server.client(stripe_account=hub).v1.customers.retrieve(customer)
        assert server.client().v1.accounts.retrieve_current().id == PLATFORM_ACCOUNT_ID
    finally:
        pytest_plugin._stop(server)

    after = os.stat(localstripe_pickle).st_mtime if os.path.exists(localstripe_pickle) else None
    assert after == before, "localstripe.pickle must not be written"


def test_cors_preflight_allows_stripe_headers(stripe_sandbox):
    response = requests.options(
        stripe_sandbox.url + "/v1/payment_intents/pi_x/confirm",
        timeout=5,
        headers={
            "Origin": "http://odoo.example:8069",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "stripe-account",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://odoo.example:8069"
    assert "Stripe-Account" in response.headers["Access-Control-Allow-Headers"]


def test_reset_clears_data_but_keeps_platform_and_webhooks(
    stripe_sandbox, platform, hub, hub_client
):
    customer = hub_client.v1.customers.create({"email": "a@example.com"})
    stripe_sandbox.register_webhook("http://127.0.0.1:9/unused", name="kept")
    try:
        stripe_sandbox.reset()
        with pytest.raises(stripe.PermissionError):
            hub_client.v1.customers.retrieve(customer.id)
        assert platform.v1.accounts.list().data == []
        assert platform.v1.events.list().data == []
        assert platform.v1.accounts.retrieve_current().id == PLATFORM_ACCOUNT_ID
        platform.v1.customers.create({"email": "b@example.com"})
        assert (
            stripe_sandbox.wait_for_delivery(type="customer.created")["url"]
            == "http://127.0.0.1:9/unused"
        )
    finally:
        stripe_sandbox.unregister_webhook("kept")


def test_localstripe_flush_route_resets_too(stripe_sandbox, platform):
    customer = platform.v1.customers.create({"email": "a@example.com"})
    requests.delete(stripe_sandbox.url + "/_config/data", timeout=5).raise_for_status()
    with pytest.raises(stripe.InvalidRequestError):
        platform.v1.customers.retrieve(customer.id)


def test_sign_payload_is_accepted_by_the_sdk():
    payload = b'{"id": "evt_1", "object": "event", "type": "ping", "data": {"object": {}}}'
    secret = "whsec_" + "test"
    event = stripe.Webhook.construct_event(payload, sign_payload(payload, secret), secret)
    assert event.id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, sign_payload(payload, secret, timestamp=1), secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, sign_payload(payload, "whsec_" + "other"), secret)


def test_requires_an_api_key(stripe_sandbox):
    response = requests.get(stripe_sandbox.url + "/v1/customers", timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient(
            "pk_test_" + "sandbox", base_addresses={"api": stripe_sandbox.url}
        ).v1.customers.list()
