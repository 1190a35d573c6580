import os
from unittest.mock import patch

from odoo.tests import tagged

from ..platform_settings import get_setting
from .common import OfnStripeCase


@tagged("post_install", "-at_install")
class TestSettingsPanel(OfnStripeCase):
    """The platform panel says which settings are present, never their values."""

    def _settings(self):
        return self.env["res.config.settings"].create({})

    def test_presence_mode_and_no_values(self):
        settings = self._settings()
        self.assertTrue(settings.ofn_has_secret_key)
        self.assertTrue(settings.ofn_has_webhook_secret)
        self.assertEqual(settings.ofn_stripe_mode, "Test")
        values = settings.read()[0]
        for name in ("OFN_STRIPE_SECRET_KEY", "OFN_STRIPE_WEBHOOK_SECRET", "OFN_STRIPE_CLIENT_ID"):
            self.assertNotIn(get_setting(name), repr(values))
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]
        self.assertNotIn(get_setting("OFN_STRIPE_SECRET_KEY"), arch["arch"])

    def test_check_connection_names_the_platform_account(self):
        action = self._settings().action_ofn_check_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("acct_", action["params"]["message"])
        self.assertIn("test mode", action["params"]["message"])
        self.assertIn("acct_", self._settings().ofn_platform_account)

    def test_check_connection_with_a_wrong_key_says_so_without_the_key(self):
        wrong = "sk_test_" + "wrong"
        with patch.dict(os.environ, {"OFN_STRIPE_SECRET_KEY": "rk_" + "nonsense"}):
            action = self._settings().action_ofn_check_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("OFN_STRIPE_SECRET_KEY", action["params"]["message"])
        self.assertNotIn(wrong, action["params"]["message"])

    def test_missing_key_turns_connect_off_plainly(self):
        with patch.dict(os.environ, {"OFN_STRIPE_SECRET_KEY": ""}):
            settings = self._settings()
            self.assertFalse(settings.ofn_has_secret_key)
            self.assertEqual(settings.ofn_stripe_mode, "Not configured")
            self.assertFalse(self.env["res.config.settings"].ofn_is_connect_enabled())
            action = settings.action_ofn_check_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("OFN_STRIPE_SECRET_KEY is missing", action["params"]["message"])

    def test_switch_off_hides_hub_providers_at_checkout(self):
        hub, _manager = self._create_hub("Toggle Hub")
        account = self._connect_hub(hub)
        Provider = self.env["payment.provider"]
        partner = self.env["res.partner"].create({"name": "Bob"})
        args = (hub.id, partner.id, 10.0)
        kwargs = {"currency_id": self.env.ref("base.EUR").id}
        self.assertIn(account.provider_id, Provider._get_compatible_providers(*args, **kwargs))
        self.env["ir.config_parameter"].set_param("ofn_stripe_connect.enabled", False)
        self.assertNotIn(account.provider_id, Provider._get_compatible_providers(*args, **kwargs))
        self.assertFalse(hub.ofn_connect_enabled, "no Connect UI on the hub form")
