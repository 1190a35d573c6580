from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _stripe_prepare_payment_intent_payload(self):
        """A charge on a hub's account carries the platform's application fee, when one is set."""
        payload = super()._stripe_prepare_payment_intent_payload()
        account = self.provider_id.sudo().ofn_stripe_account_id
        if account:
            fee = account._application_fee_minor(self.amount, self.currency_id)
            if fee:
                payload["application_fee_amount"] = fee
        return payload
