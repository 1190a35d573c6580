from odoo import fields, models


class ResCompany(models.Model):
    """A hub's payout settings: where Stripe's and the platform's fees are booked."""

    # a file of its own while the payouts land next to the connection's res_company.py
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    ofn_stripe_fee_account_id = fields.Many2one(
        "account.account",
        string="Stripe fees account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Expense account of the Stripe fees and platform application fees kept from each "
        "payment, booked when a payout becomes a bank statement.",
    )

    def action_ofn_sync_payouts(self):
        """Button on the hub: sync its payouts from Stripe and book those ready."""
        self.ensure_one()
        return self.env["ofn.stripe.payout"]._sync_hubs(self)
