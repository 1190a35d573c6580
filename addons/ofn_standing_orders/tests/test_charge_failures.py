from odoo import fields
from odoo.tests import tagged

from .common import OneHubChargeCase, StandingOrderChargeCase


@tagged("post_install", "-at_install")
class TestChargeFailures(OneHubChargeCase):
    """A card payment that does not go through is stored with its reason, the customer and the
    hub are told, and the retry job tries again as the hub's policy says; after the last
    attempt the invoice stays unpaid and the hub is asked to settle it. No order is lost."""

    hub_name, manager_login = "Failing Hub", "failing_manager"

    def test_declined_card_retries_on_schedule_then_flags_the_hub(self):
        customer, occurrence = self._one("Dan Declined")
        self._block_card(customer.ofn_default_card(), "generic_decline")
        self.hub.partner_id.tz = "Pacific/Auckland"  # the hub's managers read its summary there

        self._confirm()

        self.assertEqual(occurrence.state, "failed")
        self.assertEqual(occurrence.failure_reason, "declined")
        self.assertIn("declined", occurrence.failure_message.lower())
        self.assertEqual(occurrence.charge_attempts, 1)
        self.assertFalse(occurrence.needs_attention)
        hours = (occurrence.next_charge_at - occurrence.transaction_ids.create_date).total_seconds()
        self.assertAlmostEqual(hours / 3600, 24, delta=0.1, msg="default: a day later")
        self.assertTrue(self._mails_to(customer, "did not go through"))
        summary = self._mails_to(self.manager.partner_id, "Standing orders confirmed")
        self.assertIn("Payment failed: Card declined", summary.body_html)
        local = fields.Datetime.context_timestamp(
            self.env["res.users"].with_context(tz="Pacific/Auckland"), occurrence.next_charge_at
        )
        self.assertIn(f"tried again at {local:%-m/%-d/%y}", summary.body_html)

        self.assertFalse(self._retry(), "not before the retry is due")
        self.assertEqual(occurrence.charge_attempts, 1)

        self._retry_later(occurrence)
        self._retry()
        self.assertEqual((occurrence.state, occurrence.charge_attempts), ("failed", 2))
        self.assertTrue(occurrence.next_charge_at)

        self._retry_later(occurrence)
        self._retry()
        self.assertEqual((occurrence.state, occurrence.charge_attempts), ("failed", 3))
        self.assertTrue(occurrence.needs_attention, "the last of 1 + 2 retries")
        self.assertFalse(occurrence.next_charge_at)
        order, invoice = occurrence.sale_order_id, occurrence.invoice_id
        self.assertEqual((order.state, invoice.state), ("sale", "posted"), "nothing is lost")
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(invoice.amount_residual, 18.25)
        activity = order.activity_ids
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn("settle it", activity.note)

        self._retry_later(occurrence)
        self.assertFalse(self._retry(), "no attempt after the last")
        intents = self._intents(self.account, occurrence)
        self.assertEqual(len(intents), 3)
        self.assertEqual(
            sorted(tx.reference for tx in occurrence.transaction_ids),
            [f"OFN-SO{occurrence.id}-{attempt}" for attempt in (1, 2, 3)],
        )

    def test_the_hub_sets_its_own_retry_policy(self):
        self.hub.write({"ofn_charge_retries": 0})
        customer, occurrence = self._one("Ola Once")
        self._block_card(customer.ofn_default_card(), "generic_decline")

        self._confirm()

        self.assertTrue(occurrence.needs_attention, "no retry: flagged at once")
        self.assertTrue(self._mails_to(customer, "did not go through"))

    def test_a_retry_after_the_customer_fixed_it_pays(self):
        customer, occurrence = self._one("Rita Revoked")
        consent = customer.ofn_consent_ids
        consent.revoke("changed my mind")

        self._confirm()

        self.assertEqual(occurrence.failure_reason, "no_consent")
        self.assertIn("has not allowed", occurrence.failure_message)
        self.assertEqual(self._intents(self.account, occurrence), [], "no charge was tried")
        mail = self._mails_to(customer, "did not go through")
        self.assertIn("/my/wallet", mail.body_html)

        self._allow(customer, self.hub)
        self._retry_later(occurrence)
        self._retry()

        self.assertEqual(occurrence.state, "paid")
        self.assertFalse(occurrence.failure_reason)
        self.assertEqual(occurrence.invoice_id.payment_state, "paid")

    def test_a_deleted_card_has_its_own_reason(self):
        customer, occurrence = self._one("Carl Deleted")
        customer.ofn_default_card().action_ofn_remove_from_wallet()

        self._confirm()

        self.assertEqual((occurrence.state, occurrence.failure_reason), ("failed", "card_deleted"))
        self.assertIn("deleted", occurrence.failure_message)
        self.assertEqual(self._intents(self.account, occurrence), [])

    def test_credit_granted_before_a_retry_pays_without_the_card(self):
        customer, occurrence = self._one("Kim Credit")
        self._block_card(customer.ofn_default_card(), "generic_decline")
        self._confirm()
        self.assertEqual(occurrence.state, "failed")

        self.env["ofn.wallet.transaction"].adjust(customer, self.hub, 30.0, "Paid in cash")
        self._retry_later(occurrence)
        self._retry()

        self.assertEqual(occurrence.state, "paid")
        self.assertEqual(len(self._intents(self.account, occurrence)), 1, "only the declined one")


@tagged("post_install", "-at_install")
class TestHubDisconnected(StandingOrderChargeCase):
    """A hub whose Stripe account is disconnected cannot charge: its own reason, no call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.manager, cls.account, cls.schedule = cls._setup_hub(
            "Disconnected Hub", "disconnected_manager"
        )
        cls._setup_products()

    def test_a_disconnected_hub_is_its_own_reason(self):
        customer = self._customer("Dora Disconnected", [self.hub])
        self._standing(customer, self.schedule, [(self.eggs, 2)])
        occurrence = self._placed_and_closed(self.schedule)
        self.account.mark_revoked("the hub disconnected its account")

        self._confirm()

        self.assertEqual(occurrence.state, "failed")
        self.assertEqual(occurrence.failure_reason, "hub_disconnected")
        self.assertIn("not connected", occurrence.failure_message)
        self.assertEqual(occurrence.invoice_id.state, "posted", "the order is kept, invoiced")
        self.assertEqual(self._intents(self.account, occurrence), [])
        summary = self._mails_to(self.manager.partner_id, "Standing orders confirmed")
        self.assertIn("Stripe account disconnected", summary.body_html)

    def test_an_account_refusing_the_charge_is_a_disconnection(self):
        """Stripe refuses the platform on the account (revoked on Stripe's side, not yet
        known here): the attempt fails as a disconnection, nothing is charged."""
        customer = self._customer("Ed Refused", [self.hub])
        self._standing(customer, self.schedule, [(self.eggs, 1)])
        occurrence = self._placed_and_closed(self.schedule)
        self.env["ofn.stripe.gateway"].oauth_deauthorize(self.account.stripe_account_id)

        self._confirm()

        self.assertEqual(occurrence.state, "failed")
        self.assertEqual(occurrence.failure_reason, "hub_disconnected")
        self.assertIn("can no longer act for this Stripe account", occurrence.failure_message)
        self.assertEqual(occurrence.transaction_ids.state, "error")
        self.assertEqual(occurrence.invoice_id.payment_state, "not_paid")
