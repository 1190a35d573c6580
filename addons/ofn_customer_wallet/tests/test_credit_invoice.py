from odoo import Command
from odoo.tests import tagged

from .credit_common import OfnCreditCase


@tagged("post_install", "-at_install")
class TestCreditOnInvoices(OfnCreditCase):
    def test_credit_pays_part_of_the_next_invoice_before_any_payment(self):
        self.ledger.adjust(self.customer, self.hub_a, 15.0, "Goodwill")

        invoice = self._invoice(self.hub_a, self.customer, 40.0)

        self.assertEqual(invoice.amount_residual, 25.0)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 0.0)
        applied = self._history(self.hub_a, self.customer)[-1]
        self.assertEqual(applied.kind, "applied_to_invoice")
        self.assertEqual(applied.amount, -15.0)
        self.assertEqual(applied.balance_after, 0.0)
        self.assertEqual(applied.move_id, invoice)
        receivable = applied.entry_move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(receivable.credit, 15.0)
        self.assertTrue(receivable.reconciled)
        self.assertAlmostEqual(self._credit_account_balance(self.hub_a, self.customer), 0.0)

    def test_credit_pays_a_whole_invoice_and_the_rest_waits(self):
        self.ledger.adjust(self.customer, self.hub_a, 50.0, "Goodwill")

        invoice = self._invoice(self.hub_a, self.customer, 30.0)

        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 20.0)
        self.assertEqual(invoice.ofn_apply_credit(), 0.0)
        self.assertAlmostEqual(self._credit_account_balance(self.hub_a, self.customer), 20.0)

    def test_standing_order_applies_credit_then_charges_what_is_due(self):
        """The confirmation posts the invoice without the automatic credit, applies it, and
        charges the card for ``amount_residual``."""
        self.ledger.adjust(self.customer, self.hub_a, 7.5, "Goodwill")
        invoice = self._invoice(self.hub_a, self.customer, 20.0, ofn_no_credit_apply=True)
        self.assertEqual(invoice.amount_residual, 20.0)

        applied = invoice.ofn_apply_credit()

        self.assertEqual(applied, 7.5)
        self.assertEqual(invoice.amount_residual, 12.5)
        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 0.0)

    def test_no_credit_no_entry(self):
        invoice = self._invoice(self.hub_a, self.customer, 20.0)

        self.assertEqual(invoice.amount_residual, 20.0)
        self.assertFalse(self.env["ofn.wallet.transaction"].search([]))

    def test_credit_of_another_hub_stays_there(self):
        self.ledger.adjust(self.customer, self.hub_b, 10.0, "Goodwill")

        invoice = self._invoice(self.hub_a, self.customer, 20.0)

        self.assertEqual(invoice.amount_residual, 20.0)
        self.assertEqual(self.ledger.balance(self.customer, self.hub_b), 10.0)

    def test_credit_never_applies_in_another_currency(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        self.ledger.adjust(self.customer, self.hub_a, 10.0, "Goodwill")
        invoice = self._invoice(self.hub_a, self.customer, 20.0, post=False)
        invoice.currency_id = usd
        invoice.action_post()

        self.assertEqual(invoice.amount_residual, 20.0)
        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 10.0)

    def test_credit_never_applies_after_a_card_payment(self):
        """A shop checkout charges the card before the invoice is posted: the credit waits for
        the next invoice instead of paying this one twice."""
        self.ledger.adjust(self.customer, self.hub_a, 10.0, "Goodwill")
        invoice = self._invoice(self.hub_a, self.customer, 20.0, post=False)
        provider = self.env["payment.provider"].create(
            {"name": "Card", "code": "none", "company_id": self.hub_a.id, "state": "test"}
        )
        self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.env.ref("payment.payment_method_unknown").id,
                "reference": "checkout-card",
                "amount": 20.0,
                "currency_id": self.eur.id,
                "partner_id": self.customer.id,
                "state": "done",
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )

        invoice.action_post()

        self.assertEqual(invoice.amount_residual, 20.0)
        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 10.0)

    def test_a_credit_note_is_refunded_to_credit(self):
        invoice = self._invoice(self.hub_a, self.customer, 30.0)
        credit_note = self._invoice(self.hub_a, self.customer, 12.0, move_type="out_refund")

        credit_note.action_ofn_refund_to_credit()

        self.assertEqual(credit_note.amount_residual, 0.0)
        movement = self._history(self.hub_a, self.customer)
        self.assertEqual(movement.kind, "refund_to_credit")
        self.assertEqual(movement.amount, 12.0)
        self.assertEqual(movement.balance_after, 12.0)
        self.assertEqual(movement.move_id, credit_note)
        self.assertEqual(invoice.amount_residual, 30.0, "credit waits for the next invoice")
        self.assertAlmostEqual(self._credit_account_balance(self.hub_a, self.customer), 12.0)
        with self._assert_refused("nothing left to refund"):
            credit_note.action_ofn_refund_to_credit()
        with self._assert_refused("cannot be reset"):
            credit_note.button_draft()

        next_invoice = self._invoice(self.hub_a, self.customer, 10.0)

        self.assertEqual(next_invoice.amount_residual, 0.0)
        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 2.0)

    def test_only_a_posted_credit_note_is_refunded_to_credit(self):
        draft_note = self._invoice(
            self.hub_a, self.customer, 5.0, move_type="out_refund", post=False
        )
        invoice = self._invoice(self.hub_a, self.customer, 5.0)

        with self._assert_refused("Only a posted customer credit note"):
            draft_note.action_ofn_refund_to_credit()
        with self._assert_refused("Only a posted customer credit note"):
            invoice.action_ofn_refund_to_credit()
        self.assertFalse(self._history(self.hub_a, self.customer))

    def test_credit_comes_back_when_the_invoice_is_reset_and_goes_again_when_reposted(self):
        self.ledger.adjust(self.customer, self.hub_a, 15.0, "Goodwill")
        invoice = self._invoice(self.hub_a, self.customer, 40.0)

        invoice.button_draft()

        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 15.0)
        given_back = self._history(self.hub_a, self.customer)[-1]
        self.assertEqual(given_back.kind, "reversal")
        self.assertEqual(given_back.amount, 15.0)
        self.assertEqual(given_back.reversed_transaction_id.kind, "applied_to_invoice")
        self.assertEqual(
            given_back.entry_move_id.reversed_entry_id,
            given_back.reversed_transaction_id.entry_move_id,
        )
        self.assertAlmostEqual(self._credit_account_balance(self.hub_a, self.customer), 15.0)

        invoice.action_post()
        invoice.button_cancel()
        invoice.button_draft()
        invoice.action_post()

        history = self._history(self.hub_a, self.customer)
        self.assertEqual(
            history.mapped("kind"),
            [
                "manual_credit",
                "applied_to_invoice",
                "reversal",
                "applied_to_invoice",
                "reversal",
                "applied_to_invoice",
            ],
        )
        self.assertEqual(history.mapped("balance_after"), [15.0, 0.0, 15.0, 0.0, 15.0, 0.0])
        self.assertEqual(invoice.amount_residual, 25.0)
        self.assertAlmostEqual(self._credit_account_balance(self.hub_a, self.customer), 0.0)

    def test_portal_balances_per_hub(self):
        self.ledger.adjust(self.customer, self.hub_a, 10.0, "Goodwill")
        self._invoice(self.hub_a, self.customer, 25.0)  # 10 paid by credit, 15 due
        self._invoice(self.hub_b, self.customer, 8.0)
        self._invoice(self.hub_b, self.customer, 3.0, move_type="out_refund")

        balances = self.customer.with_user(self.customer_user).ofn_hub_balances()

        self.assertEqual(
            [(line["hub"], line["currency"], line["credit"], line["owed"]) for line in balances],
            [(self.hub_a, self.eur, 0.0, 15.0), (self.hub_b, self.eur, 0.0, 5.0)],
        )
