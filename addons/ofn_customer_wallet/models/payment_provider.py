from odoo import _, api, models


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    @api.model
    def _ofn_platform_provider(self):
        """The platform's own Stripe provider, which holds the wallet cards (created on first
        need from Odoo's Stripe provider, for the main company; never offered at checkout)."""
        provider = self.sudo().search([("ofn_is_platform_provider", "=", True)], limit=1)
        if not provider:
            template = self.env.ref("payment.payment_provider_stripe").sudo()
            provider = template.copy(
                {
                    "name": _("Stripe (platform wallet)"),
                    "company_id": self.env.ref("base.main_company").id,
                    "state": "disabled",
                    "is_published": False,
                    "ofn_is_platform_provider": True,
                    "stripe_publishable_key": False,
                    "stripe_secret_key": False,
                    "stripe_webhook_secret": False,
                }
            )
        return provider
