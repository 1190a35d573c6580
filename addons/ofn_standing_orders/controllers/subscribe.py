"""The page of a schedule a hub offers to customers (``SUBSCRIBE_PATH/<schedule>``, shared by the
hub): what it offers, and for a signed-in customer the form to start their own standing order
(products and quantities, first cycle, end date, delivery address, card). A visitor is asked to
sign in or sign up (Odoo's portal sign-up) and comes back. Subscribing allows the hub to charge
the card; 3-D Secure, when the bank asks, is answered in the browser. The work is the standing
order's (``action_ofn_subscribe``): this controller reads the form and shows the outcome."""

import uuid

from werkzeug.exceptions import NotFound
from werkzeug.urls import url_encode

from odoo import _, http
from odoo.exceptions import UserError
from odoo.http import request

from odoo.addons.ofn_stripe_connect.platform_settings import get_setting
from odoo.addons.ofn_stripe_connect.utils import format_local_time

from ..const import SUBSCRIBE_PATH

# the form's fields besides the quantities (``qty_<product id>``)
CHOICE_FIELDS = ("cycle_id", "end_date", "shipping_id", "card_id", "key")


class StandingOrderSubscribe(http.Controller):
    @http.route(
        SUBSCRIBE_PATH + "/<int:schedule_id>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
    )
    def subscribe(self, schedule_id, **form):
        """GET: the offer, and the form for a signed-in customer (filled with ``form``: what
        they chose before entering a new card, ``new_card`` choosing it); POST: subscribes."""
        schedule = self._schedule(schedule_id)
        if not (schedule.active and schedule.subscribe_ok):
            return request.render("ofn_standing_orders.subscribe_closed", {"schedule": schedule})
        if not schedule.company_id._ofn_takes_cards():  # nobody could pay: said before the form
            return request.render(
                "ofn_standing_orders.subscribe_closed", {"schedule": schedule, "no_cards": True}
            )
        if request.env.user._is_public():
            return self._render(schedule, {})
        choices = self._choices(form)
        if request.httprequest.method != "POST":
            return self._render(schedule, choices, new_card=form.get("new_card"))
        StandingOrder = request.env["ofn.standing.order"]
        try:
            result = StandingOrder.action_ofn_subscribe(schedule, choices)
        except UserError as failure:
            return self._render(schedule, choices, error=failure.args[0])
        if result["state"] == "authenticate":  # 3-D Secure: the page goes on in the browser
            return self._render(schedule, choices, pending=result)
        return request.redirect(self._done_url(result["standing_order"]))

    @http.route(
        SUBSCRIBE_PATH + "/<int:schedule_id>/confirm", type="json", auth="user", methods=["POST"]
    )
    def subscribe_confirm(self, schedule_id, consent_id, form):
        """After 3-D Secure in the browser: the consent's outcome, and the standing order made
        with the same choices (``form``: the page's form, still filled)."""
        schedule = self._schedule(schedule_id)
        consent = request.env["ofn.wallet.consent"].sudo().browse(int(consent_id)).exists()
        if not consent or consent.partner_id != request.env.user.commercial_partner_id:
            raise NotFound()
        try:
            result = request.env["ofn.standing.order"].action_ofn_subscribe_confirm(
                schedule, self._choices(form), consent
            )
        except UserError as failure:
            return {"error": failure.args[0]}
        return {"redirect": self._done_url(result["standing_order"])}

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _schedule(schedule_id):
        schedule = request.env["ofn.schedule"].sudo().with_context(active_test=False)
        schedule = schedule.browse(schedule_id).exists()
        if not schedule:
            raise NotFound()
        return schedule

    @staticmethod
    def _choices(form):
        """The form's fields, as ``action_ofn_subscribe`` takes them."""
        choices = {name: form.get(name) or False for name in CHOICE_FIELDS}
        choices["quantities"] = {
            name.removeprefix("qty_"): value
            for name, value in form.items()
            if name.startswith("qty_")
        }
        return choices

    @staticmethod
    def _done_url(order):
        if order.status == "pending":
            message = _(
                "Thank you: your standing order is waiting for %(hub)s's approval. You will get "
                "an e-mail when they answer; nothing is charged before.",
                hub=order.company_id.name,
            )
        else:
            message = _(
                "Thank you: your standing order with %(hub)s is active.",
                hub=order.company_id.name,
            )
        return "/my/standing_orders?" + url_encode({"message": message})

    def _render(self, schedule, choices, error=None, pending=None, new_card=None):
        user = request.env.user
        offers = schedule.offer_ids
        quantities = choices.get("quantities") or {}
        values = {
            "schedule": schedule,
            "hub": schedule.company_id,
            "offers": offers,
            "quantity_of": {
                offer.id: quantities.get(str(offer.product_id.id), "") for offer in offers
            },
            "error": error,
            "choices": choices,
            "page_url": f"{SUBSCRIBE_PATH}/{schedule.id}",
        }
        if user._is_public():
            values["login_query"] = url_encode({"redirect": values["page_url"]})
            return request.render("ofn_standing_orders.subscribe_page", values)
        partner = user.partner_id.commercial_partner_id.sudo()
        cards = partner.ofn_wallet_card_ids.filtered("active")
        card = cards.filtered(lambda c: str(c.id) == str(choices.get("card_id")))
        if new_card:  # back from the wallet's card entry: the card just saved
            card = cards.sorted("id")[-1:]
        tz = user.tz or partner.tz or "UTC"
        values.update(
            {
                "partner": partner,
                "cards": cards,
                # the form not filled yet: the default card
                "card": card or (not choices.get("key") and cards.filtered("ofn_is_default")[:1]),
                "cycles": [
                    (
                        cycle,
                        format_local_time(request.env, cycle.opens_at, tz=tz),
                        format_local_time(request.env, cycle.closes_at, tz=tz),
                    )
                    for cycle in schedule._ofn_subscribable_cycles()
                ],
                "addresses": partner._ofn_delivery_addresses(),
                "key": choices.get("key") or uuid.uuid4().hex,
                "pending": pending,
                "stripe_account": schedule.company_id.ofn_stripe_account_id.stripe_account_id,
                "stripe_js_url": get_setting("OFN_STRIPE_JS_URL"),
                "publishable_key": get_setting("OFN_STRIPE_PUBLISHABLE_KEY"),
                "estimate": schedule._ofn_estimate(quantities),
            }
        )
        return request.render("ofn_standing_orders.subscribe_page", values)
