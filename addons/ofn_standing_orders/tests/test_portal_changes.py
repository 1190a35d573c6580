from datetime import datetime, time, timedelta

import pytz
from markupsafe import escape

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.ofn_stripe_connect.utils import format_local_time

from .common import OneHubChargeHttpCase, PortalClient

PAGE = "/my/standing_orders"


@tagged("post_install", "-at_install")
class TestPortalChanges(PortalClient, OneHubChargeHttpCase):
    """On /my/standing_orders a customer changes their standing order itself, within what the
    hub allows on its schedule: new products and quantities among the schedule's offers, a
    pause until a day, a cancellation. Each applies to the cycles not placed yet (the orders
    placed keep their lines) and is noted on the standing order's chatter. Only their own."""

    hub_name, manager_login = "Change Box Hub", "change_box_manager"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.eggs | cls.veg_box).product_tmpl_id.ofn_standing_order_ok = True
        cls.honey = cls.env["product.product"].create(
            {
                "name": "Honey jar",
                "lst_price": 7.0,
                "invoice_policy": "order",
                "taxes_id": False,
                "ofn_standing_order_ok": True,
            }
        )
        cls.schedule.write(
            {
                "subscribe_ok": True,
                "offer_ids": [
                    Command.create(
                        {"product_id": cls.eggs.id, "min_quantity": 1, "max_quantity": 6}
                    ),
                    Command.create(
                        {"product_id": cls.veg_box.id, "min_quantity": 1, "max_quantity": 2}
                    ),
                ],
            }
        )
        cls.paula = cls._customer("Paula Changer", [cls.hub])
        cls.mario = cls._customer("Mario Changer", [cls.hub])
        cls.box = cls._standing(cls.paula, cls.schedule, [(cls.eggs, 2), (cls.veg_box, 1)])

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _url(standing, action):
        return f"{PAGE}/{standing.id}/{action}"

    def _quantities(self, **by_product):
        """The change form's fields: ``eggs="3"`` -> ``qty_<eggs id>="3"``."""
        return {f"qty_{getattr(self, name).id}": value for name, value in by_product.items()}

    @staticmethod
    def _lines(order):
        return sorted((line.product_id.name, line.product_uom_qty) for line in order.order_line)

    @staticmethod
    def _standing_lines(standing):
        return sorted((line.product_id.name, line.quantity) for line in standing.line_ids)

    @staticmethod
    def _notes(standing, text=""):
        """The notes of the standing order's chatter saying ``text`` (not its tracking)."""
        return standing.message_ids.filtered(
            lambda m: m.message_type == "comment" and text in (m.body or "")
        )

    def _hub_today(self):
        return self.box._ofn_hub_today()

    # ------------------------------------------------------------------ another customer's
    def test_another_customers_standing_order_cannot_be_changed(self):
        self._login(self.mario)
        until = str(self._hub_today() + timedelta(days=5))

        for action in ("change", "pause", "cancel"):
            self.assertEqual(self._get(self._url(self.box, action)).status_code, 404, action)
        for action, data in (
            ("change", self._quantities(eggs="3", veg_box="0")),
            ("pause", {"pause_until": until}),
            ("resume", {}),
            ("cancel", {}),
        ):
            self.assertEqual(self._post(self._url(self.box, action), **data).status_code, 404)

        self.assertEqual(self.box.status, "active")
        self.assertFalse(self.box.pause_until)
        self.assertEqual(
            self._standing_lines(self.box), [("Eggs (12)", 2.0), ("Vegetable box", 1.0)]
        )
        self.assertFalse(self._notes(self.box))
        self.assertNotIn(f'data-standing-order-id="{self.box.id}"', self._get(PAGE).text)
        # the model's own check, whatever calls it
        mario = self.env["res.users"].search([("login", "=", self._login_of(self.mario))])
        with self.assertRaises(AccessError):
            self.box.with_user(mario).ofn_portal_cancel()
        self.assertEqual(self.box.status, "active")

    # ------------------------------------------------------------------ products and quantities
    def test_a_change_after_a_placement_applies_to_the_next_cycle_only(self):
        first = self._open_cycle(self.schedule)
        second = self._coming_cycle(self.schedule, days=6)
        self._place()
        placed = self._of(self.box, first)
        self.assertEqual(placed.state, "placed")
        quotation = placed.sale_order_id
        self._login(self.paula)

        form = self._get(self._url(self.box, "change"))
        self.assertEqual(form.status_code, 200)
        self.assertIn(f'name="qty_{self.eggs.id}" value="2"', form.text)
        self.assertIn(f'name="qty_{self.veg_box.id}" value="1"', form.text)
        self.assertIn("1 – 6", form.text, "the bounds of the eggs")
        self.assertIn("27.25", form.text, "the estimate per cycle: 2 × 4.50 + 18.25")
        self.assertIn(quotation.name, form.text, "the order placed keeps its quantities")

        response = self._post(
            self._url(self.box, "change"), **self._quantities(eggs="3", veg_box="0")
        )

        closes = format_local_time(self.env, second.closes_at, tz="UTC")
        message = self._flash(response, "message")
        self.assertIn("Your standing order is changed: Eggs (12) × 3", message)
        self.assertIn(f"from the cycle closing on {closes}", message)
        self.assertIn(quotation.name, message)
        self.assertEqual(self._standing_lines(self.box), [("Eggs (12)", 3.0)])
        self.assertEqual(
            self._lines(quotation), [("Eggs (12)", 2.0), ("Vegetable box", 1.0)], "kept as placed"
        )
        [note] = self._notes(self.box, "changed the products")
        self.assertEqual(note.author_id, self.paula)
        self.assertIn("Paula Changer changed the products on the portal", note.body)
        self.assertIn(f"from the cycle closing on {closes}", note.body)
        self.assertIn("Eggs (12) × 2, Vegetable box × 1 → Eggs (12) × 3", note.body)
        self.assertIn(escape("Eggs (12)"), self._get(PAGE).text)

        # the first cycle closes, the second opens: placed with the new lines
        self._close(first)
        now = fields.Datetime.now()
        second.write({"opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=2)})
        self._place()
        next_one = self._of(self.box, second)
        self.assertEqual(next_one.state, "placed")
        self.assertEqual(self._lines(next_one.sale_order_id), [("Eggs (12)", 3.0)])
        self.assertEqual(self._lines(quotation), [("Eggs (12)", 2.0), ("Vegetable box", 1.0)])

        # the same quantities again: nothing changes, nothing is noted
        response = self._post(self._url(self.box, "change"), **self._quantities(eggs="3"))
        self.assertIn("Nothing changed", self._flash(response, "message"))
        self.assertEqual(len(self._notes(self.box, "changed the products")), 1)

    def test_the_estimate_follows_the_quantities_in_the_browser(self):
        self.start_tour(
            self._url(self.box, "change"),
            "ofn_standing_order_change_products",
            login=self._login_of(self.paula),
        )

        self.assertEqual(self._standing_lines(self.box), [("Eggs (12)", 3.0)])
        self.assertTrue(self._notes(self.box, "changed the products"))

    def test_quantities_out_of_bounds_or_products_not_offered_are_refused(self):
        self._login(self.paula)
        for fields_, refusal in (
            (self._quantities(eggs="9", veg_box="1"), "Eggs (12): choose from 1"),
            (self._quantities(eggs="1", veg_box="0.5"), "Vegetable box: choose from 1"),
            (self._quantities(eggs="2", honey="1"), "One of the products chosen is not offered"),
            (self._quantities(eggs="0", veg_box="0"), "Choose at least one product."),
            (self._quantities(eggs="two"), "Enter the quantities as numbers."),
        ):
            response = self._post(self._url(self.box, "change"), **fields_)
            self.assertEqual(response.status_code, 200, refusal)
            self.assertIn(str(escape(refusal)), response.text)
            typed = fields_.get(f"qty_{self.eggs.id}")
            self.assertIn(f'name="qty_{self.eggs.id}" value="{typed}"', response.text, "kept")

        self.assertEqual(
            self._standing_lines(self.box), [("Eggs (12)", 2.0), ("Vegetable box", 1.0)]
        )
        self.assertFalse(self._notes(self.box))

    # ------------------------------------------------------------------ pause
    def test_pause_until_a_day_then_active_again_on_that_day(self):
        cycle = self._open_cycle(self.schedule)
        occurrence = self._of(self.box, cycle)
        self.assertEqual(occurrence.state, "planned")
        today = self._hub_today()
        self._login(self.paula)

        for day, refusal in (
            (today, "after today"),
            (today + timedelta(days=400), "Pause for a year at most"),
            ("someday", "after today"),
        ):
            response = self._post(self._url(self.box, "pause"), pause_until=str(day))
            self.assertEqual(response.status_code, 200)
            self.assertIn(refusal, response.text)
            self.assertIn(f'value="{day}"', response.text, "the day typed is kept")
        self.assertEqual((self.box.status, self.box.pause_until), ("active", False))

        until = today + timedelta(days=3)
        response = self._post(self._url(self.box, "pause"), pause_until=str(until))

        self.assertIn("Your standing order is paused", self._flash(response, "message"))
        self.assertEqual((self.box.status, self.box.pause_until), ("paused", until))
        self.assertTrue(self._notes(self.box, "Paula Changer paused the standing order"))
        page = self._get(PAGE).text
        self.assertIn(self._url(self.box, "resume"), page)
        self._place()
        self.assertEqual(occurrence.state, "planned", "not placed while paused")

        # the hourly cron: not before the day (in the hub's time zone), then active again
        StandingOrder = self.env["ofn.standing.order"]
        mails = self._mails_to(self.paula, "")
        self.assertFalse(StandingOrder._cron_resume_paused())
        self.assertEqual(self.box.status, "paused")
        resumed = StandingOrder._cron_resume_paused(now=fields.Datetime.now() + timedelta(days=3))

        self.assertEqual(resumed, self.box)
        self.assertEqual((self.box.status, self.box.pause_until), ("active", False))
        self.assertTrue(self._notes(self.box, "active again"), "noted on the chatter")
        self.assertEqual(self._mails_to(self.paula, ""), mails, "the customer is not told")
        self._place()
        self.assertEqual(occurrence.state, "placed", "placed once active again")

    def test_a_pause_keeps_the_placed_order_and_resumes_now(self):
        occurrence = self._placed_and_closed(self.schedule).filtered(
            lambda o: o.standing_order_id == self.box
        )
        cycle = self._open_cycle(self.schedule)
        self._place()
        placed = self._of(self.box, cycle)
        self.assertEqual(placed.state, "placed")
        self._login(self.paula)

        form = self._get(self._url(self.box, "pause"))
        self.assertIn(placed.sale_order_id.name, form.text, "the order placed is kept")
        response = self._post(
            self._url(self.box, "pause"), pause_until=str(self._hub_today() + timedelta(days=9))
        )
        message = self._flash(response, "message")
        self.assertIn(placed.sale_order_id.name, message)
        self.assertIn("skip their cycle", message)
        self.assertEqual((self.box.status, placed.state), ("paused", "placed"))
        self._confirm()
        self.assertEqual(occurrence.state, "paid", "the closed cycle goes on")

        response = self._post(self._url(self.box, "resume"))

        self.assertIn("active again", self._flash(response, "message"))
        self.assertEqual((self.box.status, self.box.pause_until), ("active", False))
        self.assertTrue(self._notes(self.box, "Paula Changer resumed the standing order"))

        # a pause by the hub (no day to start again) is the hub's to end
        until = self._hub_today() + timedelta(days=4)
        self.box.with_user(self.manager)._stop("paused", "keep")
        page = self._get(PAGE).text
        self.assertNotIn(self._url(self.box, "resume"), page)
        self.assertNotIn(self._url(self.box, "pause"), page)
        for action, data in (("resume", {}), ("pause", {"pause_until": str(until)})):
            response = self._post(self._url(self.box, action), **data)
            self.assertIn("ask the hub to resume it", self._flash(response, "error"))
        self.assertEqual((self.box.status, self.box.pause_until), ("paused", False))

    def test_the_pause_ends_on_the_day_in_the_hubs_time_zone(self):
        self.hub.partner_id.tz = "Pacific/Auckland"  # UTC+13 in December, +12 in June
        tz = pytz.timezone("Pacific/Auckland")
        paula = self.env["res.users"].search([("login", "=", self._login_of(self.paula))])
        until = self._hub_today() + timedelta(days=2)
        self.box.with_user(paula).ofn_portal_pause(until)
        self.assertEqual((self.box.status, self.box.pause_until), ("paused", until))
        # 1 a.m. at the hub on that day is still the day before in UTC
        day_begins = (
            tz.localize(datetime.combine(until, time(1))).astimezone(pytz.utc).replace(tzinfo=None)
        )
        self.assertLess(day_begins.date(), until)
        StandingOrder = self.env["ofn.standing.order"]

        self.assertFalse(StandingOrder._cron_resume_paused(now=day_begins - timedelta(hours=2)))
        self.assertEqual(self.box.status, "paused", "11 p.m. the day before at the hub")
        self.assertEqual(StandingOrder._cron_resume_paused(now=day_begins), self.box)
        self.assertEqual(self.box.status, "active")

    # ------------------------------------------------------------------ cancel
    def test_cancel_keeps_the_placed_order_and_drops_the_coming_cycles(self):
        cycle = self._open_cycle(self.schedule)
        coming = self._coming_cycle(self.schedule, days=6)
        self._place()
        placed = self._of(self.box, cycle)
        quotation = placed.sale_order_id
        self.assertTrue(self._of(self.box, coming))
        self._login(self.paula)

        confirmation = self._get(self._url(self.box, "cancel"))
        self.assertEqual(confirmation.status_code, 200)
        self.assertIn("Cancel your standing order?", confirmation.text)
        self.assertIn(quotation.name, confirmation.text)
        self.assertEqual(self.box.status, "active", "asked first")

        response = self._post(self._url(self.box, "cancel"))

        message = self._flash(response, "message")
        self.assertIn("Your standing order is cancelled.", message)
        self.assertIn(quotation.name, message)
        self.assertEqual(self.box.status, "cancelled")
        self.assertEqual((placed.state, quotation.state), ("placed", "draft"), "kept")
        self.assertEqual(self.box.occurrence_ids, placed, "the coming cycles are gone")
        self.assertTrue(self._notes(self.box, "Paula Changer cancelled the standing order"))
        page = self._get(PAGE).text
        for action in ("change", "pause", "cancel"):
            self.assertNotIn(self._url(self.box, action), page)
        response = self._post(self._url(self.box, "change"), **self._quantities(eggs="1"))
        self.assertIn("cannot be changed", self._flash(response, "error"))

    def test_a_subscription_waiting_for_approval_can_be_withdrawn_only(self):
        """Before the hub decides, the customer may withdraw their subscription (even where the
        hub lets nobody cancel), and change nothing else; a refused one shows why."""
        self.schedule.allow_cancel = False
        coming = self._coming_cycle(self.schedule, days=6)
        self.box.write({"status": "pending", "origin": "customer"})
        self.assertTrue(self._of(self.box, coming), "its cycles are planned")
        self._login(self.paula)
        page = self._get(PAGE).text
        self.assertIn(self._url(self.box, "cancel"), page)
        for action in ("change", "pause"):
            self.assertNotIn(self._url(self.box, action), page)
        self.assertNotIn("o_ofn_skip", page, "nothing to skip before the hub approves it")
        response = self._post(self._url(self.box, "pause"), pause_until="2099-01-01")
        self.assertIn("cannot be changed", self._flash(response, "error"))

        response = self._post(self._url(self.box, "cancel"))

        self.assertIn("Your standing order is cancelled.", self._flash(response, "message"))
        self.assertEqual(self.box.status, "cancelled")
        self.assertFalse(self.box.occurrence_ids, "its planned cycles are gone")
        self.assertTrue(self._notes(self.box, "Paula Changer cancelled the standing order"))

        refused = self._standing(self.paula, self.schedule, [(self.eggs, 1)])
        refused.write({"status": "refused", "refusal_reason": "We are full this season."})
        page = self._get(PAGE).text
        self.assertIn("We are full this season.", page)
        self.assertNotIn(self._url(refused, "cancel"), page)

    # ------------------------------------------------------------------ what the hub allows
    def test_what_the_hub_does_not_allow_is_refused(self):
        self.schedule.write({"allow_pause": False, "allow_cancel": False})
        self._login(self.paula)
        page = self._get(PAGE).text
        self.assertIn(self._url(self.box, "change"), page)
        self.assertNotIn(self._url(self.box, "pause"), page)
        self.assertNotIn(self._url(self.box, "cancel"), page)
        until = str(self._hub_today() + timedelta(days=5))

        response = self._post(self._url(self.box, "pause"), pause_until=until)
        self.assertIn("does not let customers pause", self._flash(response, "error"))
        response = self._post(self._url(self.box, "cancel"))
        self.assertIn("does not let customers cancel", self._flash(response, "error"))
        response = self._get(self._url(self.box, "pause"))
        self.assertIn("does not let customers pause", self._flash(response, "error"))
        self.assertEqual((self.box.status, self.box.pause_until), ("active", False))

        # a standing order the hub made on a schedule not offered: its products are the hub's
        boxes = self.env["ofn.schedule"].create(
            {"name": "Hub's own boxes", "company_id": self.hub.id, "start_date": self._hub_today()}
        )
        made = self._standing(self.paula, boxes, [(self.eggs, 1)])
        self.assertNotIn(self._url(made, "change"), self._get(PAGE).text)
        self.assertIn(self._url(made, "pause"), self._get(PAGE).text)
        response = self._post(self._url(made, "change"), **self._quantities(eggs="4"))
        self.assertIn("chosen by Change Box Hub", self._flash(response, "error"))
        self.assertEqual(self._standing_lines(made), [("Eggs (12)", 1.0)])
        self.assertFalse(self._notes(self.box) | self._notes(made))
