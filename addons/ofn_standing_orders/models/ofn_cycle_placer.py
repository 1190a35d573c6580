import logging

from markupsafe import Markup, escape

from odoo import _, api, fields, models

_logger = logging.getLogger(__name__)


class OfnCyclePlacer(models.AbstractModel):
    """Places the orders of open cycles (OFN's SubscriptionPlacementJob): every planned
    occurrence of an active standing order whose cycle is open becomes a ``sale.order`` of the
    hub, and the customer is told. The occurrences are locked (``FOR UPDATE SKIP LOCKED``) so
    that two runs never place the same one; an order with nothing left to order is not
    placed, and reported."""

    _name = "ofn.cycle.placer"
    _description = "Place the orders of open order cycles"

    @api.model
    def place(self):
        """Returns the occurrences handled (placed or found empty)."""
        now = fields.Datetime.now()
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT o.id FROM ofn_standing_order_occurrence o
                 JOIN ofn_order_cycle c ON c.id = o.cycle_id
                 JOIN ofn_standing_order s ON s.id = o.standing_order_id
                WHERE o.state = 'planned' AND o.sale_order_id IS NULL AND s.status = 'active'
                  AND c.opens_at <= %s AND c.closes_at > %s
                ORDER BY c.closes_at, o.id
                  FOR UPDATE OF o SKIP LOCKED""",
            [now, now],
        )
        occurrences = (
            self.env["ofn.standing.order.occurrence"]
            .sudo()
            .browse([row[0] for row in self.env.cr.fetchall()])
        )
        for occurrence in occurrences:
            with self.env.cr.savepoint():
                self._place_one(occurrence)
        self._tell_hubs(occurrences)
        return occurrences

    def _place_one(self, occurrence):
        standing = occurrence.standing_order_id
        lines = standing.line_ids.filtered(
            lambda line: line.product_id.active and line.product_id.sale_ok
        )
        if standing.end_date and occurrence.cycle_id.opens_at.date() > standing.end_date:
            return
        if not lines:
            occurrence.state = "empty"
            _logger.info(
                "Standing order %s: nothing to order in cycle %s",
                standing.id,
                occurrence.cycle_id.id,
            )
            return
        order = (
            self.env["sale.order"]
            .with_company(standing.company_id)
            .create(
                {
                    "partner_id": standing.partner_id.id,
                    "partner_shipping_id": (standing.partner_shipping_id or standing.partner_id).id,
                    "company_id": standing.company_id.id,
                    "origin": standing.name,
                    "order_line": [
                        (0, 0, {"product_id": line.product_id.id, "product_uom_qty": line.quantity})
                        for line in lines
                    ],
                }
            )
        )
        occurrence.write({"sale_order_id": order.id, "state": "placed"})
        self._tell_customer(occurrence, order, dropped=standing.line_ids - lines)

    def _tell_customer(self, occurrence, order, dropped):
        closes = fields.Datetime.context_timestamp(self, occurrence.cycle_id.closes_at)
        body = Markup("<p>%s</p>") % _(
            "Your order %(order)s from %(hub)s is placed for this cycle. You can view it, change "
            "quantities or skip this cycle until %(closes)s.",
            order=order.name,
            hub=order.company_id.name,
            closes=closes.strftime("%Y-%m-%d %H:%M"),
        )
        if dropped:
            body += Markup("<p>%s</p>") % _(
                "Not available this time: %(products)s.",
                products=", ".join(dropped.product_id.mapped("display_name")),
            )
        body += Markup('<p><a href="%s">%s</a></p>') % (
            escape(order.get_base_url() + order.get_portal_url()),
            _("View my order"),
        )
        order.message_post(
            body=body,
            subject=_("Your order from %(hub)s", hub=order.company_id.name),
            partner_ids=order.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _tell_hubs(self, occurrences):
        """One summary per hub to its managers: what was placed, and what was not."""
        manager_group = self.env.ref("ofn_stripe_connect.group_ofn_hub_manager")
        for hub in occurrences.company_id:
            done = occurrences.filtered(lambda o, hub=hub: o.company_id == hub)
            placed = done.filtered(lambda o: o.state == "placed")
            empty = done.filtered(lambda o: o.state == "empty")
            managers = manager_group.users.filtered(lambda u, hub=hub: hub in u.company_ids)
            body = Markup("<p>%s</p>") % _(
                "Standing orders placed: %(placed)s. Nothing to order: %(empty)s.",
                placed=len(placed),
                empty=len(empty),
            )
            if empty:
                body += Markup("<ul>%s</ul>") % Markup().join(
                    Markup("<li>%s</li>") % o.standing_order_id.name for o in empty
                )
            hub.partner_id.message_notify(
                body=body,
                subject=_("Standing orders placed for %(hub)s", hub=hub.name),
                partner_ids=managers.partner_id.ids,
            )

    @api.model
    def _cron_place(self):
        self.place()
