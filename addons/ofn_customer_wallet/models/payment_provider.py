from odoo import _, api, models
from odoo.exceptions import AccessError


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    @api.model
    def ofn_platform_provider(self):
        """The platform's own Stripe provider, which holds the wallet cards (created on first
        need from Odoo's Stripe provider, for the main company; never offered at checkout).
        For the platform's flows (sudo) and whoever may change providers.

        :return: the provider, as superuser
        """
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only the platform finds its own payment provider."))
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
