from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .. import const
from ..platform_settings import get_setting


class ResCompany(models.Model):
    """The hub side of Stripe Connect: the "Stripe" tab of the company form, and where its
    payouts' fees are booked."""

    _inherit = "res.company"

    ofn_stripe_account_ids = fields.One2many("ofn.stripe.account", "company_id")
    ofn_stripe_account_creations = fields.Integer(
        readonly=True,
        copy=False,
        help="How many Stripe accounts the platform created for the hub (Account Links).",
    )
    ofn_stripe_account_id = fields.Many2one(
        "ofn.stripe.account", string="Stripe account", compute="_compute_ofn_stripe_account_id"
    )
    ofn_stripe_state = fields.Selection(
        const.ACCOUNT_STATES, string="Stripe", compute="_compute_ofn_stripe_account_id"
    )
    ofn_stripe_charges_enabled = fields.Boolean(
        string="Charges enabled", compute="_compute_ofn_stripe_account_id"
    )
    ofn_stripe_payouts_enabled = fields.Boolean(
        string="Payouts enabled", compute="_compute_ofn_stripe_account_id"
    )
    ofn_stripe_details_submitted = fields.Boolean(
        string="Details submitted", compute="_compute_ofn_stripe_account_id"
    )
    ofn_stripe_requirements_due = fields.Text(
        string="Still needed by Stripe", compute="_compute_ofn_stripe_account_id"
    )
    ofn_stripe_fee_account_id = fields.Many2one(
        "account.account",
        string="Stripe fees account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Expense account of the Stripe fees and platform application fees kept from each "
        "payment, booked when a payout becomes a bank statement.",
    )
    ofn_connect_enabled = fields.Boolean(compute="_compute_ofn_connect_flags")
    ofn_oauth_available = fields.Boolean(compute="_compute_ofn_connect_flags")
    ofn_can_manage_stripe = fields.Boolean(compute="_compute_ofn_connect_flags")

    @api.depends("ofn_stripe_account_ids.state")
    def _compute_ofn_stripe_account_id(self):
        # the companies' accounts, fields and all, in one query (the one2many takes two)
        Account = self.env["ofn.stripe.account"].sudo()
        stored = [
            name
            for name, field in Account._fields.items()
            if field.store and field.column_type and field.prefetch and name != "id"
        ]
        found = Account.search_fetch([("company_id", "in", self._origin.ids)], stored)
        for company in self:
            account = found.filtered(lambda a, company=company: a.company_id == company._origin)
            if not company._origin:
                account = company.sudo().ofn_stripe_account_ids
            account = account[:1]
            company.ofn_stripe_account_id = account
            company.ofn_stripe_state = account.state
            company.ofn_stripe_charges_enabled = account.charges_enabled
            company.ofn_stripe_payouts_enabled = account.payouts_enabled
            company.ofn_stripe_details_submitted = account.details_submitted
            company.ofn_stripe_requirements_due = account.requirements_due

    def _compute_ofn_connect_flags(self):
        enabled = self.env["res.config.settings"].ofn_is_connect_enabled()
        oauth = bool(get_setting("OFN_STRIPE_CLIENT_ID"))
        for company in self:
            company.ofn_connect_enabled = enabled
            company.ofn_oauth_available = oauth
            company.ofn_can_manage_stripe = company.ofn_user_manages_stripe()

    def ofn_lang(self):
        """The hub's language (its partner's, else English): what the engine's jobs of the hub
        write for the hub to read (an order's failure message, its notes) is in it."""
        self.ensure_one()
        return self.partner_id.lang or "en_US"

    def ofn_managers(self):
        """The hub's managers: the internal users of the hub manager group who belong to it
        (those told about its Stripe connection, its payouts and its standing orders)."""
        self.ensure_one()
        return (
            self.env.ref("ofn_stripe_connect.group_ofn_hub_manager")
            .sudo()
            .users.filtered(lambda user: self in user.company_ids and not user.share)
        )

    # ------------------------------------------------------------------ who may connect
    def ofn_user_manages_stripe(self):
        """Platform admins, and the hub's managers (members of the company), manage its Stripe."""
        self.ensure_one()
        user = self.env.user
        if user.has_group("base.group_system"):
            return True
        return user.has_group("ofn_stripe_connect.group_ofn_hub_manager") and self in (
            user.company_ids
        )

    def ofn_check_stripe_manager(self):
        """Raise unless the current user may change the hub's Stripe connection now.

        :raise AccessError: the user does not manage the hub
        :raise UserError: Stripe Connect is switched off on the platform
        """
        self.ensure_one()
        if not self.ofn_user_manages_stripe():
            raise AccessError(
                _("Only %(hub)s's managers can change its Stripe connection.", hub=self.name)
            )
        if not self.env["res.config.settings"].ofn_is_connect_enabled():
            raise UserError(_("Stripe Connect is switched off on this platform."))

    # ------------------------------------------------------------------ buttons
    def action_ofn_stripe_connect(self):
        """Open the confirmation step before leaving for Stripe."""
        self.ofn_check_stripe_manager()
        if self.sudo().ofn_stripe_account_id.state in ("connected", "onboarding"):
            raise UserError(_("%(hub)s is already connected to a Stripe account.", hub=self.name))
        return {
            "type": "ir.actions.act_window",
            "name": _("Connect %(hub)s to Stripe", hub=self.name),
            "res_model": "ofn.stripe.connect.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_company_id": self.id},
        }

    def action_ofn_stripe_refresh(self):
        self.ofn_check_stripe_manager()
        self.sudo().ofn_stripe_account_id.action_refresh_status()
        return True

    def action_ofn_stripe_disconnect(self):
        self.ofn_check_stripe_manager()
        return self.sudo().ofn_stripe_account_id.action_disconnect()

    def action_ofn_stripe_continue_onboarding(self):
        """Back to Stripe's onboarding for an account created with Account Links."""
        self.ofn_check_stripe_manager()
        return {
            "type": "ir.actions.act_url",
            "url": f"/ofn/stripe/connect/{self.id}?method=account_link",
            "target": "self",
        }

    # ------------------------------------------------------------------ payouts
    def action_ofn_sync_payouts(self):
        """Button on the hub (and, for the hubs of the company switcher, on the payouts list):
        sync their payouts from Stripe and book those ready."""
        accounts = (
            self.env["ofn.stripe.account"]
            .sudo()
            .search([("company_id", "in", self.ids), ("state", "=", "connected")])
        )
        if not accounts:
            raise UserError(
                _(
                    "No hub among %(hubs)s is connected to Stripe.",
                    hubs=", ".join(self.mapped("name")),
                )
            )
        return accounts.with_env(self.env).action_sync_payouts()
