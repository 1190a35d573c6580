"""Root pytest configuration shared by the addons' tests, tests/ and the sandbox's own tests.

- Starts the local Stripe sandbox once per session (tools/stripe_sandbox) and points the platform
  settings (ARCHITECTURE.md §3) at it through the environment, so Odoo code under test talks to
  it over real HTTP. Odoo test classes reset it through its HTTP reset endpoint.
- A skipped test is a failed promise: any skip turns the run red.
"""

import os
import re

import pytest

pytest_plugins = ["stripe_sandbox.pytest_plugin"]


def pytest_configure(config):
    """HTTP requests of HttpCase go to the database under test, whatever odoo.conf's dbfilter."""
    try:
        from odoo.tools import config as odoo_config
    except ImportError:
        return
    if odoo_config.get("db_name"):
        odoo_config["dbfilter"] = f"^{re.escape(odoo_config['db_name'])}$"


@pytest.fixture(scope="session", autouse=True)
def ofn_platform_on_sandbox(stripe_sandbox_server):
    """The platform's Stripe settings for the whole run: the sandbox's fake keys and URLs."""
    sandbox = stripe_sandbox_server
    values = {
        "OFN_STRIPE_SECRET_KEY": sandbox.secret_key,
        "OFN_STRIPE_PUBLISHABLE_KEY": sandbox.publishable_key,
        "OFN_STRIPE_CLIENT_ID": sandbox.client_id,
        "OFN_STRIPE_WEBHOOK_SECRET": sandbox.webhook_secret,
        "OFN_STRIPE_API_BASE": sandbox.url,
        "OFN_STRIPE_CONNECT_BASE": sandbox.url,
        "OFN_STRIPE_JS_URL": sandbox.url + "/js.stripe.com/v3/",
    }
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    yield sandbox
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        reporter.write_line(
            f"{skipped} test(s) skipped: a skipped test is a failed promise (reasons above)",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
