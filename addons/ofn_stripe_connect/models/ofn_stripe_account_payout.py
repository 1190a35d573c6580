from odoo import fields, models


class OfnStripeAccount(models.Model):
    """Where the payouts sync of a connected account stands, and its bank journal."""

    _inherit = "ofn.stripe.account"

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
        string="Stripe journal",
        readonly=True,
        ondelete="set null",
        help="The hub's bank journal of its Stripe balance: payouts become its statements.",
    )

    def _ofn_payouts_to_book(self):
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
