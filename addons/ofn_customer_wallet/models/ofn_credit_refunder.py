from odoo import _, api, models
from odoo.exceptions import UserError


class OfnCreditRefunder(models.AbstractModel):
    """Refunds a customer credit note to the customer's credit at the hub instead of paying
    the money back: what the credit note still owes moves from receivable to the customer
    credit account, and the credit note is settled by that entry."""

    _name = "ofn.credit.refunder"
    _description = "Refund a credit note to customer credit"

    @api.model
    def refund(self, credit_note):
        """Refunds the amount still due of a posted customer credit note (in the hub's
        currency) to credit. Returns the new ``ofn.wallet.transaction``."""
        credit_note.ensure_one()
        hub = credit_note.company_id
        currency = hub.currency_id
        if credit_note.move_type != "out_refund" or credit_note.state != "posted":
            raise UserError(_("Only a posted customer credit note can be refunded to credit."))
        if credit_note.currency_id != currency:
            raise UserError(
                _("Customer credit is kept in %(currency)s only.", currency=currency.name)
            )
        amount = credit_note.amount_residual
        if currency.compare_amounts(amount, 0) <= 0:
            raise UserError(_("%(note)s has nothing left to refund.", note=credit_note.name))
        open_lines = credit_note.line_ids.filtered(
            lambda line: line.display_type == "payment_term" and not line.reconciled
        )
        receivable = open_lines.account_id[:1]
        partner = credit_note.commercial_partner_id
        label = _("%(note)s refunded to customer credit", note=credit_note.name)
        entry = self.env["ofn.credit.bookkeeper"].book(partner, hub, amount, receivable, label)
        entry_lines = entry.line_ids.filtered(lambda line: line.account_id == receivable)
        (entry_lines + open_lines.filtered(lambda line: line.account_id == receivable)).reconcile()
        return (
            self.env["ofn.credit.ledger"]
            .sudo()
            .post(
                partner,
                hub,
                amount,
                "refund_to_credit",
                reason=label,
                move_id=credit_note.id,
                entry_move_id=entry.id,
            )
        )
