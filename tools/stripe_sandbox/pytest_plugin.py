"""pytest fixtures that run the sandbox in a subprocess.

``stripe_sandbox_server`` (session): starts ``python -m stripe_sandbox`` on a free 127.0.0.1 port
with a state file in a temporary directory and stops it at the end. ``stripe_sandbox`` (function):
resets the sandbox, then returns the same :class:`SandboxServer`. Enable with ``pytest_plugins =
['stripe_sandbox.pytest_plugin']`` and the ``tools`` directory on ``PYTHONPATH``.
``STRIPE_SANDBOX_PYTHON`` names another interpreter to run the sandbox with (one that has
localstripe), e.g. when the tests run in Odoo's.
"""

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import stripe

TOOLS_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30


class SandboxServer:
    """A running sandbox, and what a test needs to talk to it."""

    # Built here so that no file holds anything that looks like a real key.
    secret_key = "sk_test_" + "sandbox"
    publishable_key = "pk_test_" + "sandbox"
    client_id = "ca_" + "sandbox"
    webhook_secret = "whsec_" + "sandbox"

    def __init__(self, url, process, log_path):
        self.url = url
        self.process = process
        self.log_path = log_path

    def client(self, stripe_account=None, max_network_retries=0, stripe_version=None):
        """An official ``stripe.StripeClient`` aimed at the sandbox (API, Connect and files),
        sending ``stripe_version`` (default: the SDK's pinned version)."""
        return stripe.StripeClient(
            self.secret_key,
            stripe_account=stripe_account,
            stripe_version=stripe_version,
            client_id=self.client_id,
            base_addresses={"api": self.url, "connect": self.url, "files": self.url},
            max_network_retries=max_network_retries,
        )

    def reset(self):
        requests.post(self.url + "/_sandbox/reset", timeout=10).raise_for_status()

    def register_webhook(self, url, name="tests", events=None, api_version=None):
        """Deliver events (all, or those types) to ``url``, signed with :attr:`webhook_secret`,
        in ``api_version`` (default: the SDK's pinned version, the accounts' default)."""
        data = {"url": url, "secret": self.webhook_secret}
        if events:
            data["events[]"] = list(events)
        if api_version:
            data["api_version"] = api_version
        requests.post(
            f"{self.url}/_config/webhooks/{name}", data=data, timeout=10
        ).raise_for_status()

    def unregister_webhook(self, name="tests"):
        requests.delete(f"{self.url}/_config/webhooks/{name}", timeout=10).raise_for_status()

    def deliveries(self, **filters):
        """Webhook deliveries so far, filtered by ``type``, ``account``, ``event``, ``url``."""
        response = requests.get(
            self.url + "/_sandbox/webhook_deliveries", params=filters, timeout=10
        )
        response.raise_for_status()
        return response.json()["data"]

    def wait_for_delivery(self, timeout=5, **filters):
        """The first delivery matching ``filters``, waiting up to ``timeout`` seconds for it."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.deliveries(**filters)
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no webhook delivery matching {filters} within {timeout}s")
            time.sleep(0.05)


def _start(state_dir, extra_args=()):
    log_path = Path(state_dir) / "stripe_sandbox.log"
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(TOOLS_DIR), os.environ.get("PYTHONPATH")])),
    )
    command = [
        os.environ.get("STRIPE_SANDBOX_PYTHON", sys.executable),
        "-m",
        "stripe_sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--state-file",
        str(Path(state_dir) / "state.pickle"),
        "--webhook-delay",
        "0",
        "--client-id",
        SandboxServer.client_id,
        *extra_args,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=TOOLS_DIR.parent, env=env, stdout=subprocess.PIPE, stderr=log
        )
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
    line = process.stdout.readline().decode() if ready else ""
    if not line.startswith("stripe_sandbox listening on "):
        process.kill()
        process.wait()
        raise RuntimeError(
            f"the Stripe sandbox did not start; see {log_path}:\n{log_path.read_text()}"
        )
    server = SandboxServer(line.split(" on ", 1)[1].strip(), process, log_path)
    requests.get(server.url + "/_sandbox/health", timeout=10).raise_for_status()
    return server


def _stop(server):
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    server.process.stdout.close()


@pytest.fixture(scope="session")
def stripe_sandbox_server(tmp_path_factory):
    server = _start(tmp_path_factory.mktemp("stripe_sandbox"))
    try:
        yield server
    finally:
        _stop(server)


@pytest.fixture
def stripe_sandbox(stripe_sandbox_server):
    stripe_sandbox_server.reset()
    return stripe_sandbox_server
