from typing import TYPE_CHECKING

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.ofn_stripe_connect.exceptions import StripeGatewayError
from odoo.addons.ofn_stripe_connect.utils import mail_customers

from ..const import CONSENT_STATES

if TYPE_CHECKING:
    from stripe.params import SetupIntentCreateParams


class OfnWalletConsent(models.Model):
    """A customer allows a hub to charge their default card automatically (for standing
    orders). Granting it clones the card to the hub's account and confirms a SetupIntent there
    for off-session use: 3-D Secure leaves the consent waiting for the browser (Stripe.js
    ``handleNextAction`` with the returned client secret), then it is confirmed; a refusal
    leaves it off, with the bank's reason. The customer, or the hub, revokes it; deleting the
    card or choosing another default card revokes it too. The customer is told by e-mail; the
    hub sees who did what and when in the consent's chatter (its creation, the changes of the
    tracked fields after the transaction that created it, and the e-mails)."""

    _name = "ofn.wallet.consent"
    _inherit = ["mail.thread"]
    _description = "Customer's consent to automatic charges by a hub"
    _order = "company_id, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        "res.company", string="Hub", required=True, index=True, ondelete="cascade"
    )
    state = fields.Selection(
        CONSENT_STATES, required=True, default="pending", readonly=True, tracking=True
    )
    card_id = fields.Many2one("payment.token", string="Wallet card", readonly=True, tracking=True)
    hub_token_id = fields.Many2one("payment.token", string="Card at the hub", readonly=True)
    card_brand = fields.Char(related="card_id.ofn_card_brand", string="Brand")
    card_last4 = fields.Char(related="card_id.payment_details", string="Last 4")
    card_exp_month = fields.Integer(related="card_id.ofn_card_exp_month", string="Exp. month")
    card_exp_year = fields.Integer(related="card_id.ofn_card_exp_year", string="Exp. year")
    setup_intent_id = fields.Char(string="SetupIntent", readonly=True)
    granted_at = fields.Datetime(readonly=True, tracking=True)
    revoked_at = fields.Datetime(readonly=True, tracking=True)
    reason = fields.Char(
        readonly=True, tracking=True, help="Why the consent failed or was revoked."
    )
    grant_attempts = fields.Integer(
        readonly=True,
        copy=False,
        help="How many times the consent was asked for: each attempt has its own Stripe "
        "idempotency key.",
    )

    _sql_constraints = [
        (
            "one_per_customer_and_hub",
            "UNIQUE(partner_id, company_id)",
            "A customer has one consent per hub.",
        ),
    ]

    # === ACTION METHODS === #

    def action_confirm(self):
        """Route of the Wallet page, after 3-D Secure in the browser: the SetupIntent is read on
        the hub's account, and the consent follows it.

        :return: the consent's state
        :rtype: str
        """
        self.ensure_one()
        self.check_access("read")
        consent = self.sudo()
        if consent.state != "pending" or not consent.setup_intent_id:
            return consent.state
        intent = self.env["ofn.stripe.gateway"].retrieve_setup_intent(
            consent.setup_intent_id,
            account=consent.company_id.ofn_stripe_account_id.stripe_account_id,
        )
        consent._follow_setup_intent(intent)
        return consent.state

    def action_revoke(self):
        """Button of the hub's staff: their hub no longer charges the customer's card."""
        if not self.env.su and not self.env.user.has_group(
            "ofn_stripe_connect.group_ofn_hub_manager"
        ):
            raise AccessError(_("Only the hub's managers revoke a consent for the hub."))
        for consent in self:
            consent.revoke(_("revoked by %(hub)s", hub=consent.company_id.name))
        return True

    # === BUSINESS METHODS === #

    @api.model
    def grant(self, partner, hub, card=None):
        """The customer ``partner`` allows ``hub`` to charge a wallet card: their consent for
        the hub (made on first need, else asked again with the card).

        :param partner: the customer (its commercial partner is the one), the signed-in
                        customer themselves unless the platform asks (sudo)
        :param hub: the hub, a `res.company` record
        :param card: the wallet card the hub may charge (one of the customer's, active); the
                     default card when not given
        :return: ``(consent, client_secret)``; the secret is set when the bank asks for 3-D
                 Secure (the consent is then ``pending``)
        """
        partner = partner.commercial_partner_id
        if not self.env.su and partner != self.env.user.commercial_partner_id:
            raise AccessError(_("Only the customer allows a hub to charge their card."))
        partner = partner.sudo()
        if card is None:
            card = partner.ofn_default_card()
        elif card.sudo() not in partner.ofn_wallet_card_ids.filtered("active"):
            raise UserError(_("Choose one of the cards of your wallet."))
        card = card.sudo()
        if not card:
            raise UserError(_("Add a card to your wallet first."))
        account = hub.sudo().ofn_stripe_account_id
        if account.state != "connected":
            raise UserError(_("%(hub)s does not take card payments.", hub=hub.name))
        consent = partner.ofn_consent_for(hub) or self.sudo().with_context(
            mail_create_nosubscribe=True
        ).create({"partner_id": partner.id, "company_id": hub.id})
        return consent, consent._request_setup_intent(card, account)

    def revoke(self, reason):
        """The hub no longer charges the customer's card automatically: the consents still
        pending or allowed are revoked, and their customers told why.

        :param str reason: why, as the customer and the hub read it
        """
        self.check_access("read")
        revoked = self.sudo().filtered(lambda c: c.state in ("pending", "active"))
        revoked.write({"state": "revoked", "revoked_at": fields.Datetime.now(), "reason": reason})
        revoked._notify_customer("ofn_customer_wallet.mail_template_consent_revoked")

    # === PRIVATE METHODS === #

    def _request_setup_intent(self, card, account):
        """Clones ``card`` to the hub's ``account`` and confirms a SetupIntent for off-session
        use there; returns the client secret when the bank asks for 3-D Secure."""
        self.write({"card_id": card.id, "state": "pending", "reason": False})
        gateway = self.env["ofn.stripe.gateway"]
        try:
            clone = card.ofn_clone_for(account)
            self.hub_token_id = clone
            params: SetupIntentCreateParams = {
                "customer": clone.provider_ref,
                "payment_method": clone.stripe_payment_method,
                "usage": "off_session",
                "allowed_payment_method_types": ["card"],
                "confirm": True,
                "metadata": {"odoo_consent_id": str(self.id)},
            }
            intent = gateway.create_setup_intent(
                params,
                account=account.stripe_account_id,
                idempotency_key=gateway.next_attempt_key("consent", self, "grant_attempts"),
            )
        except StripeGatewayError as error:  # declined by the bank, or the hub unreachable
            self.write({"state": "failed", "reason": error.args[0]})
            return None
        self.setup_intent_id = intent["id"]
        return self._follow_setup_intent(intent)

    def _follow_setup_intent(self, intent):
        """The consent follows its SetupIntent; returns the client secret while the bank waits
        for 3-D Secure."""
        status = intent["status"]
        if status == "succeeded":
            self.write({"state": "active", "granted_at": fields.Datetime.now(), "reason": False})
            self._notify_customer("ofn_customer_wallet.mail_template_consent_granted")
        elif status == "requires_action":
            return intent["client_secret"]
        else:
            error = (intent.get("last_setup_error") or {}).get("message")
            self.write({"state": "failed", "reason": error or _("The bank refused the card.")})
        return None

    def _notify_customer(self, template_xmlid):
        """E-mails the customers of these consents, from their hub (in the customer's
        language, queued for Odoo's mail queue), and keeps the message in the consent's
        chatter, where the hub sees what the customer was told and when."""
        mail_customers(self, template_xmlid)
