from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import format_date

from .. import const
from ..exceptions import StripeGatewayError
from ..models.ofn_stripe_gateway import OfnStripeGateway
from .common import new_hub_manager
from .payout_common import OfnPayoutCase


@tagged("post_install", "-at_install")
class TestPayoutSync(OfnPayoutCase):
    """Syncing a hub's payouts: every balance transaction once, linked to its payout, matched
    with Odoo's transactions; incremental, idempotent and resumable."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.accountant, cls.account = cls._setup_hub_books("Green Valley", "gv_acc")
        cls._month_of_sales(cls.account)

    def _payout(self):
        return self.env["ofn.stripe.payout"].search([("account_id", "=", self.account.id)])

    def _lines(self):
        return self.env["ofn.stripe.balance.line"].search([("account_id", "=", self.account.id)])

    def test_payout_and_its_transactions_add_up(self):
        created = self.account.with_user(self.accountant).sync_payouts()

        payout = self._payout()
        self.assertEqual(payout.stripe_payout_id, self.stripe_payout.id)
        self.assertEqual(
            (payout.status, payout.method, payout.destination_last4), ("paid", "standard", "6789")
        )
        self.assertEqual(payout.currency_id, self.env.ref("base.EUR"))
        self.assertAlmostEqual(payout.amount, self.stripe_payout.amount / 100)
        self.assertTrue(payout.arrival_date and payout.lines_synced)

        settled = payout.balance_line_ids.filter_settled()
        self.assertEqual(sorted(settled.mapped("kind")), ["charge", "charge", "charge", "refund"])
        self.assertAlmostEqual(sum(settled.mapped("net")), payout.amount, places=2)
        self.assertTrue(payout.is_balanced)
        own = payout.balance_line_ids - settled
        self.assertEqual(own.stripe_source_id, self.stripe_payout.id)
        self.assertAlmostEqual(own.amount, -payout.amount, places=2)

        charge_1 = settled.filtered(lambda line: line.stripe_payment_intent_id == self.intent_1.id)
        # 40.00 charged: Stripe keeps 2.9 % + 0.30, the platform its 2.00 application fee
        self.assertEqual(
            (charge_1.amount, charge_1.stripe_fee, charge_1.application_fee, charge_1.fee),
            (40.0, 1.46, 2.0, 3.46),
        )
        self.assertAlmostEqual(charge_1.net, 36.54, places=2)
        refund = settled.filtered(lambda line: line.kind == "refund")
        self.assertEqual((refund.amount, refund.net), (-5.0, -5.0))

        # every transaction of the account is there once, the late charge not paid out yet
        lines = self._lines()
        self.assertEqual(
            set(lines.mapped("stripe_balance_transaction_id")),
            self._stripe_balance_transaction_ids(self.account),
        )
        late = lines.filtered(lambda line: line.stripe_payment_intent_id == self.intent_3.id)
        self.assertEqual((late.kind, late.payout_id.id), ("charge", False))
        self.assertEqual(created, {"lines": len(lines), "payouts": 1})

    def test_second_sync_adds_nothing(self):
        self.account.sync_payouts()
        lines, payout = self._lines(), self._payout()
        self.assertEqual(self.account.sync_payouts(), {"lines": 0, "payouts": 0})
        self.assertEqual(self._lines(), lines)
        self.assertEqual(self._payout(), payout)
        self.assertTrue(self.account.ofn_balance_synced_until)

    def test_next_sync_brings_only_what_is_new(self):
        self.account.sync_payouts()
        known = self._lines()
        intent = self._charge(self.account, 12.0)
        self.assertEqual(self.account.sync_payouts(), {"lines": 1, "payouts": 0})
        new = self._lines() - known
        self.assertEqual(new.stripe_payment_intent_id, intent.id)

    def test_error_mid_pagination_then_rerun(self):
        real_list = OfnStripeGateway.list_balance_transactions
        pages = []

        def failing_second_page(gateway, params, **kwargs):
            if "starting_after" in params:
                pages.append(params["starting_after"])
                if len(pages) == 2:
                    raise StripeGatewayError("Stripe could not be reached.", http_status=503)
            return real_list(gateway, params, **kwargs)

        with (
            patch.object(const, "STRIPE_PAGE_SIZE", 2),
            patch.object(OfnStripeGateway, "list_balance_transactions", failing_second_page),
        ):
            # not self.assertRaises, which would roll the pages stored before the error back
            try:
                self.account.sync_payouts()
                self.fail("the third page fails")
            except StripeGatewayError as error:
                self.assertEqual(error.http_status, 503)
        partial = self._lines()
        self.assertEqual(len(partial), 4, "two pages were stored before the error")
        self.assertFalse(self.account.ofn_balance_synced_until, "the starting point stays")

        with patch.object(const, "STRIPE_PAGE_SIZE", 2):
            self.account.sync_payouts()
        lines = self._lines()
        self.assertLessEqual(partial, lines)
        self.assertEqual(
            sorted(lines.mapped("stripe_balance_transaction_id")),
            sorted(self._stripe_balance_transaction_ids(self.account)),
            "each transaction once, none missing",
        )
        payout = self._payout()
        self.assertTrue(payout.is_balanced)
        self.assertAlmostEqual(
            sum(payout.balance_line_ids.filter_settled().mapped("net")), payout.amount
        )

    def test_lines_matched_with_transactions_and_invoices(self):
        self.account.sync_payouts()
        lines = self._lines()

        def line_of(intent_id, kind="charge"):
            return lines.filtered(
                lambda line: line.stripe_payment_intent_id == intent_id and line.kind == kind
            )

        charge_1 = line_of(self.intent_1.id)
        self.assertEqual(charge_1.transaction_id, self.tx_1)
        self.assertEqual(charge_1.invoice_ids, self.invoice_1)
        self.assertEqual(charge_1.partner_id, self.invoice_1.partner_id)
        self.assertEqual(charge_1.match_state, "matched")
        self.assertEqual(line_of(self.intent_2.id).invoice_ids, self.invoice_2)

        refund = line_of(self.intent_2.id, "refund")
        self.assertEqual(refund.stripe_source_id, self.refund.id)
        self.assertEqual(refund.transaction_id, self.refund_tx)
        self.assertEqual(refund.invoice_ids, self.invoice_2, "through the refunded payment")
        self.assertEqual(refund.partner_id, self.invoice_2.partner_id)

        unmatched = self.env["ofn.stripe.balance.line"].search(
            [("account_id", "=", self.account.id), ("match_state", "=", "unmatched")]
        )
        self.assertEqual(unmatched.stripe_payment_intent_id, self.unmatched_intent.id)
        self.assertFalse(unmatched.invoice_ids or unmatched.partner_id)
        payout_line = lines.filtered(lambda line: line.kind == "payout")
        self.assertEqual(payout_line.match_state, "not_applicable")
        self.assertEqual(self._payout().unmatched_count, 1)

    def test_transaction_recorded_later_is_matched_at_next_sync(self):
        self.account.sync_payouts()
        line = self._lines().filtered(
            lambda line: line.stripe_payment_intent_id == self.unmatched_intent.id
        )
        self.assertEqual(line.match_state, "unmatched")
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": self.account.provider_id.id,
                "payment_method_id": self.env.ref("payment.payment_method_card").id,
                "reference": "late-record",
                "amount": 10.0,
                "currency_id": self.account.currency_id.id,
                "partner_id": self.env["res.partner"].create({"name": "Dora"}).id,
                "provider_reference": self.unmatched_intent.id,
            }
        )
        self.account.sync_payouts()
        self.assertEqual(line.transaction_id, tx)
        self.assertEqual(line.match_state, "matched")

    def test_daily_cron_syncs_connected_hubs(self):
        self.env.ref("ofn_stripe_connect.ir_cron_ofn_sync_payouts").method_direct_trigger()
        self.assertTrue(self._payout().lines_synced)
        self.assertTrue(self._payout().statement_id, "the hub's fee account is set: booked")

    def test_a_failed_payout_is_told_to_the_hubs_managers(self):
        """A payout Stripe could not pay to the bank: the hub's managers get an e-mail (a
        template, queued by the mail queue) with the amount, the date, the reason and what to
        do; once."""
        manager = new_hub_manager(self.env, "gv_payout_manager", self.hub)
        self.account.sync_payouts()
        payout = self._payout()
        payout.status = "in_transit"  # not final: the next sync asks Stripe again
        real_retrieve = OfnStripeGateway.retrieve_payout

        def failed(gateway, payout_id, params, **kwargs):
            data = real_retrieve(gateway, payout_id, params, **kwargs)
            closed = "The bank account has been closed."
            return {
                **data,
                "status": "failed",
                "failure_code": "account_closed",
                "failure_message": closed,
            }

        with patch.object(OfnStripeGateway, "retrieve_payout", failed):
            self.account.sync_payouts()
            self.account.sync_payouts()  # told once

        self.assertEqual((payout.status, payout.failure_code), ("failed", "account_closed"))
        mail = self.env["mail.mail"].search(
            [("model", "=", "ofn.stripe.payout"), ("res_id", "=", payout.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "queued, not sent at once")
        self.assertEqual(mail.recipient_ids, manager.partner_id)
        self.assertIn("Green Valley: a Stripe payout did not reach the bank", mail.subject)
        for fact in (
            payout.stripe_payout_id,
            f"{payout.amount:.2f}",
            format_date(self.env, payout.arrival_date),
            "The bank account has been closed.",
            "next payout",
        ):
            self.assertIn(fact, mail.body_html)
