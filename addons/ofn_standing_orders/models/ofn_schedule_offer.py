from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare


class OfnScheduleOffer(models.Model):
    """A product customers may order when they subscribe to a schedule themselves, with the
    quantities they may choose per cycle. Only the hub's own products (or products shared by
    every hub) flagged "Offered for standing orders" are offered."""

    _name = "ofn.schedule.offer"
    _description = "Product offered on a schedule's subscription page"
    _order = "schedule_id, sequence, id"

    sequence = fields.Integer(default=10)
    schedule_id = fields.Many2one("ofn.schedule", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(
        related="schedule_id.company_id", string="Hub", store=True, index=True
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        domain="[('sale_ok', '=', True), ('ofn_standing_order_ok', '=', True),"
        " ('company_id', 'in', [company_id, False])]",
    )
    min_quantity = fields.Float(
        string="Min. per cycle", default=1.0, digits="Product Unit of Measure"
    )
    max_quantity = fields.Float(
        string="Max. per cycle", default=10.0, digits="Product Unit of Measure"
    )
    uom_id = fields.Many2one(related="product_id.uom_id")

    _sql_constraints = [
        (
            "one_offer_per_product",
            "UNIQUE(schedule_id, product_id)",
            "A product is offered once per schedule.",
        ),
    ]

    @api.constrains("min_quantity", "max_quantity")
    def _check_bounds(self):
        for offer in self:
            rounding = offer.product_id.uom_id.rounding or 0.01
            if float_compare(offer.min_quantity, 0.0, precision_rounding=rounding) <= 0:
                raise ValidationError(_("Offer at least a positive quantity per cycle."))
            if (
                float_compare(offer.max_quantity, offer.min_quantity, precision_rounding=rounding)
                < 0
            ):
                raise ValidationError(
                    _("The largest quantity per cycle cannot be below the smallest one.")
                )

    @api.constrains("product_id", "schedule_id")
    def _check_product_of_the_hub(self):
        for offer in self:
            product = offer.product_id
            if product.company_id and product.company_id != offer.schedule_id.company_id:
                raise ValidationError(
                    _("%(product)s is another hub's product.", product=product.display_name)
                )
            if not product.ofn_standing_order_ok:
                raise ValidationError(
                    _(
                        "%(product)s is not offered for standing orders: tick “Offered for "
                        "standing orders” on the product first.",
                        product=product.display_name,
                    )
                )
