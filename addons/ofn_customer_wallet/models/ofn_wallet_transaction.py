from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..const import CREDIT_KINDS, DEBIT_KINDS, MANUAL_KINDS, TRANSACTION_KINDS


class OfnWalletTransaction(models.Model):
    """One movement of a customer's credit with a hub: an immutable row of the ledger, with the
    running balance after it.

    Rows are only ever added, by :meth:`post` (which books the movement, serialises the
    postings of a customer at a hub and computes ``balance_after``); they are never written nor
    deleted, by anyone. A mistake is corrected by a new posting in the other direction.

    Postings of one (customer, hub) are serialised by locking its ``ofn.credit.balance`` row
    (``SELECT ... FOR UPDATE``) until the transaction ends; the new row's ``balance_after`` is
    the locked balance plus the amount. Under Odoo's REPEATABLE READ isolation an advisory lock
    would not be enough (a transaction whose snapshot predates the previous posting's commit
    would read a stale balance after getting the lock); a row lock makes such a transaction fail
    with a serialisation error instead, which Odoo retries (requests and crons).

    Rows are created with the caller's rights (hub staff: only for their hubs); the postings
    made on the system's behalf (credit applied when an invoice is posted, ...) are made with
    ``sudo()``. The journal entries are made as superuser: hub staff need no accounting rights
    to move credit, the entry is the consequence of an act the caller was allowed to do.

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

    # === CRUD METHODS === #

    # The ledger only grows: no write nor unlink ever reaches the database.
    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(_("Customer credit movements cannot be changed: post a correction."))

    def unlink(self):  # pylint: disable=method-required-super
        raise UserError(_("Customer credit movements cannot be deleted: post a correction."))

    # === BUSINESS METHODS === #

    @api.model
    def post(
        self,
        partner,
        hub,
        amount,
        kind,
        reason=None,
        allow_negative=False,
        counterpart_account=None,
        label=None,
        **links,
    ):
        """Adds a movement of ``amount`` (in the hub's currency; positive: credit, negative:
        debit) to the credit of ``partner`` (its commercial partner) with ``hub``, with the
        caller's rights.

        :param str kind: one of ``TRANSACTION_KINDS``
        :param str reason: why (required for the hub's own credits and debits)
        :param bool allow_negative: a debit that would make the balance negative is refused
                                    unless set (only a hub manager's explicit choice)
        :param counterpart_account: when set, the movement is booked: a posted entry between
                                    the hub's customer credit account and this account
        :param str label: the entry's label (default: ``reason``)
        :param links: the row's other fields (``move_id``, ``payment_transaction_id``,
                      ``reversed_transaction_id``, ``entry_move_id`` when booked elsewhere)
        :return: the new movement
        """
        partner = partner.commercial_partner_id
        currency = hub.currency_id
        amount = currency.round(amount)
        if currency.is_zero(amount):
            raise UserError(_("A credit movement needs an amount."))
        if (amount > 0) != (kind in CREDIT_KINDS):
            raise UserError(_("A credit adds to the balance, a debit takes from it."))
        if kind in MANUAL_KINDS and not (reason or "").strip():
            raise UserError(_("Say why the customer's credit changes."))
        self.browse().check_access("create")
        if counterpart_account is not None:
            entry = self._book(partner, hub, amount, counterpart_account, label or reason)
            links["entry_move_id"] = entry.id
        head_id, balance, count = self._lock_balance_head(partner, hub)
        balance_after = currency.round(balance + amount)
        if amount < 0 and currency.compare_amounts(balance_after, 0) < 0 and not allow_negative:
            raise UserError(
                _(
                    "%(customer)s has %(balance)s of credit with %(hub)s: a debit of %(amount)s "
                    "would leave a negative balance.",
                    customer=partner.display_name,
                    balance=currency.format(balance),
                    hub=hub.name,
                    amount=currency.format(-amount),
                )
            )
        transaction = self.browse().create(
            {
                **links,
                "partner_id": partner.id,
                "company_id": hub.id,
                "currency_id": currency.id,
                "sequence": count + 1,
                "amount": amount,
                "balance_after": balance_after,
                "kind": kind,
                "reason": reason,
            }
        )
        self.env.cr.execute(
            """
            UPDATE ofn_credit_balance
               SET balance = %s, transaction_count = %s, write_uid = %s, write_date = %s
             WHERE id = %s
            """,
            [balance_after, count + 1, self.env.uid, fields.Datetime.now(), head_id],
        )
        self.env["ofn.credit.balance"].browse(head_id).invalidate_recordset()
        return transaction

    @api.model
    def adjust(self, partner, hub, amount, reason, allow_negative=False):
        """Hub staff give a customer credit (``amount`` > 0), or take some back (``amount``
        < 0), by hand and say why, with the caller's rights; the counterpart is the hub's
        customer credit adjustments account. The customer is told by e-mail.

        :param bool allow_negative: a debit may take the balance below zero
        :return: the new movement
        """
        kind = "manual_credit" if amount > 0 else "manual_debit"
        label = _("Customer credit adjusted by %(hub)s: %(reason)s", hub=hub.name, reason=reason)
        transaction = self.post(
            partner,
            hub,
            amount,
            kind,
            reason=reason,
            allow_negative=allow_negative,
            counterpart_account=hub.sudo().ofn_credit_adjustment_account(),
            label=label,
        )
        self.env.ref("ofn_customer_wallet.mail_template_credit_adjusted").sudo().send_mail(
            transaction.id
        )
        return transaction

    @api.model
    def balance(self, partner, hub):
        """The current credit of ``partner`` (its commercial partner) with ``hub``, as far as
        the caller may see it (no lock: a posting re-reads it under its lock)."""
        head = self.env["ofn.credit.balance"].search(
            [("partner_id", "=", partner.commercial_partner_id.id), ("company_id", "=", hub.id)],
            limit=1,
        )
        return head.balance

    def give_back(self):
        """Gives back these applications of credit to invoices, once their invoice is reset to
        draft (or cancelled): the entry that applied the credit is reversed, and a ``reversal``
        movement restores the customer's balance. Posting the invoice again applies credit anew.
        An application is given back once.

        :return: the new ``reversal`` movements
        """
        self.check_access("read")
        applications = self.sudo().filtered(
            lambda row: row.kind == "applied_to_invoice" and row.move_id.state != "posted"
        )
        given_back = self.sudo().search([("reversed_transaction_id", "in", applications.ids)])
        Transaction = self.sudo().browse()
        restored = Transaction
        for application in applications - given_back.reversed_transaction_id:
            label = _(
                "Customer credit given back: %(invoice)s reset", invoice=application.move_id.name
            )
            reversal_entry = application.entry_move_id._reverse_moves(
                [{"date": fields.Date.context_today(self), "ref": label}], cancel=True
            )
            restored |= Transaction.post(
                application.partner_id,
                application.company_id,
                -application.amount,
                "reversal",
                reason=label,
                move_id=application.move_id.id,
                entry_move_id=reversal_entry.id,
                reversed_transaction_id=application.id,
            )
        return restored

    # === PRIVATE METHODS === #

    @api.model
    def _book(self, partner, hub, amount, counterpart_account, label):
        """Books ``amount`` (hub currency) of credit for ``partner`` (a commercial partner):
        positive, the credit account is credited (the hub owes more) and the counterpart
        debited; negative, the reverse. A posted entry in the hub's miscellaneous journal, both
        lines with the customer as partner, made as superuser. Returns the entry."""
        hub = hub.sudo()
        entry = (
            self.env["account.move"]
            .sudo()
            .with_company(hub)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": hub.ofn_credit_journal().id,
                    "date": fields.Date.context_today(self),
                    "ref": label,
                    "line_ids": [
                        Command.create(
                            {
                                "name": label,
                                "account_id": hub.ofn_credit_account().id,
                                "partner_id": partner.id,
                                "balance": -amount,
                            }
                        ),
                        Command.create(
                            {
                                "name": label,
                                "account_id": counterpart_account.id,
                                "partner_id": partner.id,
                                "balance": amount,
                            }
                        ),
                    ],
                }
            )
        )
        entry.action_post()
        return entry

    @api.model
    def _lock_balance_head(self, partner, hub):
        """Locks the (customer, hub) balance row, created on the first posting; returns its id,
        balance and number of movements."""
        head = self._select_balance_head_for_update(partner, hub)
        if head is None:
            now = fields.Datetime.now()
            self.env.cr.execute(
                """
                INSERT INTO ofn_credit_balance
                       (partner_id, company_id, currency_id, balance, transaction_count,
                        create_uid, create_date, write_uid, write_date)
                VALUES (%s, %s, %s, 0, 0, %s, %s, %s, %s)
                ON CONFLICT (partner_id, company_id) DO NOTHING
                """,
                [partner.id, hub.id, hub.currency_id.id, self.env.uid, now, self.env.uid, now],
            )
            head = self._select_balance_head_for_update(partner, hub)
        return head

    @api.model
    def _select_balance_head_for_update(self, partner, hub):
        self.env.cr.execute(
            """
            SELECT id, balance, transaction_count
              FROM ofn_credit_balance
             WHERE partner_id = %s AND company_id = %s
               FOR UPDATE
            """,
            [partner.id, hub.id],
        )
        return self.env.cr.fetchone()
