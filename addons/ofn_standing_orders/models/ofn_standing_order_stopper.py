from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import OPEN_OCCURRENCE_STATES


class OfnStandingOrderStopper(models.AbstractModel):
    """Pauses or cancels standing orders. The orders already placed in cycles still open are
    either kept (confirmed, invoiced and charged when their cycle closes) or cancelled with the
    standing order, as the hub decides; the customer is told what happens to them."""

    _name = "ofn.standing.order.stopper"
    _description = "Pause or cancel standing orders"

    @api.model
    def stop(self, standing_orders, status, open_orders):
        """``status``: ``paused`` or ``cancelled``; ``open_orders``: ``keep`` or ``cancel``."""
        if status not in ("paused", "cancelled") or open_orders not in ("keep", "cancel"):
            raise UserError(_("Pause or cancel, keeping or cancelling the open orders."))
        if status == "paused":
            standing_orders = standing_orders.filtered(lambda o: o.status == "active")
        if open_orders == "cancel":
            for occurrence in self._open_occurrences(standing_orders):
                self._cancel_order(occurrence)
        standing_orders.write({"status": status})
        return standing_orders

    @api.model
    def _open_occurrences(self, standing_orders):
        """Orders placed in cycles that have not closed yet: the customer may still get them."""
        return (
            self.env["ofn.standing.order.occurrence"]
            .sudo()
            .search(
                [
                    ("standing_order_id", "in", standing_orders.ids),
                    ("state", "in", OPEN_OCCURRENCE_STATES),
                    ("cycle_id.closes_at", ">", fields.Datetime.now()),
                ]
            )
        )

    def _cancel_order(self, occurrence):
        self.env.cr.execute(
            "SELECT id FROM ofn_standing_order_occurrence WHERE id = %s AND state IN %s "
            "FOR UPDATE NOWAIT",
            [occurrence.id, OPEN_OCCURRENCE_STATES],
        )
        if not self.env.cr.fetchone():
            return  # confirmed meanwhile: it is kept
        order = occurrence.sale_order_id.with_company(occurrence.company_id)
        if order and order.state in ("draft", "sent"):
            order.with_context(disable_cancel_warning=True).action_cancel()
            self.env["ofn.customer.notifier"].notify(
                order,
                _("Your order from %(hub)s is cancelled", hub=order.company_id.name),
                [
                    _(
                        "Your standing order with %(hub)s stopped: order %(order)s of this cycle "
                        "is cancelled, nothing will be charged for it.",
                        hub=order.company_id.name,
                        order=order.name,
                    )
                ],
            )
        occurrence.write({"state": "cancelled", "next_charge_at": False})
