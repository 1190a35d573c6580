from odoo import _, api, fields, models


class OfnCreditRestorer(models.AbstractModel):
    """Gives back the credit applied to invoices reset to draft (or cancelled): the entry that
    applied it is reversed, and a ``reversal`` movement restores the customer's balance. Posting
    the invoice again applies credit anew."""

    _name = "ofn.credit.restorer"
    _description = "Give back customer credit applied to reset invoices"

    @api.model
    def restore(self, invoices):
        """Gives back every application of credit to ``invoices`` not given back yet. Returns
        the new ``ofn.wallet.transaction`` rows."""
        Transaction = self.env["ofn.wallet.transaction"].sudo()
        applied = Transaction.search(
            [("move_id", "in", invoices.ids), ("kind", "=", "applied_to_invoice")]
        )
        given_back = Transaction.search([("reversed_transaction_id", "in", applied.ids)])
        restored = Transaction
        for application in applied - given_back.reversed_transaction_id:
            label = _(
                "Customer credit given back: %(invoice)s reset", invoice=application.move_id.name
            )
            reversal_entry = application.entry_move_id._reverse_moves(
                [{"date": fields.Date.context_today(self), "ref": label}], cancel=True
            )
            restored |= (
                self.env["ofn.credit.ledger"]
                .sudo()
                .post(
                    application.partner_id,
                    application.company_id,
                    -application.amount,
                    "reversal",
                    reason=label,
                    move_id=application.move_id.id,
                    entry_move_id=reversal_entry.id,
                    reversed_transaction_id=application.id,
                )
            )
        return restored
