from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..credit_const import CREDIT_KINDS, MANUAL_KINDS


class OfnCreditLedger(models.AbstractModel):
    """Posts movements of a customer's credit with a hub, keeping the running balance right
    whatever the concurrency.

    Postings of one (customer, hub) are serialised by locking its ``ofn.credit.balance`` row
    (``SELECT ... FOR UPDATE``) until the transaction ends; the new row's ``balance_after`` is
    the locked balance plus the amount. Under Odoo's REPEATABLE READ isolation an advisory lock
    would not be enough (a transaction whose snapshot predates the previous posting's commit
    would read a stale balance after getting the lock); a row lock makes such a transaction fail
    with a serialisation error instead, which Odoo retries (requests and crons).

    Rows are created with the caller's rights (hub staff: only for their hubs); the services
    that post on the system's behalf (credit applied when an invoice is posted, ...) call it
    with ``sudo()``.
    """

    _name = "ofn.credit.ledger"
    _description = "Customer credit ledger"

    @api.model
    def post(self, partner, hub, amount, kind, reason=None, allow_negative=False, **links):
        """Adds a movement of ``amount`` (in the hub's currency; positive: credit, negative:
        debit) to the credit of ``partner`` (its commercial partner) with ``hub``.

        A debit that would make the balance negative is refused unless ``allow_negative`` (only
        a hub manager's explicit choice). ``links`` are the row's other fields (``move_id``,
        ``entry_move_id``, ``payment_transaction_id``, ``reversed_transaction_id``).

        Returns the new ``ofn.wallet.transaction``.
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
        Transaction = self.env["ofn.wallet.transaction"]
        Transaction.check_access("create")
        head_id, balance, count = self._lock_head(partner, hub)
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
        transaction = Transaction.create(
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
    def balance(self, partner, hub):
        """The current credit of ``partner`` (its commercial partner) with ``hub``, as far as
        the caller may see it (no lock: a posting re-reads it under its lock)."""
        head = self.env["ofn.credit.balance"].search(
            [("partner_id", "=", partner.commercial_partner_id.id), ("company_id", "=", hub.id)],
            limit=1,
        )
        return head.balance

    def _lock_head(self, partner, hub):
        """Locks the (customer, hub) balance row, created on the first posting; returns its id,
        balance and number of movements."""
        head = self._select_head_for_update(partner, hub)
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
            head = self._select_head_for_update(partner, hub)
        return head

    def _select_head_for_update(self, partner, hub):
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
