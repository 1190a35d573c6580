from odoo import _, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        """A customer with active standing orders is archived only when the user says so
        (context ``ofn_archive_standing_orders``): their orders would silently stop."""
        if vals.get("active") is False and not self.env.context.get("ofn_archive_standing_orders"):
            orders = (
                self.env["ofn.standing.order"]
                .sudo()
                .search([("partner_id", "in", self.ids), ("status", "=", "active")])
            )
            if orders:
                raise UserError(
                    _(
                        "%(customers)s still have active standing orders (%(count)s). Pause or "
                        "cancel them first, or archive while saying so.",
                        customers=", ".join(orders.partner_id.mapped("name")),
                        count=len(orders),
                    )
                )
        return super().write(vals)
