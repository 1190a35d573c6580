import logging

from odoo import _, api, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class OfnCardCloner(models.AbstractModel):
    """Gives a hub's token for a wallet card, as OFN's ``CreditCardCloner``: the clone made for
    that hub before (also found by the card's fingerprint on the hub's account), or a new one:
    the platform's PaymentMethod is cloned to the hub's account and attached to the customer's
    customer there (created or reused). Exactly one clone per (card, hub), even when two
    requests ask at once: the first one writes the wallet card's row, so the second waits and
    then fails with a serialization error, which Odoo retries (requests, crons: see
    ``odoo.service.model.retrying``); the retry finds the clone."""

    _name = "ofn.card.cloner"
    _description = "Clone a wallet card to a hub"

    @api.model
    def clone_for(self, card, hub_account):
        card, hub_account = card.sudo(), hub_account.sudo()
        if not card.ofn_is_wallet_card or not card.active:
            raise UserError(_("This card is no longer in the customer's wallet."))
        provider = hub_account.provider_id
        if hub_account.state != "connected" or not provider:
            raise UserError(
                _("%(hub)s is not connected to Stripe.", hub=hub_account.company_id.name)
            )
        clone = self._existing_clone(card, provider)
        if clone:  # the common case (every checkout of the hub): no lock, no Stripe call
            return clone
        self.env["payment.token"].flush_model()
        self.env.cr.execute(
            "UPDATE payment_token SET write_date = (now() AT TIME ZONE 'UTC') WHERE id = %s",
            [card.id],
        )
        clone = self._existing_clone(card, provider)  # made meanwhile in this transaction?
        if clone:
            return clone
        gateway = self.env["ofn.stripe.gateway"]
        account = hub_account.stripe_account_id
        customer = self._hub_customer(card, provider, account)
        method = self._find_by_fingerprint(card, customer, account)
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

    def _existing_clone(self, card, provider):
        card.invalidate_recordset(["ofn_clone_ids"])
        return card.ofn_clone_ids.filtered(lambda c: c.active and c.provider_id == provider)[:1]

    def _hub_customer(self, card, provider, account):
        """The customer's Customer on the hub's account: the one of an earlier clone, or new."""
        earlier = (
            self.env["payment.token"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("provider_id", "=", provider.id),
                    ("partner_id", "=", card.partner_id.id),
                    ("ofn_wallet_card_id", "!=", False),
                ],
                limit=1,
            )
        )
        if earlier:
            return earlier.provider_ref
        return card.partner_id._ofn_create_stripe_customer(account=account)

    def _find_by_fingerprint(self, card, customer, account):
        """A card with the same fingerprint already attached to the customer on the hub."""
        if not card.ofn_card_fingerprint:
            return None
        methods = self.env["ofn.stripe.gateway"].list_customer_payment_methods(
            customer, {"type": "card", "limit": 100}, account=account
        )
        for method in methods.get("data", []):
            if (method.get("card") or {}).get("fingerprint") == card.ofn_card_fingerprint:
                return method
        return None
