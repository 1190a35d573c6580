from typing import TYPE_CHECKING

from odoo import fields, models

if TYPE_CHECKING:
    from stripe.params import CustomerCreateParams


class ResPartner(models.Model):
    _inherit = "res.partner"

    ofn_stripe_customer_id = fields.Char(
        string="Platform Stripe customer",
        readonly=True,
        copy=False,
        help="The customer's cus_... on the platform's Stripe account, holding the wallet cards.",
    )
    ofn_wallet_card_ids = fields.One2many(
        "payment.token",
        "partner_id",
        string="Wallet cards",
        domain=[("ofn_is_wallet_card", "=", True)],
    )
    ofn_consent_ids = fields.One2many("ofn.wallet.consent", "partner_id", string="Hub consents")
    ofn_card_setup_attempts = fields.Integer(
        readonly=True,
        copy=False,
        help="How many times the customer started saving a card: each attempt has its own "
        "Stripe idempotency key.",
    )

    def _ofn_platform_customer(self):
        """The platform Stripe Customer of the commercial partner: created on first need, then
        reused (one per customer for the whole platform)."""
        partner = self.commercial_partner_id.sudo()
        if not partner.ofn_stripe_customer_id:
            self.env.cr.execute("SELECT id FROM res_partner WHERE id = %s FOR UPDATE", [partner.id])
            partner.invalidate_recordset(["ofn_stripe_customer_id"])
        if not partner.ofn_stripe_customer_id:
            partner.ofn_stripe_customer_id = partner._ofn_create_stripe_customer()
        return partner.ofn_stripe_customer_id

    def _ofn_create_stripe_customer(self, account=None):
        """A Stripe Customer for this partner on the platform (or on the hub ``account``): one
        per partner and account, so its idempotency key is the partner's and the account's."""
        self.ensure_one()
        gateway = self.env["ofn.stripe.gateway"]
        params: CustomerCreateParams = {
            "name": self.name or "",
            "metadata": {"odoo_partner_id": str(self.id)},
        }
        if self.email:
            params["email"] = self.email
        customer = gateway.create_customer(
            params,
            account=account,
            idempotency_key=gateway.idempotency_key(f"customer-{account or 'platform'}", self.id),
        )
        return customer["id"]

    def _ofn_default_card(self):
        return self.commercial_partner_id.sudo().ofn_wallet_card_ids.filtered("ofn_is_default")[:1]

    def _ofn_consent_for(self, hub):
        """The customer's consent for ``hub`` (one per customer and hub), whatever its state;
        empty when they never allowed it."""
        partner = self.commercial_partner_id.sudo()
        return partner.ofn_consent_ids.filtered(lambda consent: consent.company_id == hub)[:1]
