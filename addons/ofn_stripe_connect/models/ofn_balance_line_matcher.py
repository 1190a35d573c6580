from odoo import api, models


class OfnBalanceLineMatcher(models.AbstractModel):
    """Links Stripe balance lines to the Odoo ``payment.transaction`` they come from, and through
    it to the customer (and the invoices, see ``ofn.stripe.balance.line.invoice_ids``).

    Odoo's ``payment_stripe`` keeps the PaymentIntent id as a payment's ``provider_reference`` and
    the refund id as a refund's: a charge is found by its PaymentIntent, a refund by its own id or
    else by its charge's PaymentIntent (the refunded payment). Only transactions of the hub's own
    Stripe providers are candidates. Lines without a transaction stay ``unmatched``."""

    _name = "ofn.balance.line.matcher"
    _description = "Match Stripe balance lines with payment transactions"

    @api.model
    def match(self, lines):
        """Match the given ``ofn.stripe.balance.line`` records that have no transaction yet.

        :return: the lines matched now
        """
        lines = lines.sudo().filtered(lambda line: not line.transaction_id)
        matched = lines.browse()
        for account in lines.account_id:
            account_lines = lines.filtered(lambda line, acc=account: line.account_id == acc)
            found = self._transactions_by_reference(account, account_lines)
            for line in account_lines:
                tx = found.get((line.kind, line.stripe_source_id)) or found.get(
                    ("charge", line.stripe_payment_intent_id)
                )
                if tx:
                    line.write({"transaction_id": tx.id, "partner_id": tx.partner_id.id})
                    matched |= line
        return matched

    def _transactions_by_reference(self, account, lines):
        """``{(kind, provider_reference): payment.transaction}`` for the lines' payments and
        refunds on the account's providers (a done transaction wins over others)."""
        providers = (
            self.env["payment.provider"]
            .sudo()
            .with_context(active_test=False)
            .search([("ofn_stripe_account_id", "=", account.id)])
        )
        intents = {ref for ref in lines.mapped("stripe_payment_intent_id") if ref}
        refunds = set(lines.filtered(lambda line: line.kind == "refund").mapped("stripe_source_id"))
        if not providers or not (intents or refunds):
            return {}
        transactions = (
            self.env["payment.transaction"]
            .sudo()
            .search(
                [
                    ("provider_id", "in", providers.ids),
                    ("provider_reference", "in", list(intents | refunds)),
                    ("operation", "!=", "validation"),
                ],
                order="id",
            )
        )
        found = {}
        for tx in transactions.sorted(lambda tx: tx.state == "done"):
            kind = "refund" if tx.operation == "refund" else "charge"
            found[(kind, tx.provider_reference)] = tx
        return found
