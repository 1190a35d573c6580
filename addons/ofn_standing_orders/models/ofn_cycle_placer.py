import logging

from odoo import _, api, fields, models
from odoo.tools import float_compare, float_is_zero, float_round

from .ofn_occurrence_lock import local_time
from .ofn_occurrence_runner import CYCLE_CLOSES_AT as _CLOSES_AT

_logger = logging.getLogger(__name__)

# an occurrence to place (row ``o``): planned, of an active standing order, in an open cycle;
# parameters: now, now
_PLACEABLE = """o.state = 'planned' AND o.sale_order_id IS NULL
    AND EXISTS (SELECT 1 FROM ofn_order_cycle c
                 WHERE c.id = o.cycle_id AND c.opens_at <= %s AND c.closes_at > %s)
    AND EXISTS (SELECT 1 FROM ofn_standing_order s
                 WHERE s.id = o.standing_order_id AND s.status = 'active')"""


class OfnCyclePlacer(models.AbstractModel):
    """Places the orders of open cycles (OFN's SubscriptionPlacementJob): every planned
    occurrence of an active standing order whose cycle is open becomes a ``sale.order`` of the
    hub, and the customer is told. The occurrences are locked (``FOR UPDATE SKIP LOCKED``) so
    that two runs never place the same one; an order with nothing left to order is not
    placed, and reported."""

    _name = "ofn.cycle.placer"
    _description = "Place the orders of open order cycles"

    @api.model
    def place(self, commit=False):
        """Returns the occurrences handled (placed or found empty)."""
        now = fields.Datetime.now()
        # what is still free of each stored product as this run places orders: the oldest
        # standing orders are served first
        stock: dict[int, float] = {}
        occurrences = self.env["ofn.occurrence.runner"].run(
            _PLACEABLE,
            [now, now],
            f"{_CLOSES_AT}, o.standing_order_id, o.id",
            lambda occurrence: self._place_one(occurrence, stock),
            commit=commit,
        )
        self.env["ofn.hub.summary"].send("placement", occurrences)
        return occurrences

    def _place_one(self, occurrence, stock=None):
        """``stock`` (product id -> quantity still free) is shared by the orders of one run."""
        standing = occurrence.standing_order_id
        if standing.end_date and occurrence.cycle_id.opens_at.date() > standing.end_date:
            return
        stock = {} if stock is None else stock
        taken = dict(stock)  # the run's stock changes only once this order is through
        quantities, changes = self._quantities(standing, taken)
        if not quantities:
            occurrence.write({"state": "empty", "change_note": "; ".join(changes) or False})
            stock.update(taken)
            _logger.info(
                "Standing order %s: nothing to order in cycle %s",
                standing.id,
                occurrence.cycle_id.id,
            )
            return
        warehouse = self._hub_warehouse(standing.company_id)
        order = (
            self.env["sale.order"]
            .with_company(standing.company_id)
            .create(
                {
                    "warehouse_id": warehouse.id,
                    "partner_id": standing.partner_id.id,
                    "partner_shipping_id": (standing.partner_shipping_id or standing.partner_id).id,
                    "company_id": standing.company_id.id,
                    "origin": standing.name,
                    "order_line": [
                        (0, 0, {"product_id": product.id, "product_uom_qty": quantity})
                        for product, quantity in quantities
                    ],
                }
            )
        )
        note = "; ".join(changes) or False
        occurrence.write({"sale_order_id": order.id, "state": "placed", "change_note": note})
        stock.update(taken)
        self._tell_customer(occurrence, order, changes)

    @api.model
    def _hub_warehouse(self, hub):
        """The hub's warehouse, which its orders ship from. Odoo makes one only for the first
        company of a database: a hub without one gets it now, named after the hub."""
        Warehouse = self.env["stock.warehouse"].sudo()
        warehouse = Warehouse.search([("company_id", "=", hub.id)], limit=1)
        if not warehouse:
            code = "".join(ch for ch in hub.name.upper() if ch.isalnum())[:5] or "HUB"
            warehouse = Warehouse.create({"name": hub.name, "code": code, "company_id": hub.id})
        return warehouse

    def _quantities(self, standing, stock):
        """[(product, quantity)] to order, capped by the stock still free for stored products,
        and the changes made, in words."""
        ordered, changes = [], []
        for line in standing.line_ids:
            product = line.product_id
            if not (product.active and product.sale_ok):
                changes.append(_("%(product)s: no longer sold", product=product.display_name))
                continue
            quantity = line.quantity
            if product.is_storable:
                free = self._free_quantity(product, standing.company_id, stock)
                rounding = product.uom_id.rounding
                if float_compare(quantity, free, precision_rounding=rounding) > 0:
                    quantity = max(float_round(free, precision_rounding=rounding), 0.0)
                    if float_is_zero(quantity, precision_rounding=rounding):
                        changes.append(_("%(product)s: out of stock", product=product.display_name))
                        continue
                    changes.append(
                        _(
                            "%(product)s: %(wanted)s wanted, %(got)s available",
                            product=product.display_name,
                            wanted=line.quantity,
                            got=quantity,
                        )
                    )
                stock[product.id] -= quantity
            ordered.append((product, quantity))
        return ordered, changes

    def _free_quantity(self, product, hub, stock):
        """What is free in the hub's warehouses, less what placed, unconfirmed orders of the hub
        already promise (the first time the product is met in this run)."""
        if product.id not in stock:
            free = product.with_company(hub).with_context(allowed_company_ids=hub.ids).free_qty
            self.env.cr.execute(
                """SELECT COALESCE(SUM(l.product_uom_qty), 0) FROM sale_order_line l
                     JOIN sale_order so ON so.id = l.order_id
                     JOIN ofn_standing_order_occurrence o ON o.sale_order_id = so.id
                    WHERE l.product_id = %s AND so.company_id = %s AND so.state IN ('draft', 'sent')
                      AND o.state = 'placed'""",
                [product.id, hub.id],
            )
            stock[product.id] = free - self.env.cr.fetchone()[0]
        return stock[product.id]

    def _tell_customer(self, occurrence, order, changes):
        closes = local_time(
            self.with_context(tz=order.partner_id.tz or self.env.context.get("tz")),
            occurrence.cycle_id.closes_at,
        )
        paragraphs = [
            _(
                "Your order %(order)s from %(hub)s is placed for this cycle. You can view it, "
                "change quantities or skip this cycle until %(closes)s.",
                order=order.name,
                hub=order.company_id.name,
                closes=closes,
            )
        ]
        if changes:
            paragraphs.append(_("Changed this time: %(changes)s.", changes="; ".join(changes)))
        self.env["ofn.customer.notifier"].notify(
            order,
            _("Your order from %(hub)s", hub=order.company_id.name),
            paragraphs,
            link=order.get_portal_url(),
            link_label=_("View my order"),
            more_links=[("/my/standing_orders", _("Change quantities or skip this cycle"))],
        )

    @api.model
    def _cron_place(self):
        self.place(commit=True)
