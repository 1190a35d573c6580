from odoo import fields, models

from ..const import CONSENT_STATES


class OfnWalletConsent(models.Model):
    """A customer allows a hub to charge their default card automatically (for standing
    orders). The card is cloned to the hub's account and a SetupIntent confirmed there for
    off-session use (3-D Secure when the bank asks)."""

    _name = "ofn.wallet.consent"
    _description = "Customer's consent to automatic charges by a hub"
    _order = "company_id, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", string="Hub", required=True, index=True, ondelete="cascade"
    )
    state = fields.Selection(CONSENT_STATES, required=True, default="pending", readonly=True)
    card_id = fields.Many2one("payment.token", string="Wallet card", readonly=True)
    hub_token_id = fields.Many2one("payment.token", string="Card at the hub", readonly=True)
    card_brand = fields.Char(related="card_id.ofn_card_brand", string="Brand")
    card_last4 = fields.Char(related="card_id.payment_details", string="Last 4")
    card_exp_month = fields.Integer(related="card_id.ofn_card_exp_month", string="Exp. month")
    card_exp_year = fields.Integer(related="card_id.ofn_card_exp_year", string="Exp. year")
    setup_intent_id = fields.Char(string="SetupIntent", readonly=True)
    granted_at = fields.Datetime(readonly=True)
    revoked_at = fields.Datetime(readonly=True)
    reason = fields.Char(readonly=True, help="Why the consent failed or was revoked.")
    grant_attempts = fields.Integer(
        readonly=True,
        copy=False,
        help="How many times the consent was asked for: each attempt has its own Stripe "
        "idempotency key.",
    )

    _sql_constraints = [
        (
            "one_per_customer_and_hub",
            "UNIQUE(partner_id, company_id)",
            "A customer has one consent per hub.",
        ),
    ]
