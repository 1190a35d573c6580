from odoo import api, fields, models

from ..const import FAILURE_REASONS, OCCURRENCE_STATES


class OfnStandingOrderOccurrence(models.Model):
    """One standing order in one order cycle (OFN's proxy order): unique per pair, it links the
    ``sale.order`` placed for that cycle, its invoice and the card payments tried for it."""

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
    cycle_closes_at = fields.Datetime(related="cycle_id.closes_at", string="Closes at")
    state = fields.Selection(
        OCCURRENCE_STATES, required=True, default="planned", readonly=True, index=True
    )
    sale_order_id = fields.Many2one("sale.order", readonly=True, ondelete="set null")
    change_note = fields.Text(
        readonly=True, help="What the placement changed: quantities capped, products dropped."
    )
    invoice_id = fields.Many2one("account.move", readonly=True, ondelete="set null")
    currency_id = fields.Many2one(related="invoice_id.currency_id")
    amount_due = fields.Monetary(related="invoice_id.amount_residual", string="Due")
    payment_state = fields.Selection(related="invoice_id.payment_state")
    transaction_ids = fields.One2many(
        "payment.transaction", "ofn_occurrence_id", string="Card payments", readonly=True
    )
    charge_attempts = fields.Integer(readonly=True, help="Card payments tried so far.")
    next_charge_at = fields.Datetime(
        readonly=True, index=True, help="When the card is charged (again); empty: not planned."
    )
    charge_unknown_since = fields.Datetime(
        readonly=True,
        help="Since when Stripe's answer to the card payment is missing: the same payment, with "
        "the same idempotency key, is asked again until Stripe answers.",
    )
    failure_reason = fields.Selection(FAILURE_REASONS, readonly=True)
    failure_message = fields.Char(readonly=True)
    needs_attention = fields.Boolean(
        readonly=True,
        index=True,
        help="Every attempt to charge the card failed: the invoice is unpaid and the hub has to "
        "settle it with the customer.",
    )
    can_change = fields.Boolean(compute="_compute_can_change")

    _sql_constraints = [
        (
            "one_per_order_and_cycle",
            "UNIQUE(standing_order_id, cycle_id)",
            "A standing order appears once in a cycle.",
        ),
    ]

    @api.depends("state", "cycle_id.closes_at")
    def _compute_can_change(self):
        """The customer may skip, un-skip or change the order until the cycle closes."""
        now = fields.Datetime.now()
        for occurrence in self:
            occurrence.can_change = (
                occurrence.state in ("planned", "skipped", "placed", "empty")
                and occurrence.cycle_id.closes_at > now
            )
