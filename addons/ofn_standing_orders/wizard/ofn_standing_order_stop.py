from odoo import _, api, fields, models


class OfnStandingOrderStop(models.TransientModel):
    """Asked when pausing or cancelling standing orders that already have orders placed in
    cycles still open: are those kept or cancelled?"""

    _name = "ofn.standing.order.stop"
    _description = "Pause or cancel standing orders: their open orders"

    standing_order_ids = fields.Many2many("ofn.standing.order", required=True)
    status = fields.Selection(
        [("paused", "Pause"), ("cancelled", "Cancel")], required=True, readonly=True
    )
    open_orders = fields.Selection(
        [
            ("keep", "Keep them: they are confirmed and charged when their cycle closes"),
            ("cancel", "Cancel them: the customer gets nothing and pays nothing for them"),
        ],
        string="Orders already placed",
        required=True,
        default="keep",
    )
    open_occurrence_ids = fields.Many2many(
        "ofn.standing.order.occurrence", compute="_compute_open_occurrence_ids"
    )

    @api.depends("standing_order_ids")
    def _compute_open_occurrence_ids(self):
        for wizard in self:
            wizard.open_occurrence_ids = wizard.standing_order_ids._open_occurrences()

    def action_confirm(self):
        self.ensure_one()
        self.standing_order_ids._stop(self.status, self.open_orders)
        return {"type": "ir.actions.act_window_close"}

    @api.model
    def _ask_or_stop(self, standing_orders, status):
        """The wizard when there are open orders to decide about; otherwise stop at once."""
        if not standing_orders._open_occurrences():
            standing_orders._stop(status, "keep")
            return True
        wizard = self.create(
            {"standing_order_ids": [(6, 0, standing_orders.ids)], "status": status}
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Pause standing orders")
            if status == "paused"
            else _("Cancel standing orders"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }
