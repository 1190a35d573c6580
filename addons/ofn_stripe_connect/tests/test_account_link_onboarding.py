import os
from unittest.mock import patch
from urllib.parse import urlsplit

import requests

from odoo.tests import tagged

from .common import OfnStripeHttpCase


@tagged("post_install", "-at_install")
class TestAccountLinkOnboarding(OfnStripeHttpCase):
    """Without an OAuth client id, a hub gets a new Stripe account and onboards on Stripe."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.manager = cls._create_hub("Meadow", "meadow_manager")

    def setUp(self):
        super().setUp()
        no_client_id = patch.dict(os.environ, {"OFN_STRIPE_CLIENT_ID": ""})
        no_client_id.start()
        self.addCleanup(no_client_id.stop)
        self.authenticate("meadow_manager", "meadow_manager")

    def _leave_for_stripe(self):
        response = self.url_open(f"/ofn/stripe/connect/{self.hub.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:300])
        link = response.headers["Location"]
        self.assertTrue(link.startswith(self.sandbox_url + "/connect/onboarding/"))
        return link

    def test_new_account_is_stored_at_once_and_enabled_after_onboarding(self):
        link = self._leave_for_stripe()
        account = self.hub.sudo().ofn_stripe_account_id
        self.assertEqual(account.connection_method, "account_link")
        self.assertEqual(account.account_type, "express")
        self.assertEqual(account.state, "onboarding")
        self.assertFalse(account.charges_enabled)
        self.assertTrue(account.requirements_due, "Stripe says what it still needs")
        self.assertEqual(account.provider_id.state, "disabled")

        done = requests.post(link, data={"action": "complete"}, allow_redirects=False, timeout=10)
        back = urlsplit(done.headers["Location"])
        self.assertEqual(back.path, "/ofn/stripe/onboarding/return")
        page = self.url_open(f"{back.path}?{back.query}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("card payments go straight", page.text)
        self.assertEqual(account.state, "connected")
        self.assertTrue(account.charges_enabled)
        self.assertEqual(account.provider_id.state, "enabled")

    def test_leaving_onboarding_gets_a_fresh_link_for_the_same_account(self):
        link = self._leave_for_stripe()
        account = self.hub.sudo().ofn_stripe_account_id
        left = requests.post(link, data={"action": "leave"}, allow_redirects=False, timeout=10)
        refresh = urlsplit(left.headers["Location"])
        self.assertEqual(refresh.path, "/ofn/stripe/onboarding/refresh")
        again = self.url_open(f"{refresh.path}?{refresh.query}", allow_redirects=False)
        self.assertEqual(again.status_code, 303)
        second = self.url_open(again.headers["Location"], allow_redirects=False)
        self.assertTrue(second.headers["Location"].startswith(self.sandbox_url + "/connect/"))
        self.assertNotEqual(second.headers["Location"], link)
        self.assertEqual(self.hub.sudo().ofn_stripe_account_id, account, "no second account")
