"""Idempotency-Key: replays per account, refuses other parameters."""

import pytest
import requests
import stripe


def test_same_key_and_params_replay_the_same_object(platform):
    first = platform.v1.customers.create(
        {"email": "a@example.com"}, {"idempotency_key": "order-42"}
    )
    again = platform.v1.customers.create(
        {"email": "a@example.com"}, {"idempotency_key": "order-42"}
    )
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(platform.v1.customers.list().data) == 1


def test_same_key_with_other_params_is_an_idempotency_error(platform):
    platform.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "order-43"})
    with pytest.raises(stripe.IdempotencyError) as error:
        platform.v1.customers.create({"email": "b@example.com"}, {"idempotency_key": "order-43"})
    assert error.value.http_status == 400
    assert error.value.json_body["error"]["type"] == "idempotency_error"
    assert error.value.json_body["error"]["code"] == "idempotency_key_in_use"
    with pytest.raises(stripe.IdempotencyError):
        platform.v1.products.create({"name": "Eggs"}, {"idempotency_key": "order-43"})


def test_keys_are_per_account(platform, hub_client):
    on_platform = platform.v1.customers.create(
        {"email": "a@example.com"}, {"idempotency_key": "shared"}
    )
    on_hub = hub_client.v1.customers.create(
        {"email": "a@example.com"}, {"idempotency_key": "shared"}
    )
    assert on_platform.id != on_hub.id


def test_declines_are_replayed_not_retried(hub_client, new_card):
    card = new_card(hub_client, "4000000000000002")
    params = {"amount": 1000, "currency": "eur", "payment_method": card.id, "confirm": True}
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as error:
            hub_client.v1.payment_intents.create(params, {"idempotency_key": "occurrence-7"})
        errors.append(error.value)
    assert errors[0].json_body == errors[1].json_body
    assert len(hub_client.v1.payment_intents.list().data) == 1
    assert len(hub_client.v1.charges.list().data) == 1


def test_sdk_retries_with_its_own_key(stripe_sandbox):
    """The SDK puts a key on every POST; the identical request again gets the stored response."""
    headers = {"Authorization": "Bearer " + stripe_sandbox.secret_key, "Idempotency-Key": "raw-1"}
    url = stripe_sandbox.url + "/v1/customers"
    first = requests.post(url, data={"email": "r@example.com"}, headers=headers, timeout=5)
    second = requests.post(url, data={"email": "r@example.com"}, headers=headers, timeout=5)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"


def test_reset_forgets_keys(stripe_sandbox, platform):
    first = platform.v1.customers.create({}, {"idempotency_key": "k"})
    stripe_sandbox.reset()
    assert platform.v1.customers.create({}, {"idempotency_key": "k"}).id != first.id
