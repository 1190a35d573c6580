from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.ofn_customer_wallet.tests.common import THREE_D_SECURE
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import OneHubChargeCase, OneHubChargeHttpCase

_PROBLEMS = "ofn_standing_orders.ofn_standing_order_occurrence_attention_action"


class PaymentProblems:
    """The hub's payment problems, one way or another into them."""

    hub_name, manager_login = "Problem Hub", "problem_manager"

    def _as_manager(self, records):
        return records.with_user(self.manager)

    def _no_stripe(self):
        """The gateway, the one place that talks to Stripe, fails the test if it is called."""

        def refuse(*args, **kwargs):
            raise AssertionError(f"Stripe was called: {args[1:3]}")

        return patch.object(type(self.env["ofn.stripe.gateway"]), "request", refuse)

    def _cash_journal(self):
        return self.env["account.journal"].search(
            [("company_id", "=", self.hub.id), ("type", "=", "cash")], limit=1
        )

    def _mark_paid(self, occurrence, memo="Paid at pick-up"):
        action = self._as_manager(occurrence).action_open_paid_elsewhere()
        wizard = (
            self._as_manager(self.env[action["res_model"]])
            .with_context(**action["context"])
            .create({"memo": memo})
        )
        self.assertEqual(wizard.journal_id, self._cash_journal(), "the hub's cash by default")
        self.assertIn(  # the journals the manager chooses from
            self._cash_journal(),
            self._as_manager(self.env["account.journal"]).search(
                [("company_id", "=", self.hub.id), ("type", "in", ("cash", "bank"))]
            ),
        )
        with self._no_stripe():
            wizard.action_confirm()


