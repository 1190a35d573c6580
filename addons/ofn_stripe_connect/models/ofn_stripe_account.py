"""A hub's connected Stripe account: how it connects (OAuth or Account Links), follows its status
on Stripe, disconnects, and brings its payouts and balance transactions into Odoo
(ARCHITECTURE.md §2, §3)."""

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_round

from odoo.addons.payment import utils as payment_utils

from .. import const
from ..exceptions import StripeGatewayError
from ..platform_settings import platform_livemode
from ..utils import mail_hub_managers

if TYPE_CHECKING:
    from stripe.params import AccountCreateParams, BalanceTransactionListParams

_logger = logging.getLogger(__name__)


class OfnStripeAccount(models.Model):
    """A hub's connected Stripe account (one per company, ARCHITECTURE.md §2).

    Only ids and status are kept: the platform key acts for the account with the ``Stripe-Account``
    header, so no token of the account is ever stored. Its chatter tells who connected, refreshed
    or disconnected it and when, and what Stripe changed (as OdooBot).
    """

    _name = "ofn.stripe.account"
    _inherit = ["mail.thread"]
    _description = "Connected Stripe account of a hub"
    _rec_name = "stripe_account_id"
    _order = "company_id"

    company_id = fields.Many2one(
        "res.company", string="Hub", required=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    stripe_account_id = fields.Char(
        string="Stripe account",
        required=True,
        readonly=True,
        tracking=True,
        help="The acct_... id on Stripe.",
    )
    stripe_account_name = fields.Char(string="Name on Stripe", readonly=True)
    account_type = fields.Selection(const.ACCOUNT_TYPES, readonly=True, default="standard")
    connection_method = fields.Selection(const.CONNECTION_METHODS, readonly=True, tracking=True)
    state = fields.Selection(
        const.ACCOUNT_STATES, required=True, default="onboarding", readonly=True, tracking=True
    )
    livemode = fields.Boolean(string="Live mode", readonly=True, tracking=True)
    charges_enabled = fields.Boolean(readonly=True, tracking=True)
    payouts_enabled = fields.Boolean(readonly=True, tracking=True)
    details_submitted = fields.Boolean(readonly=True, tracking=True)
    requirements_due = fields.Text(
        readonly=True, help="What Stripe still needs from the hub before it can take payments."
    )
    disabled_reason = fields.Char(readonly=True, tracking=True)
    connected_by_id = fields.Many2one("res.users", string="Connected by", readonly=True)
    connected_at = fields.Datetime(readonly=True)
    status_checked_at = fields.Datetime(string="Status checked", readonly=True)
    onboarding_links = fields.Integer(
        readonly=True, copy=False, help="How many onboarding links Stripe made for the account."
    )
    provider_id = fields.Many2one(
        "payment.provider", string="Payment provider", readonly=True, ondelete="set null"
    )
    application_fee_percent = fields.Float(
        string="Application fee (%)",
        digits=(5, 2),
        tracking=True,
        help="Platform fee taken on every charge, as a percentage of the amount.",
    )
    application_fee_fixed = fields.Monetary(
        string="Application fee (fixed)",
        currency_field="currency_id",
        tracking=True,
        help="Platform fee taken on every charge, in the hub's currency.",
    )
    # payouts
    payout_ids = fields.One2many("ofn.stripe.payout", "account_id", string="Payouts")
    ofn_payouts_synced_at = fields.Datetime(string="Payouts synced", readonly=True)
    ofn_balance_synced_until = fields.Integer(
        string="Balance synced until",
        readonly=True,
        help="Creation time (Unix) of the newest balance transaction of the last complete sync: "
        "the next sync starts there.",
    )
    ofn_payout_journal_id = fields.Many2one(
        "account.journal",
        "Stripe journal",
        readonly=True,
        ondelete="set null",
        help="The hub's bank journal of its Stripe balance: payouts become its statements.",
    )

    _sql_constraints = [
        (
            "company_unique",
            "UNIQUE(company_id)",
            "A hub can be connected to one Stripe account only.",
        ),
        (
            "fee_percent_range",
            "CHECK(application_fee_percent >= 0 AND application_fee_percent < 100)",
            "The application fee percentage must be between 0 and 100.",
        ),
        ("fee_fixed_positive", "CHECK(application_fee_fixed >= 0)", "A fee cannot be negative."),
    ]

    @api.constrains("application_fee_percent", "application_fee_fixed")
    def _check_fee_settings_by_platform_admin(self):
        if self.env.su or self.env.user.has_group("base.group_system"):
            return
        raise ValidationError(_("Only a platform administrator sets the application fee."))

    # === CONNECTION === #

    @api.model
    def oauth_authorize_url(self, company, redirect_uri):
        """The URL of Stripe's OAuth page where the current user connects ``company``'s
        Standard account; Stripe comes back to ``redirect_uri`` with a ``code`` and the state.

        :raise AccessError: the current user does not manage ``company``
        """
        self._check_manages(company)
        state = self.env["ofn.stripe.oauth.nonce"].issue_state(company)
        return self.env["ofn.stripe.gateway"].oauth_authorize_url(redirect_uri, state)

    @api.model
    def connect_oauth(self, company, code):
        """Exchange the OAuth ``code`` Stripe gave for ``company`` and link the account.

        The state of the callback is verified first (``ofn.stripe.oauth.nonce.consume_state``).
        A user who no longer manages the hub gets nothing: the account Stripe just gave the
        platform is deauthorized at once.

        :return: the hub's ``ofn.stripe.account``
        :raise AccessError: the current user does not manage ``company``
        :raise StripeGatewayError: Stripe refused the code
        """
        gateway = self.env["ofn.stripe.gateway"]
        token = gateway.oauth_token(code)
        account_id = token["stripe_user_id"]
        if not company.exists() or not company.ofn_user_manages_stripe():
            # the user lost the right to manage the hub on the way: undo at once
            gateway.oauth_deauthorize(account_id)
            _logger.warning(
                "Deauthorized Stripe account %s: user %s does not manage company %s",
                account_id,
                self.env.uid,
                company.id,
            )
            raise AccessError(
                _("You do not manage this hub: the Stripe account was not connected.")
            )
        return self._connect(company, account_id, "oauth", livemode=token["livemode"])

    @api.model
    def account_link_url(self, company, return_url, refresh_url):
        """The URL of Stripe's onboarding (an Account Link) for ``company``: its Stripe account
        is created by the platform first, unless the hub is onboarding one already.

        :raise AccessError: the current user does not manage ``company``
        :raise UserError: the hub is connected already
        """
        self._check_manages(company)
        account = company.sudo().ofn_stripe_account_id
        gateway = self.env["ofn.stripe.gateway"]
        if account.state == "connected":
            raise UserError(_("%(hub)s is already connected to Stripe.", hub=company.name))
        if not account or account.state == "revoked" or account.connection_method != "account_link":
            account_type = (
                self.env["ir.config_parameter"]
                .sudo()
                .get_param(const.PARAM_ONBOARDING_ACCOUNT_TYPE, "express")
            )
            params: AccountCreateParams = {
                "type": account_type,
                "business_profile": {"name": company.name},
                "metadata": {"odoo_company_id": str(company.id)},
            }
            if company.country_id.code:
                params["country"] = company.country_id.code
            if company.email:
                params["email"] = company.email
            # a new account per attempt (a hub whose earlier account was disconnected gets a
            # new one); the same attempt sent again gets the same account
            created = gateway.create_account(
                params,
                idempotency_key=gateway.next_attempt_key(
                    "account", company, "ofn_stripe_account_creations"
                ),
            )
            # Stripe's Account has no livemode: an account made with a live key is live
            account = self._connect(
                company, created["id"], "account_link", livemode=platform_livemode()
            )
        link = gateway.create_account_link(
            {
                "account": account.stripe_account_id,
                "type": "account_onboarding",
                "return_url": return_url,
                "refresh_url": refresh_url,
            },
            # an Account Link expires within minutes: every visit asks for a new one
            idempotency_key=gateway.next_attempt_key("account-link", account, "onboarding_links"),
        )
        return link["url"]

    @api.model
    def _connect(self, company, stripe_account_id, method, livemode=False):
        """Link ``company`` to ``stripe_account_id``, an account the platform can act for (after
        OAuth, or created by the platform for Account Link onboarding): store it, fetch its
        status, create or re-enable the hub's Stripe provider.

        :param str method: ``oauth`` or ``account_link``
        :return: the hub's ``ofn.stripe.account``
        :raise AccessError: the current user does not manage ``company``
        """
        self._check_manages(company)
        account = self.sudo().search([("company_id", "=", company.id)])
        values = {
            "stripe_account_id": stripe_account_id,
            "connection_method": method,
            "livemode": livemode,
            "state": "onboarding",
            "connected_by_id": self.env.uid,
            "connected_at": fields.Datetime.now(),
        }
        if account:
            account.write(values)
        else:
            account = account.create({"company_id": company.id, **values})
        account._track_set_author(self.env.user.partner_id)
        account._ensure_provider()
        account.action_refresh_status()
        account._update_provider(enable=True)
        _logger.info(
            "Company %s connected to Stripe account %s (%s) by user %s",
            company.id,
            stripe_account_id,
            method,
            self.env.uid,
        )
        return account

    def _check_manages(self, company):
        if not company.ofn_user_manages_stripe():
            raise AccessError(_("You do not manage %(hub)s.", hub=company.name))

    def _ensure_provider(self):
        """The hub's Stripe ``payment.provider`` (created from Odoo's Stripe provider, disabled
        until the account can take charges), linked to this account."""
        self.ensure_one()
        Provider = self.env["payment.provider"].sudo()
        provider = self.provider_id or Provider.search(
            [("ofn_stripe_account_id", "=", self.id)], limit=1
        )
        if not provider:
            template = self.env.ref("payment.payment_provider_stripe").sudo()
            provider = template.copy(
                {
                    "name": _("Stripe (%(hub)s)", hub=self.company_id.name),
                    "company_id": self.company_id.id,
                    "state": "disabled",
                    "ofn_stripe_account_id": self.id,
                    "stripe_publishable_key": False,
                    "stripe_secret_key": False,
                    "stripe_webhook_secret": False,
                }
            )
        self.provider_id = provider
        return provider

    # === STATUS === #

    def action_refresh_status(self):
        """Fetch the account from Stripe and show its status (button on the hub's Stripe tab)."""
        for account in self:
            if account.state == "revoked":
                raise UserError(
                    _("This Stripe account is disconnected. Connect the hub to Stripe again.")
                )
            data = self.env["ofn.stripe.gateway"].retrieve_account(account.stripe_account_id)
            account.sudo()._apply_stripe_account(data)
        return True

    def apply_stripe_account(self, account):
        """Store the status Stripe gives (an ``Account`` object, as a dict) on these records, as
        the platform (OdooBot) tells it: an ``account.updated`` event.

        :raise AccessError: the user may not change the records (only the platform may)
        """
        self.check_access("write")
        self._track_set_author(self.env.ref("base.partner_root"))
        for record in self:
            record._apply_stripe_account(account)

    def _apply_stripe_account(self, account):
        """Store the status of a Stripe ``Account`` object (dict) on this record."""
        self.ensure_one()
        requirements = account.get("requirements") or {}
        due = sorted(
            set(requirements.get("currently_due") or []) | set(requirements.get("past_due") or [])
        )
        settings = account.get("settings") or {}
        profile = account.get("business_profile") or {}
        values = {
            "charges_enabled": bool(account.get("charges_enabled")),
            "payouts_enabled": bool(account.get("payouts_enabled")),
            "details_submitted": bool(account.get("details_submitted")),
            "requirements_due": "\n".join(due) or False,
            "disabled_reason": requirements.get("disabled_reason") or False,
            "stripe_account_name": profile.get("name")
            or (settings.get("dashboard") or {}).get("display_name")
            or account.get("email")
            or False,
            "account_type": account.get("type") or self.account_type,
            "status_checked_at": fields.Datetime.now(),
        }
        became_chargeable = values["charges_enabled"] and not self.charges_enabled
        if self.state != "revoked":
            values["state"] = "connected" if values["charges_enabled"] else "onboarding"
        self.write(values)
        self._update_provider(enable=became_chargeable)

    def _update_provider(self, enable=False):
        """Disable the hub's provider when the account cannot take payments; with ``enable``,
        enable and publish it when it can (at connection, or when onboarding completes), with
        the payment method line its payments are booked through."""
        for account in self.sudo():
            provider = account.provider_id
            if not provider:
                continue
            can_charge = account.state == "connected" and account.charges_enabled
            if not can_charge and provider.state != "disabled":
                provider.state = "disabled"
            elif can_charge and enable and self.env["res.config.settings"].ofn_is_connect_enabled():
                provider.write({"state": "enabled", "is_published": True})
                # account_payment computes the provider's journal (the hub's bank journal, once
                # it has a chart of accounts), then its payment method line is ensured
                if provider.journal_id:
                    provider._ensure_payment_method_line()

    # === DISCONNECTION === #

    def action_disconnect(self):
        """End the hub's connection: deauthorize the platform on Stripe (OAuth accounts), or only
        unlink when another hub still uses the same Stripe account, as OFN does; then the hub's
        provider is disabled.

        :raise AccessError: the current user does not manage the hub
        """
        for account in self:
            self._check_manages(account.company_id)
            account = account.sudo()
            if account.state == "revoked":
                continue
            shared = self.sudo().search_count(
                [
                    ("stripe_account_id", "=", account.stripe_account_id),
                    ("id", "!=", account.id),
                    ("state", "!=", "revoked"),
                ]
            )
            if not shared and account.connection_method == "oauth":
                try:
                    self.env["ofn.stripe.gateway"].oauth_deauthorize(account.stripe_account_id)
                except StripeGatewayError as error:
                    # already revoked on Stripe: nothing is left to undo there
                    if not (error.account_unreachable or _is_oauth_error(error)):
                        raise
            account._track_set_author(self.env.user.partner_id)
            account._mark_revoked(_("disconnected by %(user)s", user=self.env.user.name))
        return True

    def mark_revoked(self, reason, notify_managers=False):
        """The platform learned that it may no longer act for these accounts (``reason``, for the
        log): the hubs' providers are disabled (told in the chatter as OdooBot's doing); with
        ``notify_managers``, the hubs' managers are e-mailed that their card payments stopped
        (the holder revoked the access on Stripe).

        :raise AccessError: the user may not change the records (only the platform may)
        """
        self.check_access("write")
        revoked = self.filtered(lambda account: account.state != "revoked")
        revoked._track_set_author(self.env.ref("base.partner_root"))
        revoked._mark_revoked(reason)
        if notify_managers:
            template = self.env.ref("ofn_stripe_connect.mail_template_stripe_deauthorized")
            for account in revoked:
                mail_hub_managers(template, account)

    def _mark_revoked(self, reason):
        for account in self.filtered(lambda a: a.state != "revoked"):
            account.write({"state": "revoked", "charges_enabled": False, "payouts_enabled": False})
            account._update_provider()
            _logger.info(
                "Stripe account %s of company %s revoked: %s",
                account.stripe_account_id,
                account.company_id.id,
                reason,
            )

    # === MONEY === #

    def application_fee_minor(self, amount, currency):
        """The platform's fee on a charge of ``amount`` (major units) in ``currency``, in minor
        units of that currency; 0 when no fee is set or the currency is not the hub's (a fixed
        fee is only defined in the hub's currency)."""
        self.ensure_one()
        if not (self.application_fee_percent or self.application_fee_fixed) or not amount:
            return 0
        fee = amount * self.application_fee_percent / 100.0
        if self.application_fee_fixed:
            if currency != self.currency_id:
                return 0
            fee += self.application_fee_fixed
        fee = min(float_round(fee, precision_rounding=currency.rounding), amount)
        return payment_utils.to_minor_currency_units(fee, currency)

    # === PAYOUTS === #

    def action_sync_payouts(self):
        """Sync the payouts of these accounts from Stripe, then book those ready as bank
        statements (the buttons of the hub and of the payouts list)."""
        builder = self.env["ofn.payout.statement.builder"]
        for account in self:
            account.sync_payouts()
            builder.build(account.sudo()._payouts_to_book())
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "Payouts synced from Stripe: %(hubs)s.",
                    hubs=", ".join(self.sudo().company_id.mapped("name")),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def sync_payouts(self):
        """Sync the payouts and balance transactions of this account: every balance transaction
        created since the last complete sync, the payouts among them (and the earlier ones not
        final yet), and for each paid payout the transactions it settled (``?payout=po_``);
        then the customer payments are matched with Odoo's transactions.

        Incremental and idempotent: records are keyed by their Stripe id, so a re-run adds
        nothing; the starting point (``ofn_balance_synced_until``) only moves once a sync
        completed, so a sync stopped by an error (mid-pagination too) is resumed by running it
        again, without duplicates.

        :return: ``{'lines': n, 'payouts': n}``, how many records the sync created
        :raise AccessError: the user is not an accountant (or admin) of the account's hub
        :raise UserError: the account is not connected, or another sync of it is running
        :raise StripeGatewayError: Stripe refused a request (nothing is lost: run it again)
        """
        self.ensure_one()
        self._check_payout_access()
        account = self.sudo()
        if account.state == "revoked":
            raise UserError(
                _(
                    "%(hub)s is disconnected from Stripe: connect it again to sync its payouts.",
                    hub=account.company_id.name,
                )
            )
        account._lock_for_sync()
        before = account._counts()
        started = fields.Datetime.now()
        newest, seen_payouts = account._sync_balance_transactions()
        account._sync_payouts(seen_payouts)
        account.env["ofn.stripe.balance.line"].search(
            [("account_id", "=", account.id), ("match_state", "=", "unmatched")]
        ).match_transactions()
        account.write(
            {
                "ofn_balance_synced_until": max(newest, account.ofn_balance_synced_until),
                "ofn_payouts_synced_at": started,
            }
        )
        after = account._counts()
        created = {key: after[key] - before[key] for key in after}
        _logger.info(
            "Stripe payouts of company %s synced: %s new lines, %s new payouts",
            account.company_id.id,
            created["lines"],
            created["payouts"],
        )
        return created

    @api.model
    def _cron_sync_payouts(self):
        """Daily: sync every connected hub, then book its paid payouts as bank statements when
        its fee account is set. One hub's error is logged and does not stop the others."""
        builder = self.env["ofn.payout.statement.builder"].sudo()  # a platform job, all hubs
        for account in self.sudo().search([("state", "=", "connected")]):
            if account._run_for_hub("synced", lambda acc: acc.sync_payouts()):
                account._run_for_hub("booked", lambda acc: builder.build(acc._payouts_to_book()))

    def _run_for_hub(self, step, act):
        """``act(self)`` in a savepoint: a failure is logged, undone and reported (False)."""
        try:
            with self.env.cr.savepoint():
                act(self)
        except UserError as error:  # StripeGatewayError included
            _logger.warning(
                "Stripe payouts of company %s not %s: %s", self.company_id.id, step, error
            )
            return False
        return True

    def _payouts_to_book(self):
        """The paid payouts whose transactions are all synced and that are not on a bank
        statement yet; none while the hub has no fee account (its accounting is not set up)."""
        return self.payout_ids.filtered(
            lambda payout: (
                payout.status == "paid"
                and payout.lines_synced
                and not payout.statement_id
                and payout.company_id.ofn_stripe_fee_account_id
            )
        )

    def _sync_balance_transactions(self):
        """Every balance transaction created since the last complete sync (Stripe lists the
        newest first); returns the newest creation time seen and the payouts' ids among them."""
        newest = self.ofn_balance_synced_until
        seen_payouts = []
        params: BalanceTransactionListParams = {"expand": ["data.source"]}
        if self.ofn_balance_synced_until:
            params["created"] = {"gte": self.ofn_balance_synced_until}
        for page in self._balance_transaction_pages(params):
            self._upsert_lines(page)
            newest = max([newest] + [bt["created"] for bt in page])
            seen_payouts += [
                _expanded_source(bt)["id"]
                for bt in page
                if bt["type"] in ("payout", "payout_failure")
            ]
        return newest, seen_payouts

    def _sync_payouts(self, new_payout_ids):
        """Fetch the payouts seen now and those not final yet; link each paid payout's lines."""
        open_payouts = self.env["ofn.stripe.payout"].search(
            [
                ("account_id", "=", self.id),
                "|",
                ("status", "not in", list(const.PAYOUT_FINAL_STATUSES)),
                "&",
                ("status", "=", "paid"),
                ("lines_synced", "=", False),
            ]
        )
        stripe_ids = list(dict.fromkeys(new_payout_ids + open_payouts.mapped("stripe_payout_id")))
        for stripe_id in stripe_ids:
            data = self.env["ofn.stripe.gateway"].retrieve_payout(
                stripe_id, {"expand": ["destination"]}, account=self.stripe_account_id
            )
            payout = self._upsert_payout(data)
            if payout.status == "paid" and not payout.lines_synced:
                for page in self._balance_transaction_pages(
                    {"payout": stripe_id, "expand": ["data.source"]}
                ):
                    self._upsert_lines(page, payout=payout)
                payout.lines_synced = True

    def _balance_transaction_pages(self, params: "BalanceTransactionListParams"):
        """The pages of the account's balance transactions, followed with ``starting_after``."""
        params = {**params, "limit": const.STRIPE_PAGE_SIZE}  # a copy: the caller's stays
        while True:
            page = self.env["ofn.stripe.gateway"].list_balance_transactions(
                params, account=self.stripe_account_id
            )
            data = page.get("data") or []
            if data:
                yield data
            if not (page.get("has_more") and data):
                return
            params["starting_after"] = data[-1]["id"]

    def _upsert_lines(self, transactions, payout=None):
        """Create the balance lines not synced yet; link the existing ones to ``payout``."""
        Line = self.env["ofn.stripe.balance.line"]
        existing = Line.search(
            [
                ("account_id", "=", self.id),
                ("stripe_balance_transaction_id", "in", [bt["id"] for bt in transactions]),
            ]
        )
        known = {line.stripe_balance_transaction_id: line for line in existing}
        sources = [_expanded_source(bt) for bt in transactions]
        charge_intents = {
            source["id"]: source.get("payment_intent")
            for source in sources
            if source.get("object") == "charge"
        }
        new_values = []
        for bt, source in zip(transactions, sources, strict=True):
            line = known.get(bt["id"])
            if line is None:
                values = self._line_values(bt, source, charge_intents)
                if payout:
                    values["payout_id"] = payout.id
                new_values.append(values)
            elif payout and line.payout_id != payout:
                line.payout_id = payout
        return Line.create(new_values)

    def _line_values(self, bt, source, charge_intents):
        """The balance line of a Stripe balance transaction (amounts in minor units there)."""
        currency = self._currency(bt["currency"])
        application_fee = sum(
            detail["amount"]
            for detail in bt.get("fee_details") or []
            if detail["type"] == const.APPLICATION_FEE_DETAIL
        )
        charge_id, intent_id = self._payment_ids(source, charge_intents)
        to_major = payment_utils.to_major_currency_units
        return {
            "account_id": self.id,
            "stripe_balance_transaction_id": bt["id"],
            "kind": const.STRIPE_TYPE_TO_KIND.get(bt["type"], "other"),
            "stripe_type": bt["type"],
            "stripe_source_id": source.get("id"),
            "stripe_charge_id": charge_id,
            "stripe_payment_intent_id": intent_id,
            "description": bt.get("description"),
            "created_at": _datetime(bt["created"]),
            "available_on": _datetime(bt.get("available_on") or bt["created"]).date(),
            "currency_id": currency.id,
            "amount": to_major(bt["amount"], currency),
            "fee": to_major(bt["fee"], currency),
            "stripe_fee": to_major(bt["fee"] - application_fee, currency),
            "application_fee": to_major(application_fee, currency),
            "net": to_major(bt["net"], currency),
        }

    def _payment_ids(self, source, charge_intents):
        """The charge and PaymentIntent behind a charge or refund source; a refund's charge is
        looked for among ``charge_intents`` (``{ch_: pi_}`` of the same page), the synced
        lines, and last on Stripe."""
        if source.get("object") == "charge":
            return source["id"], source.get("payment_intent") or False
        if source.get("object") != "refund" or not source.get("charge"):
            return False, False
        charge_id = source["charge"]
        intent_id = source.get("payment_intent") or charge_intents.get(charge_id)
        if not intent_id:
            intent_id = (
                self.env["ofn.stripe.balance.line"]
                .search(
                    [
                        ("account_id", "=", self.id),
                        ("stripe_charge_id", "=", charge_id),
                        ("stripe_payment_intent_id", "!=", False),
                    ],
                    limit=1,
                )
                .stripe_payment_intent_id
            )
        if not intent_id:
            intent_id = (
                self.env["ofn.stripe.gateway"]
                .retrieve_charge(charge_id, account=self.stripe_account_id)
                .get("payment_intent")
            )
        return charge_id, intent_id or False

    def _upsert_payout(self, data):
        currency = self._currency(data["currency"])
        destination = data.get("destination")
        values = {
            "amount": payment_utils.to_major_currency_units(data["amount"], currency),
            "currency_id": currency.id,
            "arrival_date": _datetime(data["arrival_date"]).date(),
            "created_at": _datetime(data["created"]),
            "status": data["status"],
            "method": data.get("method") or "standard",
            "destination_last4": destination.get("last4")
            if isinstance(destination, dict)
            else False,
            "description": data.get("description"),
            "failure_code": data.get("failure_code") or False,
            "failure_message": data.get("failure_message") or False,
        }
        Payout = self.env["ofn.stripe.payout"]
        payout = Payout.search(
            [("account_id", "=", self.id), ("stripe_payout_id", "=", data["id"])]
        )
        if payout:
            payout.write(values)
            return payout
        return Payout.create({"account_id": self.id, "stripe_payout_id": data["id"], **values})

    def _currency(self, code):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code.upper())], limit=1)
        )
        if not currency:
            raise UserError(
                _("Stripe uses the currency %(code)s, unknown here.", code=code.upper())
            )
        return currency

    def _check_payout_access(self):
        user = self.env.user
        if self.env.su or user.has_group("base.group_system"):
            return
        if not (
            user.has_group("ofn_stripe_connect.group_ofn_payout_accountant")
            and self.sudo().company_id in user.company_ids
        ):
            raise AccessError(
                _(
                    "Only the accountants of %(hub)s can sync its payouts.",
                    hub=self.sudo().company_id.name,
                )
            )

    def _lock_for_sync(self):
        """One sync of an account at a time (the button and the daily cron may meet)."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM ofn_stripe_account WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                    [self.id],
                )
        except pg_errors.LockNotAvailable as error:
            raise UserError(
                _(
                    "The payouts of %(hub)s are being synced already. Try again in a minute.",
                    hub=self.company_id.name,
                )
            ) from error

    def _counts(self):
        domain = [("account_id", "=", self.id)]
        return {
            "lines": self.env["ofn.stripe.balance.line"].sudo().search_count(domain),
            "payouts": self.env["ofn.stripe.payout"].sudo().search_count(domain),
        }


def _is_oauth_error(error):
    return getattr(error, "error_type", "") in ("InvalidClientError", "InvalidRequestError")


def _expanded_source(bt):
    """The transaction's source object (``expand[]=data.source``), or ``{'id': ...}``."""
    source = bt.get("source")
    return source if isinstance(source, dict) else {"id": source}


def _datetime(timestamp):
    """A Stripe Unix time as Odoo's naive UTC datetime."""
    return datetime.fromtimestamp(timestamp, tz=UTC).replace(tzinfo=None)
