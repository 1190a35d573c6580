from odoo import fields, models


class OfnStripeAccountRecord(models.AbstractModel):
    """What a record synced from a hub's Stripe account has: the account, and its hub (stored,
    for the hub-scoped record rules)."""

    _name = "ofn.stripe.account.record"
    _description = "Record of a hub's Stripe account"

    account_id = fields.Many2one(
        "ofn.stripe.account",
        string="Stripe account",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        related="account_id.company_id", string="Hub", store=True, index=True
    )
