from odoo import fields, models

from .. import const


class AccountBankStatementLine(models.Model):
    """A statement line booked from a Stripe balance transaction: which one, and which part of it
    (gross, Stripe fee, application fee). Each part is booked once (nothing posted twice)."""

    _inherit = "account.bank.statement.line"

    ofn_balance_line_id = fields.Many2one(
        "ofn.stripe.balance.line",
        string="Stripe balance transaction",
        readonly=True,
        ondelete="restrict",
        index="btree_not_null",
    )
    ofn_balance_part = fields.Selection(
        const.STATEMENT_PARTS, string="Stripe amount", readonly=True
    )

    _sql_constraints = [
        (
            "ofn_balance_part_unique",
            "UNIQUE(ofn_balance_line_id, ofn_balance_part)",
            "This part of the Stripe balance transaction is already on a bank statement.",
        ),
    ]
