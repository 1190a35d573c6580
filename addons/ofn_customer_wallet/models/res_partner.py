from typing import TYPE_CHECKING

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

if TYPE_CHECKING:
    from stripe.params import CustomerCreateParams, SetupIntentCreateParams


class ResPartner(models.Model):
    """A customer's wallet: the cards saved once on the platform, the hubs allowed to charge
    them, and their credit with the hubs."""

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
    ofn_credit = fields.Monetary(
        string="Credit",
        compute="_compute_ofn_credit",
        currency_field="currency_id",
        groups="ofn_stripe_connect.group_ofn_hub_manager",
        help="The customer's credit with the current hub.",
    )

    # === COMPUTE METHODS === #

    @api.depends_context("company")
    def _compute_ofn_credit(self):
        heads = self.env["ofn.credit.balance"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        balances = {head.partner_id: head.balance for head in heads}
        for partner in self:
            partner.ofn_credit = balances.get(partner.commercial_partner_id, 0.0)

    # === ACTION METHODS === #

    def action_ofn_start_card_setup(self):
        """Route of the Wallet page: starts saving a card to the customer's wallet, a SetupIntent
        for off-session use on the platform account, confirmed by Stripe.js in the customer's
        browser (the server only ever sees the ``pm_`` id).

        :return: what Stripe.js needs: ``setup_intent`` (its id) and ``client_secret``
        :rtype: dict
        """
        self._ofn_check_own_wallet()
        partner = self.commercial_partner_id
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

    def action_ofn_save_card(self, setup_intent_id):
        """Route of the Wallet page, once Stripe.js confirmed the SetupIntent: the card is stored
        as a wallet card (a token of the platform provider); the first one is the default.

        :param str setup_intent_id: the ``seti_`` id of :meth:`action_ofn_start_card_setup`
        :return: the wallet card
        :rtype: recordset of `payment.token`
        """
        self._ofn_check_own_wallet()
        partner = self.commercial_partner_id
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
                "provider_id": self.env["payment.provider"].sudo().ofn_platform_provider().id,
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
        if not partner.ofn_default_card():
            card.ofn_is_default = True
        return card

    def action_ofn_open_credit(self):
        """Smart button: the customer's credit with each hub the user works for."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ofn_customer_wallet.ofn_credit_balance_action"
        )
        partner = self.commercial_partner_id
        action["domain"] = [("partner_id", "=", partner.id)]
        action["context"] = {"default_partner_id": partner.id}
        return action

    # === BUSINESS METHODS === #

    def ofn_default_card(self):
        """The customer's default wallet card (of the commercial partner), read as superuser:
        for the signed-in customer themselves, or for the platform's own flows (sudo).

        :return: the card, or an empty recordset
        :rtype: recordset of `payment.token`
        """
        self._ofn_check_own_wallet()
        return self.commercial_partner_id.sudo().ofn_wallet_card_ids.filtered("ofn_is_default")[:1]

    def ofn_consent_for(self, hub):
        """The customer's consent for ``hub`` (one per customer and hub), whatever its state;
        empty when they never allowed it. Found as superuser, given to whoever may read it (the
        customer, the hub's staff, the platform's flows).

        :param hub: the hub, a `res.company` record
        :return: the consent (as superuser), or an empty recordset
        """
        partner = self.commercial_partner_id.sudo()
        consent = partner.ofn_consent_ids.filtered(lambda consent: consent.company_id == hub)[:1]
        consent.with_env(self.env).check_access("read")
        return consent

    def ofn_create_stripe_customer(self, account=None):
        """A Stripe Customer for this partner on the platform (or on the hub ``account``): one
        per partner and account, so its idempotency key is the partner's and the account's.
        Only for the platform's own flows (sudo).

        :param str account: the hub's ``acct_`` id, or None for the platform
        :return: the ``cus_`` id
        """
        self.ensure_one()
        if not self.env.su:
            raise AccessError(_("Only the platform creates Stripe customers."))
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

    def ofn_hub_balances(self):
        """Per hub the customer deals with: their credit there and what they owe it (open
        receivable items of posted entries: invoices less payments and credit notes; negative
        when the hub owes them), for the portal's Wallet page. Reads as superuser: for the
        signed-in customer's own partner, or the platform's own flows (sudo).

        :return: a list, by hub name, of dicts ``hub`` (``res.company``), ``currency``,
                 ``credit``, ``owed``
        """
        self._ofn_check_own_wallet()
        partner = self.commercial_partner_id
        credits = {
            head.company_id: head.balance
            for head in self.env["ofn.credit.balance"]
            .sudo()
            .search([("partner_id", "=", partner.id)])
        }
        owed = dict(
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "=", partner.id),
                    ("account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                ],
                groupby=["company_id"],
                aggregates=["amount_residual:sum"],
            )
        )
        return [
            {
                "hub": hub,
                "currency": hub.currency_id,
                "credit": credits.get(hub, 0.0),
                "owed": hub.currency_id.round(owed.get(hub, 0.0)),
            }
            for hub in sorted(set(credits) | set(owed), key=lambda hub: hub.name)
        ]

    def ofn_cards_expiring_before_use(self):
        """The customer's wallet cards that expire before a hub charges them next, for the
        Wallet page to flag. The wallet alone charges no card later: the addons that do (standing
        orders) say when. For the signed-in customer's own partner, or the platform's own flows
        (sudo).

        :return: ``{wallet card: (when, hub)}``: the next charge (naive UTC) and its hub
        :rtype: dict
        """
        self._ofn_check_own_wallet()
        return {}

    # === PRIVATE METHODS === #

    def _ofn_check_own_wallet(self):
        """A wallet is read and changed as superuser: only by its own customer, or by the
        platform's flows (sudo)."""
        if self.env.su:
            return
        if self.commercial_partner_id != self.env.user.commercial_partner_id:
            raise AccessError(_("Only the customer uses their own wallet."))

    def _ofn_platform_customer(self):
        """The platform Stripe Customer of the commercial partner: created on first need, then
        reused (one per customer for the whole platform)."""
        partner = self.commercial_partner_id.sudo()
        if not partner.ofn_stripe_customer_id:
            self.env.cr.execute("SELECT id FROM res_partner WHERE id = %s FOR UPDATE", [partner.id])
            partner.invalidate_recordset(["ofn_stripe_customer_id"])
        if not partner.ofn_stripe_customer_id:
            partner.ofn_stripe_customer_id = partner.ofn_create_stripe_customer()
        return partner.ofn_stripe_customer_id
