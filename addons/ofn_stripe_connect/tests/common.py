"""Shared ground of the tests that talk to the local Stripe sandbox (ARCHITECTURE.md §6).

The root ``conftest.py`` of the repository starts the sandbox for the session and exports the
platform settings (``OFN_STRIPE_*``) pointing at it; these classes read them, reset the sandbox
over HTTP before each class (not each test: Stripe-side state made by one test stays for the next
ones of its class, so a test that disconnects or revokes something uses a hub of its own), and
offer the acts most tests need: a hub with a manager, a hub
connected through the sandbox's real OAuth page, a client to look at the sandbox directly.
"""

import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
import stripe

from odoo import Command
from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tools import hmac

from ..const import PARAM_CONNECT_ENABLED
from ..platform_settings import api_base, get_setting


def new_hub_manager(env, login, hub):
    """A manager of ``hub`` only (password = login)."""
    return new_test_user(
        env,
        login=login,
        groups="ofn_stripe_connect.group_ofn_hub_manager",
        company_id=hub.id,
        company_ids=[(6, 0, hub.ids)],
    )


class OfnInvoicingCommon:
    """Mixin: customer invoices at a hub (which has a chart of accounts)."""

    @classmethod
    def _invoice(cls, hub, partner, amount, move_type="out_invoice", post=True, **context):
        """A customer invoice (or credit note) of ``amount`` without tax at ``hub``."""
        move = (
            cls.env["account.move"]
            .with_company(hub)
            .with_context(**context)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "currency_id": hub.currency_id.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Vegetable box",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [],
                            }
                        )
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move


class OfnStripeCommon(OfnInvoicingCommon):
    """Mixin: sandbox access and hub fixtures. Use through :class:`OfnStripeCase` or
    :class:`OfnStripeHttpCase`."""

    @classmethod
    def _setup_ofn_stripe(cls):
        cls.sandbox_url = api_base()
        if not cls.sandbox_url.startswith("http://127.0.0.1:"):
            raise RuntimeError("tests only ever talk to the local Stripe sandbox")
        requests.post(cls.sandbox_url + "/_sandbox/reset", timeout=10).raise_for_status()
        cls.env["ir.config_parameter"].sudo().set_param(PARAM_CONNECT_ENABLED, "1")
        cls.gateway = cls.env["ofn.stripe.gateway"]

    def _expire_idempotency_keys(self):
        """Each test starts a day after the one before, for Stripe's idempotency keys: the keys
        derive from records and attempts, and the test before rolled its records back."""
        requests.post(
            self.sandbox_url + "/_sandbox/idempotency/expire", timeout=10
        ).raise_for_status()

    @classmethod
    def _sandbox_client(cls, account=None):
        """A StripeClient on the sandbox, acting for ``account`` (``None``: the platform)."""
        return stripe.StripeClient(
            get_setting("OFN_STRIPE_SECRET_KEY"),
            stripe_account=account,
            base_addresses={"api": cls.sandbox_url, "connect": cls.sandbox_url},
            max_network_retries=0,
        )

    @classmethod
    def _create_hub(cls, name, manager_login=None, env=None):
        """A hub company (EUR, France) and, with ``manager_login``, its manager (in ``env``,
        the test's by default)."""
        env = env or cls.env
        hub = env["res.company"].create(
            {
                "name": name,
                "currency_id": env.ref("base.EUR").id,
                "country_id": env.ref("base.fr").id,
                "email": f"{name.lower().replace(' ', '.')}@hub.example",
            }
        )
        manager = None
        if manager_login:
            manager = new_hub_manager(env, manager_login, hub)
        return hub, manager

    @classmethod
    def _connect_hub(cls, hub):
        """Connect ``hub`` to a new Standard account approved on the sandbox's OAuth page (as
        the platform admin); returns its ``ofn.stripe.account``."""
        Account = hub.env["ofn.stripe.account"]
        authorize = Account.oauth_authorize_url(hub, "http://127.0.0.1/callback")
        approved = requests.post(
            authorize, data={"decision": "approve"}, allow_redirects=False, timeout=10
        )
        code = parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0]
        return Account.connect_oauth(hub, code)

    def _payment_link(self, hub, partner, amount, currency):
        """Odoo's payment page (/payment/pay) for ``amount`` to ``hub``, as a payment link gives
        it (payment.utils.generate_access_token, with the test's environment)."""
        token = hmac(
            self.env(su=True), "generate_access_token", f"{partner.id}|{amount}|{currency.id}"
        )
        return "/payment/pay?" + urlencode(
            {
                "amount": amount,
                "currency_id": currency.id,
                "partner_id": partner.id,
                "company_id": hub.id,
                "access_token": token,
            }
        )

    def _pay_with_token(self, token, amount, reference=None, operation="offline", partner=None):
        """Charge a saved card through Odoo's own payment_stripe token flow, as a payment
        request (``offline``) or a checkout with a saved card (``online_token``) does."""
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "token_id": token.id,
                "partner_id": (partner or token.partner_id).id,
                "amount": amount,
                "currency_id": token.provider_id.company_id.currency_id.id,
                # unique across tests: rolled back references would replay Stripe's idempotent
                # answers (payment_stripe's keys derive from the reference)
                "reference": reference or f"TEST-{uuid.uuid4().hex[:12]}",
                "operation": operation,
            }
        )
        tx._send_payment_request()
        return tx


class OfnStripeCase(OfnStripeCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_ofn_stripe()

    def setUp(self):
        super().setUp()
        self._expire_idempotency_keys()


class OfnStripeHttpCase(OfnStripeCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_ofn_stripe()

    def setUp(self):
        super().setUp()
        self._expire_idempotency_keys()
