import logging

from odoo import _, api, models

from odoo.addons.ofn_stripe_connect.exceptions import StripeGatewayError

_logger = logging.getLogger(__name__)


class OfnWalletCardRemover(models.AbstractModel):
    """Deleting a wallet card, or choosing another default, as OFN does: the consents that
    relied on the card are revoked (and its clones archived when it is deleted). Returns what
    that means for the customer, to show them."""

    _name = "ofn.wallet.card.remover"
    _description = "Delete a wallet card or change the default card"

    @api.model
    def remove(self, card):
        card = card.sudo()
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
        hubs = self._revoke_consents(card, _("card deleted"))
        was_default = card.ofn_is_default
        (card | card.ofn_clone_ids).write({"active": False, "ofn_is_default": False})
        if was_default:
            others = card.partner_id.ofn_wallet_card_ids.filtered("active")
            others[:1].ofn_is_default = True
        return self._message(_("Your card was deleted."), hubs)

    @api.model
    def set_default(self, card):
        card = card.sudo()
        previous = card.partner_id._ofn_default_card()
        if previous == card:
            return _("This card is already your default card.")
        hubs = self._revoke_consents(previous, _("default card changed"))
        previous.ofn_is_default = False
        card.ofn_is_default = True
        return self._message(_("This card is now your default card."), hubs)

    def _revoke_consents(self, card, reason):
        consents = (
            self.env["ofn.wallet.consent"]
            .sudo()
            .search([("card_id", "in", card.ids), ("state", "in", ("pending", "active"))])
        )
        self.env["ofn.consent.granter"].revoke(consents, reason)
        return consents.company_id

    def _message(self, done, hubs):
        if not hubs:
            return done
        return _(
            "%(done)s %(hubs)s can no longer charge your card automatically: allow them again "
            "with your default card if you want your standing orders paid.",
            done=done,
            hubs=", ".join(hubs.mapped("name")),
        )
