from odoo import fields, models

from ..platform_settings import get_setting


def _default_method(_records):
    return "oauth" if get_setting("OFN_STRIPE_CLIENT_ID") else "account_link"


class OfnStripeConnectWizard(models.TransientModel):
    """The step before leaving for Stripe: what connecting means for the hub."""

    _name = "ofn.stripe.connect.wizard"
    _description = "Connect a hub to Stripe"

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    method = fields.Selection(
        [
            ("oauth", "Connect my existing Stripe account"),
            ("account_link", "Create a new Stripe account"),
        ],
        required=True,
        default=_default_method,
    )
    oauth_available = fields.Boolean(
        default=lambda self: bool(get_setting("OFN_STRIPE_CLIENT_ID")), readonly=True
    )

    def action_go_to_stripe(self):
        self.ensure_one()
        self.company_id.ofn_check_stripe_manager()
        query = "?method=account_link" if self.method == "account_link" else ""
        return {
            "type": "ir.actions.act_url",
            "url": f"/ofn/stripe/connect/{self.company_id.id}{query}",
            "target": "self",
        }
