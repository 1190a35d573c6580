import time
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import requests
import stripe

from odoo.tests import tagged

from .common import OfnStripeHttpCase, new_hub_manager

CALLBACK = "/ofn/stripe/oauth/callback"


@tagged("post_install", "-at_install")
class TestOauthConnect(OfnStripeHttpCase):
    """A hub manager connects the hub's Standard account through Stripe's OAuth page."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.manager = cls._create_hub("Riverside", "riverside_manager")
        cls.other_manager = new_hub_manager(cls.env, "riverside_manager_2", cls.hub)

    # ------------------------------------------------------------------ helpers
    def _start(self, login):
        """Log in and follow "Connect with Stripe": returns the sandbox's authorize URL."""
        self.authenticate(login, login)
        response = self.url_open(f"/ofn/stripe/connect/{self.hub.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:300])
        return response.headers["Location"]

    def _decide(self, authorize_url, decision="approve"):
        """Click Approve/Deny on the sandbox's OAuth page: returns the callback's query."""
        self.assertTrue(authorize_url.startswith(self.sandbox_url + "/oauth/authorize?"))
        page = requests.get(authorize_url, timeout=10)
        self.assertIn("Approve", page.text)
        decided = requests.post(
            authorize_url, data={"decision": decision}, allow_redirects=False, timeout=10
        )
        self.assertEqual(decided.status_code, 302)
        location = urlsplit(decided.headers["Location"])
        self.assertEqual(location.path, CALLBACK)
        return {key: values[0] for key, values in parse_qs(location.query).items()}

    def _callback(self, query):
        return self.url_open(CALLBACK + "?" + "&".join(f"{k}={v}" for k, v in query.items()))

    def _accounts(self):
        return self.env["ofn.stripe.account"].sudo().search([("company_id", "=", self.hub.id)])

    # ------------------------------------------------------------------ the round trip
    def test_full_round_trip(self):
        authorize = self._start("riverside_manager")
        params = parse_qs(urlsplit(authorize).query)
        self.assertEqual(params["scope"], ["read_write"])
        self.assertTrue(params["redirect_uri"][0].endswith(CALLBACK))
        query = self._decide(authorize)
        result = self._callback(query)
        self.assertEqual(result.status_code, 200)
        self.assertIn("Stripe connected", result.text)
        account = self._accounts()
        self.assertEqual(len(account), 1)
        self.assertEqual(account.state, "connected")
        self.assertEqual(account.connection_method, "oauth")
        self.assertEqual(account.connected_by_id, self.manager)
        self.assertEqual(account.message_ids.author_id, self.manager.partner_id, "the chatter")
        self.assertEqual(account.provider_id.state, "enabled")
        # the platform can act for the account it was given
        fetched = self._sandbox_client(account.stripe_account_id).v1.accounts.retrieve_current()
        self.assertEqual(fetched.id, account.stripe_account_id)

    def test_access_denied_on_stripe_is_a_plain_message(self):
        query = self._decide(self._start("riverside_manager"), decision="deny")
        self.assertEqual(query["error"], "access_denied")
        result = self._callback(query)
        self.assertEqual(result.status_code, 200)
        self.assertIn("declined on Stripe", result.text)
        self.assertNotIn("Traceback", result.text)
        self.assertFalse(self._accounts())

    # ------------------------------------------------------------------ refused states
    def _assert_refused(self, result, words):
        self.assertEqual(result.status_code, 403)
        self.assertIn(words, result.text)
        self.assertFalse(self._accounts(), "nothing is stored for a refused state")

    def test_forged_state_is_refused(self):
        query = self._decide(self._start("riverside_manager"))
        body, _signature = query["state"].split(".")
        query["state"] = body + ".forged"
        self._assert_refused(self._callback(query), "forged state")

    def test_state_for_another_company_cannot_be_crafted(self):
        query = self._decide(self._start("riverside_manager"))
        query["state"] = "eyJjb21wYW55X2lkIjogMX0.abc"  # {"company_id": 1}, unsigned
        self._assert_refused(self._callback(query), "forged state")

    def test_expired_state_is_refused(self):
        authorize = self._start("riverside_manager")
        query = self._decide(authorize)
        later = time.time() + 16 * 60
        with patch("odoo.addons.ofn_stripe_connect.models.ofn_stripe_oauth_nonce.time") as clock:
            clock.time.return_value = later
            self._assert_refused(self._callback(query), "expired")

    def test_replayed_state_is_refused(self):
        query = self._decide(self._start("riverside_manager"))
        self.assertEqual(self._callback(query).status_code, 200)
        first = self._accounts()
        self.assertEqual(len(first), 1)
        replay = self._callback(query)
        self.assertEqual(replay.status_code, 403)
        self.assertIn("already used", replay.text)
        self.assertEqual(self._accounts(), first)

    def test_state_of_another_user_is_refused(self):
        query = self._decide(self._start("riverside_manager"))
        self.authenticate("riverside_manager_2", "riverside_manager_2")
        self._assert_refused(self._callback(query), "another user")

    def test_non_manager_is_deauthorized_at_once(self):
        query = self._decide(self._start("riverside_manager"))
        # the manager loses the hub between leaving for Stripe and coming back
        self.manager.write(
            {"groups_id": [(3, self.env.ref("ofn_stripe_connect.group_ofn_hub_manager").id)]}
        )
        Gateway = type(self.env["ofn.stripe.gateway"])
        with patch.object(
            Gateway, "oauth_deauthorize", autospec=True, side_effect=Gateway.oauth_deauthorize
        ) as deauthorize:
            result = self._callback(query)
        self.assertEqual(result.status_code, 403)
        self.assertIn("do not manage this hub", result.text)
        self.assertFalse(self._accounts())
        deauthorize.assert_called_once()
        account_id = deauthorize.call_args.args[1]
        with self.assertRaises(stripe.PermissionError):
            self._sandbox_client(account_id).v1.accounts.retrieve_current()

    # ------------------------------------------------------------------ one account per hub
    def test_second_manager_cannot_add_another_account(self):
        self._callback(self._decide(self._start("riverside_manager")))
        self.authenticate("riverside_manager_2", "riverside_manager_2")
        response = self.url_open(f"/ofn/stripe/connect/{self.hub.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        self.assertIn("already connected", response.text)
        self.assertEqual(len(self._accounts()), 1)

    def test_connect_is_refused_to_managers_of_other_hubs(self):
        self._create_hub("Hilltop", "hilltop_manager")
        self.authenticate("hilltop_manager", "hilltop_manager")
        response = self.url_open(f"/ofn/stripe/connect/{self.hub.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self._accounts())
