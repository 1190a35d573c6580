from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..const import PAYMENT_MODES, STANDING_ORDER_STATES


class OfnStandingOrder(models.Model):
    """A customer's recurring order with a hub: the same lines in every order cycle of a
    schedule, between a start and an optional end date (ARCHITECTURE.md §2, §4)."""

    _name = "ofn.standing.order"
    _description = "Standing order"
    _order = "company_id, partner_id, id"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", string="Hub", required=True, index=True, default=lambda s: s.env.company
    )
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    partner_shipping_id = fields.Many2one("res.partner", string="Delivery address")
    schedule_id = fields.Many2one("ofn.schedule", required=True, ondelete="restrict")
    line_ids = fields.One2many("ofn.standing.order.line", "standing_order_id", string="Lines")
    start_date = fields.Date(required=True, default=fields.Date.context_today)
    end_date = fields.Date()
    payment_mode = fields.Selection(PAYMENT_MODES, required=True, default="card")
    status = fields.Selection(STANDING_ORDER_STATES, required=True, default="draft", readonly=True)
    state = fields.Selection(STANDING_ORDER_STATES, compute="_compute_state")
    occurrence_ids = fields.One2many(
        "ofn.standing.order.occurrence", "standing_order_id", string="Cycles"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_estimate = fields.Monetary(compute="_compute_amount_estimate", string="Estimate")

    @api.depends("partner_id.name", "schedule_id.name")
    def _compute_name(self):
        for order in self:
            order.name = f"{order.partner_id.name or ''} · {order.schedule_id.name or ''}"

    @api.depends("status", "end_date")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for order in self:
            ended = order.end_date and order.end_date < today
            order.state = "ended" if ended and order.status == "active" else order.status

    @api.depends("line_ids.price_estimate")
    def _compute_amount_estimate(self):
        for order in self:
            order.amount_estimate = sum(order.line_ids.mapped("price_estimate"))

    @api.constrains("start_date", "end_date")
    def _check_dates(self):
        for order in self:
            if order.end_date and order.end_date < order.start_date:
                raise ValidationError(_("A standing order ends after it starts."))

    @api.constrains("schedule_id", "company_id")
    def _check_schedule_of_the_hub(self):
        for order in self:
            if order.schedule_id.company_id != order.company_id:
                raise ValidationError(_("The schedule must be one of the hub's."))

    def _check_payment_possible(self):
        """Paying by card needs the customer's consent for this hub, with a default card."""
        for order in self.filtered(lambda o: o.payment_mode == "card"):
            customer = order.partner_id.commercial_partner_id.sudo()
            consent = customer._ofn_consent_for(order.company_id)
            if not customer._ofn_default_card():
                raise ValidationError(
                    _(
                        "%(customer)s has no card in their wallet: choose “Pay on invoice”, or ask "
                        "them to add a card.",
                        customer=customer.name,
                    )
                )
            if consent.state != "active":
                raise ValidationError(
                    _(
                        "%(customer)s has not allowed %(hub)s to charge their card: choose “Pay on "
                        "invoice”, or ask them to allow it on their Wallet page.",
                        customer=customer.name,
                        hub=order.company_id.name,
                    )
                )

    # ------------------------------------------------------------------ lifecycle
    def action_activate(self):
        self._check_payment_possible()
        self.write({"status": "active"})
        return True

    def action_pause(self):
        """Asks what happens to orders already placed in open cycles, if there are any."""
        return self.env["ofn.standing.order.stop"]._ask_or_stop(self, "paused")

    def action_cancel(self):
        return self.env["ofn.standing.order.stop"]._ask_or_stop(self, "cancelled")

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders.filtered(lambda o: o.status == "active")._check_payment_possible()
        self.env["ofn.occurrence.syncer"].sync(orders)
        return orders

    def write(self, vals):
        result = super().write(vals)
        if {"payment_mode", "partner_id", "status"} & set(vals):
            self.filtered(lambda o: o.status == "active")._check_payment_possible()
        if {"schedule_id", "start_date", "end_date", "status"} & set(vals):
            self.env["ofn.occurrence.syncer"].sync(self)
        return result


class OfnStandingOrderLine(models.Model):
    _name = "ofn.standing.order.line"
    _description = "Standing order line"

    standing_order_id = fields.Many2one(
        "ofn.standing.order", required=True, ondelete="cascade", index=True
    )
    product_id = fields.Many2one("product.product", required=True, domain=[("sale_ok", "=", True)])
    quantity = fields.Float(required=True, default=1.0, digits="Product Unit of Measure")
    currency_id = fields.Many2one(related="standing_order_id.currency_id")
    price_estimate = fields.Monetary(compute="_compute_price_estimate", string="Estimate")

    _sql_constraints = [("quantity_positive", "CHECK(quantity > 0)", "Order a positive quantity.")]

    @api.depends("product_id.lst_price", "quantity")
    def _compute_price_estimate(self):
        for line in self:
            line.price_estimate = line.product_id.lst_price * line.quantity
