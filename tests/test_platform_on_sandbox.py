"""The platform settings reach the local Stripe sandbox over real HTTP (ARCHITECTURE.md §3, §6)."""

import stripe

from odoo.tests import TransactionCase, tagged

from odoo.addons.ofn_stripe_connect.platform_settings import api_base, connect_base, get_setting


@tagged("post_install", "-at_install")
class TestPlatformOnSandbox(TransactionCase):
    def _client(self):
        return stripe.StripeClient(
            get_setting("OFN_STRIPE_SECRET_KEY"),
            base_addresses={"api": api_base(), "connect": connect_base()},
            max_network_retries=0,
        )

    def test_platform_account_is_reachable_with_the_configured_key(self):
        self.assertTrue(api_base().startswith("http://127.0.0.1:"), "tests never reach Stripe")
        account = self._client().v1.accounts.retrieve_current()
        self.assertTrue(account.id.startswith("acct_"))

    def test_a_wrong_key_is_refused(self):
        client = stripe.StripeClient(
            "not-a-key", base_addresses={"api": api_base()}, max_network_retries=0
        )
        with self.assertRaises(stripe.AuthenticationError):
            client.v1.customers.list()
