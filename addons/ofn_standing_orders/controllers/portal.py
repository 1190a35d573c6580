"""The customer's "My standing orders" page (/my/standing_orders, ARCHITECTURE.md §3 routes): each
standing order with its coming and recent cycles, how each cycle's order is paid, and until a
cycle closes: skip it, take it back, change the quantities of the order placed for it. An order
whose card payment failed, or waits for the bank, is paid by the customer on its "Pay now"
page, with a wallet card or a new one. The standing order itself, within what the hub allows
(``ofn.standing.order._ofn_portal_refusal``): new products and quantities for the cycles not
placed yet (an offered schedule's offers), a pause until a date (or resume now), a
cancellation."""

from datetime import timedelta

from werkzeug.exceptions import NotFound
from werkzeug.urls import url_encode

from odoo import _, fields, http
from odoo.exceptions import AccessError, UserError
from odoo.http import request
from odoo.tools import format_date

from odoo.addons.ofn_stripe_connect.platform_settings import get_setting
from odoo.addons.ofn_stripe_connect.utils import format_local_time
from odoo.addons.portal.controllers.portal import CustomerPortal

from ..const import PAUSE_MAX_DAYS

PAGE = "/my/standing_orders"

# the cycles shown per standing order: the coming ones (not closed), then the last closed ones
UPCOMING_CYCLES = 6
RECENT_CYCLES = 3

# what the customer may pay on the pay page: a failed card payment, or one waiting for the bank
PAYABLE_STATES = ("failed", "awaiting_authentication")

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


