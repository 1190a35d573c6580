from odoo import _, fields, models
from odoo.exceptions import UserError

from ..credit_const import CREDIT_KINDS, DEBIT_KINDS, TRANSACTION_KINDS


class OfnWalletTransaction(models.Model):
    """One movement of a customer's credit with a hub: an immutable row of the ledger, with the
    running balance after it.

    Rows are only ever added, by ``ofn.credit.ledger.post`` (which serialises the postings of a
    customer at a hub and computes ``balance_after``); they are never written nor deleted, by
    anyone. A mistake is corrected by a new posting in the other direction.

    Accounting: the ledger is the sub-ledger of the hub's *Customer credit* account (current
    liability, ``res.company.ofn_credit_account_id``). Every posting that moves money comes with
    a posted journal entry on that account with the customer as partner (``entry_move_id``), so
    the customer's credit balance with a hub equals minus the balance of that account for them:

    - credit or debit by the hub: credit account against the hub's *Customer credit
      adjustments* account (an expense: a credit is a goodwill gesture, a debit takes it back);
    - refund to credit: a posted credit note is settled by moving what the hub owes the customer
      from receivable to the credit account (the entry's receivable debit is reconciled with the
      credit note), instead of paying it back;
    - applied to an invoice: the credit account pays the invoice (the entry's receivable credit
      is reconciled with the invoice, which lowers its amount due);
    - given back: an invoice that used credit is reset to draft; the entry that applied the
      credit is reversed and the credit returns to the customer.
    """

    _name = "ofn.wallet.transaction"
    _description = "Customer credit movement"
    _order = "id desc"
    _rec_name = "kind"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        readonly=True,
        ondelete="restrict",
        help="The commercial partner whose credit moves.",
    )
    company_id = fields.Many2one(
        "res.company", string="Hub", required=True, index=True, readonly=True, ondelete="restrict"
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    sequence = fields.Integer(
        required=True,
        readonly=True,
        help="Position of this movement in the customer's history with the hub (1, 2, 3, ...).",
    )
    amount = fields.Monetary(
        required=True, readonly=True, help="Positive: credit given; negative: credit taken."
    )
    balance_after = fields.Monetary(string="Balance", required=True, readonly=True)
    kind = fields.Selection(TRANSACTION_KINDS, required=True, readonly=True)
    reason = fields.Text(readonly=True)
    move_id = fields.Many2one(
        "account.move",
        string="Document",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        check_company=True,
        help="The invoice the credit paid, or the credit note refunded to credit.",
    )
    entry_move_id = fields.Many2one(
        "account.move",
        string="Journal entry",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        check_company=True,
        help="The posted entry on the customer credit account that books this movement.",
    )
    payment_transaction_id = fields.Many2one(
        "payment.transaction", string="Payment transaction", readonly=True, ondelete="restrict"
    )
    reversed_transaction_id = fields.Many2one(
        "ofn.wallet.transaction",
        string="Gives back",
        readonly=True,
        ondelete="restrict",
        help="The application to an invoice this movement gives back.",
    )

    _sql_constraints = [
        (
            "sequence_unique",
            "UNIQUE(partner_id, company_id, sequence)",
            "Two movements of a customer's credit cannot take the same place in its history.",
        ),
        (
            "amount_sign",
            (
                f"CHECK((kind IN {CREDIT_KINDS} AND amount > 0)"
                f" OR (kind IN {DEBIT_KINDS} AND amount < 0))"
            ),
            "A credit adds to the balance, a debit takes from it.",
        ),
        (
            "reversal_unique",
            "UNIQUE(reversed_transaction_id)",
            "Credit applied to an invoice is given back once.",
        ),
    ]

    # The ledger only grows: no write nor unlink ever reaches the database.
    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(_("Customer credit movements cannot be changed: post a correction."))

    def unlink(self):  # pylint: disable=method-required-super
        raise UserError(_("Customer credit movements cannot be deleted: post a correction."))
