from odoo import fields, models


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

    def _ofn_platform_customer(self):
        """The platform Stripe Customer of the commercial partner: created on first need, then
        reused (one per customer for the whole platform)."""
        partner = self.commercial_partner_id.sudo()
        if not partner.ofn_stripe_customer_id:
            self.env.cr.execute("SELECT id FROM res_partner WHERE id = %s FOR UPDATE", [partner.id])
            partner.invalidate_recordset(["ofn_stripe_customer_id"])
        if not partner.ofn_stripe_customer_id:
            partner.ofn_stripe_customer_id = partner._ofn_create_stripe_customer(
                idempotency_key=f"ofn-customer-{self.env.cr.dbname}-{partner.id}"
            )
        return partner.ofn_stripe_customer_id

    def _ofn_create_stripe_customer(self, idempotency_key, account=None):
        """A Stripe Customer for this partner on the platform (or on the hub ``account``)."""
        self.ensure_one()
        customer = self.env["ofn.stripe.gateway"].request(
            "post",
            "/v1/customers",
            {
                "email": self.email or None,
                "name": self.name,
                "metadata": {"odoo_partner_id": self.id},
            },
            account=account,
            idempotency_key=idempotency_key,
        )
        return customer["id"]

    def _ofn_default_card(self):
        return self.commercial_partner_id.sudo().ofn_wallet_card_ids.filtered("ofn_is_default")[:1]

    def _ofn_consent_for(self, hub):
        """The customer's consent for ``hub`` (one per customer and hub), whatever its state;
        empty when they never allowed it."""
        partner = self.commercial_partner_id.sudo()
        return partner.ofn_consent_ids.filtered(lambda consent: consent.company_id == hub)[:1]
