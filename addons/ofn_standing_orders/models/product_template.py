from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    ofn_standing_order_ok = fields.Boolean(
        string="Offered for standing orders",
        help="The hub may offer this product on the subscription pages of its schedules, where "
        "customers start their own standing orders.",
    )
