"""Outages on demand: an answer lost after Stripe acted, a rate limit before it did."""

import pytest
import requests
import stripe


def _fault(sandbox, kind, path, times=1, method="POST"):
    requests.post(
        sandbox.url + "/_sandbox/faults",
        data={"kind": kind, "path": path, "times": times, "method": method},
        timeout=10,
    ).raise_for_status()


def _customers(platform):
    return platform.v1.customers.list({"limit": 100}).data


def test_an_answer_lost_after_stripe_acted(stripe_sandbox, platform):
    """Stripe created the object and kept its idempotent answer; the caller only saw its
    connection drop. The same key asked again gets the object that was made."""
    _fault(stripe_sandbox, "answer_lost", "/v1/customers")
    options = {"idempotency_key": "lost-answer-1"}
    with pytest.raises(stripe.APIConnectionError):
        platform.v1.customers.create({"name": "Lost"}, options)
    [made] = _customers(platform)
    assert made.name == "Lost", "Stripe did act"

    again = platform.v1.customers.create({"name": "Lost"}, options)
    assert again.id == made.id
    assert len(_customers(platform)) == 1


def test_the_sdk_retries_an_answer_lost_with_the_same_key(stripe_sandbox):
    """With network retries, the SDK asks again with the same key and gets the first answer."""
    _fault(stripe_sandbox, "answer_lost", "/v1/customers")
    client = stripe_sandbox.client(max_network_retries=2)
    customer = client.v1.customers.create({"name": "Retried"}, {"idempotency_key": "retried-1"})
    assert [c.id for c in _customers(stripe_sandbox.client())] == [customer.id]


def test_rate_limited_before_anything_is_done(stripe_sandbox, platform):
    _fault(stripe_sandbox, "rate_limited", "/v1/customers", times=2)
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError) as raised:
            platform.v1.customers.create({"name": "Busy"})
        assert raised.value.http_status == 429
    assert _customers(platform) == []
    platform.v1.customers.create({"name": "Later"})  # spent: the next one goes through
    assert len(_customers(platform)) == 1


def test_an_unknown_fault_kind_is_refused(stripe_sandbox):
    response = requests.post(
        stripe_sandbox.url + "/_sandbox/faults",
        data={"kind": "meteor", "path": "/v1/customers"},
        timeout=10,
    )
    assert response.status_code == 400


def test_a_request_lost_before_stripe_saw_it(stripe_sandbox, platform):
    """The connection drops on the way to Stripe: the caller sees the same error as for a lost
    answer, and nothing was made."""
    _fault(stripe_sandbox, "request_lost", "/v1/customers")
    with pytest.raises(stripe.APIConnectionError):
        platform.v1.customers.create({"name": "Never"}, {"idempotency_key": "never-1"})
    assert _customers(platform) == []
    made = platform.v1.customers.create({"name": "Never"}, {"idempotency_key": "never-1"})
    assert [c.id for c in _customers(platform)] == [made.id]
