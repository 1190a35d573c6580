from odoo import _, fields, models

from ..const import ENGINE_CONTEXT


class PaymentTransaction(models.Model):
    """A card payment of a standing order's invoice, tied to its occurrence: when it ends
    (at once, or later after the customer's 3-D Secure, or by a webhook), the occurrence
    follows."""

    _inherit = "payment.transaction"

    ofn_occurrence_id = fields.Many2one(
        "ofn.standing.order.occurrence", readonly=True, index="btree_not_null", copy=False
    )

    def _log_sent_message(self):
        """Override of `payment` to keep the invoice of a standing order free of "payment sent"
        notes: the occurrence tells what happened (and nothing is written while Stripe is
        asked)."""
        return super(PaymentTransaction, self._ofn_not_standing())._log_sent_message()

    def _log_received_message(self):
        """Override of `payment`: no "payment received" note either, on the thousands of
        invoices a cycle's close pays; the customer's e-mail and the occurrence tell it."""
        return super(PaymentTransaction, self._ofn_not_standing())._log_received_message()

    def _ofn_not_standing(self):
        return self.filtered(lambda tx: not tx.ofn_occurrence_id)

    def _post_process(self):
        """Override of `payment`: the occurrence follows its payment once it is booked."""
        result = super()._post_process()
        for tx in self.filtered("ofn_occurrence_id"):
            tx.ofn_occurrence_id._follow(tx)
        return result

    def action_ofn_complete_authentication(self):
        """Override of `ofn_customer_wallet`: once the customer answered their bank, the
        standing order's invoice is paid at once (the payment booked), or its occurrence
        fails."""
        state = super().action_ofn_complete_authentication()
        if self.ofn_occurrence_id:
            if state == "done" and not self.is_post_processed:
                self._post_process()  # books the payment; the occurrence follows
            else:
                self.ofn_occurrence_id._follow(self)
        return state

    def _ofn_waits_for_authentication(self):
        """Override of `ofn_customer_wallet`: the customer paying a standing order on the
        portal (on-session) answers their bank in the browser; meanwhile the payment waits."""
        return super()._ofn_waits_for_authentication() or (
            bool(self.ofn_occurrence_id) and self.operation == "online_token"
        )

    def _stripe_prepare_payment_intent_payload(self):
        """Override of `payment_stripe`, which charges every token off-session: the customer
        paying a standing order on the portal is there (on-session), so their bank may ask
        for 3-D Secure in the browser."""
        payload = super()._stripe_prepare_payment_intent_payload()
        if self.ofn_occurrence_id and self.operation == "online_token":
            del payload["off_session"]  # on-session: Stripe's default
        return payload

    def _ofn_bank_message(self):
        """Why the bank refused, in its own words when payment_stripe kept them."""
        message = (self.state_message or "").strip()
        if "'" in message:  # payment_stripe wraps the bank's words
            message = message.split("'", 1)[1].rsplit("'", 1)[0] or message
        return message or _("The payment was refused.")

    def _ofn_book(self):
        """Batch form of `account_payment`'s post-processing for these done transactions:
        their payments created in one ``create``, posted in one ``action_post`` and reconciled
        with their invoices in one reconciliation plan; without the tracking messages ("Paid")
        and followers that nobody reads on thousands of invoices."""
        transactions = self.with_context(**ENGINE_CONTEXT).filtered(
            lambda tx: tx.state == "done" and not tx.is_post_processed and not tx.payment_id
        )
        if not transactions:
            return
        company = transactions.provider_id.company_id[:1]
        Payment = transactions.env["account.payment"].with_company(company)
        # Odoo Community gives a payment whose method has no outstanding account the company's
        # one, written on each payment after its creation, one by one: found once, given at once
        community = Payment.env["account.move"]._get_invoice_in_payment_state() != "in_payment"
        fallback = None
        values_list = []
        for tx in transactions:
            method_line = tx.provider_id.journal_id.inbound_payment_method_line_ids.filtered(
                lambda line, tx=tx: line.payment_provider_id == tx.provider_id
            )[:1]
            invoices = tx.invoice_ids.filtered(lambda move: move.state == "posted")
            term_lines = invoices.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )
            outstanding = method_line.payment_account_id
            if not outstanding and community:
                if fallback is None:
                    fallback = Payment.new({"company_id": company.id})._get_outstanding_account(
                        "inbound"
                    )
                outstanding = fallback
            values_list.append(
                {
                    "amount": abs(tx.amount),
                    "payment_type": "inbound",
                    "currency_id": tx.currency_id.id,
                    "partner_id": tx.partner_id.commercial_partner_id.id,
                    "partner_type": "customer",
                    "journal_id": tx.provider_id.journal_id.id,
                    "company_id": tx.provider_id.company_id.id,
                    "payment_method_line_id": method_line.id,
                    **({"outstanding_account_id": outstanding.id} if outstanding else {}),
                    "payment_token_id": tx.token_id.id,
                    "payment_transaction_id": tx.id,
                    "memo": f"{tx.reference} - {tx.partner_id.display_name or ''} - "
                    f"{tx.provider_reference or ''}",
                    "invoice_ids": [fields.Command.set(invoices.ids)],
                    **(
                        {"destination_account_id": term_lines[0].account_id.id}
                        if term_lines
                        else {}
                    ),
                }
            )
        payments = Payment.create(values_list)
        payments.action_post()
        plan = []
        for tx, payment in zip(transactions, payments, strict=True):
            tx.payment_id = payment
            plan.append(
                (payment.move_id.line_ids + tx.invoice_ids.line_ids).filtered(
                    lambda line, payment=payment: (
                        line.account_id == payment.destination_account_id and not line.reconciled
                    )
                )
            )
        transactions.env["account.move.line"]._reconcile_plan(plan)
        transactions.is_post_processed = True
