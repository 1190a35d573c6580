from typing import TYPE_CHECKING

from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

if TYPE_CHECKING:
    from stripe.params import SetupIntentCreateParams


class OfnWalletCardSaver(models.AbstractModel):
    """Saves a card to a customer's wallet: a SetupIntent for off-session use on the platform
    account, confirmed by Stripe.js in the customer's browser (the server only ever sees the
    ``pm_`` id), then stored as a wallet card (a token of the platform provider)."""

    _name = "ofn.wallet.card.saver"
    _description = "Save a card to a customer's wallet"

    @api.model
    def start(self, partner):
        """Create the SetupIntent; returns what Stripe.js needs (client secret, publishable key)."""
        partner = partner.commercial_partner_id
        customer = partner._ofn_platform_customer()
        gateway = self.env["ofn.stripe.gateway"]
        params: SetupIntentCreateParams = {
            "customer": customer,
            "usage": "off_session",
            "allowed_payment_method_types": ["card"],
            "metadata": {"odoo_partner_id": str(partner.id)},
        }
        intent = gateway.create_setup_intent(
            params,
            idempotency_key=gateway.next_attempt_key(
                "wallet-card", partner, "ofn_card_setup_attempts"
            ),
        )
        return {"setup_intent": intent["id"], "client_secret": intent["client_secret"]}

    @api.model
    def finish(self, partner, setup_intent_id):
        """Store the card of a succeeded SetupIntent of ``partner``; returns the wallet card."""
        partner = partner.commercial_partner_id
        gateway = self.env["ofn.stripe.gateway"]
        intent = gateway.retrieve_setup_intent(setup_intent_id)
        if intent.get("customer") != partner.sudo().ofn_stripe_customer_id:
            raise AccessError(_("This card setup belongs to another customer."))
        if intent["status"] != "succeeded":
            error = (intent.get("last_setup_error") or {}).get("message")
            raise UserError(error or _("The card was not confirmed: it was not saved."))
        method = gateway.retrieve_payment_method(intent["payment_method"])
        Token = self.env["payment.token"].sudo()
        card = Token.search([("stripe_payment_method", "=", method["id"])], limit=1)
        if card:
            return card
        details = method.get("card") or {}
        card = Token.create(
            {
                "provider_id": self.env["payment.provider"]._ofn_platform_provider().id,
                "payment_method_id": self.env.ref("payment.payment_method_card").id,
                "partner_id": partner.id,
                "provider_ref": intent["customer"],
                "stripe_payment_method": method["id"],
                "payment_details": details.get("last4"),
                "ofn_card_brand": details.get("brand"),
                "ofn_card_exp_month": details.get("exp_month"),
                "ofn_card_exp_year": details.get("exp_year"),
                "ofn_card_fingerprint": details.get("fingerprint"),
            }
        )
        if not partner._ofn_default_card():
            card.ofn_is_default = True
        return card
