from odoo import api, fields, models


class OfnOccurrencePaidElsewhere(models.TransientModel):
    """The hub says how the customer paid an order whose card payment did not go through: cash
    or bank transfer, registered as a payment on its invoice."""

    _name = "ofn.occurrence.paid.elsewhere"
    _description = "Standing order paid another way"

    occurrence_id = fields.Many2one(
        "ofn.standing.order.occurrence", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="occurrence_id.company_id")
    invoice_id = fields.Many2one(related="occurrence_id.invoice_id")
    currency_id = fields.Many2one(related="occurrence_id.currency_id")
    amount_due = fields.Monetary(related="occurrence_id.amount_due")
    journal_id = fields.Many2one(
        "account.journal",
        "Paid in",
        domain="[('company_id', '=', company_id), ('type', 'in', ('cash', 'bank'))]",
        help="The hub's cash or bank journal that received the payment.",
        compute="_compute_journal_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    payment_date = fields.Date(required=True, default=fields.Date.context_today)
    memo = fields.Char(help="What the payment says (default: the invoice's number).")

    @api.depends("occurrence_id")
    def _compute_journal_id(self):
        for wizard in self:
            wizard.journal_id = (
                self.env["account.journal"]
                .sudo()
                .search([("company_id", "=", wizard.company_id.id), ("type", "=", "cash")], limit=1)
            )

    def action_confirm(self):
        self.ensure_one()
        self.occurrence_id.mark_paid_elsewhere(self.journal_id, self.payment_date, self.memo)
        return {"type": "ir.actions.act_window_close"}
