import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from odoo import fields, http, sql_db
from odoo.tests import tagged

from odoo.addons.ofn_customer_wallet.tests.common import THREE_D_SECURE

from ..const import SUBSCRIBE_PATH
from ..models.ofn_standing_order import _SUBSCRIBE_FORM_LOCK as SUBSCRIBE_FORM_LOCK
from .common import OneHubChargeHttpCase

MY_PAGE = "/my/standing_orders"
# asks for 3-D Secure when set up (saved to the wallet, allowed to a hub), not when charged off
# session once set up: the close charges it without the customer
SET_UP_WITH_3DS = "4000002500003155"


@tagged("post_install", "-at_install")
class TestSelfSubscribe(OneHubChargeHttpCase):
    """A customer starts their own standing order on the page of a schedule the hub offers:
    products within bounds, first cycle, end date, address, a card the hub may then charge;
    3-D Secure in the browser; refused with a clear message and nothing stored; once only; the
    hub's approval when it asks for it."""

    hub_name, manager_login = "Subscribe Hub", "subscribe_manager"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.veg_box | cls.eggs).product_tmpl_id.ofn_standing_order_ok = True
        cls.schedule.write(
            {
                "name": "Weekly box",
                "subscribe_ok": True,
                "offer_ids": [
                    (0, 0, {"product_id": cls.veg_box.id, "min_quantity": 1, "max_quantity": 3}),
                    (0, 0, {"product_id": cls.eggs.id, "min_quantity": 2, "max_quantity": 6}),
                ],
            }
        )
        cls.jam = cls.env["product.product"].create(
            {"name": "Jam", "lst_price": 3.0, "ofn_standing_order_ok": True, "taxes_id": False}
        )
        other_hub, _manager = cls._create_hub("Other Hub")
        cls.other_hubs_cheese = cls.env["product.product"].create(
            {
                "name": "Other hub's cheese",
                "lst_price": 6.0,
                "ofn_standing_order_ok": True,
                "company_id": other_hub.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.cycle = self._open_cycle(self.schedule)
        self.next_cycle = self._coming_cycle(self.schedule, days=7)

    # ------------------------------------------------------------------ helpers
    @property
    def _url(self):
        return f"{SUBSCRIBE_PATH}/{self.schedule.id}"

    def _signed_in(self, name, hubs=(), test_card=None):
        """A portal customer with a wallet card (allowing ``hubs``), signed in."""
        customer = (
            self._customer(name, list(hubs), test_card=test_card)
            if test_card
            else self._customer(name, list(hubs))
        )
        login = name.lower().replace(" ", "_")
        self.authenticate(login, login)
        return customer

    def _form(self, customer, **changes):
        """The form as the page sends it: 2 boxes, 3 dozen eggs from the open cycle, delivered
        to the customer, paid with their default card."""
        form = {
            f"qty_{self.veg_box.id}": "2",
            f"qty_{self.eggs.id}": "3",
            "cycle_id": str(self.cycle.id),
            "end_date": "",
            "shipping_id": str(customer.id),
            "card_id": str(customer.ofn_default_card().id),
            "key": f"form-of-{customer.id}",
        }
        form.update(changes)
        return form

    def _post(self, form):
        response = self.url_open(
            self._url,
            data={"csrf_token": http.Request.csrf_token(self), **form},
            allow_redirects=False,
        )
        self.env.invalidate_all()  # the request changed records behind this test's cache
        return response

    @staticmethod
    def _redirect(response):
        location = urlparse(response.headers["Location"])
        return location.path, {k: v[0] for k, v in parse_qs(location.query).items()}

    def _stored(self, customer):
        """What the customer's subscriptions stored: standing orders, lines, occurrences."""
        orders = self.env["ofn.standing.order"].search([("partner_id", "=", customer.id)])
        return (
            orders,
            self.env["ofn.standing.order.line"].search([("standing_order_id", "in", orders.ids)]),
            self.env["ofn.standing.order.occurrence"].search([("partner_id", "=", customer.id)]),
        )

    def _assert_refused(self, customer, response, message):
        self.assertEqual(response.status_code, 200, "the form again, with the reason")
        self.assertIn(message, response.text)
        self.assertIn("o_ofn_subscribe_error", response.text)
        self.assertFalse(any(self._stored(customer)), "nothing stored")

    def _lines(self, order):
        return {(line.product_id, line.quantity) for line in order.line_ids}

    # ------------------------------------------------------------------ the page
    def test_a_visitor_sees_the_offer_and_is_asked_to_sign_in_or_up(self):
        page = self.url_open(self._url)

        self.assertEqual(page.status_code, 200)
        for text in ("Subscribe Hub", "Weekly box", "Vegetable box", "18.25", "Eggs (12)"):
            self.assertIn(text, page.text)
        self.assertNotIn("o_ofn_subscribe_form", page.text)
        query = "redirect=%2Fstanding_orders%2Fsubscribe%2F" + str(self.schedule.id)
        self.assertIn(f'href="/web/login?{query}"', page.text)
        self.assertIn(f'href="/web/signup?{query}"', page.text)
        self.assertEqual(self.url_open(f"/web/signup?{query}").status_code, 200, "sign-up open")
        self.assertEqual(self.url_open(f"{SUBSCRIBE_PATH}/999999").status_code, 404)

    def test_the_form_offers_the_coming_cycles_addresses_and_cards(self):
        customer = self._signed_in("Fiona Form")
        delivery = self.env["res.partner"].create(
            {"name": "Farm gate", "type": "delivery", "parent_id": customer.id, "city": "Lyon"}
        )
        closed = self._coming_cycle(self.schedule, days=-9)

        page = self.url_open(self._url).text

        self.assertIn(f'name="qty_{self.veg_box.id}"', page)
        self.assertIn(f'value="{self.cycle.id}"', page)
        self.assertIn(f'value="{self.next_cycle.id}"', page)
        self.assertNotIn(f'<option value="{closed.id}"', page, "a closed cycle is not offered")
        self.assertIn(f'value="{delivery.id}"', page)
        self.assertIn(f'value="{customer.ofn_default_card().id}"', page)
        self.assertIn("you allow <b>Subscribe Hub</b> to charge this card", page)

    # ------------------------------------------------------------------ subscribing
    def test_a_customer_subscribes_with_a_wallet_card(self):
        customer = self._signed_in("Sam Subscriber")

        response = self._post(self._form(customer, end_date="2099-12-31"))

        path, query = self._redirect(response)
        self.assertEqual(path, MY_PAGE)
        self.assertIn("is active", query["message"])
        [order], lines, occurrences = self._stored(customer)
        self.assertEqual(
            (order.status, order.origin, order.payment_mode), ("active", "customer", "card")
        )
        self.assertEqual(self._lines(order), {(self.veg_box, 2), (self.eggs, 3)})
        self.assertEqual(len(lines), 2)
        self.assertEqual(order.amount_estimate, 50.0)
        self.assertEqual(order.partner_shipping_id, customer)
        self.assertEqual(str(order.end_date), "2099-12-31")
        self.assertEqual(occurrences.cycle_id, self.cycle | self.next_cycle)
        consent = customer.ofn_consent_for(self.hub)
        self.assertEqual((consent.state, consent.card_id), ("active", customer.ofn_default_card()))
        # told: the customer, the managers, the chatter
        mail = self._messages_to(customer, "Your standing order with Subscribe Hub")
        self.assertEqual(len(mail), 1)
        self.assertIn("is active", mail.body)
        self.assertIn("Vegetable box", mail.body)
        self.assertEqual(mail.model, "ofn.standing.order")
        self.assertEqual(mail.res_id, order.id, "on the standing order's chatter")
        self.assertIn("50.00", mail.body)
        self.assertIn("/my/standing_orders", mail.body)
        hub_mail = self._mails_to(self.manager.partner_id, "Sam Subscriber subscribed")
        self.assertEqual(len(hub_mail), 1)
        self.assertNotIn("needs your approval", hub_mail.body_html)
        self.assertIn(f"/odoo/ofn.standing.order/{order.id}", hub_mail.body_html)
        self.assertTrue(
            order.message_ids.filtered(lambda m: "subscribed on the portal" in (m.body or ""))
        )
        listing = self.url_open(response.headers["Location"]).text
        self.assertIn("is active", listing)
        self.assertIn(f'data-standing-order-id="{order.id}"', listing)

        # the open cycle's placement places it
        placed = self._place()
        self.assertEqual(placed.standing_order_id, order)
        self.assertEqual(placed.cycle_id, self.cycle)
        self.assertEqual(placed.sale_order_id.amount_total, 50.0)

    def test_the_same_form_sent_twice_makes_one_standing_order(self):
        customer = self._signed_in("Dora Double")
        form = self._form(customer)

        first, second = self._post(form), self._post(form)

        for response in (first, second):
            self.assertEqual(self._redirect(response)[0], MY_PAGE)
        orders, lines, _occurrences = self._stored(customer)
        self.assertEqual(len(orders), 1)
        self.assertEqual(len(lines), 2)
        self.assertEqual(len(self._messages_to(customer, "Your standing order with")), 1)
        # another form (another key) is another standing order
        self._post(self._form(customer, key="another-form"))
        self.assertEqual(len(self._stored(customer)[0]), 2)

    def test_the_same_form_sent_while_it_is_being_sent_is_told_to_wait(self):
        customer = self._signed_in("Wally Wait")
        form = self._form(customer)
        # the first sending holds the form (on another connection), e.g. waiting for the bank
        with sql_db.db_connect(self.env.cr.dbname).cursor() as first:
            first.execute(
                "SELECT pg_advisory_lock(%s, hashtext(%s))", [SUBSCRIBE_FORM_LOCK, form["key"]]
            )
            response = self._post(form)
            first.execute(
                "SELECT pg_advisory_unlock(%s, hashtext(%s))", [SUBSCRIBE_FORM_LOCK, form["key"]]
            )

        self._assert_refused(customer, response, "This form is being sent already")
        self.assertFalse(customer.ofn_consent_for(self.hub), "the bank was not asked")

    def test_a_later_first_cycle_and_another_delivery_address(self):
        customer = self._signed_in("Lou Later")
        delivery = self.env["res.partner"].create(
            {"name": "Lou's office", "type": "delivery", "parent_id": customer.id}
        )

        self._post(
            self._form(customer, cycle_id=str(self.next_cycle.id), shipping_id=str(delivery.id))
        )

        [order], _lines, occurrences = self._stored(customer)
        self.assertEqual(occurrences.cycle_id, self.next_cycle, "not the open cycle")
        self.assertEqual(order.partner_shipping_id, delivery)
        self.assertFalse(self._place().filtered(lambda o: o.standing_order_id == order))

    def test_a_consent_with_three_d_secure_completes_after_the_browser(self):
        customer = self._signed_in("Tom Three", test_card=THREE_D_SECURE)
        form = self._form(customer)

        page = self._post(form)

        self.assertEqual(page.status_code, 200)
        self.assertIn("o_ofn_subscribe_pending", page.text)
        consent = customer.ofn_consent_for(self.hub)
        self.assertEqual(consent.state, "pending")
        self.assertFalse(self._stored(customer)[0], "nothing before the bank's answer")
        # the customer answers their bank (Stripe.js), then the page asks the server
        self._answer_bank(consent, success=True)

        result = self._confirm_json(consent, form)

        self.assertIn(MY_PAGE, result["redirect"])
        [order], _lines, _occurrences = self._stored(customer)
        self.assertEqual(order.status, "active")
        self.assertEqual(customer.ofn_consent_for(self.hub).state, "active")
        self.assertIn(MY_PAGE, self._confirm_json(consent, form)["redirect"], "once only")
        self.assertEqual(len(self._stored(customer)[0]), 1)

    def _answer_bank(self, consent, success):
        intent = self._sandbox_client(self.account.stripe_account_id).v1.setup_intents.retrieve(
            consent.setup_intent_id
        )
        self._sandbox_client(self.account.stripe_account_id).raw_request(
            "post",
            f"/v1/setup_intents/{consent.setup_intent_id}/_authenticate",
            client_secret=intent.client_secret,
            success="true" if success else "false",
        )

    def _confirm_json(self, consent, form):
        response = self.url_open(
            f"{self._url}/confirm",
            data=json.dumps({"jsonrpc": "2.0", "params": {"consent_id": consent.id, "form": form}}),
            headers={"Content-Type": "application/json"},
        )
        self.env.invalidate_all()
        return response.json()["result"]

    def test_a_failed_three_d_secure_stores_nothing(self):
        customer = self._signed_in("Fay Failed", test_card=THREE_D_SECURE)
        form = self._form(customer)
        self._post(form)
        consent = customer.ofn_consent_for(self.hub)
        self._answer_bank(consent, success=False)

        result = self._confirm_json(consent, form)

        self.assertTrue(result["error"])
        self.assertNotIn("redirect", result)
        self.assertEqual(customer.ofn_consent_for(self.hub).state, "failed")
        self.assertFalse(self._stored(customer)[0])

    # ------------------------------------------------------------------ refused
    def test_a_schedule_not_offered_is_refused(self):
        customer = self._signed_in("Nina Notoffered")
        self.schedule.subscribe_ok = False

        self._assert_closed(customer, "This schedule is not open to subscriptions.")
        self.assertFalse(self.schedule.subscribe_url)

    def test_a_hub_that_takes_no_card_payments_says_so_before_the_form(self):
        customer = self._signed_in("Hana Hubless")
        self.account.mark_revoked("the hub disconnected its account")

        self._assert_closed(customer, "does not take card payments at the moment")

    def _assert_closed(self, customer, text):
        """The page, and a form sent anyway, say ``text`` instead of the form; nothing stored."""
        page = self.url_open(self._url)
        response = self._post(self._form(customer))
        for answer in (page, response):
            self.assertEqual(answer.status_code, 200)
            self.assertIn(text, answer.text)
            self.assertNotIn("o_ofn_subscribe_form", answer.text)
        self.assertFalse(any(self._stored(customer)))

    def test_products_not_offered_are_refused(self):
        customer = self._signed_in("Paul Products")
        for product in (self.jam, self.other_hubs_cheese):
            response = self._post(self._form(customer, **{f"qty_{product.id}": "1"}))
            self._assert_refused(customer, response, "One of the products chosen is not offered")

    def test_quantities_out_of_bounds_are_refused(self):
        customer = self._signed_in("Quinn Quantities")
        for field, quantity in (("veg_box", "4"), ("eggs", "1")):
            product = getattr(self, field)
            response = self._post(self._form(customer, **{f"qty_{product.id}": quantity}))
            self._assert_refused(customer, response, f"{product.display_name}: choose from")
            self.assertIn(f'name="qty_{product.id}" value="{quantity}"', response.text, "kept")
        response = self._post(
            self._form(customer, **{f"qty_{self.veg_box.id}": "0", f"qty_{self.eggs.id}": "0"})
        )
        self._assert_refused(customer, response, "Choose at least one product.")

    def test_no_card_and_no_new_card_is_refused(self):
        customer = self._signed_in("Carl Cardless")
        response = self._post(self._form(customer, card_id=""))
        self._assert_refused(customer, response, "Choose a card of your wallet, or enter a new")
        other = self._customer("Olga Other", [])
        response = self._post(self._form(customer, card_id=str(other.ofn_default_card().id)))
        self._assert_refused(customer, response, "Choose a card of your wallet")
        self.assertFalse(customer.ofn_consent_for(self.hub), "the hub was not asked")

    def test_a_cycle_address_or_end_date_not_the_customers_is_refused(self):
        customer = self._signed_in("Eve Else")
        stranger = self.env["res.partner"].create({"name": "Stranger"})
        other_schedule_cycle = self._open_cycle(
            self.env["ofn.schedule"].create({"name": "Other", "company_id": self.hub.id})
        )
        self._close(self.next_cycle)
        for changes, message in (
            ({"cycle_id": str(other_schedule_cycle.id)}, "Choose the first cycle"),
            ({"cycle_id": str(self.next_cycle.id)}, "Choose the first cycle"),
            ({"shipping_id": str(stranger.id)}, "Choose one of your delivery addresses."),
            ({"end_date": str(fields.Date.today() - timedelta(days=1))}, "cannot end before"),
        ):
            self._assert_refused(customer, self._post(self._form(customer, **changes)), message)

    def test_a_card_refused_by_the_bank_stores_no_standing_order(self):
        customer = self._signed_in("Bob Blocked")
        self._block_card(customer.ofn_default_card())

        response = self._post(self._form(customer))

        self._assert_refused(customer, response, "Your card was declined.")
        self.assertIn(f'name="qty_{self.veg_box.id}" value="2"', response.text, "choices kept")
        self.assertEqual(customer.ofn_consent_for(self.hub).state, "failed")

    # ------------------------------------------------------------------ the hub's approval
    def test_with_the_hubs_approval_it_waits_and_nothing_is_placed_or_charged(self):
        self.hub.ofn_subscription_approval = True
        customer = self._signed_in("Wendy Waits")

        response = self._post(self._form(customer))

        self.assertIn(
            "waiting for Subscribe Hub's approval", self._redirect(response)[1]["message"]
        )
        [order], _lines, occurrences = self._stored(customer)
        self.assertEqual(order.status, "pending")
        self.assertEqual(occurrences.cycle_id, self.cycle | self.next_cycle, "made")
        listing = self.url_open(MY_PAGE).text
        self.assertIn("Waiting for the hub's approval", listing)
        mail = self._messages_to(customer, "Your standing order with Subscribe Hub")
        self.assertIn("waiting for", mail.body)
        self.assertIn("Nothing is charged before", mail.body)
        hub_mail = self._mails_to(self.manager.partner_id, "Wendy Waits subscribed")
        self.assertIn("needs your approval", hub_mail.body_html)

        self.assertFalse(self._place().filtered(lambda o: o.standing_order_id == order))
        # (closing the cycle earlier than planned takes it out of the standing order's dates:
        # its occurrence, never placed, goes; the next cycle's stays planned)
        self._close(self.cycle)
        self._confirm()
        self.assertEqual(order.occurrence_ids.cycle_id, self.next_cycle)
        self.assertEqual(set(order.occurrence_ids.mapped("state")), {"planned"})
        self.assertFalse(order.occurrence_ids.sale_order_id, "nothing placed")
        self.assertFalse(self._intents(self.account, occurrences.exists()), "nothing charged")
        self.assertFalse(
            self.env["payment.transaction"].search([("ofn_occurrence_id", "in", occurrences.ids)])
        )

    # ------------------------------------------------------------------ in a browser
    def test_a_new_visitor_signs_up_and_subscribes_with_a_new_3ds_card(self):
        self.start_tour(self._url, "ofn_standing_order_subscribe")

        user = self.env["res.users"].search([("login", "=", "vera.visitor@customer.example")])
        customer = user.partner_id
        [order], _lines, _occurrences = self._stored(customer)
        self.assertEqual((order.status, order.origin), ("active", "customer"))
        self.assertEqual(self._lines(order), {(self.veg_box, 2), (self.eggs, 3)})
        card = customer.ofn_wallet_card_ids
        self.assertEqual(card.payment_details, "3155")
        consent = customer.ofn_consent_for(self.hub)
        self.assertEqual((consent.state, consent.card_id), ("active", card))
        self.assertEqual(
            len(self._messages_to(customer, "Your standing order with Subscribe Hub")), 1
        )
        self.assertEqual(len(self._mails_to(self.manager.partner_id, "Vera Visitor subscribed")), 1)

        # the next placement places its order, the close charges it on the hub's account
        [occurrence] = self._place().filtered(lambda o: o.standing_order_id == order)
        self.assertEqual(occurrence.state, "placed")
        self._close(self.cycle)
        self._confirm()
        self.assertEqual(occurrence.state, "paid")
        [intent] = self._intents(self.account, occurrence)
        self.assertEqual((intent.status, intent.amount), ("succeeded", 5000))
