import re

from odoo.tests import tagged

from odoo.addons.ofn_customer_wallet.tests.common import THREE_D_SECURE

from .common import StandingOrderChargeHttpCase


@tagged("post_install", "-at_install")
class TestStandingOrderAuthentication(StandingOrderChargeHttpCase):
    """A card whose bank wants the customer to confirm each payment (3-D Secure): the
    standing order's payment waits, the customer's e-mail has a working link, the hub is told,
    and once the customer confirmed, the invoice is paid."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.manager, cls.account, cls.schedule = cls._setup_hub(
            "Secure Hub", "secure_manager"
        )
        cls._setup_products()

    def _waiting(self, name):
        customer = self._customer(name, [self.hub], test_card=THREE_D_SECURE)
        self._standing(customer, self.schedule, [(self.veg_box, 2)])
        occurrence = self._placed_and_closed(self.schedule)
        self._confirm()
        return customer, occurrence

    def _emailed_link(self, customer):
        mail = self._mails_to(customer, "Please confirm your payment")
        self.assertEqual(len(mail), 1)
        match = re.search(
            r'href="[^"]*(/my/wallet/authenticate/\d+\?access_token=\w+)"', mail.body_html
        )
        self.assertTrue(match, mail.body_html)
        return match.group(1)

    def test_the_payment_waits_and_the_customer_and_hub_are_told(self):
        customer, occurrence = self._waiting("Sia Secure")

        self.assertEqual(occurrence.state, "awaiting_authentication")
        tx = occurrence.transaction_ids
        self.assertEqual((tx.state, tx.ofn_requires_authentication), ("pending", True))
        self.assertEqual(occurrence.invoice_id.payment_state, "not_paid")
        [intent] = self._intents(self.account, occurrence)
        self.assertEqual(intent.status, "requires_action")
        link = self._emailed_link(customer)
        self.assertEqual(link, tx.ofn_authentication_url())
        page = self.url_open(link)
        self.assertEqual(page.status_code, 200)
        self.assertIn(f'data-client-secret="{intent.client_secret}"', page.text)
        self.assertEqual(self.url_open(link[:-6] + "000000").status_code, 404)
        summary = self._mails_to(self.manager.partner_id, "Standing orders confirmed")
        self.assertIn("Waiting for the customer&#39;s authentication", summary.body_html)
        self.assertIn(occurrence.sale_order_id.name, summary.body_html)
        self.assertFalse(self._retry(), "no retry")

    def test_after_authentication_in_the_browser_the_invoice_is_paid(self):
        customer, occurrence = self._waiting("Tom Secure")
        link = self._emailed_link(customer)
        self.authenticate("tom_secure", "tom_secure")
        self.assertIn(link.replace("&", "&amp;"), self.url_open("/my/wallet").text)

        # the Wallet page's "Authenticate" opens the e-mailed link's page, where the customer
        # answers their bank in Stripe.js (the wallet's own tour)
        self.start_tour("/my/wallet", "ofn_wallet_authenticate_payment", login="tom_secure")

        occurrence.invalidate_recordset()
        self.assertEqual(occurrence.state, "paid")
        self.assertEqual(occurrence.invoice_id.payment_state, "paid")
        self.assertEqual(occurrence.transaction_ids.state, "done")
        self.assertTrue(self._messages_to(customer, "is paid"))
        [intent] = self._intents(self.account, occurrence)
        self.assertEqual(intent.status, "succeeded")

    def test_a_failed_authentication_is_a_failed_payment_retried_later(self):
        customer, occurrence = self._waiting("Uma Secure")
        tx = occurrence.transaction_ids
        intent = self._intents(self.account, occurrence)[0]
        self._sandbox_client(self.account.stripe_account_id).raw_request(
            "post",
            f"/v1/payment_intents/{intent.id}/_authenticate",
            client_secret=intent.client_secret,
            success="false",
        )

        tx.action_ofn_complete_authentication()

        self.assertEqual(occurrence.state, "failed")
        self.assertEqual(occurrence.failure_reason, "authentication_failed")
        self.assertTrue(occurrence.next_charge_at)
        self.assertTrue(self._mails_to(customer, "did not go through"))
