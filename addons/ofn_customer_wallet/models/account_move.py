from odoo import _, models
from odoo.exceptions import UserError

from ..const import CONTEXT_NO_CREDIT_APPLY


class AccountMove(models.Model):
    """Customer credit on invoices: applied when a customer invoice is posted, given back
    when it is reset to draft; a credit note can be refunded to credit."""

    _inherit = "account.move"

    # === OVERRIDES === #

    def _post(self, soft=True):
        """Override of `account`: the customer invoices posted are paid with their customer's
        credit first (:meth:`ofn_apply_credit`), unless the caller applies it itself once a
        whole batch is posted (context ``ofn_no_credit_apply``: the standing orders'
        confirmation, which then charges what is left to the card)."""
        posted = super()._post(soft)
        if not self.env.context.get(CONTEXT_NO_CREDIT_APPLY):
            posted.filtered(lambda move: move.move_type == "out_invoice").ofn_apply_credit()
        return posted

    def button_draft(self):
        """Override of `account`: the credit applied to the invoices reset is given back; the
        entries that moved credit stay posted."""
        self._ofn_check_credit_draftable()
        result = super().button_draft()
        invoices = self.filtered(lambda move: move.move_type == "out_invoice")
        self.env["ofn.wallet.transaction"].sudo().search(
            [("move_id", "in", invoices.ids), ("kind", "=", "applied_to_invoice")]
        ).give_back()
        return result

    # === ACTION METHODS === #

    def action_ofn_refund_to_credit(self):
        """Button of a posted customer credit note: refund it to the customer's credit."""
        self.check_access("write")
        for credit_note in self:
            credit_note._ofn_refund_to_credit()
        return True

    # === BUSINESS METHODS === #

    def ofn_apply_credit(self):
        """Pays these posted customer invoices with their customer's credit at their hub,
        before any card charge: min(credit balance, amount due) of each, by an entry from the
        credit account to receivable reconciled with the invoice. Nothing is applied to an
        invoice in another currency than its hub's, nor once a card payment was authorized or
        taken for it (the card pays it; the credit waits for the next one). For whoever may
        change the invoices.

        :return: the amount applied (0.0 when none)
        :rtype: float
        """
        self.check_access("write")
        return sum((invoice._ofn_apply_credit() for invoice in self), 0.0)

    # === PRIVATE METHODS === #

    def _ofn_apply_credit(self):
        self.ensure_one()
        hub = self.company_id
        currency = hub.currency_id
        if (
            self.move_type != "out_invoice"
            or self.state != "posted"
            or self.currency_id != currency
            or currency.compare_amounts(self.amount_residual, 0) <= 0
        ):
            return 0.0
        Transaction = self.env["ofn.wallet.transaction"].sudo()
        partner = self.commercial_partner_id
        balance = Transaction.balance(partner, hub)
        if currency.compare_amounts(balance, 0) <= 0 or self._ofn_card_payment_taken():
            return 0.0
        amount = min(balance, self.amount_residual)
        receivable = self._ofn_open_receivable_lines()
        applied = Transaction.post(
            partner,
            hub,
            -amount,
            "applied_to_invoice",
            counterpart_account=receivable.account_id,
            label=_("Customer credit applied to %(invoice)s", invoice=self.name),
            move_id=self.id,
        )
        applied.entry_move_id._ofn_settle(receivable)
        return amount

    def _ofn_refund_to_credit(self):
        """Refunds the amount still due of this posted customer credit note (in the hub's
        currency) to the customer's credit at the hub instead of paying the money back: what
        the credit note still owes moves from receivable to the customer credit account, and
        the credit note is settled by that entry. Returns the new movement."""
        self.ensure_one()
        hub = self.company_id
        currency = hub.currency_id
        if self.move_type != "out_refund" or self.state != "posted":
            raise UserError(_("Only a posted customer credit note can be refunded to credit."))
        if self.currency_id != currency:
            raise UserError(
                _("Customer credit is kept in %(currency)s only.", currency=currency.name)
            )
        amount = self.amount_residual
        if currency.compare_amounts(amount, 0) <= 0:
            raise UserError(_("%(note)s has nothing left to refund.", note=self.name))
        receivable = self._ofn_open_receivable_lines()
        label = _("%(note)s refunded to customer credit", note=self.name)
        refunded = (
            self.env["ofn.wallet.transaction"]
            .sudo()
            .post(
                self.commercial_partner_id,
                hub,
                amount,
                "refund_to_credit",
                reason=label,
                counterpart_account=receivable.account_id,
                move_id=self.id,
            )
        )
        refunded.entry_move_id._ofn_settle(receivable)
        return refunded

    def _ofn_open_receivable_lines(self):
        """The open receivable lines of this invoice or credit note (of its first receivable
        account)."""
        open_lines = self.line_ids.filtered(
            lambda line: line.display_type == "payment_term" and not line.reconciled
        )
        return open_lines.filtered(lambda line: line.account_id == open_lines.account_id[:1])

    def _ofn_settle(self, receivable):
        """Reconciles this credit entry's receivable line with the document's ``receivable``
        lines."""
        (
            self.line_ids.filtered(lambda line: line.account_id == receivable.account_id)
            + receivable
        ).reconcile()

    def _ofn_card_payment_taken(self):
        return any(tx.state in ("authorized", "done") for tx in self.sudo().transaction_ids)

    def _ofn_check_credit_draftable(self):
        """The entries of the credit ledger, and credit notes refunded to credit, stay posted:
        the credit may already be spent. Corrections go through the ledger."""
        booked = (
            self.env["ofn.wallet.transaction"]
            .sudo()
            .search_count(
                [
                    "|",
                    ("entry_move_id", "in", self.ids),
                    "&",
                    ("move_id", "in", self.ids),
                    ("kind", "=", "refund_to_credit"),
                ],
                limit=1,
            )
        )
        if booked:
            raise UserError(
                _(
                    "This entry moved customer credit and cannot be reset: credit or debit the "
                    "customer from Food Hubs > Customers > Customer credit instead."
                )
            )
