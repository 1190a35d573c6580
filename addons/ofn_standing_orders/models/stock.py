from odoo import api, models

from ..lookups import looked_up_once, once


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    def _action_launch_stock_rule(self, **kwargs):
        """Override of `sale_stock`, which looks the stock rules up for each line and the
        reordering rules for each order: once per batch here (``looked_up_once``)."""
        with looked_up_once(self.env):
            return super()._action_launch_stock_rule(**kwargs)


class ProcurementGroup(models.Model):
    _inherit = "procurement.group"

    @api.model
    def run(self, procurements, raise_user_error=True):
        """Override of `stock`: a batch of procurements (``looked_up_once``)."""
        with looked_up_once(self.env):
            return super().run(procurements, raise_user_error=raise_user_error)

    @api.model
    def _search_rule_for_warehouses(
        self, route_ids, packaging_id, product_id, warehouse_ids, domain
    ):
        """Override of `stock`: the rules found for a set of routes, warehouses and locations
        are found once per batch (the product matters only by its routes)."""
        key = (
            "rules",
            tuple(route_ids.ids) if route_ids else (),
            tuple(packaging_id.route_ids.ids) if packaging_id else (),
            tuple(sorted((product_id.route_ids | product_id.categ_id.total_route_ids).ids)),
            tuple(warehouse_ids.ids) if warehouse_ids else (),
            repr(domain),
        )
        return once(
            self.env,
            key,
            lambda: super(ProcurementGroup, self)._search_rule_for_warehouses(
                route_ids, packaging_id, product_id, warehouse_ids, domain
            ),
        )


class StockMove(models.Model):
    _inherit = "stock.move"

    def _trigger_scheduler(self):
        """Override of `stock`, which searches an automatic reordering rule for every move it
        confirms: when the moves' companies have none (most hubs), nothing is searched for."""
        if not self:
            return None
        companies = tuple(sorted(self.company_id.ids))
        automatic = once(
            self.env,
            ("automatic reordering rules", companies),
            lambda: bool(
                self.env["stock.warehouse.orderpoint"].search_count(
                    [("trigger", "=", "auto"), ("company_id", "in", list(companies))], limit=1
                )
            ),
        )
        return super()._trigger_scheduler() if automatic else None