def _form_route(path):
    """A page of the customer's with a form: GET shows it, POST sends it."""
    return http.route(PAGE + path, type="http", auth="user", methods=["GET", "POST"], website=True)


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
            "actions": order_sudo._ofn_portal_actions(),
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
            "pay_url": self._pay_url(occurrence) if self._payable(occurrence) else False,
        }

    @staticmethod
    def _payable(occurrence):
        """Whether the customer may pay the order now on the pay page."""
        return bool(
            occurrence.state in PAYABLE_STATES
            and occurrence.invoice_id
            and occurrence.standing_order_id.payment_mode == "card"
        )

    @staticmethod
    def _pay_url(occurrence, **query):
        url = f"{PAGE}/occurrence/{occurrence.id}/pay"
        return url + ("?" + url_encode(query) if query else "")

    def _attempt(self, act):
        """Runs a customer's change in a savepoint: ``(its result, None)``, or ``(None, the
        reason)`` when it is refused (nothing changed)."""
        try:
            with request.env.cr.savepoint():
                return act(), None
        except AccessError:
            raise  # a fault, not the customer's: never shown as a message
        except UserError as failure:
            return None, failure.args[0]

    def _refused(self, act):
        """Runs a customer's change: the page with the reason when it is refused (nothing
        changed), else None."""
        _result, error = self._attempt(act)
        return self._standing_orders_back(error=error) if error else None

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
    @_form_route("/occurrence/<int:occurrence_id>/quantities")
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
        changes, error = self._attempt(lambda: occurrence._set_quantities(quantities))
        if error:
            query = url_encode({"error": error})
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

    # ------------------------------------------------------------------ the standing order
    @_form_route("/<int:order_id>/change")
    def standing_order_change(self, order_id, **kwargs):
        """GET: the schedule's offers with the current quantities; POST: the new ones, sent as
        ``qty_<product id>`` fields, for the cycles not placed yet."""
        order, response = self._standing_order_form(order_id, "change", self._render_change)
        if response:
            return response
        quantities = {
            key.removeprefix("qty_"): value
            for key, value in kwargs.items()
            if key.startswith("qty_")
        }
        result, error = self._attempt(lambda: order.ofn_portal_change_lines(quantities))
        if error:
            return self._render_change(order, quantities, error=error)
        if not result["changed"]:
            return self._standing_orders_back(message=_("Nothing changed in your standing order."))
        order.invalidate_recordset()
        lines = order._ofn_lines_text([(line.product_id, line.quantity) for line in order.line_ids])
        if result["next_cycle"]:
            message = _(
                "Your standing order is changed: %(lines)s, from the cycle closing on %(closes)s.",
                lines=lines,
                closes=self._local(result["next_cycle"].closes_at),
            )
        else:
            message = _(
                "Your standing order is changed: %(lines)s, from its next cycle.", lines=lines
            )
        if result["kept"]:
            message += " " + _(
                "Your orders already placed (%(orders)s) keep their quantities: change them "
                "with “Change quantities”.",
                orders=self._order_names(result["kept"]),
            )
        return self._standing_orders_back(message=message)

    def _standing_order_form(self, order_id, action, render):
        """The customer's standing order for a page of ``action``, and the response to give at
        once: the reason when the customer may not (hub's settings, its state), the page
        (``render(order)``) on GET; ``None`` for a POST to carry out."""
        order = self._own_standing_order(order_id)
        refused = self._refused(lambda: order._ofn_portal_check(action))
        if refused:
            return order, refused
        if request.httprequest.method == "GET":
            return order, render(order)
        return order, None

    def _render_change(self, order, quantities=None, error=None):
        """The change form: each offer with the quantity typed (``quantities``: product id ->
        the form's value), else the standing order's (0: not taken)."""
        order = order.sudo()
        current = {line.product_id.id: line.quantity for line in order.line_ids}
        rows = []
        for offer in order.schedule_id.offer_ids:
            product = offer.product_id
            typed = (quantities or {}).get(str(product.id))
            quantity = typed if typed is not None else f"{current.get(product.id, 0):g}"
            estimate = order.schedule_id._ofn_estimate({product.id: quantity})
            rows.append({"offer": offer, "quantity": quantity, "estimate": estimate})
        offered = order.schedule_id.offer_ids.product_id
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "ofn_standing_order_change",
                "standing": order,
                "rows": rows,
                "estimate": sum(row["estimate"] for row in rows),
                "not_offered": order.line_ids.product_id - offered,
                "next_cycle": order._ofn_next_unplaced_cycle(),
                "kept": order._open_occurrences(),
                "tz": self._customer_tz(),
                "error": error,
            }
        )
        return request.render("ofn_standing_orders.portal_standing_order_change", values)

    @_form_route("/<int:order_id>/pause")
    def standing_order_pause(self, order_id, pause_until=None, **kwargs):
        """GET: the day to start again; POST: pauses until that day (``pause_until``)."""
        order, response = self._standing_order_form(
            order_id, "pause", lambda order: self._render_stop(order, "pause")
        )
        if response:
            return response
        kept, error = self._attempt(lambda: order.ofn_portal_pause(pause_until))
        if error:
            return self._render_stop(order, "pause", pause_until, error=error)
        message = _(
            "Your standing order is paused: it starts again on %(until)s.",
            until=format_date(request.env, order.sudo().pause_until),
        )
        return self._standing_orders_back(message=message + self._kept_note(kept))

    @http.route(PAGE + "/<int:order_id>/resume", type="http", auth="user", methods=["POST"])
    def standing_order_resume(self, order_id, **kwargs):
        order = self._own_standing_order(order_id)
        refused = self._refused(order.ofn_portal_resume)
        if refused:
            return refused
        return self._standing_orders_back(message=_("Your standing order is active again."))

    @_form_route("/<int:order_id>/cancel")
    def standing_order_cancel(self, order_id, **kwargs):
        """GET: asks to confirm; POST: cancels."""
        order, response = self._standing_order_form(
            order_id, "cancel", lambda order: self._render_stop(order, "cancel")
        )
        if response:
            return response
        kept, error = self._attempt(order.ofn_portal_cancel)
        if error:
            return self._standing_orders_back(error=error)
        message = _("Your standing order is cancelled.")
        return self._standing_orders_back(message=message + self._kept_note(kept))

    def _render_stop(self, order, action, pause_until=None, error=None):
        """The page that pauses (``pause``) or cancels (``cancel``) a standing order."""
        order = order.sudo()
        today = order._ofn_hub_today()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": f"ofn_standing_order_{action}",
                "standing": order,
                "action": action,
                "pause_until": pause_until or order.pause_until or "",
                "first_day": today + timedelta(days=1),
                "last_day": today + timedelta(days=PAUSE_MAX_DAYS),
                "kept": order._open_occurrences(),
                "tz": self._customer_tz(),
                "error": error,
            }
        )
        return request.render("ofn_standing_orders.portal_standing_order_stop", values)

    def _kept_note(self, kept):
        """What the result of a pause or cancellation says of the orders already placed."""
        if not kept:
            return ""
        return " " + _(
            "Your orders already placed (%(orders)s) are kept: skip their cycle if you do not "
            "want them.",
            orders=self._order_names(kept),
        )

    @staticmethod
    def _order_names(occurrences):
        return ", ".join(occurrences.sale_order_id.mapped("name"))

    # ------------------------------------------------------------------ pay now
    @_form_route("/occurrence/<int:occurrence_id>/pay")
    def occurrence_pay(self, occurrence_id, error=None, card=None, new_card=None, **kwargs):
        """GET: the order to pay, why its payment failed, the customer's cards and a new card's
        entry; POST: pays with the card chosen (``card_id``)."""
        occurrence = self._own_occurrence(occurrence_id)
        if not self._payable(occurrence):
            if occurrence.state == "paid":
                return self._standing_orders_back(
                    message=_("Your order %(order)s is paid.", order=occurrence.sale_order_id.name)
                )
            return self._standing_orders_back(
                error=_("There is nothing to pay for this order now.")
            )
        if request.httprequest.method == "POST":
            return self._pay(occurrence, kwargs.get("card_id"))
        return self._render_pay(occurrence, error=error, card=card, new_card=new_card)

    def _pay(self, occurrence, card_id):
        cards = self._wallet_cards()
        card = cards.filtered(lambda c: str(c.id) == (card_id or "").strip())
        if not card:
            return request.redirect(
                self._pay_url(occurrence, error=_("Choose one of the cards of your wallet."))
            )
        try:
            result = (
                request.env["ofn.standing.order.occurrence"]
                .browse(occurrence.id)
                .action_ofn_pay_now(request.env["payment.token"].browse(card.id))
            )
        except UserError as failure:
            # never in a savepoint: the payment commits its steps (the outcome is recorded)
            return request.redirect(self._pay_url(occurrence, error=failure.args[0], card=card.id))
        if result["state"] == "authenticate":
            tx = request.env["payment.transaction"].sudo().browse(result["tx_id"])
            return self._render_pay(occurrence, card=card.id, pending=tx)
        return request.redirect(self._after_pay_url(occurrence, result, card.id))

    def _after_pay_url(self, occurrence, result, card_id=None):
        if result["state"] == "failed":
            return self._pay_url(occurrence, error=result["message"], card=card_id or "")
        return PAGE + "?" + url_encode({"message": result["message"]})

    @http.route(
        PAGE + "/occurrence/<int:occurrence_id>/pay/<int:tx_id>/done",
        type="json",
        auth="user",
        methods=["POST"],
    )
    def occurrence_pay_done(self, occurrence_id, tx_id):
        """After 3-D Secure in the browser: the payment's outcome, and where to go next."""
        occurrence = self._own_occurrence(occurrence_id)
        tx = request.env["payment.transaction"].sudo().browse(tx_id).exists()
        if not tx or tx.ofn_occurrence_id != occurrence:
            raise NotFound()
        try:
            result = (
                request.env["ofn.standing.order.occurrence"]
                .browse(occurrence.id)
                .action_ofn_pay_now_done(tx)
            )
        except UserError as failure:
            result = {"state": "failed", "message": failure.args[0]}
        return {**result, "redirect": self._after_pay_url(occurrence, result)}

    def _render_pay(self, occurrence, error=None, card=None, new_card=None, pending=None):
        cards = self._wallet_cards()
        chosen = cards.filtered(lambda c: str(c.id) == str(card or ""))
        if new_card:
            chosen = cards.sorted("id")[-1:]
        chosen = chosen or cards.filtered("ofn_is_default")[:1] or cards[:1]
        last = occurrence.transaction_ids.sorted("id")[-1:]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "ofn_standing_order_pay",
                "occurrence": occurrence,
                "cards": cards,
                "chosen": chosen,
                # in the customer's words and language (the stored message is the hub's)
                "reason": occurrence._payment_failed_advice()["reason"]
                if occurrence.state == "failed"
                else (last._ofn_bank_message() if last.state in ("error", "cancel") else ""),
                "tz": self._customer_tz(),
                "error": error,
                "pending": pending,
                "client_secret": pending.ofn_payment_intent().get("client_secret")
                if pending
                else False,
                "stripe_account": occurrence.company_id.ofn_stripe_account_id.stripe_account_id,
                "return_url": self._pay_url(occurrence, new_card=1),
                "stripe_js_url": get_setting("OFN_STRIPE_JS_URL"),
                "publishable_key": get_setting("OFN_STRIPE_PUBLISHABLE_KEY"),
            }
        )
        return request.render("ofn_standing_orders.portal_standing_order_pay", values)

    def _wallet_cards(self):
        return self._standing_customer().sudo().ofn_wallet_card_ids.filtered("active")

    # ------------------------------------------------------------------ ownership
    def _standing_customer(self):
        return request.env.user.partner_id.commercial_partner_id

    def _customer_tz(self):
        user = request.env.user
        return user.tz or user.partner_id.tz or "UTC"

    def _own(self, model, record_id):
        """A record of ``model`` (with a ``partner_id``) of the logged-in customer's, read with
        their rights (record rules apply), else 404: another customer's are never revealed."""
        Model = request.env[model]
        if not Model.has_access("read"):
            raise NotFound()
        record = Model.search(
            [("id", "=", record_id), ("partner_id", "child_of", self._standing_customer().id)]
        )
        if not record:
            raise NotFound()
        return record.with_context(tz=self._customer_tz())

    def _own_occurrence(self, occurrence_id):
        """A cycle of the logged-in customer's standing orders (sudo: the hub's orders are
        not the customer's records), else 404."""
        return self._own("ofn.standing.order.occurrence", occurrence_id).sudo()

    def _own_standing_order(self, order_id):
        """One of the logged-in customer's standing orders, with their rights (its methods
        check the customer again before any sudo), else 404."""
        return self._own("ofn.standing.order", order_id)

    def _local(self, moment):
        """A UTC datetime as the customer reads it."""
        return format_local_time(request.env, moment, tz=self._customer_tz())

    def _standing_orders_back(self, message=None, error=None):
        query = {k: v for k, v in (("message", message), ("error", error)) if v}
        return request.redirect(PAGE + ("?" + url_encode(query) if query else ""))
