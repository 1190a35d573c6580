from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .. import payout_const


class OfnStripePayout(models.Model):
    """A payout of a hub's Stripe balance to its bank account, as synced from Stripe
    (ARCHITECTURE.md §2). A read-only mirror: ``ofn.payout.syncer`` writes it, the accountant
    reads it, ``ofn.payout.statement.builder`` turns it into a bank statement."""

    _name = "ofn.stripe.payout"
    _inherit = ["ofn.stripe.account.record"]
    _description = "Stripe payout of a hub"
    _rec_name = "stripe_payout_id"
    _order = "arrival_date desc, id desc"

    stripe_payout_id = fields.Char(
        string="Payout", required=True, readonly=True, help="The po_... id on Stripe."
    )
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    arrival_date = fields.Date(readonly=True, help="When the money is expected at the bank.")
    created_at = fields.Datetime(string="Created on Stripe", readonly=True)
    status = fields.Selection(payout_const.PAYOUT_STATUSES, readonly=True)
    method = fields.Selection(payout_const.PAYOUT_METHODS, readonly=True)
    destination_last4 = fields.Char(
        string="Bank account", readonly=True, help="Last 4 digits of the receiving account."
    )
    description = fields.Char(readonly=True)
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
            settled = payout.balance_line_ids._settled()
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

    def action_create_statement(self):
        """Button: book the payouts as bank statements of the hub's Stripe journal."""
        self.env["ofn.payout.statement.builder"].build(self)
        return True

    @api.model
    def action_sync_current_hubs(self):
        """List button: sync the payouts of the hubs selected in the company switcher."""
        return self._sync_hubs(self.env.companies)

    @api.model
    def _sync_hubs(self, companies):
        """Sync the payouts of ``companies`` from Stripe, then book those ready as statements."""
        accounts = (
            self.env["ofn.stripe.account"]
            .sudo()
            .search([("company_id", "in", companies.ids), ("state", "=", "connected")])
        )
        if not accounts:
            raise UserError(
                _(
                    "No hub among %(hubs)s is connected to Stripe.",
                    hubs=", ".join(companies.mapped("name")),
                )
            )
        for account in accounts:
            self.env["ofn.payout.syncer"].sync(account)
            self.env["ofn.payout.statement.builder"].build(account._ofn_payouts_to_book())
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "Payouts synced from Stripe: %(hubs)s.",
                    hubs=", ".join(accounts.company_id.mapped("name")),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
