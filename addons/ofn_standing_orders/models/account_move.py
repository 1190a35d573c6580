from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _invoice_paid_hook(self):
        """Override of `account`: when the engine books a standing order's payment, `sale`'s
        "Invoice ... paid" note on the order is left out: the engine's message to the customer,
        on the same order, says it (see `sale.order.message_post`)."""
        moves = self
        if self.env.context.get("ofn_engine"):
            moves = self.with_context(ofn_invoice_paid_hook=True)
        return super(AccountMove, moves)._invoice_paid_hook()
