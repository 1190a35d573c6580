"""The customer's "My standing orders" page (/my/standing_orders, ARCHITECTURE.md §3 routes): each
standing order with its coming and recent cycles, how each cycle's order is paid, and until a
cycle closes: skip it, take it back, change the quantities of the order placed for it."""

from werkzeug.exceptions import NotFound
from werkzeug.urls import url_encode

from odoo import _, fields, http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from odoo.addons.ofn_stripe_connect.utils import format_local_time
from odoo.addons.portal.controllers.portal import CustomerPortal

PAGE = "/my/standing_orders"

# the cycles shown per standing order: the coming ones (not closed), then the last closed ones
UPCOMING_CYCLES = 6
RECENT_CYCLES = 3

# Bootstrap badge of each occurrence state
STATE_BADGES = {
    "planned": "text-bg-light",
    "skipped": "text-bg-secondary",
    "empty": "text-bg-light",
    "placed": "text-bg-info",
    "confirmed": "text-bg-primary",
    "awaiting_authentication": "text-bg-warning",
    "paid": "text-bg-success",
    "failed": "text-bg-danger",
    "cancelled": "text-bg-secondary",
}


class StandingOrderPortal(CustomerPortal):
    # ------------------------------------------------------------------ home
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "ofn_standing_order_count" in counters:
            StandingOrder = request.env["ofn.standing.order"]
            values["ofn_standing_order_count"] = (
                StandingOrder.search_count(self._standing_orders_domain())
                if StandingOrder.has_access("read")
                else 0
            )
        return values

    # ------------------------------------------------------------------ page
    @http.route(PAGE, type="http", auth="user", methods=["GET"], website=True)
    def standing_orders(self, message=None, error=None, **kwargs):
        StandingOrder = request.env["ofn.standing.order"]
        orders = (
            StandingOrder.search(self._standing_orders_domain())
            if StandingOrder.has_access("read")
            else StandingOrder
        )
        # still running first, then the newest
        orders = orders.sorted(lambda o: (o.status not in ("active", "paused"), -o.id))
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "ofn_standing_orders",
                "entries": [self._standing_order_entry(order) for order in orders],
                "tz": self._customer_tz(),
                "message": message,
                "error": error,
            }
        )
        return request.render("ofn_standing_orders.portal_my_standing_orders", values)

    def _standing_orders_domain(self):
        return [
            ("partner_id", "child_of", self._standing_customer().id),
            ("status", "!=", "draft"),
        ]

    def _standing_order_entry(self, order):
        """One standing order (read by the customer, record rules applied) and its cycles,
        read with sudo: the hub's cycles, orders and invoices are not portal records."""
        order_sudo = order.sudo()
        Occurrence = request.env["ofn.standing.order.occurrence"].sudo()
        now = fields.Datetime.now()
        upcoming = Occurrence.search(
            [("standing_order_id", "=", order.id), ("cycle_id.closes_at", ">", now)],
            order="cycle_opens_at, id",
            limit=UPCOMING_CYCLES,
        )
        recent = Occurrence.search(
            [("standing_order_id", "=", order.id), ("cycle_id.closes_at", "<=", now)],
            order="cycle_opens_at desc, id desc",
            limit=RECENT_CYCLES,
        )
        return {
            "order": order_sudo,
            "upcoming": [self._occurrence_row(o) for o in upcoming],
            "recent": [self._occurrence_row(o) for o in recent],
            "can_take_back": order_sudo.status in ("active", "paused"),
        }

    def _occurrence_row(self, occurrence):
        """What the page shows of one cycle: its order and invoice links (with their portal
        access tokens) and the 3-D Secure link of a payment waiting for the customer."""
        order = occurrence.sale_order_id
        invoice = occurrence.invoice_id
        waiting = occurrence.transaction_ids.filtered(
            lambda tx: tx.state == "pending" and tx.ofn_requires_authentication
        )[:1]
        return {
            "occurrence": occurrence,
            "badge": STATE_BADGES.get(occurrence.state, "text-bg-light"),
            "order_url": order.get_portal_url() if order and order.state != "cancel" else False,
            "invoice_url": invoice.get_portal_url() if invoice else False,
            "authenticate_url": waiting.ofn_authentication_url() if waiting else False,
        }

    def _refused(self, act):
        """Runs a customer's change in a savepoint: the page with the reason when it is refused
        (nothing changed), else None."""
        try:
            with request.env.cr.savepoint():
                act()
        except AccessError:
            raise  # a fault, not the customer's: never shown as a message
        except UserError as failure:
            return self._standing_orders_back(error=failure.args[0])
        return None

    # ------------------------------------------------------------------ skip / take back
    @http.route(
        PAGE + "/occurrence/<int:occurrence_id>/skip", type="http", auth="user", methods=["POST"]
    )
    def occurrence_skip(self, occurrence_id, **kwargs):
        occurrence = self._own_occurrence(occurrence_id)
        refused = self._refused(lambda: occurrence._skip())
        if refused:
            return refused
        message = _(
            "You skipped the cycle closing on %(closes)s at %(hub)s.",
            closes=self._local(occurrence.cycle_id.closes_at),
            hub=occurrence.company_id.name,
        )
        if occurrence.sale_order_id:  # it was placed: the skip cancelled it
            message += " " + _(
                "Your order %(order)s is cancelled.", order=occurrence.sale_order_id.name
            )
        return self._standing_orders_back(message=message)

    @http.route(
        PAGE + "/occurrence/<int:occurrence_id>/unskip", type="http", auth="user", methods=["POST"]
    )
    def occurrence_unskip(self, occurrence_id, **kwargs):
        occurrence = self._own_occurrence(occurrence_id)
        refused = self._refused(lambda: occurrence._unskip())
        if refused:
            return refused
        closes = self._local(occurrence.cycle_id.closes_at)
        if occurrence.state == "placed":
            message = _(
                "The cycle closing on %(closes)s is back: your order %(order)s is placed.",
                closes=closes,
                order=occurrence.sale_order_id.name,
            )
        elif occurrence.state == "empty":
            message = _(
                "The cycle closing on %(closes)s is back, but none of your products can be "
                "ordered in it.",
                closes=closes,
            )
        elif occurrence.cycle_id.opens_at > fields.Datetime.now():
            message = _(
                "The cycle closing on %(closes)s is back in your standing order: your order is "
                "placed when the cycle opens.",
                closes=closes,
            )
        else:  # a paused standing order: placed once it is active again
            message = _(
                "The cycle closing on %(closes)s is back in your standing order.", closes=closes
            )
        return self._standing_orders_back(message=message)

    # ------------------------------------------------------------------ quantities
    @http.route(
        PAGE + "/occurrence/<int:occurrence_id>/quantities",
        type="http",
        auth="user",
        methods=["GET", "POST"],
        website=True,
    )
    def occurrence_quantities(self, occurrence_id, error=None, **kwargs):
        """GET: the form with the placed order's lines; POST: their new quantities, sent as
        ``qty_<line id>`` fields."""
        occurrence = self._own_occurrence(occurrence_id)
        if request.httprequest.method == "POST":
            return self._save_quantities(occurrence, kwargs)
        order = occurrence.sale_order_id
        if occurrence.state != "placed" or not occurrence.can_change:
            return self._standing_orders_back(
                error=_("This cycle's order can no longer be changed.")
            )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "ofn_standing_order_quantities",
                "occurrence": occurrence,
                "sale_order": order,
                "lines": order._ofn_customer_lines(),
                "tz": self._customer_tz(),
                "error": error,
            }
        )
        return request.render("ofn_standing_orders.portal_standing_order_quantities", values)

    def _save_quantities(self, occurrence, form):
        quantities = {
            key.removeprefix("qty_"): value for key, value in form.items() if key.startswith("qty_")
        }
        try:
            with request.env.cr.savepoint():
                changes = occurrence._set_quantities(quantities)
        except AccessError:
            raise  # a fault, not the customer's: never shown as a message
        except UserError as failure:
            query = url_encode({"error": failure.args[0]})
            return request.redirect(f"{PAGE}/occurrence/{occurrence.id}/quantities?{query}")
        order = occurrence.sale_order_id
        if not changes:
            return self._standing_orders_back(
                message=_("Nothing changed in your order %(order)s.", order=order.name)
            )
        return self._standing_orders_back(
            message=_(
                "Your order %(order)s is changed: %(changes)s.",
                order=order.name,
                changes="; ".join(changes),
            )
        )

    # ------------------------------------------------------------------ ownership
    def _standing_customer(self):
        return request.env.user.partner_id.commercial_partner_id

    def _customer_tz(self):
        user = request.env.user
        return user.tz or user.partner_id.tz or "UTC"

    def _own_occurrence(self, occurrence_id):
        """A cycle of the logged-in customer's standing orders (read with their rights: record
        rules apply), else 404: another customer's cycles are never revealed."""
        Occurrence = request.env["ofn.standing.order.occurrence"]
        if not Occurrence.has_access("read"):
            raise NotFound()
        occurrence = Occurrence.search(
            [("id", "=", occurrence_id), ("partner_id", "child_of", self._standing_customer().id)]
        )
        if not occurrence:
            raise NotFound()
        return occurrence.sudo().with_context(tz=self._customer_tz())

    def _local(self, moment):
        """A UTC datetime as the customer reads it."""
        return format_local_time(request.env, moment, tz=self._customer_tz())

    def _standing_orders_back(self, message=None, error=None):
        query = {k: v for k, v in (("message", message), ("error", error)) if v}
        return request.redirect(PAGE + ("?" + url_encode(query) if query else ""))
