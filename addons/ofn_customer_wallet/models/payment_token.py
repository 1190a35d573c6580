import logging
from datetime import datetime

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.ofn_stripe_connect.exceptions import StripeGatewayError

_logger = logging.getLogger(__name__)


class PaymentToken(models.Model):
    """Wallet cards (tokens of the platform provider) and their clones on hubs' accounts
    (tokens of a hub's provider pointing at the wallet card) (ARCHITECTURE.md §2, §5).

    A wallet card clones itself for a hub, is deleted from the wallet, or becomes the default
    card, as OFN's ``CreditCardCloner`` and ``CreditCardRemover`` do."""

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

    # === ACTION METHODS === #

    def action_ofn_remove_from_wallet(self):
        """Route of the Wallet page: the card leaves the customer's wallet, as OFN does. It is
        detached on the platform and its clones on the hubs' accounts, the clones archived, and
        the consents that relied on it revoked; another card becomes the default.

        :return: what that means for the customer, to show them
        :rtype: str
        """
        self.ensure_one()
        card = self._ofn_check_own_wallet_card()
        gateway = self.env["ofn.stripe.gateway"]
        try:
            gateway.detach_payment_method(card.stripe_payment_method)
        except StripeGatewayError as error:
            if error.http_status != 404 and error.code != "resource_missing":
                raise
        for clone in card.ofn_clone_ids.filtered("active"):
            account = clone.provider_id.ofn_stripe_account_id
            try:
                gateway.detach_payment_method(
                    clone.stripe_payment_method, account=account.stripe_account_id
                )
            except StripeGatewayError as error:
                # the hub disconnected, or the card is already gone there: archived anyway
                _logger.info("Clone %s not detached on Stripe: %s", clone.id, error.code)
        hubs = card._ofn_revoke_consents(_("card deleted"))
        was_default = card.ofn_is_default
        (card | card.ofn_clone_ids).write({"active": False, "ofn_is_default": False})
        if was_default:
            others = card.partner_id.ofn_wallet_card_ids.filtered("active")
            others[:1].ofn_is_default = True
        return self._ofn_wallet_message(_("Your card was deleted."), hubs)

    def action_ofn_make_default(self):
        """Route of the Wallet page: the card becomes the customer's default card. The consents
        that relied on the previous default are revoked, as OFN does.

        :return: what that means for the customer, to show them
        :rtype: str
        """
        self.ensure_one()
        card = self._ofn_check_own_wallet_card()
        previous = card.partner_id.ofn_default_card()
        if previous == card:
            return _("This card is already your default card.")
        hubs = previous._ofn_revoke_consents(_("default card changed"))
        previous.ofn_is_default = False
        card.ofn_is_default = True
        return self._ofn_wallet_message(_("This card is now your default card."), hubs)

    # === BUSINESS METHODS === #

    def ofn_clone_for(self, hub_account):
        """The hub's token for this wallet card: the clone made for that hub before (also found
        by the card's fingerprint on the hub's account), or a new one: the platform's
        PaymentMethod is cloned to the hub's account and attached to the customer's customer
        there (created or reused). Exactly one clone per (card, hub), even when two requests ask
        at once: the first one writes the wallet card's row, so the second waits and then fails
        with a serialization error, which Odoo retries (requests, crons: see
        ``odoo.service.model.retrying``); the retry finds the clone.

        :param hub_account: the hub's `ofn.stripe.account`
        :return: the clone, as superuser
        :rtype: recordset of `payment.token`
        """
        self.ensure_one()
        self.check_access("read")
        card, hub_account = self.sudo(), hub_account.sudo()
        if not card.ofn_is_wallet_card or not card.active:
            raise UserError(_("This card is no longer in the customer's wallet."))
        provider = hub_account.provider_id
        if hub_account.state != "connected" or not provider:
            raise UserError(
                _("%(hub)s is not connected to Stripe.", hub=hub_account.company_id.name)
            )
        clone = card._ofn_existing_clone(provider)
        if clone:  # the common case (every checkout of the hub): no lock, no Stripe call
            return clone
        self.env["payment.token"].flush_model()
        self.env.cr.execute(
            "UPDATE payment_token SET write_date = (now() AT TIME ZONE 'UTC') WHERE id = %s",
            [card.id],
        )
        clone = card._ofn_existing_clone(provider)  # made meanwhile in this transaction?
        if clone:
            return clone
        gateway = self.env["ofn.stripe.gateway"]
        account = hub_account.stripe_account_id
        customer = card._ofn_hub_customer(provider, account)
        method = card._ofn_find_by_fingerprint(customer, account)
        if not method:
            # one clone per wallet card and hub account: the key is theirs
            method = gateway.create_payment_method(
                {"customer": card.provider_ref, "payment_method": card.stripe_payment_method},
                account=account,
                idempotency_key=gateway.idempotency_key(f"card-clone-{account}", card.id),
            )
            method = gateway.attach_payment_method(
                method["id"],
                {"customer": customer},
                account=account,
                idempotency_key=gateway.idempotency_key(f"card-clone-attach-{account}", card.id),
            )
        _logger.info("Wallet card %s cloned to Stripe account %s", card.id, account)
        return (
            self.env["payment.token"]
            .sudo()
            .create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": card.payment_method_id.id,
                    "partner_id": card.partner_id.id,
                    "provider_ref": customer,
                    "stripe_payment_method": method["id"],
                    "payment_details": card.payment_details,
                    "ofn_wallet_card_id": card.id,
                    "ofn_card_brand": card.ofn_card_brand,
                    "ofn_card_exp_month": card.ofn_card_exp_month,
                    "ofn_card_exp_year": card.ofn_card_exp_year,
                    "ofn_card_fingerprint": card.ofn_card_fingerprint,
                }
            )
        )

    def ofn_card_expires_before(self, moment):
        """Whether the card can no longer be charged at ``moment`` (naive UTC): a card is valid
        through the last day of its expiry month. A card without an expiry date never expires.

        :param datetime moment: when the card would be charged
        :rtype: bool
        """
        self.ensure_one()
        year, month = self.ofn_card_exp_year, self.ofn_card_exp_month
        if not year or not month or not moment:
            return False
        first_invalid_day = datetime(year + month // 12, month % 12 + 1, 1)
        return first_invalid_day <= moment

    # === OVERRIDES === #

    @api.model
    def _get_available_tokens(self, providers_ids, partner_id, is_validation=False, **kwargs):
        """Checkout anywhere: at a hub's checkout the customer's wallet cards are offered as the
        hub's own cards, cloned to the hub's account on first need and reused after.

        Override of `payment`."""
        tokens = super()._get_available_tokens(
            providers_ids, partner_id, is_validation=is_validation, **kwargs
        )
        if is_validation or not partner_id:
            return tokens
        partner = self.env["res.partner"].browse(partner_id).commercial_partner_id
        return tokens | self._ofn_wallet_clones(providers_ids, partner)

    # === PRIVATE METHODS === #

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
                        clones |= card.ofn_clone_for(account)
                except UserError as error:  # Stripe unreachable, card gone: the others remain
                    _logger.warning(
                        "Wallet card %s not offered at %s: %s",
                        card.id,
                        account.company_id.id,
                        error,
                    )
        return clones

    def _ofn_check_own_wallet_card(self):
        """The wallet card itself (as superuser), when it is one of the signed-in customer's
        (or the platform's flows ask: sudo)."""
        card = self.sudo()
        if not card.ofn_is_wallet_card:
            raise UserError(_("This is not a card of a customer's wallet."))
        if not self.env.su and card.partner_id != self.env.user.commercial_partner_id:
            raise AccessError(_("Only the customer changes their own wallet."))
        return card

    def _ofn_existing_clone(self, provider):
        self.invalidate_recordset(["ofn_clone_ids"])
        return self.ofn_clone_ids.filtered(lambda c: c.active and c.provider_id == provider)[:1]

    def _ofn_hub_customer(self, provider, account):
        """The customer's Customer on the hub's account: the one of an earlier clone, or new."""
        earlier = self.with_context(active_test=False).search(
            [
                ("provider_id", "=", provider.id),
                ("partner_id", "=", self.partner_id.id),
                ("ofn_wallet_card_id", "!=", False),
            ],
            limit=1,
        )
        if earlier:
            return earlier.provider_ref
        return self.partner_id.ofn_create_stripe_customer(account=account)

    def _ofn_find_by_fingerprint(self, customer, account):
        """A card with the same fingerprint already attached to the customer on the hub."""
        if not self.ofn_card_fingerprint:
            return None
        methods = self.env["ofn.stripe.gateway"].list_customer_payment_methods(
            customer, {"type": "card", "limit": 100}, account=account
        )
        for method in methods.get("data", []):
            if (method.get("card") or {}).get("fingerprint") == self.ofn_card_fingerprint:
                return method
        return None

    def _ofn_revoke_consents(self, reason):
        """Revokes the consents that rely on these cards; returns their hubs."""
        consents = (
            self.env["ofn.wallet.consent"]
            .sudo()
            .search([("card_id", "in", self.ids), ("state", "in", ("pending", "active"))])
        )
        consents.revoke(reason)
        return consents.company_id

    def _ofn_wallet_message(self, done, hubs):
        if not hubs:
            return done
        return _(
            "%(done)s %(hubs)s can no longer charge your card automatically: allow them again "
            "with your default card if you want your standing orders paid.",
            done=done,
            hubs=", ".join(hubs.mapped("name")),
        )
