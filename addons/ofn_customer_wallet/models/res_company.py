from odoo import Command, _, fields, models
from odoo.exceptions import UserError


class ResCompany(models.Model):
    """A hub's customer credit accounts (see ``ofn.wallet.transaction`` for the bookings)."""

    _inherit = "res.company"

    ofn_credit_account_id = fields.Many2one(
        "account.account",
        string="Customer credit account",
        check_company=True,
        domain="[('account_type', '=', 'liability_current')]",
        help="Current liability holding what the hub owes its customers as credit. Created on "
        "the first credit movement when empty.",
    )
    ofn_credit_adjustment_account_id = fields.Many2one(
        "account.account",
        string="Customer credit adjustments account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'income', 'income_other'))]",
        help="Counterpart of the credit hub staff give (or take back) by hand. Created on the "
        "first adjustment when empty.",
    )

    # === BUSINESS METHODS === #

    def ofn_credit_account(self):
        """The customer credit account, created on first need (by whoever may change the hub,
        or the platform's flows: sudo)."""
        return self._ofn_account_of(
            "ofn_credit_account_id", _("Customer credit"), "liability_current"
        )

    def ofn_credit_adjustment_account(self):
        """The account of credit given or taken back by hand, created on first need (by
        whoever may change the hub, or the platform's flows: sudo)."""
        return self._ofn_account_of(
            "ofn_credit_adjustment_account_id", _("Customer credit adjustments"), "expense"
        )

    def ofn_credit_journal(self):
        """The journal of the credit entries: the hub's first miscellaneous journal."""
        self.ensure_one()
        self._ofn_check_credit_setup_access()
        Journal = self.env["account.journal"].sudo()
        journal = Journal.search(
            [*Journal._check_company_domain(self), ("type", "=", "general")], limit=1
        )
        if not journal:
            raise UserError(
                _("%(hub)s has no miscellaneous journal for customer credit.", hub=self.name)
            )
        return journal

    # === PRIVATE METHODS === #

    def _ofn_check_credit_setup_access(self):
        """The credit accounts are set up as superuser: for the platform's flows (sudo), or
        for whoever may change the hub."""
        if not self.env.su:
            self.check_access("write")

    def _ofn_account_of(self, field, name, account_type):
        """The account of ``field``, a new one named ``name`` when empty."""
        self.ensure_one()
        self._ofn_check_credit_setup_access()
        if not self[field]:
            self.sudo()[field] = self._ofn_new_account(name, account_type)
        return self[field]

    def _ofn_new_account(self, name, account_type):
        """A new account of ``account_type`` in this hub's chart, numbered after an existing
        account of the same type."""
        Account = self.env["account.account"].sudo().with_company(self)
        sibling = Account.search(
            [*Account._check_company_domain(self), ("account_type", "=", account_type)], limit=1
        )
        if not sibling:
            raise UserError(
                _(
                    "Set up the chart of accounts of %(hub)s before using customer credit.",
                    hub=self.name,
                )
            )
        return Account.create(
            {
                "name": name,
                "code": Account._search_new_account_code(sibling.code),
                "account_type": account_type,
                "company_ids": [Command.set(self.ids)],
            }
        )
