from odoo import fields, models

from ..const import OCCURRENCE_STATES


class OfnStandingOrderOccurrence(models.Model):
    """One standing order in one order cycle (OFN's proxy order): unique per pair, it links the
    ``sale.order`` placed for that cycle."""

    _name = "ofn.standing.order.occurrence"
    _description = "Standing order in an order cycle"
    _order = "cycle_opens_at, id"

    standing_order_id = fields.Many2one(
        "ofn.standing.order", required=True, ondelete="cascade", index=True
    )
    cycle_id = fields.Many2one("ofn.order.cycle", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="standing_order_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="standing_order_id.partner_id", store=True)
    cycle_opens_at = fields.Datetime(related="cycle_id.opens_at", store=True)
    state = fields.Selection(OCCURRENCE_STATES, required=True, default="planned", readonly=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, ondelete="set null")

    _sql_constraints = [
        (
            "one_per_order_and_cycle",
            "UNIQUE(standing_order_id, cycle_id)",
            "A standing order appears once in a cycle.",
        ),
    ]
