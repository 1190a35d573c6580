from odoo import api, fields, models


class OfnCreditAdjustWizard(models.TransientModel):
    """Hub staff credit or debit a customer's credit with their hub, and say why."""

    _name = "ofn.credit.adjust.wizard"
    _description = "Credit or debit a customer"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    company_id = fields.Many2one(
        "res.company",
        string="Hub",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    direction = fields.Selection(
        [("credit", "Give credit"), ("debit", "Take credit back")],
        required=True,
        default="credit",
    )
    amount = fields.Monetary(required=True)
    reason = fields.Text(required=True)
    allow_negative = fields.Boolean(
        string="Allow a negative balance",
        groups="ofn_stripe_connect.group_ofn_hub_manager",
        help="Let this debit take the customer's credit below zero: they then owe the hub.",
    )
    balance = fields.Monetary(
        string="Current credit", compute="_compute_balance", help="Before this change."
    )

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "The amount must be positive."),
    ]

    @api.depends("partner_id", "company_id")
    def _compute_balance(self):
        Transaction = self.env["ofn.wallet.transaction"]
        for wizard in self:
            wizard.balance = (
                Transaction.balance(wizard.partner_id, wizard.company_id)
                if wizard.partner_id and wizard.company_id
                else 0.0
            )

    def action_confirm(self):
        self.ensure_one()
        sign = 1 if self.direction == "credit" else -1
        self.env["ofn.wallet.transaction"].adjust(
            self.partner_id,
            self.company_id,
            sign * self.amount,
            self.reason,
            allow_negative=self.allow_negative,
        )
        return {"type": "ir.actions.act_window_close"}
