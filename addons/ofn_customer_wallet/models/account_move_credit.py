from odoo import _, models
from odoo.exceptions import UserError

from ..credit_const import CONTEXT_NO_CREDIT_APPLY


class AccountMove(models.Model):
    """Customer credit on invoices: applied when a customer invoice is posted, given back
    when it is reset to draft; a credit note can be refunded to credit."""

    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft)
        if not self.env.context.get(CONTEXT_NO_CREDIT_APPLY):
            applier = self.env["ofn.credit.applier"]
            for invoice in posted.filtered(lambda move: move.move_type == "out_invoice"):
                applier.apply(invoice)
        return posted

    def button_draft(self):
        self._ofn_check_credit_draftable()
        result = super().button_draft()
        self.env["ofn.credit.restorer"].restore(
            self.filtered(lambda move: move.move_type == "out_invoice")
        )
        return result

    def action_ofn_refund_to_credit(self):
        """Button of a posted customer credit note: refund it to the customer's credit."""
        self.check_access("write")
        refunder = self.env["ofn.credit.refunder"]
        for credit_note in self:
            refunder.refund(credit_note)
        return True

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
