import os
from unittest.mock import patch

import requests

from odoo.tests import tagged

from odoo.addons.payment_stripe import const as stripe_const

from ..exceptions import StripeGatewayError, StripeNotConfigured
from .common import OfnStripeCase


@tagged("post_install", "-at_install")
class TestGateway(OfnStripeCase):
    """The one place that talks to Stripe: keys from the environment, one client per process and
    key, the hub's account header, an idempotency key on every POST, Stripe's errors as clear
    messages."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, _manager = cls._create_hub("Gateway Hub")
        cls.account = cls._connect_hub(cls.hub)

    def _charge(self, payment_method, key):
        """A charge the way payment_stripe sends it (its API version and payload)."""
        return self.gateway.request(
            "post",
            "/v1/payment_intents",
            {
                "amount": 1250,
                "currency": "eur",
                "payment_method": payment_method,
                "confirm": True,
                "off_session": True,
            },
            api_version=stripe_const.API_VERSION,
            account=self.account.stripe_account_id,
            idempotency_key=key,
        )

    def test_nothing_is_created_without_an_idempotency_key(self):
        with self.assertRaises(ValueError):
            self._charge("pm_card_visa", None)

    def test_a_parameter_the_sdk_would_drop_is_refused(self):
        """``StripeClient.raw_request`` takes ``usage`` and ``base`` as its own options: a
        payload using them would lose them silently."""
        with self.assertRaises(ValueError) as caught:
            self.gateway.request(
                "post",
                "/v1/setup_intents",
                {"usage": "off_session"},
                api_version=stripe_const.API_VERSION,
                idempotency_key="ofn-test-usage",
            )
        self.assertIn("usage", str(caught.exception))

    def _connections(self):
        """The client connections the sandbox has seen so far."""
        return requests.get(self.sandbox_url + "/_sandbox/stats", timeout=10).json()["connections"]

    def test_one_client_per_process_and_key(self):
        """A key's client keeps its HTTP connection open for the calls that follow; another key
        has a client (and a connection) of its own, and the first key's is still there after."""
        self.gateway.retrieve_platform_account()
        opened = self._connections()
        for _call in range(3):
            self.gateway.retrieve_platform_account()
        self.assertEqual(self._connections(), opened, "the same key reuses its connection")
        with patch.dict(os.environ, {"OFN_STRIPE_SECRET_KEY": "sk_test_" + "another"}):
            self.gateway.retrieve_platform_account()
            self.gateway.retrieve_platform_account()
        self.assertEqual(self._connections(), opened + 1, "another key has its own client")
        self.gateway.retrieve_platform_account()
        self.assertEqual(self._connections(), opened + 1, "the first key's client is kept")

    def test_idempotency_keys_are_derived_from_the_record_and_attempt(self):
        key = self.gateway.idempotency_key("consent", 42, 3)
        self.assertTrue(key.startswith("consent-42-3-"), key)
        self.assertEqual(key, self.gateway.idempotency_key("consent", 42, 3), "never random")
        self.assertNotEqual(key, self.gateway.idempotency_key("consent", 42, 4))

    def test_same_key_same_charge(self):
        first = self._charge("pm_card_visa", "ofn-test-charge-1")
        again = self._charge("pm_card_visa", "ofn-test-charge-1")
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(first["status"], "succeeded")

    def test_decline_is_a_clear_error_with_the_bank_reason(self):
        with self.assertRaises(StripeGatewayError) as caught:
            self._charge("pm_card_chargeDeclinedInsufficientFunds", "ofn-test-charge-2")
        error = caught.exception
        self.assertEqual(error.code, "card_declined")
        self.assertEqual(error.decline_code, "insufficient_funds")
        self.assertEqual(error.http_status, 402)
        self.assertTrue(error.payment_intent["id"].startswith("pi_"))
        self.assertIn("insufficient funds", error.args[0].lower())

    def test_three_d_secure_off_session_requires_authentication(self):
        with self.assertRaises(StripeGatewayError) as caught:
            self._charge("pm_card_authenticationRequired", "ofn-test-charge-3")
        self.assertTrue(caught.exception.requires_authentication)
        self.assertEqual(caught.exception.payment_intent["status"], "requires_action")

    def test_disconnected_account_is_unreachable(self):
        hub, _manager = self._create_hub("Leaving Hub")
        account = self._connect_hub(hub)
        self.gateway.oauth_deauthorize(account.stripe_account_id)
        with self.assertRaises(StripeGatewayError) as caught:
            self.gateway.list_balance_transactions({}, account=account.stripe_account_id)
        self.assertTrue(caught.exception.account_unreachable)
        self.assertIn("disconnected", caught.exception.args[0])

    def test_missing_key_says_which_variable(self):
        with (
            patch.dict(os.environ, {"OFN_STRIPE_SECRET_KEY": ""}),
            self.assertRaises(StripeNotConfigured) as caught,
        ):
            self.gateway.retrieve_platform_account()
        self.assertIn("OFN_STRIPE_SECRET_KEY", caught.exception.args[0])

    def test_a_refused_key_is_never_echoed(self):
        wrong = "sk_test_" + "refused-by-stripe-0123456789"
        with (
            patch.dict(os.environ, {"OFN_STRIPE_SECRET_KEY": "rk_" + "x"}),
            self.assertRaises(StripeGatewayError) as caught,
        ):
            self.gateway.retrieve_platform_account()
        self.assertIn("API key", caught.exception.args[0])
        self.assertNotIn(wrong, caught.exception.args[0])
