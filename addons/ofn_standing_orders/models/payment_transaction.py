from odoo import fields, models


class PaymentTransaction(models.Model):
    """A card payment of a standing order's invoice, tied to its occurrence: when it ends
    (at once, or later after the customer's 3-D Secure, or by a webhook), the occurrence
    follows."""

    _inherit = "payment.transaction"

    ofn_occurrence_id = fields.Many2one(
        "ofn.standing.order.occurrence", readonly=True, index="btree_not_null", copy=False
    )

    def _post_process(self):
        result = super()._post_process()
        occurrences = self.filtered("ofn_occurrence_id")
        if occurrences:
            self.env["ofn.occurrence.charger"]._follow_transactions(occurrences)
        return result

    def _ofn_after_authentication(self):
        """Once the customer answered their bank, the standing order's invoice is paid at once
        (the payment booked), or its occurrence fails."""
        state = super()._ofn_after_authentication()
        if self.ofn_occurrence_id:
            if state == "done" and not self.is_post_processed:
                self._post_process()  # books the payment; the occurrence follows
            else:
                self.env["ofn.occurrence.charger"]._follow_transactions(self)
        return state