@tagged("post_install", "-at_install")
class TestPaymentProblems(PaymentProblems, OneHubChargeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_hub, cls.other_manager = cls._create_hub("Other Problem Hub", "other_problem")

    def _problems(self, domain=()):
        action = self.env["ir.actions.act_window"]._for_xml_id(_PROBLEMS)
        Occurrence = self._as_manager(self.env["ofn.standing.order.occurrence"])
        return Occurrence.search(safe_eval(action["domain"]) + list(domain))

    def _lost(self, name):
        """A customer whose card the bank refuses for good: failed, not retried."""
        customer, placed = self._one(name)
        occurrence = placed.filtered(lambda o: o.partner_id == customer)
        self._block_card(customer.ofn_default_card(), "lost_card")
        self._confirm()
        self.assertEqual((occurrence.state, occurrence.needs_attention), ("failed", True))
        return customer, occurrence

    def test_the_list_shows_failed_awaiting_and_at_risk_orders_by_cycle(self):
        failed = self._customer("Fred Failed", [self.hub])
        self._block_card(failed.ofn_default_card(), "insufficient_funds")
        waiting = self._customer("Wanda Waiting", [self.hub], test_card=THREE_D_SECURE)
        paying = self._customer("Paul Paying", [self.hub])
        for customer in (failed, waiting, paying):
            self._standing(customer, self.schedule, [(self.eggs, 1)])
        occurrences = self._placed_and_closed(self.schedule)
        cycle = occurrences.cycle_id
        self._confirm()
        by_customer = {o.partner_id: o for o in occurrences}
        self.assertEqual(by_customer[failed].state, "failed")
        self.assertEqual(by_customer[waiting].state, "awaiting_authentication")
        self.assertEqual(by_customer[paying].state, "paid")
        # the check before the close (another part of the engine) finds one of the next cycle
        risky = self._customer("Rosa Risky", [self.hub])
        self._standing(risky, self.schedule, [(self.eggs, 1)])
        next_cycle = self._open_cycle(self.schedule)
        at_risk = self._place().filtered(lambda o: o.partner_id == risky)
        at_risk.write({"at_risk": True, "risk_message": "The card expires before the close."})

        self.assertEqual(
            self._problems([("company_id", "=", self.hub.id)]),
            by_customer[failed] | by_customer[waiting] | at_risk,
        )
        self.assertEqual((cycle.payment_problem_count, next_cycle.payment_problem_count), (2, 1))
        action = self._as_manager(cycle).action_view_payment_problems()
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]),
            by_customer[failed] | by_customer[waiting],
        )

        self._mark_paid(by_customer[failed])
        self.assertNotIn(by_customer[failed], self._problems(), "paid: no problem any more")

    def test_retry_now_charges_again_at_once_even_after_a_hard_decline(self):
        _customer, occurrence = self._lost("Rick Retry")
        [todo] = occurrence.sale_order_id.activity_ids

        with trap_jobs() as trap:
            self._as_manager(occurrence).action_retry_now()
            self.assertEqual(
                [job.method_name for job in trap.enqueued_jobs], ["_charge"], "enqueued at once"
            )
            self.assertFalse(todo.exists(), "the hub acted: its to-do is done")
            self._drain(trap)

        # the bank still refuses the card: a second PaymentIntent, refused for good again
        self.assertEqual(len(self._intents(self.account, occurrence)), 2)
        self.assertEqual(occurrence.charge_attempts, 2)
        self.assertEqual((occurrence.state, occurrence.decline_code), ("failed", "lost_card"))
        self.assertFalse(occurrence.next_charge_at)
        self.assertTrue(occurrence.needs_attention)

    def test_retry_now_counts_one_attempt_of_the_policy(self):
        customer, occurrence = self._one("Rhea Retry")
        self._block_card(customer.ofn_default_card(), "insufficient_funds")
        self._confirm()
        self.assertEqual(occurrence.charge_attempts, 1)

        with trap_jobs() as trap:
            self._as_manager(occurrence).action_retry_now()
            self._drain(trap)

        self.assertEqual((occurrence.state, occurrence.charge_attempts), ("failed", 2))
        self.assertTrue(occurrence.next_charge_at, "the policy's last retry is still planned")
        self.assertFalse(occurrence.needs_attention)

    def test_resend_the_authentication_email(self):
        customer = self._customer("Sid Secure", [self.hub], test_card=THREE_D_SECURE)
        self._standing(customer, self.schedule, [(self.veg_box, 1)])
        occurrence = self._placed_and_closed(self.schedule)
        self._confirm()
        self.assertEqual(occurrence.state, "awaiting_authentication")
        self.assertEqual(len(self._mails_to(customer, "Please confirm your payment")), 1)

        self._as_manager(occurrence).action_resend_authentication()

        mails = self._mails_to(customer, "Please confirm your payment")
        self.assertEqual(len(mails), 2)
        self.assertIn(occurrence.transaction_ids.ofn_authentication_url(), mails[0].body_html)
        with self.assertRaises(UserError):
            self._as_manager(self._lost("Not Waiting")[1]).action_resend_authentication()

    def test_mark_as_paid_another_way_pays_the_invoice_without_stripe(self):
        customer, occurrence = self._lost("Cash Carla")
        intents = len(self._intents(self.account, occurrence))
        invoice = occurrence.invoice_id

        self._mark_paid(occurrence)

        self.assertEqual(occurrence.state, "paid")
        self.assertFalse(occurrence.next_charge_at)
        self.assertFalse(occurrence.needs_attention)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.amount_residual, 0)
        receivable = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
        self.assertTrue(receivable.reconciled)
        payment = invoice.matched_payment_ids
        self.assertEqual(payment.journal_id, self._cash_journal())
        self.assertEqual((payment.state, payment.amount), ("paid", 18.25))
        self.assertEqual(payment.memo, "Paid at pick-up")
        self.assertFalse(payment.payment_transaction_id)
        self.assertEqual(len(self._intents(self.account, occurrence)), intents, "nothing sent")
        self.assertFalse(occurrence.sale_order_id.activity_ids, "the hub's to-do is done")
        self.assertTrue(self._mails_to(customer, "is paid"))
        self._retry_later(occurrence)
        self.assertFalse(self._retry(), "no retry")
        with self.assertRaises(UserError):
            self._mark_paid(occurrence)  # twice: refused, nothing more registered
        with self.assertRaises(UserError):  # only a failed payment is retried
            self._as_manager(occurrence).action_retry_now()
        self.assertEqual(len(invoice.matched_payment_ids), 1)

    def test_mark_as_paid_needs_a_cash_or_bank_journal_of_the_hub(self):
        _customer, occurrence = self._lost("Journal Jo")
        sales = self.env["account.journal"].search(
            [("company_id", "=", self.hub.id), ("type", "=", "sale")], limit=1
        )
        with self.assertRaises(UserError):
            self._as_manager(occurrence).mark_paid_elsewhere(sales.id, False)
        self.assertEqual(occurrence.state, "failed", "nothing changed")
        self.assertEqual(occurrence.invoice_id.payment_state, "not_paid")

    def test_cancel_the_order(self):
        customer, occurrence = self._lost("Cancel Cleo")
        order, invoice = occurrence.sale_order_id, occurrence.invoice_id
        self.assertTrue(order.picking_ids)

        with self._no_stripe():
            self._as_manager(occurrence).action_cancel_order()

        self.assertEqual(occurrence.state, "cancelled")
        self.assertFalse(occurrence.next_charge_at)
        self.assertFalse(occurrence.needs_attention)
        self.assertEqual(order.state, "cancel")
        self.assertEqual(set(order.picking_ids.mapped("state")), {"cancel"})
        self.assertEqual(invoice.payment_state, "reversed")
        credit_note = invoice.reversal_move_ids
        self.assertEqual((credit_note.state, credit_note.amount_total), ("posted", 18.25))
        self.assertFalse(order.activity_ids)
        mail = self._mails_to(customer, "is cancelled")
        self.assertIn("Problem Hub cancelled your order", mail.body_html)
        self.assertEqual(
            occurrence.standing_order_id.status, "active", "the standing order goes on"
        )
        self._retry_later(occurrence)
        self.assertFalse(self._retry())

    def test_an_unanswered_card_payment_is_never_settled_over(self):
        """While Stripe's answer to a card payment is missing, the customer may have been
        charged: the hub can neither mark the order paid another way nor cancel it."""
        _customer, occurrence = self._lost("Una Unknown")
        occurrence.sudo().write({"state": "confirmed", "charge_unknown_since": "2026-01-01"})

        for action in (
            lambda: self._mark_paid(occurrence),
            self._as_manager(occurrence).action_cancel_order,
            self._as_manager(occurrence).action_retry_now,
        ):
            with self.subTest(action=action), self.assertRaises(UserError):
                action()
        self.assertEqual(occurrence.state, "confirmed")
        self.assertEqual(occurrence.invoice_id.payment_state, "not_paid")
        self.assertEqual(occurrence.sale_order_id.state, "sale")

    def test_another_hubs_manager_cannot_act(self):
        _customer, occurrence = self._lost("Private Pia")
        mine = occurrence.with_user(self.other_manager)
        for action in (
            mine.action_retry_now,
            mine.action_resend_authentication,
            mine.action_open_paid_elsewhere,
            mine.action_cancel_order,
            lambda: mine.mark_paid_elsewhere(self._cash_journal().id, False),
        ):
            with self.subTest(action=action), self.assertRaises(AccessError):
                action()
        self.assertEqual(
            (occurrence.state, occurrence.invoice_id.payment_state), ("failed", "not_paid")
        )
        self.assertFalse(
            self.env["ofn.standing.order.occurrence"]
            .with_user(self.other_manager)
            .search([("payment_problem", "=", True)]),
            "another hub's problems are not listed",
        )


@tagged("post_install", "-at_install")
class TestPaymentProblemsAuthentication(PaymentProblems, OneHubChargeHttpCase):
    hub_name, manager_login = "Problem Secure Hub", "problem_secure_manager"

    def test_marking_paid_cancels_the_waiting_authentication(self):
        customer = self._customer("Ada Awaiting", [self.hub], test_card=THREE_D_SECURE)
        self._standing(customer, self.schedule, [(self.veg_box, 1)])
        occurrence = self._placed_and_closed(self.schedule)
        self._confirm()
        tx = occurrence.transaction_ids
        link = tx.ofn_authentication_url()
        self.assertEqual(self.url_open(link).status_code, 200)

        self._mark_paid(occurrence)

        self.assertEqual(occurrence.state, "paid")
        self.assertEqual(occurrence.invoice_id.payment_state, "paid")
        self.assertEqual((tx.state, tx.ofn_requires_authentication), ("cancel", False))
        self.assertEqual(self.url_open(link).status_code, 404, "the link refuses")
