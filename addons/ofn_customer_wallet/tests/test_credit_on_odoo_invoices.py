"""The customer's credit at a hub, on Odoo's own accounting test base (a company with its chart
of accounts, Odoo's test partners and invoices): no Stripe involved."""

from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestCreditOnOdooInvoices(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub = cls.env.company
        cls.ledger = cls.env["ofn.wallet.transaction"]

    def test_credit_pays_the_next_invoice_first(self):
        self.ledger.adjust(self.partner_a, self.hub, 30.0, "Goodwill: late delivery")

        invoice = self.init_invoice(
            "out_invoice", partner=self.partner_a, amounts=[100.0], post=True
        )

        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - 30.0)
        self.assertEqual(self.ledger.balance(self.partner_a, self.hub), 0.0)
        self.assertEqual(invoice.payment_state, "partial")

    def test_credit_larger_than_the_invoice_pays_it_and_the_rest_stays(self):
        self.ledger.adjust(self.partner_a, self.hub, 500.0, "Prepaid season")

        invoice = self.init_invoice(
            "out_invoice", partner=self.partner_a, amounts=[100.0], post=True
        )

        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertAlmostEqual(
            self.ledger.balance(self.partner_a, self.hub), 500.0 - invoice.amount_total
        )
        self.assertEqual(self.ledger.balance(self.partner_b, self.hub), 0.0, "her own credit only")
