"""The customer's Wallet page (/my/wallet): cards, hub consents, credit (ARCHITECTURE.md §3
routes)."""

from werkzeug.exceptions import NotFound
from werkzeug.urls import url_encode

from odoo import _, http
from odoo.exceptions import UserError
from odoo.http import request

from odoo.addons.ofn_stripe_connect.platform_settings import get_setting
from odoo.addons.ofn_stripe_connect.utils import format_local_time
from odoo.addons.portal.controllers.portal import CustomerPortal


class WalletPortal(CustomerPortal):
    # ------------------------------------------------------------------ page
    @http.route("/my/wallet", type="http", auth="user", methods=["GET"], website=True)
    def wallet(self, message=None, error=None, **kwargs):
        partner = self._customer()
        values = self._prepare_portal_layout_values()
        values.update(self._wallet_values(partner, message=message, error=error))
        return request.render("ofn_customer_wallet.portal_my_wallet", values)

    def _wallet_values(self, partner, message=None, error=None, pending=None):
        partner_sudo = partner.sudo()
        hubs = (
            request.env["ofn.stripe.account"]
            .sudo()
            .search([("state", "=", "connected")])
            .company_id
        )
        consents = partner_sudo.ofn_consent_ids
        return {
            "page_name": "ofn_wallet",
            "cards": partner_sudo.ofn_wallet_card_ids.filtered("active"),
            "hubs": hubs,
            "consent_of": {c.company_id.id: c for c in consents},
            "balances": partner_sudo.ofn_hub_balances(),
            # the cards that expire before their next charge: when, in the customer's time
            "expiring": {
                card.id: {
                    "when": format_local_time(request.env, when, tz=partner_sudo.tz),
                    "hub": hub,
                }
                for card, (when, hub) in partner_sudo.ofn_cards_expiring_before_use().items()
            },
            "awaiting": request.env["payment.transaction"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", partner.id),
                    ("ofn_requires_authentication", "=", True),
                    ("state", "=", "pending"),
                ]
            ),
            "credit_history": request.env["ofn.wallet.transaction"]
            .sudo()
            .search([("partner_id", "=", partner.id)], limit=50),
            "message": message,
            "error": error,
            "pending": pending,
            "stripe_js_url": get_setting("OFN_STRIPE_JS_URL"),
            "publishable_key": get_setting("OFN_STRIPE_PUBLISHABLE_KEY"),
        }

    # ------------------------------------------------------------------ cards
    @http.route("/my/wallet/cards/setup", type="json", auth="user", methods=["POST"])
    def card_setup(self):
        """A SetupIntent on the platform for Stripe.js to confirm with the entered card."""
        return self._customer().action_ofn_start_card_setup()

    @http.route("/my/wallet/cards/saved", type="http", auth="user", methods=["GET"])
    def card_saved(self, setup_intent=None, return_url=None, **kwargs):
        """Stripe.js comes back here after ``confirmSetup``; then back to the Wallet, or to the
        checkout the card was entered on (``return_url``, a path of this site only)."""
        try:
            self._customer().action_ofn_save_card(setup_intent or "")
        except UserError as failure:
            return self._back(error=failure.args[0])
        if return_url and return_url.startswith("/") and not return_url.startswith("//"):
            return request.redirect(return_url)
        return self._back(message=_("Your card was saved to your wallet."))

    @http.route("/my/wallet/cards/<int:card_id>/delete", type="http", auth="user", methods=["POST"])
    def card_delete(self, card_id, **kwargs):
        card = self._own_card(card_id)
        return self._back(message=card.action_ofn_remove_from_wallet())

    @http.route(
        "/my/wallet/cards/<int:card_id>/default", type="http", auth="user", methods=["POST"]
    )
    def card_default(self, card_id, **kwargs):
        card = self._own_card(card_id)
        return self._back(message=card.action_ofn_make_default())

    # ------------------------------------------------------------------ consents
    @http.route(
        "/my/wallet/consents/<int:hub_id>/grant",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def consent_grant(self, hub_id, **kwargs):
        partner = self._customer()
        hub = request.env["res.company"].sudo().browse(hub_id).exists()
        if not hub or hub.ofn_stripe_account_id.state != "connected":
            raise NotFound()
        try:
            consent, client_secret = request.env["ofn.wallet.consent"].grant(partner, hub)
        except UserError as failure:
            return self._back(error=failure.args[0])
        if client_secret:  # 3-D Secure: the page continues in the browser
            values = self._prepare_portal_layout_values()
            pending = {
                "consent": consent,
                "client_secret": client_secret,
                "stripe_account": hub.ofn_stripe_account_id.stripe_account_id,
            }
            values.update(self._wallet_values(partner, pending=pending))
            return request.render("ofn_customer_wallet.portal_my_wallet", values)
        if consent.state == "active":
            return self._back(message=_("%(hub)s may now charge your card.", hub=hub.name))
        return self._back(error=consent.reason)

    @http.route(
        "/my/wallet/consents/<int:consent_id>/confirm", type="json", auth="user", methods=["POST"]
    )
    def consent_confirm(self, consent_id):
        """After 3-D Secure in the browser: the consent's final state."""
        consent = self._own_consent(consent_id)
        state = consent.action_confirm()
        return {"state": state, "reason": consent.sudo().reason or ""}

    @http.route(
        "/my/wallet/consents/<int:consent_id>/revoke", type="http", auth="user", methods=["POST"]
    )
    def consent_revoke(self, consent_id, **kwargs):
        consent = self._own_consent(consent_id)
        consent.revoke(_("revoked by the customer"))
        return self._back(
            message=_(
                "%(hub)s can no longer charge your card automatically.",
                hub=consent.sudo().company_id.name,
            )
        )

    # ------------------------------------------------------------------ 3-D Secure
    @http.route(
        "/my/wallet/authenticate/<int:tx_id>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def authenticate(self, tx_id, access_token=None, **kwargs):
        """Complete 3-D Secure for one payment awaiting it (the link of the customer's email)."""
        tx = self._awaiting(tx_id, access_token)
        intent = tx.ofn_payment_intent()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "ofn_wallet",
                "tx": tx,
                "access_token": access_token,
                "client_secret": intent.get("client_secret"),
                "stripe_account": tx.provider_id.ofn_stripe_account_id.stripe_account_id,
                "stripe_js_url": get_setting("OFN_STRIPE_JS_URL"),
                "publishable_key": get_setting("OFN_STRIPE_PUBLISHABLE_KEY"),
            }
        )
        return request.render("ofn_customer_wallet.portal_wallet_authenticate", values)

    @http.route(
        "/my/wallet/authenticate/<int:tx_id>/done", type="json", auth="public", methods=["POST"]
    )
    def authenticate_done(self, tx_id, access_token=None):
        tx = self._awaiting(tx_id, access_token)
        state = tx.action_ofn_complete_authentication()
        return {"state": state, "message": tx.state_message or ""}

    def _awaiting(self, tx_id, access_token):
        tx = request.env["payment.transaction"].sudo().browse(tx_id).exists()
        if not tx or not tx.ofn_check_authentication_token(access_token):
            raise NotFound()
        if not tx.ofn_requires_authentication:
            raise NotFound()
        return tx

    # ------------------------------------------------------------------ ownership
    def _customer(self):
        return request.env.user.partner_id.commercial_partner_id

    def _own_card(self, card_id):
        """A card of the logged-in customer's wallet, else 404 (never reveal others' cards)."""
        card = request.env["payment.token"].sudo().browse(card_id).exists()
        if not card or not card.ofn_is_wallet_card or card.partner_id != self._customer():
            raise NotFound()
        return card

    def _own_consent(self, consent_id):
        consent = request.env["ofn.wallet.consent"].sudo().browse(consent_id).exists()
        if not consent or consent.partner_id != self._customer():
            raise NotFound()
        return consent

    def _back(self, message=None, error=None):
        query = {k: v for k, v in (("message", message), ("error", error)) if v}
        return request.redirect("/my/wallet" + ("?" + url_encode(query) if query else ""))
