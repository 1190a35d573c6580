from .common import OfnStripeCase


class TestConnectHub(OfnStripeCase):
    """Connecting a hub stores its account, fetches its status and enables its provider."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.manager = cls._create_hub("Green Valley", "gv_manager")

    def test_connected_hub_gets_an_enabled_stripe_provider(self):
        account = self._connect_hub(self.hub)
        self.assertEqual(account.state, "connected")
        self.assertTrue(account.charges_enabled)
        self.assertTrue(account.stripe_account_id.startswith("acct_"))
        provider = account.provider_id
        self.assertEqual(provider.code, "stripe")
        self.assertEqual(provider.company_id, self.hub)
        self.assertEqual(provider.state, "enabled")
        self.assertEqual(
            provider._get_stripe_extra_request_headers(),
            {"Stripe-Account": account.stripe_account_id},
        )
        self.assertEqual(self.hub.ofn_stripe_state, "connected")
