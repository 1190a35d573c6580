import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_round

from odoo.addons.payment import utils as payment_utils

from .. import const

_logger = logging.getLogger(__name__)


class OfnStripeAccount(models.Model):
    """A hub's connected Stripe account (one per company, ARCHITECTURE.md §2).

    Only ids and status are kept: the platform key acts for the account with the ``Stripe-Account``
    header, so no token of the account is ever stored.
    """

    _name = "ofn.stripe.account"
    _description = "Connected Stripe account of a hub"
    _rec_name = "stripe_account_id"
    _order = "company_id"

    company_id = fields.Many2one(
        "res.company", string="Hub", required=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    stripe_account_id = fields.Char(
        string="Stripe account", required=True, readonly=True, help="The acct_... id on Stripe."
    )
    stripe_account_name = fields.Char(string="Name on Stripe", readonly=True)
    account_type = fields.Selection(const.ACCOUNT_TYPES, readonly=True, default="standard")
    connection_method = fields.Selection(const.CONNECTION_METHODS, readonly=True)
    state = fields.Selection(
        const.ACCOUNT_STATES, required=True, default="onboarding", readonly=True
    )
    livemode = fields.Boolean(string="Live mode", readonly=True)
    charges_enabled = fields.Boolean(readonly=True)
    payouts_enabled = fields.Boolean(readonly=True)
    details_submitted = fields.Boolean(readonly=True)
    requirements_due = fields.Text(
        readonly=True, help="What Stripe still needs from the hub before it can take payments."
    )
    disabled_reason = fields.Char(readonly=True)
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
        help="Platform fee taken on every charge, as a percentage of the amount.",
    )
    application_fee_fixed = fields.Monetary(
        string="Application fee (fixed)",
        currency_field="currency_id",
        help="Platform fee taken on every charge, in the hub's currency.",
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

    # ------------------------------------------------------------------ status
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
        self.provider_id._ofn_follow_account_status(enable=became_chargeable)

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

    def _mark_revoked(self, reason):
        """The platform may no longer act for the account: disable the hub's provider."""
        for account in self.filtered(lambda a: a.state != "revoked"):
            account.write({"state": "revoked", "charges_enabled": False, "payouts_enabled": False})
            account.provider_id._ofn_follow_account_status()
            _logger.info(
                "Stripe account %s of company %s revoked: %s",
                account.stripe_account_id,
                account.company_id.id,
                reason,
            )

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

    # ------------------------------------------------------------------ money
    def _application_fee_minor(self, amount, currency):
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
