from odoo import api, fields, models

from .. import payout_const


class OfnStripeBalanceLine(models.Model):
    """One balance transaction of a hub's Stripe account (a charge, a refund, a fee, a payout...)
    as synced from Stripe, with the payout that settled it and, for customer payments, the Odoo
    ``payment.transaction`` (and through it the invoices and the customer) it belongs to.

    Amounts are in major units of ``currency_id``: ``amount`` is the gross, ``fee`` what Stripe
    kept (``stripe_fee`` + ``application_fee``), ``net`` = ``amount`` - ``fee``."""

    _name = "ofn.stripe.balance.line"
    _inherit = ["ofn.stripe.account.record"]
    _description = "Stripe balance transaction of a hub"
    _rec_name = "stripe_balance_transaction_id"
    _order = "created_at desc, id desc"

    payout_id = fields.Many2one(
        "ofn.stripe.payout", readonly=True, ondelete="set null", index="btree_not_null"
    )
    stripe_balance_transaction_id = fields.Char(
        string="Balance transaction", required=True, readonly=True, help="The txn_... id."
    )
    kind = fields.Selection(payout_const.BALANCE_LINE_KINDS, string="Type", readonly=True)
    stripe_type = fields.Char(string="Stripe type", readonly=True)
    stripe_source_id = fields.Char(string="Source", readonly=True, help="ch_, re_, po_... id.")
    stripe_charge_id = fields.Char(string="Charge", readonly=True, index="btree_not_null")
    stripe_payment_intent_id = fields.Char(
        string="PaymentIntent", readonly=True, index="btree_not_null"
    )
    description = fields.Char(readonly=True)
    created_at = fields.Datetime(string="Date", readonly=True)
    available_on = fields.Date(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(string="Gross", readonly=True)
    fee = fields.Monetary(string="Fees", readonly=True)
    stripe_fee = fields.Monetary(readonly=True)
    application_fee = fields.Monetary(readonly=True)
    net = fields.Monetary(readonly=True)
    transaction_id = fields.Many2one(
        "payment.transaction",
        string="Payment transaction",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True)
    invoice_ids = fields.Many2many(
        "account.move", string="Invoices", compute="_compute_invoice_ids"
    )
    match_state = fields.Selection(
        payout_const.MATCH_STATES,
        string="Matching",
        compute="_compute_match_state",
        store=True,
        index=True,
    )
    statement_line_ids = fields.One2many(
        "account.bank.statement.line", "ofn_balance_line_id", string="Statement lines"
    )

    _sql_constraints = [
        (
            "stripe_balance_transaction_unique",
            "UNIQUE(account_id, stripe_balance_transaction_id)",
            "A Stripe balance transaction is synced once per account.",
        ),
    ]

    @api.depends("transaction_id.invoice_ids", "transaction_id.source_transaction_id.invoice_ids")
    def _compute_invoice_ids(self):
        for line in self:
            tx = line.transaction_id
            line.invoice_ids = tx.invoice_ids or tx.source_transaction_id.invoice_ids

    @api.depends("kind", "transaction_id")
    def _compute_match_state(self):
        for line in self:
            if line.transaction_id:
                line.match_state = "matched"
            elif line.kind in payout_const.MATCHABLE_KINDS:
                line.match_state = "unmatched"
            else:
                line.match_state = "not_applicable"

    def _settled(self):
        """The lines whose money a payout moved: all but the payouts' own transactions."""
        return self.filtered(lambda line: line.kind != "payout")
