from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged
from odoo.tools.translate import code_translations

from ..const import DECLINE_CODE_GROUPS, HARD_DECLINE_CODES
from .common import OneHubChargeCase


@tagged("post_install", "-at_install")
class TestDeclineRetries(OneHubChargeCase):
    """The bank's decline code decides: a hard decline (lost or stolen card, wrong number...)
    is never retried and the customer is asked to act; a soft one (not enough funds, try
    later...) follows the hub's retry policy. The customer's e-mail says the bank's reason in
    plain words, in their language, with what they can do and the "Pay now" link."""

    hub_name, manager_login = "Decline Hub", "decline_manager"

    def _declined(self, name, decline_code):
        customer, occurrence = self._one(name)
        self._block_card(customer.ofn_default_card(), decline_code)
        self._confirm()
        return customer, occurrence

    def _failure_mail(self, customer):
        mail = self._mails_to(customer, "did not go through")
        self.assertEqual(len(mail), 1)
        return mail

    def test_the_hard_decline_codes_are_stripes(self):
        self.assertTrue(
            {"lost_card", "stolen_card", "pickup_card", "expired_card"} <= HARD_DECLINE_CODES
        )
        self.assertTrue(
            {"insufficient_funds", "generic_decline", "do_not_honor", "try_again_later"}.isdisjoint(
                HARD_DECLINE_CODES
            )
        )
        grouped = {code for codes in DECLINE_CODE_GROUPS.values() for code in codes}
        self.assertTrue(HARD_DECLINE_CODES <= grouped, "every hard decline has its words")

    def test_a_lost_card_is_not_retried_and_the_customer_is_asked_to_act(self):
        customer, occurrence = self._declined("Luke Lost", "lost_card")

        tx = occurrence.transaction_ids
        self.assertEqual((tx.state, tx.ofn_decline_code), ("error", "lost_card"))
        self.assertEqual(occurrence.state, "failed")
        self.assertEqual(occurrence.failure_reason, "declined")
        self.assertEqual(occurrence.decline_code, "lost_card")
        self.assertTrue(occurrence.hard_decline)
        self.assertTrue(occurrence.needs_attention, "the hub's to-do")
        self.assertFalse(occurrence.next_charge_at, "never retried")
        self.assertIn("refused the card for good", occurrence.sale_order_id.activity_ids.note)
        summary = self._mails_to(self.manager.partner_id, "Standing orders confirmed")
        self.assertIn("refused for good (lost_card): not tried again", summary.body_html)

        mail = self._failure_mail(customer)
        self.assertIn("Your bank reports this card as lost or stolen", mail.body_html)
        self.assertIn("add a new card to your wallet and pay now", mail.body_html)
        self.assertNotIn("try again", mail.body_html)
        base = occurrence.get_base_url()
        self.assertIn(
            f'href="{base}/my/standing_orders/occurrence/{occurrence.id}/pay"', mail.body_html
        )
        self.assertIn(f'href="{base}/my/wallet"', mail.body_html)

        with freeze_time(fields.Datetime.now() + timedelta(days=3)):
            self.assertFalse(self._retry(), "no retry, past the hub's delays")
        self.assertEqual(len(self._intents(self.account, occurrence)), 1, "no new PaymentIntent")
        self.assertEqual(occurrence.charge_attempts, 1)

    def test_an_expired_card_asks_for_the_new_one(self):
        customer, occurrence = self._declined("Eve Expired", "expired_card")

        self.assertEqual(occurrence.decline_code, "expired_card")
        self.assertFalse(occurrence.next_charge_at)
        mail = self._failure_mail(customer)
        self.assertIn("Your card has expired.", mail.body_html)
        self.assertIn("Add your new card to your wallet and pay now.", mail.body_html)

    def test_a_soft_decline_follows_the_retry_policy(self):
        customer, occurrence = self._declined("Sam Short", "insufficient_funds")

        self.assertEqual(occurrence.state, "failed")
        self.assertEqual(occurrence.decline_code, "insufficient_funds")
        self.assertFalse(occurrence.hard_decline)
        self.assertFalse(occurrence.needs_attention)
        hours = (occurrence.next_charge_at - occurrence.transaction_ids.create_date).total_seconds()
        self.assertAlmostEqual(hours / 3600, 24, delta=0.1, msg="the hub's delay")
        mail = self._failure_mail(customer)
        self.assertIn("There was not enough money on the card", mail.body_html)
        self.assertIn("We will try again on", mail.body_html)
        self.assertIn(f"/my/standing_orders/occurrence/{occurrence.id}/pay", mail.body_html)

        self._retry_later(occurrence)
        self._retry()

        self.assertEqual((occurrence.state, occurrence.charge_attempts), ("failed", 2))
        self.assertEqual(len(self._intents(self.account, occurrence)), 2, "a second PaymentIntent")
        self.assertTrue(occurrence.next_charge_at, "one retry left")

    def test_a_hard_decline_after_soft_ones_stops_the_retries(self):
        customer, occurrence = self._declined("Tia Turned", "try_again_later")
        self.assertTrue(occurrence.next_charge_at)

        self._block_card(customer.ofn_default_card(), "stolen_card")
        self._retry_later(occurrence)
        self._retry()

        self.assertEqual((occurrence.charge_attempts, occurrence.decline_code), (2, "stolen_card"))
        self.assertFalse(occurrence.next_charge_at)
        self.assertTrue(occurrence.needs_attention)

    def test_the_failure_mail_is_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        french = {
            "There was not enough money on the card, or its spending limit was reached.": (
                "Il n'y avait pas assez d'argent sur la carte, ou son plafond était atteint."
            ),
        }
        customer = self._customer("Amélie Fonds", [self.hub])
        customer.lang = "fr_FR"
        english = self._customer("Kate Funds", [self.hub])
        for someone in (customer, english):
            self._standing(someone, self.schedule, [(self.veg_box, 1)])
            self._block_card(someone.ofn_default_card(), "insufficient_funds")
        self._placed_and_closed(self.schedule)

        with patch.dict(
            code_translations.python_translations, {("ofn_standing_orders", "fr_FR"): french}
        ):
            self._confirm()

        self.assertIn(
            "Il n&#39;y avait pas assez d&#39;argent", self._failure_mail(customer).body_html
        )
        mail = self._failure_mail(english)
        self.assertIn("There was not enough money on the card", mail.body_html)
        self.assertNotIn("Il n&#39;y avait", mail.body_html)
