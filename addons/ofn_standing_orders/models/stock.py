from odoo import api, models

_RULES = "ofn_stock_rules"  # the cursor's cache, while a batch of procurements runs


class ProcurementGroup(models.Model):
    _inherit = "procurement.group"

    @api.model
    def run(self, procurements, raise_user_error=True):
        """Override of `stock`, which looks the rules up once per procurement (each line of
        each order a cycle's close confirms): within one batch, the rules found for a set of
        routes, warehouses and locations are found once."""
        cache = self.env.cr.cache
        if _RULES in cache:  # a batch that runs another (a chain of rules)
            return super().run(procurements, raise_user_error=raise_user_error)
        cache[_RULES] = {}
        try:
            return super().run(procurements, raise_user_error=raise_user_error)
        finally:
            cache.pop(_RULES, None)

    @api.model
    def _search_rule_for_warehouses(self, route_ids, packaging_id, product_id, warehouse_ids, domain):
        found = self.env.cr.cache.get(_RULES)
        if found is None:
            return super()._search_rule_for_warehouses(
                route_ids, packaging_id, product_id, warehouse_ids, domain
            )
        # what the search depends on: the product only through its routes
        key = (
            tuple(route_ids.ids) if route_ids else (),
            tuple(packaging_id.route_ids.ids) if packaging_id else (),
            tuple(sorted((product_id.route_ids | product_id.categ_id.total_route_ids).ids)),
            tuple(warehouse_ids.ids) if warehouse_ids else (),
            repr(domain),
            self.env.uid,
            self.env.su,
            tuple(self.env.companies.ids),
            self.env.context.get("active_test", True),
        )
        if key not in found:
            found[key] = super()._search_rule_for_warehouses(
                route_ids, packaging_id, product_id, warehouse_ids, domain
            )
        return found[key]


class StockMove(models.Model):
    _inherit = "stock.move"

    def _trigger_scheduler(self):
        """Override of `stock`, which searches an automatic reordering rule for every move it
        confirms: when the moves' companies have none (most hubs), nothing is searched for."""
        if self and not self.env["stock.warehouse.orderpoint"].search_count(
            [("trigger", "=", "auto"), ("company_id", "in", self.company_id.ids)], limit=1
        ):
            return None
        return super()._trigger_scheduler()
