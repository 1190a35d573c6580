import logging
import os
from unittest.mock import patch

from odoo.tests import TransactionCase, tagged
from odoo.tools import config as odoo_config

from ..const import SETTING_DEFAULTS
from ..platform_settings import (
    api_base,
    get_setting,
    has_setting,
    platform_livemode,
    settings_status,
)

NAMES = list(SETTING_DEFAULTS)


@tagged("post_install", "-at_install")
class TestPlatformSettings(TransactionCase):
    """ARCHITECTURE.md §3: environment first, odoo.conf [options] second, never the database."""

    def setUp(self):
        super().setUp()
        # every test starts with none of the settings in the environment nor in odoo.conf
        env_patch = patch.dict(os.environ, {})
        env_patch.start()
        self.addCleanup(env_patch.stop)
        for name in NAMES:
            os.environ.pop(name, None)
        saved = {name.lower(): odoo_config.options.get(name.lower()) for name in NAMES}

        def restore():
            for key, value in saved.items():
                if value is None:
                    odoo_config.options.pop(key, None)
                else:
                    odoo_config.options[key] = value

        self.addCleanup(restore)
        for name in NAMES:
            odoo_config.options.pop(name.lower(), None)

    def test_live_mode_is_the_keys(self):
        """Stripe's Account object has no ``livemode``: the platform key says which mode."""
        self.assertFalse(platform_livemode(), "no key: not live")
        for key, live in (
            ("sk_test_" + "abc", False),
            ("rk_test_" + "abc", False),
            ("sk_live_" + "abc", True),
            ("rk_live_" + "abc", True),
        ):
            with patch.dict(os.environ, {"OFN_STRIPE_SECRET_KEY": key}):
                self.assertEqual(platform_livemode(), live, key[:8])

    def test_environment_wins_over_odoo_conf(self):
        odoo_config.options["ofn_stripe_client_id"] = "ca_from_conf"
        os.environ["OFN_STRIPE_CLIENT_ID"] = "ca_from_env"
        self.assertEqual(get_setting("OFN_STRIPE_CLIENT_ID"), "ca_from_env")

    def test_odoo_conf_is_the_fallback(self):
        odoo_config.options["ofn_stripe_client_id"] = "ca_from_conf"
        self.assertEqual(get_setting("OFN_STRIPE_CLIENT_ID"), "ca_from_conf")
        self.assertTrue(has_setting("OFN_STRIPE_CLIENT_ID"))

    def test_missing_keys_are_none_and_urls_have_defaults(self):
        self.assertIsNone(get_setting("OFN_STRIPE_SECRET_KEY"))
        self.assertFalse(has_setting("OFN_STRIPE_SECRET_KEY"))
        self.assertEqual(get_setting("OFN_STRIPE_API_BASE"), "https://api.stripe.com")
        self.assertEqual(get_setting("OFN_STRIPE_CONNECT_BASE"), "https://connect.stripe.com")
        self.assertFalse(has_setting("OFN_STRIPE_API_BASE"), "a default is not an explicit setting")

    def test_blank_value_counts_as_unset(self):
        os.environ["OFN_STRIPE_SECRET_KEY"] = "   "
        self.assertIsNone(get_setting("OFN_STRIPE_SECRET_KEY"))
        self.assertFalse(has_setting("OFN_STRIPE_SECRET_KEY"))

    def test_api_base_has_no_trailing_slash(self):
        os.environ["OFN_STRIPE_API_BASE"] = "http://127.0.0.1:9/"
        self.assertEqual(api_base(), "http://127.0.0.1:9")

    def test_unknown_setting_is_a_programming_error(self):
        with self.assertRaises(KeyError):
            get_setting("OFN_STRIPE_SOMETHING_ELSE")

    def test_status_reports_presence_never_values(self):
        secret = "sk_test_" + "value-that-must-not-leak"
        os.environ["OFN_STRIPE_SECRET_KEY"] = secret
        status = settings_status()
        self.assertEqual(set(status), set(NAMES))
        self.assertTrue(status["OFN_STRIPE_SECRET_KEY"]["present"])
        self.assertTrue(status["OFN_STRIPE_SECRET_KEY"]["secret"])
        self.assertFalse(status["OFN_STRIPE_PUBLISHABLE_KEY"]["present"])
        self.assertNotIn(secret, repr(status))

    def test_reading_settings_writes_and_logs_nothing(self):
        secret = "sk_test_" + "another-value-that-must-not-leak"
        os.environ["OFN_STRIPE_SECRET_KEY"] = secret
        self.env.flush_all()
        self.env.cr.execute("SELECT count(*) FROM ir_config_parameter")
        params_before = self.env.cr.fetchone()[0]
        with self.assertLogs("odoo", level=logging.DEBUG) as logs:
            logging.getLogger("odoo.addons.ofn_stripe_connect").debug("reading settings")
            self.assertEqual(get_setting("OFN_STRIPE_SECRET_KEY"), secret)
            settings_status()
        self.assertFalse(any(secret in line for line in logs.output))
        self.env.cr.execute("SELECT count(*) FROM ir_config_parameter")
        self.assertEqual(self.env.cr.fetchone()[0], params_before)
        self.env.cr.execute(
            "SELECT key FROM ir_config_parameter WHERE value = %s OR key ILIKE 'ofn_stripe%%'",
            [secret],
        )
        self.assertEqual(self.env.cr.fetchall(), [])
