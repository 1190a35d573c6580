from datetime import timedelta

from odoo import api, fields, models

from .. import const
from ..utils import mail_hub_managers


class OfnStripePayout(models.Model):
    """A payout of a hub's Stripe balance to its bank account, as synced from Stripe
    (ARCHITECTURE.md §2). A read-only mirror: its account's sync writes it, the accountant
    reads it, it books itself as a bank statement (through ``ofn.payout.statement.builder``);
    when it fails or is canceled, the hub's managers are told."""

    _name = "ofn.stripe.payout"
    _description = "Stripe payout of a hub"
    _rec_name = "stripe_payout_id"
    _order = "arrival_date desc, id desc"

    account_id = fields.Many2one(
        "ofn.stripe.account", "Stripe account", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="account_id.company_id", string="Hub", store=True, index=True
    )
    stripe_payout_id = fields.Char(
        string="Payout", required=True, readonly=True, help="The po_... id on Stripe."
    )
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    arrival_date = fields.Date(readonly=True, help="When the money is expected at the bank.")
    created_at = fields.Datetime(string="Created on Stripe", readonly=True)
    status = fields.Selection(const.PAYOUT_STATUSES, readonly=True)
    method = fields.Selection(const.PAYOUT_METHODS, readonly=True)
    destination_last4 = fields.Char(
        string="Bank account", readonly=True, help="Last 4 digits of the receiving account."
    )
    description = fields.Char(readonly=True)
    failure_code = fields.Char(readonly=True, help="Stripe's code of why the payout failed.")
    failure_message = fields.Char(string="Why it failed", readonly=True)
    balance_line_ids = fields.One2many(
        "ofn.stripe.balance.line", "payout_id", string="Balance transactions", readonly=True
    )
    lines_synced = fields.Boolean(
        string="Transactions synced",
        readonly=True,
        help="Every balance transaction this payout settled was fetched from Stripe.",
    )
    statement_id = fields.Many2one(
        "account.bank.statement", string="Bank statement", readonly=True, ondelete="set null"
    )
    line_count = fields.Integer(compute="_compute_totals")
    unmatched_count = fields.Integer(string="Unmatched", compute="_compute_totals")
    gross_total = fields.Monetary(string="Gross", compute="_compute_totals")
    fee_total = fields.Monetary(string="Fees", compute="_compute_totals")
    net_total = fields.Monetary(string="Net", compute="_compute_totals")
    is_balanced = fields.Boolean(
        string="Balanced",
        compute="_compute_totals",
        help="The nets of the settled transactions add up to the payout amount.",
    )

    _sql_constraints = [
        (
            "stripe_payout_unique",
            "UNIQUE(account_id, stripe_payout_id)",
            "A Stripe payout is synced once per account.",
        ),
    ]

    @api.depends(
        "amount", "balance_line_ids.net", "balance_line_ids.fee", "balance_line_ids.match_state"
    )
    def _compute_totals(self):
        for payout in self:
            settled = payout.balance_line_ids.filter_settled()
            payout.line_count = len(settled)
            payout.unmatched_count = len(
                settled.filtered(lambda line: line.match_state == "unmatched")
            )
            payout.gross_total = sum(settled.mapped("amount"))
            payout.fee_total = sum(settled.mapped("fee"))
            payout.net_total = sum(settled.mapped("net"))
            payout.is_balanced = bool(settled) and not payout.currency_id.compare_amounts(
                payout.net_total, payout.amount
            )

    @api.model_create_multi
    def create(self, vals_list):
        payouts = super().create(vals_list)
        recent = fields.Datetime.now() - timedelta(days=const.PAYOUT_FAILURE_NOTICE_DAYS)
        payouts.filtered(
            lambda payout: (
                payout.status in const.PAYOUT_FAILED_STATUSES
                and (payout.created_at or recent) >= recent
            )
        )._tell_managers_failed()
        return payouts

    def write(self, vals):
        failing = self.browse()
        if vals.get("status") in const.PAYOUT_FAILED_STATUSES:
            failing = self.filtered(lambda payout: payout.status != vals["status"])
        result = super().write(vals)
        failing._tell_managers_failed()
        return result

    def _tell_managers_failed(self):
        """The money of these payouts did not reach the hub's bank: its managers are e-mailed
        what, when, why and what to do."""
        template = self.env.ref("ofn_stripe_connect.mail_template_payout_failed")
        for payout in self:
            mail_hub_managers(template, payout)

    def action_create_statement(self):
        """Button: book the payouts as bank statements of the hub's Stripe journal."""
        self.env["ofn.payout.statement.builder"].build(self)
        return True

    @api.model
    def action_sync_current_hubs(self):
        """List button: sync the payouts of the hubs selected in the company switcher."""
        return self.env.companies.action_ofn_sync_payouts()
