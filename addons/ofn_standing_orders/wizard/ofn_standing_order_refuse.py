from odoo import fields, models


class OfnStandingOrderRefuse(models.TransientModel):
    """The hub refuses standing orders waiting for its approval, and tells the customers why."""

    _name = "ofn.standing.order.refuse"
    _description = "Refuse standing orders waiting for approval"

    standing_order_ids = fields.Many2many("ofn.standing.order", required=True)
    reason = fields.Text(
        required=True,
        help="Sent to the customer in the e-mail telling them their standing order is refused.",
    )

    def action_confirm(self):
        self.ensure_one()
        self.standing_order_ids._refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
