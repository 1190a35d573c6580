from odoo import _, api, models
from odoo.exceptions import ValidationError


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    @api.constrains("token_id", "provider_id")
    def _check_ofn_token_of_the_same_hub(self):
        """A card saved on one hub's Stripe account is charged through that hub's provider only:
        a charge can never go through another hub's account."""
        for tx in self.filtered("token_id"):
            if tx.token_id.provider_id != tx.provider_id and (
                tx.provider_id.ofn_stripe_account_id
                or tx.token_id.provider_id.ofn_stripe_account_id
            ):
                raise ValidationError(
                    _(
                        "This card is saved for %(token_hub)s: it cannot be charged by %(hub)s.",
                        token_hub=tx.token_id.provider_id.company_id.name,
                        hub=tx.provider_id.company_id.name,
                    )
                )

    def _stripe_prepare_payment_intent_payload(self):
        """A charge on a hub's account carries the platform's application fee, when one is set."""
        payload = super()._stripe_prepare_payment_intent_payload()
        account = self.provider_id.sudo().ofn_stripe_account_id
        if account:
            fee = account._application_fee_minor(self.amount, self.currency_id)
            if fee:
                payload["application_fee_amount"] = fee
        return payload
