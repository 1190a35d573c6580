from odoo import fields, models

from ..const import ACCOUNT_STATES


class OfnStripeAccount(models.Model):
    """A hub's connected Stripe account (one per company, DESIGN.md §2)."""

    _name = "ofn.stripe.account"
    _description = "Connected Stripe account of a hub"
    _rec_name = "stripe_account_id"
    _order = "company_id"

    company_id = fields.Many2one(
        "res.company", string="Hub", required=True, ondelete="cascade", index=True
    )
    stripe_account_id = fields.Char(
        string="Stripe account", required=True, readonly=True, help="The acct_... id on Stripe."
    )
    state = fields.Selection(ACCOUNT_STATES, required=True, default="connected", readonly=True)
    livemode = fields.Boolean(string="Live mode", readonly=True)
    charges_enabled = fields.Boolean(readonly=True)
    payouts_enabled = fields.Boolean(readonly=True)
    details_submitted = fields.Boolean(readonly=True)
    connected_by_id = fields.Many2one("res.users", string="Connected by", readonly=True)
    connected_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "company_unique",
            "UNIQUE(company_id)",
            "A hub can be connected to one Stripe account only.",
        ),
    ]
