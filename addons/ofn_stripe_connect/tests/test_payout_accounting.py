from odoo.exceptions import UserError
from odoo.tests import tagged

from .payout_common import OfnPayoutCase


@tagged("post_install", "-at_install")
class TestPayoutAccounting(OfnPayoutCase):
    """A payout becomes a bank statement of the hub's Stripe journal that reconciles the customer
    payments and books the fees to the fee account, once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.accountant, cls.account = cls._setup_hub_books("Riverside", "rs_acc")
        cls._month_of_sales(cls.account)
        cls.account.sync_payouts()
        cls.payout = cls.account.payout_ids
        cls.builder = cls.env["ofn.payout.statement.builder"]

    def _book(self):
        return self.builder.with_user(self.accountant).build(self.payout)

    def test_statement_reconciles_customer_payments(self):
        statement = self._book()
        self.assertEqual(self.payout.statement_id, statement)
        journal = statement.journal_id
        self.assertEqual(
            (journal.type, journal.name, journal.company_id), ("bank", "Stripe", self.hub)
        )
        self.assertEqual(self.account.ofn_payout_journal_id, journal)
        self.assertEqual(self.account.provider_id.journal_id, journal, "next payments land there")

        st_lines = statement.line_ids
        self.assertAlmostEqual(sum(st_lines.mapped("amount")), 0.0, places=2)
        self.assertAlmostEqual(statement.balance_end_real, statement.balance_start, places=2)
        self.assertTrue(statement.is_complete)

        for tx in (self.tx_1, self.tx_2, self.refund_tx):
            self.assertTrue(tx.payment_id.is_matched, f"{tx.reference} matched with the statement")
            gross = st_lines.filtered(
                lambda st, tx=tx: (
                    st.ofn_balance_line_id.transaction_id == tx and st.ofn_balance_part == "gross"
                )
            )
            self.assertTrue(gross.is_reconciled)
            self.assertEqual(gross.partner_id, tx.partner_id)
        self.assertEqual(self.invoice_1.payment_state, "paid")
        self.assertFalse(self.tx_3.payment_id.is_matched, "not paid out yet")

        unmatched = st_lines.filtered(
            lambda st: (
                st.ofn_balance_line_id.match_state == "unmatched" and st.ofn_balance_part == "gross"
            )
        )
        self.assertEqual(len(unmatched), 1)
        self.assertFalse(unmatched.is_reconciled, "left in suspense for the accountant")

    def test_fees_land_on_the_fee_account(self):
        statement = self._book()
        settled = self.payout.balance_line_ids.filter_settled()
        fee_account = self.hub.ofn_stripe_fee_account_id
        fee_lines = statement.line_ids.move_id.line_ids.filtered(
            lambda aml: aml.account_id == fee_account
        )
        self.assertAlmostEqual(sum(fee_lines.mapped("debit")), sum(settled.mapped("fee")), places=2)
        self.assertAlmostEqual(sum(fee_lines.mapped("credit")), 0.0)
        parts = statement.line_ids.filtered(lambda st: st.ofn_balance_part != "gross")
        self.assertEqual(
            sorted(parts.mapped("ofn_balance_part")),
            ["application_fee"] * 3 + ["stripe_fee"] * 3,
            "Stripe's and the platform's fee of each charge on their own lines",
        )
        payout_line = statement.line_ids.filtered(
            lambda st: st.ofn_balance_line_id.kind == "payout"
        )
        self.assertAlmostEqual(payout_line.amount, -self.payout.amount, places=2)
        transfer = payout_line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.hub.transfer_account_id
        )
        self.assertAlmostEqual(transfer.debit, self.payout.amount, places=2)

    def test_nothing_is_posted_twice(self):
        statement = self._book()
        moves = self.env["account.move"].search_count([("company_id", "=", self.hub.id)])
        self.assertFalse(self._book(), "the payout keeps its statement")
        self.account.action_sync_payouts()  # syncs again and books what is ready: nothing
        self.assertEqual(
            self.env["account.move"].search_count([("company_id", "=", self.hub.id)]), moves
        )
        self.assertEqual(self.payout.statement_id, statement)

    def test_payout_is_booked_only_once_set_up(self):
        fee_account = self.hub.ofn_stripe_fee_account_id
        self.hub.ofn_stripe_fee_account_id = False
        self.account.action_sync_payouts()
        self.assertFalse(self.payout.statement_id, "no statement before the fee account is set")
        with self.assertRaisesRegex(UserError, "fees account"):
            self._book()
        self.hub.ofn_stripe_fee_account_id = fee_account
        self.payout.lines_synced = False
        with self.assertRaisesRegex(UserError, "not all synced"):
            self._book()
        self.assertFalse(self.payout.statement_id)
