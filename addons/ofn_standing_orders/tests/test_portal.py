from datetime import timedelta
from unittest.mock import patch
from urllib.parse import parse_qs, urlparse

from markupsafe import escape
from psycopg2.errors import LockNotAvailable

from odoo import fields, http
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.ofn_customer_wallet.tests.common import THREE_D_SECURE

from .common import StandingOrderChargeHttpCase

PAGE = "/my/standing_orders"


@tagged("post_install", "-at_install")
class TestStandingOrderPortal(StandingOrderChargeHttpCase):
    """/my/standing_orders: a customer sees their own standing orders cycle by cycle, with how
    each cycle's order is paid, and until a cycle closes skips it, takes it back or changes the
    quantities of the order placed for it. Nobody else's, and nothing after the cycle closed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.manager, cls.account, cls.schedule = cls._setup_hub(
            "Portal Box Hub", "portal_box_manager"
        )
        cls.far_hub, cls.far_manager, _account, cls.far_schedule = cls._setup_hub(
            "Portal Far Hub", "portal_far_manager"
        )
        cls._setup_products()
        cls.paula = cls._customer("Paula Portal", [cls.hub])
        cls.mario = cls._customer("Mario Portal", [cls.hub, cls.far_hub])
        cls.paula_box = cls._standing(cls.paula, cls.schedule, [(cls.eggs, 2), (cls.veg_box, 1)])
        cls.mario_box = cls._standing(
            cls.mario, cls.schedule, [(cls.eggs, 1)], payment_mode="invoice"
        )
        cls.mario_far = cls._standing(cls.mario, cls.far_schedule, [(cls.veg_box, 1)])

    # ------------------------------------------------------------------ helpers
    def _login(self, customer):
        login = customer.name.lower().replace(" ", "_")
        self.authenticate(login, login)

    def _page(self):
        page = self.url_open(PAGE)
        self.assertEqual(page.status_code, 200)
        return page.text

    def _post(self, url, **data):
        response = self.url_open(
            url, data={"csrf_token": http.Request.csrf_token(self), **data}, allow_redirects=False
        )
        self.env.invalidate_all()  # the request changed records behind this test's cache
        return response

    @staticmethod
    def _url(occurrence, action):
        return f"{PAGE}/occurrence/{occurrence.id}/{action}"

    def _flash(self, response, kind):
        """The ``message`` or ``error`` a redirection carries to the page."""
        self.assertEqual(response.status_code, 303, response.text[:500])
        return parse_qs(urlparse(response.headers["Location"]).query).get(kind, [""])[0]

    @staticmethod
    def _lines(order):
        return sorted((line.product_id.name, line.product_uom_qty) for line in order.order_line)

    @staticmethod
    def _notes(order, text):
        return order.message_ids.filtered(lambda message: text in (message.body or ""))

    def _placed(self, standing):
        """Opens a cycle of the standing order's schedule and places its orders; returns the
        standing order's occurrence in it."""
        cycle = self._open_cycle(standing.schedule_id)
        self._place()
        occurrence = self._of(standing, cycle)
        self.assertEqual(occurrence.state, "placed")
        return occurrence

    # ------------------------------------------------------------------ the page
    def test_the_page_lists_own_standing_orders_cycle_by_cycle(self):
        past = self._placed_and_closed(self.schedule)
        self._confirm()
        paid = past.filtered(lambda o: o.partner_id == self.paula)
        on_invoice = past.filtered(lambda o: o.partner_id == self.mario)
        self.assertEqual((paid.state, on_invoice.state), ("paid", "confirmed"))
        placed = self._placed(self.paula_box)
        planned = self._of(self.paula_box, self._coming_cycle(self.schedule))
        self.assertEqual(planned.state, "planned")

        self._login(self.paula)
        page = self._page()

        for text in ("Portal Box Hub", "Portal Box Hub boxes", "Eggs (12)", "Vegetable box"):
            self.assertIn(text, page)
        self.assertIn("card (automatic charge)", page, "the payment mode")
        self.assertIn("27.25", page, "the estimate: 2 × 4.50 + 18.25")
        for occurrence, state in ((paid, "paid"), (placed, "placed"), (planned, "planned")):
            self.assertIn(f'data-occurrence-id="{occurrence.id}" data-state="{state}"', page, state)
        # the paid cycle: its order, its invoice and its payment state; nothing to change any more
        self.assertIn(paid.sale_order_id.sudo().get_portal_url(), page)
        self.assertIn(paid.invoice_id.sudo().get_portal_url(), page)
        self.assertIn(paid.invoice_id.name, page)
        self.assertIn(">Paid<", page)
        self.assertNotIn(self._url(paid, "skip"), page)
        # the coming cycles: skip them, change the placed order
        self.assertIn(placed.sale_order_id.sudo().get_portal_url(), page)
        self.assertIn(self._url(placed, "skip"), page)
        self.assertIn(self._url(placed, "quantities"), page)
        self.assertIn(self._url(planned, "skip"), page)
        self.assertNotIn(self._url(planned, "quantities"), page, "nothing placed yet")
        # nothing of Mario's
        for standing in (self.mario_box, self.mario_far):
            self.assertNotIn(f'data-standing-order-id="{standing.id}"', page)
        for occurrence in self.mario_box.occurrence_ids:
            self.assertNotIn(f'data-occurrence-id="{occurrence.id}"', page)
        self.assertNotIn("Portal Far Hub", page)

        self._login(self.mario)
        page = self._page()
        self.assertIn(f'data-standing-order-id="{self.mario_far.id}"', page)
        self.assertIn(f'data-occurrence-id="{on_invoice.id}" data-state="confirmed"', page)
        self.assertIn("Pay on invoice:", page)
        self.assertIn(on_invoice.invoice_id.sudo().get_portal_url(), page)
        self.assertNotIn(f'data-standing-order-id="{self.paula_box.id}"', page)
        self.assertNotIn(f'data-occurrence-id="{paid.id}"', page)

    def test_a_payment_waiting_for_the_bank_links_to_its_confirmation(self):
        sam = self._customer("Sam Portal Secure", [self.hub], test_card=THREE_D_SECURE)
        self._standing(sam, self.schedule, [(self.veg_box, 1)])
        occurrence = self._placed_and_closed(self.schedule).filtered(lambda o: o.partner_id == sam)
        self._confirm()
        self.assertEqual(occurrence.state, "awaiting_authentication")
        link = occurrence.transaction_ids.ofn_authentication_url()

        self._login(sam)
        page = self._page()

        self.assertIn(
            f'data-occurrence-id="{occurrence.id}" data-state="awaiting_authentication"', page
        )
        self.assertIn(f'href="{link}"', page)
        self.assertIn("Confirm my payment", page)
        self.assertIn("Not Paid", page, "the invoice's payment state")
        confirmation = self.url_open(link)
        self.assertEqual(confirmation.status_code, 200)
        self.assertIn("Confirm with my bank", confirmation.text)

    def test_a_failed_payment_shows_the_reason_and_the_next_attempt(self):
        fay = self._customer("Fay Portal Failed", [self.hub])
        self._standing(fay, self.schedule, [(self.eggs, 1)])
        self._block_card(fay.ofn_default_card(), "generic_decline")  # soft: retried
        occurrence = self._placed_and_closed(self.schedule).filtered(lambda o: o.partner_id == fay)
        self._confirm()
        self.assertEqual((occurrence.state, occurrence.failure_reason), ("failed", "declined"))

        self._login(fay)
        page = self._page()

        self.assertIn(f'data-occurrence-id="{occurrence.id}" data-state="failed"', page)
        self.assertIn("Payment failed:", page)
        self.assertIn("Card declined", page)
        # the bank's reason in the customer's words (the stored failure message is the hub's)
        self.assertIn(str(escape(occurrence._payment_failed_advice()["reason"])), page)
        self.assertIn("Next attempt:", page)

    # ------------------------------------------------------------------ skip / un-skip
    def test_skip_and_unskip_a_planned_cycle(self):
        coming = self._coming_cycle(self.schedule)
        occurrence = self._of(self.paula_box, coming)
        self._login(self.paula)

        response = self._post(self._url(occurrence, "skip"))
        self.assertIn("You skipped the cycle", self._flash(response, "message"))
        self.assertEqual(occurrence.state, "skipped")
        page = self._page()
        self.assertIn(f'data-occurrence-id="{occurrence.id}" data-state="skipped"', page)
        self.assertIn(self._url(occurrence, "unskip"), page)

        response = self._post(self._url(occurrence, "unskip"))
        self.assertIn("placed when the cycle opens", self._flash(response, "message"))
        self.assertEqual((occurrence.state, occurrence.sale_order_id.id), ("planned", False))

        # skipped again, then the cycle opens: the placement leaves it out
        self._post(self._url(occurrence, "skip"))
        coming.write({"opens_at": fields.Datetime.now() - timedelta(hours=1)})
        self._place()
        self.assertEqual(self._of(self.mario_box, coming).state, "placed", "the placement ran")
        self.assertEqual(occurrence.state, "skipped")
        self.assertFalse(occurrence.sale_order_id)

        # taken back while the cycle is open: placed at once
        response = self._post(self._url(occurrence, "unskip"))
        self.assertIn("is placed", self._flash(response, "message"))
        self.assertEqual(occurrence.state, "placed")
        self.assertEqual(
            self._lines(occurrence.sale_order_id), [("Eggs (12)", 2.0), ("Vegetable box", 1.0)]
        )
        self.assertFalse(self._place(), "placed once")

    def test_skipping_a_placed_order_cancels_the_quotation(self):
        occurrence = self._placed(self.paula_box)
        cycle, quotation = occurrence.cycle_id, occurrence.sale_order_id
        self.assertEqual(quotation.state, "draft")
        self._login(self.paula)

        response = self._post(self._url(occurrence, "skip"))

        self.assertIn(f"Your order {quotation.name} is cancelled", self._flash(response, "message"))
        self.assertEqual(occurrence.state, "skipped")
        self.assertEqual(quotation.state, "cancel")
        self.assertEqual(occurrence.sale_order_id, quotation, "the cancelled order stays linked")
        self.assertTrue(self._notes(quotation, "The customer skipped this order cycle"))
        self.assertNotIn(quotation.get_portal_url(), self._page(), "no link to a cancelled order")

        # taken back: a fresh quotation, the cancelled one stays cancelled
        self._post(self._url(occurrence, "unskip"))
        fresh = occurrence.sale_order_id
        self.assertEqual(occurrence.state, "placed")
        self.assertNotEqual(fresh, quotation)
        self.assertEqual((fresh.state, quotation.state), ("draft", "cancel"))

        # skipped once more; at closing the skipped cycle is neither confirmed nor charged
        self._post(self._url(occurrence, "skip"))
        self.assertEqual(fresh.state, "cancel")
        self._close(cycle)
        self._confirm()
        self.assertEqual(occurrence.state, "skipped")
        self.assertFalse(occurrence.invoice_id)
        self.assertFalse(occurrence.transaction_ids)
        self.assertEqual(self._of(self.mario_box, cycle).state, "confirmed", "the others go on")

    # ------------------------------------------------------------------ quantities
    def test_change_the_quantities_of_a_placed_order(self):
        occurrence = self._placed(self.paula_box)
        order = occurrence.sale_order_id
        eggs = order.order_line.filtered(lambda line: line.product_id == self.eggs)
        veg = order.order_line - eggs
        self._login(self.paula)

        form = self.url_open(self._url(occurrence, "quantities"))
        self.assertEqual(form.status_code, 200)
        self.assertIn(f'name="qty_{eggs.id}" value="2"', form.text)
        self.assertIn(f'name="qty_{veg.id}" value="1"', form.text)

        response = self._post(
            self._url(occurrence, "quantities"), **{f"qty_{eggs.id}": "3", f"qty_{veg.id}": "0"}
        )

        message = self._flash(response, "message")
        self.assertIn("Eggs (12): 2 → 3", message)
        self.assertIn("Vegetable box removed", message)
        self.assertEqual(self._lines(order), [("Eggs (12)", 3.0)])
        self.assertFalse(veg.exists())
        self.assertEqual(order.amount_total, 13.5)
        self.assertEqual(occurrence.state, "placed")
        note = self._notes(order, "The customer changed the quantities")
        self.assertEqual(len(note), 1)
        self.assertIn("Vegetable box removed", note.body)
        self.assertIn("Eggs (12): 2 → 3", note.body)
        self.assertEqual(note.author_id, self.paula)
        self.assertEqual(
            [(line.product_id, line.quantity) for line in self.paula_box.line_ids],
            [(self.eggs, 2.0), (self.veg_box, 1.0)],
            "the standing order itself is unchanged",
        )

    def test_bad_quantities_are_refused_and_nothing_changes(self):
        occurrence = self._placed(self.paula_box)
        order = occurrence.sale_order_id
        eggs = order.order_line.filtered(lambda line: line.product_id == self.eggs)
        veg = order.order_line - eggs
        marios_line = self._of(self.mario_box, occurrence.cycle_id).sale_order_id.order_line
        self._login(self.paula)
        before = self._lines(order)

        refused = [
            {f"qty_{eggs.id}": "-1"},
            {f"qty_{eggs.id}": "two"},
            {f"qty_{eggs.id}": ""},
            {f"qty_{eggs.id}": "nan"},
            {f"qty_{eggs.id}": "inf"},
            {f"qty_{eggs.id}": "5", f"qty_{veg.id}": "-2"},  # one bad value: nothing changes
            {f"qty_{eggs.id}": "0", f"qty_{veg.id}": "0"},  # an empty order: skip instead
            {f"qty_{marios_line.id}": "9"},  # another customer's line
            {"qty_x": "1"},
        ]
        for data in refused:
            response = self._post(self._url(occurrence, "quantities"), **data)
            self.assertTrue(self._flash(response, "error"), data)
            self.assertIn(self._url(occurrence, "quantities"), response.headers["Location"])
            self.assertEqual(self._lines(order), before, data)
        self.assertEqual(marios_line.product_uom_qty, 1.0)
        self.assertEqual(order.state, "draft")
        self.assertFalse(self._notes(order, "changed the quantities"))
        # the form shows why
        page = self.url_open(response.headers["Location"])
        self.assertIn("Only the quantities of your order", page.text)
        self.assertIn(f'name="qty_{eggs.id}"', page.text)

    # ------------------------------------------------------------------ closed cycles
    def test_nothing_changes_once_the_cycle_closed(self):
        placed = self._placed(self.paula_box)
        order = placed.sale_order_id
        eggs = order.order_line.filtered(lambda line: line.product_id == self.eggs)
        skipped = self._of(self.paula_box, self._coming_cycle(self.schedule, days=3))
        skipped._skip()
        self._close(placed.cycle_id)
        now = fields.Datetime.now()
        skipped.cycle_id.write(
            {"opens_at": now - timedelta(days=5), "closes_at": now - timedelta(days=2)}
        )
        self._login(self.paula)

        response = self._post(self._url(placed, "skip"))
        self.assertIn("can no longer be changed", self._flash(response, "error"))
        response = self._post(self._url(placed, "quantities"), **{f"qty_{eggs.id}": "5"})
        self.assertIn("can no longer be changed", self._flash(response, "error"))
        response = self.url_open(self._url(placed, "quantities"), allow_redirects=False)
        self.assertIn("can no longer be changed", self._flash(response, "error"))
        response = self._post(self._url(skipped, "unskip"))
        self.assertIn("can no longer be changed", self._flash(response, "error"))

        self.assertEqual((placed.state, order.state), ("placed", "draft"))
        self.assertEqual(eggs.product_uom_qty, 2.0)
        self.assertEqual(skipped.state, "skipped")
        page = self._page()
        for occurrence in (placed, skipped):
            for action in ("skip", "unskip", "quantities"):
                self.assertNotIn(self._url(occurrence, action), page)
        for act in (
            lambda: placed._skip(),
            lambda: skipped._unskip(),
            lambda: placed._set_quantities({eggs.id: 1}),
        ):
            with self.assertRaises(UserError):
                act()
        # and the confirmation goes on with the order as it was
        self._confirm()
        self.assertEqual(placed.state, "paid")
        self.assertEqual(order.state, "sale")

    def test_a_paid_cycle_cannot_be_skipped(self):
        paid = self._placed_and_closed(self.schedule).filtered(lambda o: o.partner_id == self.paula)
        self._confirm()
        self.assertEqual(paid.state, "paid")
        self._login(self.paula)
        for action in ("skip", "unskip"):
            self.assertTrue(self._flash(self._post(self._url(paid, action)), "error"), action)
        self.assertEqual((paid.state, paid.sale_order_id.state), ("paid", "sale"))

    def test_a_cycle_being_processed_asks_the_customer_to_try_again(self):
        """A job holds the occurrence's row (the placement or confirmation run): the customer's
        change does not wait for it, and changes nothing."""
        occurrence = self._placed(self.paula_box)
        order = occurrence.sale_order_id
        execute = self.env.cr.execute

        def busy(query, params=None, log_exceptions=True):
            if "NOWAIT" in str(query):
                raise LockNotAvailable("could not obtain lock on row")
            return execute(query, params, log_exceptions)

        with patch.object(self.env.cr, "execute", side_effect=busy):
            for act in (
                lambda: occurrence._skip(),
                lambda: occurrence._set_quantities({order.order_line[0].id: 9}),
            ):
                with self.assertRaisesRegex(UserError, "being processed right now"):
                    act()
        self.assertEqual((occurrence.state, order.state), ("placed", "draft"))
        self.assertEqual(self._lines(order), [("Eggs (12)", 2.0), ("Vegetable box", 1.0)])

    # ------------------------------------------------------------------ isolation
    def test_another_customers_cycles_are_not_found(self):
        placed = self._placed(self.paula_box)
        order = placed.sale_order_id
        eggs = order.order_line.filtered(lambda line: line.product_id == self.eggs)
        skipped = self._of(self.paula_box, self._coming_cycle(self.schedule))
        skipped._skip()
        missing = self.env["ofn.standing.order.occurrence"].search([], order="id desc", limit=1)

        for login in ("mario_portal", "portal_box_manager"):  # another customer, the hub's staff
            self.authenticate(login, login)
            for occurrence in (placed, skipped, missing.browse(missing.id + 1000)):
                for action in ("skip", "unskip", "quantities"):
                    response = self._post(self._url(occurrence, action), **{f"qty_{eggs.id}": "0"})
                    self.assertEqual(response.status_code, 404, (login, action))
                response = self.url_open(self._url(occurrence, "quantities"))
                self.assertEqual(response.status_code, 404, login)

        self.assertEqual((placed.state, order.state), ("placed", "draft"))
        self.assertEqual(self._lines(order), [("Eggs (12)", 2.0), ("Vegetable box", 1.0)])
        self.assertEqual(skipped.state, "skipped")

    def test_without_login_the_customer_is_sent_to_log_in(self):
        placed = self._placed(self.paula_box)
        for url in (PAGE, self._url(placed, "quantities")):
            response = self.url_open(url, allow_redirects=False)
            self.assertIn(response.status_code, (302, 303), url)
            self.assertIn("/web/login", response.headers["Location"], url)
        response = self.url_open(self._url(placed, "skip"), data={"x": "1"}, allow_redirects=False)
        self.assertIn("/web/login", response.headers.get("Location", ""))
        self.env.invalidate_all()
        self.assertEqual(placed.state, "placed")

    def test_customers_and_hub_staff_read_only_their_own(self):
        """Record rules, through the ORM: a customer reads their own standing orders and cycles,
        a hub's staff those of their hub."""
        cycle = self._open_cycle(self.schedule)
        self._open_cycle(self.far_schedule)
        everything = self.paula_box | self.mario_box | self.mario_far
        Standing = self.env["ofn.standing.order"]
        Occurrence = self.env["ofn.standing.order.occurrence"]
        all_occurrences = everything.occurrence_ids
        paula_user, mario_user = self.paula.user_ids, self.mario.user_ids
        visible = {
            paula_user: self.paula_box,
            mario_user: self.mario_box | self.mario_far,
            self.manager: self.paula_box | self.mario_box,
            self.far_manager: self.mario_far,
        }
        for user, own in visible.items():
            self.assertEqual(Standing.with_user(user).search([("id", "in", everything.ids)]), own)
            self.assertEqual(
                Occurrence.with_user(user).search([("id", "in", all_occurrences.ids)]),
                own.occurrence_ids,
                user.login,
            )
        self.assertEqual(len(self._of(self.paula_box, cycle)), 1)
        with self.assertRaises(AccessError):
            self.mario_box.with_user(paula_user).read(["line_ids"])
        with self.assertRaises(AccessError):
            self.paula_box.with_user(self.far_manager).read(["partner_id"])
        with self.assertRaises(AccessError):
            self.paula_box.line_ids.with_user(mario_user).read(["quantity"])

    def test_the_home_page_counts_standing_orders(self):
        for customer, count in ((self.paula, 1), (self.mario, 2)):
            self._login(customer)
            counters = self.make_jsonrpc_request(
                "/my/counters", {"counters": ["ofn_standing_order_count"]}
            )
            self.assertEqual(counters["ofn_standing_order_count"], count, customer.name)
        home = self.url_open("/my/home").text
        self.assertTrue('href="/my/standing_orders" title="Standing orders"' in home)
