from odoo import fields, models


class OfnCreditBalance(models.Model):
    """A customer's current credit with one hub: the head of its ledger.

    One row per (customer, hub), created by the first posting and updated by every posting
    (``ofn.wallet.transaction.post``) under a row lock, in the same transaction as the
    ``ofn.wallet.transaction`` it adds. The lock is what serialises concurrent postings: it is
    held until the posting commits, and a transaction that reads the head after another one
    changed it since its snapshot fails with a serialisation error that Odoo retries.
    """

    _name = "ofn.credit.balance"
    _description = "Customer credit balance with a hub"
    _order = "partner_id, company_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    company_id = fields.Many2one("res.company", string="Hub", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    balance = fields.Monetary(readonly=True)
    transaction_count = fields.Integer(string="Movements", readonly=True)

    _sql_constraints = [
        (
            "one_per_customer_and_hub",
            "UNIQUE(partner_id, company_id)",
            "A customer has one credit balance per hub.",
        ),
    ]

    def action_open_transactions(self):
        """The movements behind this balance."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ofn_customer_wallet.ofn_wallet_transaction_action"
        )
        action["domain"] = [
            ("partner_id", "=", self.partner_id.id),
            ("company_id", "=", self.company_id.id),
        ]
        action["context"] = {}
        return action
