from odoo import _, api, models


class OfnCreditApplier(models.AbstractModel):
    """Pays a customer invoice with the customer's credit at its hub, before any card charge.

    The standing-order confirmation calls :meth:`apply` and then charges what is still due;
    posting a customer invoice applies credit too (``account.move._post``), unless the context
    has ``ofn_no_credit_apply``.
    """

    _name = "ofn.credit.applier"
    _description = "Apply customer credit to an invoice"

    @api.model
    def apply(self, invoice):
        """Applies min(credit balance, amount due) of the customer's credit at the invoice's hub
        to a posted customer invoice in the hub's currency: an entry from the credit account to
        receivable, reconciled with the invoice. Nothing is applied once a card payment was
        authorized or taken for the invoice (the card pays it; the credit waits for the next
        one). Returns the amount applied (0.0 when none)."""
        invoice.ensure_one()
        hub = invoice.company_id
        currency = hub.currency_id
        if (
            invoice.move_type != "out_invoice"
            or invoice.state != "posted"
            or invoice.currency_id != currency
            or currency.compare_amounts(invoice.amount_residual, 0) <= 0
        ):
            return 0.0
        ledger = self.env["ofn.credit.ledger"].sudo()
        partner = invoice.commercial_partner_id
        balance = ledger.balance(partner, hub)
        if currency.compare_amounts(balance, 0) <= 0 or self._card_payment_taken(invoice):
            return 0.0
        amount = min(balance, invoice.amount_residual)
        open_lines = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term" and not line.reconciled
        )
        receivable = open_lines.account_id[:1]
        label = _("Customer credit applied to %(invoice)s", invoice=invoice.name)
        entry = self.env["ofn.credit.bookkeeper"].book(partner, hub, -amount, receivable, label)
        entry_lines = entry.line_ids.filtered(lambda line: line.account_id == receivable)
        (entry_lines + open_lines.filtered(lambda line: line.account_id == receivable)).reconcile()
        ledger.post(
            partner,
            hub,
            -amount,
            "applied_to_invoice",
            move_id=invoice.id,
            entry_move_id=entry.id,
        )
        return amount

    def _card_payment_taken(self, invoice):
        return any(tx.state in ("authorized", "done") for tx in invoice.sudo().transaction_ids)
