from typing import TYPE_CHECKING

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.ofn_stripe_connect.exceptions import StripeGatewayError

if TYPE_CHECKING:
    from stripe.params import SetupIntentCreateParams


class OfnConsentGranter(models.AbstractModel):
    """Grants (and revokes) a customer's consent to automatic charges by a hub: the default
    wallet card is cloned to the hub, then a SetupIntent for off-session use is confirmed on the
    hub's account. 3-D Secure leaves the consent waiting for the browser (Stripe.js
    ``handleNextAction`` with the returned client secret); a refusal leaves it off, with the
    bank's reason."""

    _name = "ofn.consent.granter"
    _description = "Grant a hub consent to charge the customer's card"

    @api.model
    def grant(self, partner, hub):
        """Returns ``(consent, client_secret)``; the secret is set when the bank asks for 3-D
        Secure (the consent is then ``pending``)."""
        partner = partner.commercial_partner_id.sudo()
        card = partner._ofn_default_card()
        if not card:
            raise UserError(_("Add a card to your wallet first."))
        account = hub.sudo().ofn_stripe_account_id
        if account.state != "connected":
            raise UserError(_("%(hub)s does not take card payments.", hub=hub.name))
        consent = self._consent(partner, hub)
        consent.write({"card_id": card.id, "state": "pending", "reason": False})
        gateway = self.env["ofn.stripe.gateway"]
        try:
            clone = self.env["ofn.card.cloner"].clone_for(card, account)
            consent.hub_token_id = clone
            params: SetupIntentCreateParams = {
                "customer": clone.provider_ref,
                "payment_method": clone.stripe_payment_method,
                "usage": "off_session",
                "allowed_payment_method_types": ["card"],
                "confirm": True,
                "metadata": {"odoo_consent_id": str(consent.id)},
            }
            intent = gateway.create_setup_intent(
                params,
                account=account.stripe_account_id,
                idempotency_key=gateway.next_attempt_key("consent", consent, "grant_attempts"),
            )
        except StripeGatewayError as error:  # declined by the bank, or the hub unreachable
            consent.write({"state": "failed", "reason": error.args[0]})
            return consent, None
        consent.setup_intent_id = intent["id"]
        return consent, self._follow(consent, intent)

    @api.model
    def confirm(self, consent):
        """After 3-D Secure in the browser: read the SetupIntent on the hub's account."""
        consent = consent.sudo()
        if consent.state != "pending" or not consent.setup_intent_id:
            return consent.state
        intent = self.env["ofn.stripe.gateway"].retrieve_setup_intent(
            consent.setup_intent_id,
            account=consent.company_id.sudo().ofn_stripe_account_id.stripe_account_id,
        )
        self._follow(consent, intent)
        return consent.state

    @api.model
    def revoke(self, consents, reason):
        consents.sudo().filtered(lambda c: c.state in ("pending", "active")).write(
            {"state": "revoked", "revoked_at": fields.Datetime.now(), "reason": reason}
        )

    def _consent(self, partner, hub):
        return partner._ofn_consent_for(hub) or self.env["ofn.wallet.consent"].sudo().create(
            {"partner_id": partner.id, "company_id": hub.id}
        )

    def _follow(self, consent, intent):
        status = intent["status"]
        if status == "succeeded":
            consent.write({"state": "active", "granted_at": fields.Datetime.now(), "reason": False})
        elif status == "requires_action":
            return intent["client_secret"]
        else:
            error = (intent.get("last_setup_error") or {}).get("message")
            consent.write({"state": "failed", "reason": error or _("The bank refused the card.")})
        return None
