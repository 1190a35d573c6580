import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)


class PaymentToken(models.Model):
    """Wallet cards (tokens of the platform provider) and their clones on hubs' accounts
    (tokens of a hub's provider pointing at the wallet card) (ARCHITECTURE.md §2, §5)."""

    _inherit = "payment.token"

    ofn_is_wallet_card = fields.Boolean(
        string="Is a wallet card", compute="_compute_ofn_is_wallet_card", store=True, index=True
    )
    ofn_wallet_card_id = fields.Many2one(
        "payment.token",
        string="Wallet card",
        index="btree_not_null",
        ondelete="set null",
        help="For a card cloned to a hub: the customer's wallet card it was cloned from.",
    )
    ofn_clone_ids = fields.One2many("payment.token", "ofn_wallet_card_id", string="Clones")
    ofn_card_brand = fields.Char(string="Brand")
    ofn_card_exp_month = fields.Integer(string="Expiry month")
    ofn_card_exp_year = fields.Integer(string="Expiry year")
    ofn_card_fingerprint = fields.Char(string="Fingerprint", index="btree_not_null")
    ofn_is_default = fields.Boolean(string="Default card")

    @api.depends("provider_id.ofn_is_platform_provider")
    def _compute_ofn_is_wallet_card(self):
        for token in self:
            token.ofn_is_wallet_card = token.provider_id.ofn_is_platform_provider

    def init(self):
        # exactly one active clone per (wallet card, hub provider), and one default card per
        # customer, even under concurrent requests
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS payment_token_ofn_one_clone_per_hub
               ON payment_token (ofn_wallet_card_id, provider_id)
               WHERE ofn_wallet_card_id IS NOT NULL AND active"""
        )
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS payment_token_ofn_one_default_card
               ON payment_token (partner_id) WHERE ofn_is_default AND active"""
        )

    @api.constrains("ofn_wallet_card_id", "provider_id", "partner_id")
    def _check_ofn_clone(self):
        for token in self.filtered("ofn_wallet_card_id"):
            if not token.provider_id.ofn_stripe_account_id:
                raise ValidationError(_("A wallet card is only cloned to a hub's Stripe provider."))
            if token.partner_id != token.ofn_wallet_card_id.partner_id:
                raise ValidationError(_("A clone belongs to the wallet card's customer."))

    @api.model
    def _get_available_tokens(self, providers_ids, partner_id, is_validation=False, **kwargs):
        """Checkout anywhere: at a hub's checkout the customer's wallet cards are offered as the
        hub's own cards, cloned to the hub's account on first need and reused after."""
        tokens = super()._get_available_tokens(
            providers_ids, partner_id, is_validation=is_validation, **kwargs
        )
        if is_validation or not partner_id:
            return tokens
        partner = self.env["res.partner"].browse(partner_id).commercial_partner_id
        return tokens | self._ofn_wallet_clones(providers_ids, partner)

    def _ofn_wallet_clones(self, providers_ids, partner):
        cards = partner.sudo().ofn_wallet_card_ids.filtered("active")
        hubs = (
            self.env["payment.provider"]
            .sudo()
            .browse(providers_ids)
            .filtered(lambda p: p.ofn_stripe_account_id.state == "connected")
        )
        clones = self.browse()
        for account in hubs.ofn_stripe_account_id:
            for card in cards:
                try:
                    with self.env.cr.savepoint():
                        clones |= self.env["ofn.card.cloner"].clone_for(card, account)
                except UserError as error:  # Stripe unreachable, card gone: the others remain
                    _logger.warning(
                        "Wallet card %s not offered at %s: %s",
                        card.id,
                        account.company_id.id,
                        error,
                    )
        return clones

    def _ofn_card_label(self):
        self.ensure_one()
        return _(
            "%(brand)s ending in %(last4)s (expires %(month)02d/%(year)s)",
            brand=(self.ofn_card_brand or _("Card")).title(),
            last4=self.payment_details or "????",
            month=self.ofn_card_exp_month or 0,
            year=self.ofn_card_exp_year or "?",
        )
