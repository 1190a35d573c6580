"""``--latency-ms``: every /v1 response is delayed, nothing else is."""

import asyncio
import time

import requests
from aiohttp.test_utils import TestClient, TestServer
from stripe_sandbox import pytest_plugin, server
from stripe_sandbox.config import CONFIG


def test_parse_args_reads_the_latency():
    assert server.parse_args([]).latency_ms == 0
    assert server.parse_args(["--latency-ms", "25"]).latency_ms == 25


async def _paths_delayed(monkeypatch, latency_ms):
    delays = []

    async def record(seconds):
        delays.append(seconds)

    monkeypatch.setattr(server, "_sleep", record)
    monkeypatch.setattr(CONFIG, "latency_ms", latency_ms)
    async with TestClient(TestServer(server.build_app())) as client:
        await client.get("/_sandbox/health")
        await client.get("/v1/customers")  # refused without a key: delayed all the same
        await client.get("/js.stripe.com/v3/")
    return delays


def test_only_v1_responses_wait(monkeypatch):
    assert asyncio.run(_paths_delayed(monkeypatch, 40)) == [0.04]
    assert asyncio.run(_paths_delayed(monkeypatch, 0)) == []


def test_command_line_latency_delays_api_calls(tmp_path):
    sandbox = pytest_plugin._start(tmp_path, extra_args=["--latency-ms", "300"])
    try:
        client = sandbox.client()
        started = time.monotonic()
        client.v1.customers.create({"email": "slow@example.com"})
        assert time.monotonic() - started >= 0.3
        assert requests.get(sandbox.url + "/_sandbox/health", timeout=5).json() == {"ok": True}
    finally:
        pytest_plugin._stop(sandbox)


def test_the_latency_is_changed_while_the_sandbox_runs(tmp_path):
    sandbox = pytest_plugin._start(tmp_path)
    try:
        client = sandbox.client()
        url = sandbox.url + "/_sandbox/latency"
        assert requests.post(url, data={"ms": "-1"}, timeout=5).status_code == 400
        assert requests.post(url, data={"ms": "slow"}, timeout=5).status_code == 400
        answer = requests.post(url, data={"ms": "300"}, timeout=5).json()
        assert answer == {"previous": 0.0, "ms": 300.0}
        started = time.monotonic()
        client.v1.customers.create({"email": "slow@example.com"})
        assert time.monotonic() - started >= 0.3
        requests.post(url, data={"ms": "0"}, timeout=5).raise_for_status()
        started = time.monotonic()
        client.v1.customers.create({"email": "fast@example.com"})
        assert time.monotonic() - started < 0.3
    finally:
        pytest_plugin._stop(sandbox)
