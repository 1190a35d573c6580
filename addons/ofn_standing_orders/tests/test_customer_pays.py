import json
from urllib.parse import parse_qs, urlparse

import requests

from odoo import http, sql_db
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.ofn_customer_wallet.tests.common import THREE_D_SECURE
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import OneHubChargeHttpCase

PAGE = "/my/standing_orders"
MASTERCARD = "pm_card_mastercard"
DECLINES_WHEN_CHARGED = "pm_card_chargeCustomerFail"  # saved, declined when charged


@tagged("post_install", "-at_install")
class TestCustomerPays(OneHubChargeHttpCase):
    """The "Pay now" page: a customer pays an order whose card payment failed, or waits for
    their bank, with another wallet card or a new one; the payment is the occurrence's next
    attempt, on-session on the hub's account; retries stop and the hub is told. Only their own
    orders, only once."""

    hub_name, manager_login = "Pay Now Hub", "pay_now_manager"

    # ------------------------------------------------------------------ helpers
    def _failed(self, name):
        """A customer whose card payment failed (not enough funds: a soft decline, tried again
        by the hub's policy), with a second wallet card that works."""
        customer, occurrence = self._one(name)
        self._block_card(customer.ofn_default_card(), "insufficient_funds")
        self._confirm()
        self.assertEqual(occurrence.state, "failed")
        other = self._save_card(customer, MASTERCARD)
        return customer, occurrence, other

    def _waiting(self, name):
        """A customer whose card payment waits for their bank (3-D Secure)."""
        customer = self._customer(name, [self.hub], test_card=THREE_D_SECURE)
        self._standing(customer, self.schedule, [(self.veg_box, 1)])
        occurrence = self._placed_and_closed(self.schedule)
        self._confirm()
        self.assertEqual(occurrence.state, "awaiting_authentication")
        return customer, occurrence

    @staticmethod
    def _login_of(customer):
        return customer.name.lower().replace(" ", "_")

    def _user(self, customer):
        return self.env["res.users"].search([("login", "=", self._login_of(customer))])

    def _login(self, customer):
        self.authenticate(self._login_of(customer), self._login_of(customer))

    @staticmethod
    def _url(occurrence):
        return f"{PAGE}/occurrence/{occurrence.id}/pay"

    def _post(self, url, **data):
        response = self.url_open(
            url, data={"csrf_token": http.Request.csrf_token(self), **data}, allow_redirects=False
        )
        self.env.invalidate_all()  # the request changed records behind this test's cache
        return response

    def _json(self, url):
        return self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "params": {}}),
            headers={"Content-Type": "application/json"},
        )

    def _pay(self, occurrence, card):
        return self._post(self._url(occurrence), card_id=card.id)

    @staticmethod
    def _redirect(response):
        """(path, query) of a redirection."""
        location = urlparse(response.headers["Location"])
        return location.path, {k: v[0] for k, v in parse_qs(location.query).items()}

    def _succeeded(self, occurrence):
        return [i for i in self._intents(self.account, occurrence) if i.status == "succeeded"]

    def _assert_paid(self, occurrence):
        occurrence.invalidate_recordset()
        self.assertEqual(occurrence.state, "paid")
        self.assertFalse(occurrence.next_charge_at)
        self.assertFalse(occurrence.needs_attention)
        invoice = occurrence.invoice_id
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.amount_residual, 0)
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(receivable.reconciled, "the payment is reconciled with the invoice")
        [intent] = self._succeeded(occurrence)
        self.assertEqual(intent.amount, 1825, "the amount due, in cents")
        return intent

    # ------------------------------------------------------------------ paying
    def test_a_failed_order_is_paid_with_another_wallet_card(self):
        customer, occurrence, other = self._failed("Petra Payer")
        self.assertTrue(occurrence.next_charge_at, "a retry is planned")
        self._login(customer)

        listing = self.url_open(PAGE).text
        self.assertIn(f'href="{self._url(occurrence)}"', listing, "Pay now on the page")
        page = self.url_open(self._url(occurrence))
        self.assertEqual(page.status_code, 200)
        for text in ("Pay Now Hub", occurrence.sale_order_id.name, occurrence.invoice_id.name):
            self.assertIn(text, page.text)
        self.assertIn("18.25", page.text)
        self.assertIn(
            "There was not enough money on the card, or its spending limit was reached.",
            page.text,
            "why the last attempt failed, in the customer's words",
        )
        self.assertIn(f'value="{other.id}"', page.text)

        response = self._pay(occurrence, other)

        path, query = self._redirect(response)
        self.assertEqual(path, PAGE)
        self.assertIn("is paid", query["message"])
        intent = self._assert_paid(occurrence)
        tx = occurrence.transaction_ids.sorted("id")[-1]
        self.assertEqual(tx.reference, f"OFN-SO{occurrence.id}-2", "the next attempt")
        self.assertEqual((tx.operation, tx.state), ("online_token", "done"))
        self.assertEqual(tx.token_id.ofn_wallet_card_id, other, "the hub's clone of the card")
        self.assertEqual(intent.payment_method, tx.token_id.stripe_payment_method)
        self.assertEqual(occurrence.standing_order_id.payment_mode, "card")
        consent = customer.ofn_consent_ids
        self.assertNotEqual(consent.card_id, other, "the consent did not change")
        self.assertIn("is paid", self.url_open(response.headers["Location"]).text)

        # retries stop
        self.assertFalse(self._retry())
        self.assertEqual(len(self._intents(self.account, occurrence)), 2, "1 failed, 1 paid")

        # the hub is told: an e-mail to its manager, a note on the order
        mail = self._mails_to(self.manager.partner_id, "paid order")
        self.assertEqual(len(mail), 1)
        self.assertIn("Petra Payer", mail.subject)
        self.assertIn(occurrence.sale_order_id.name, mail.subject)
        note = occurrence.sale_order_id.message_ids.filtered(
            lambda message: "paid this order from the portal" in (message.body or "")
        )
        self.assertEqual(len(note), 1)
        self.assertTrue(self._messages_to(customer, "is paid"), "the customer's receipt")

    def test_after_the_last_attempt_paying_settles_the_hubs_todo(self):
        self.hub.ofn_charge_retries = 0
        customer, occurrence, other = self._failed("Lena Last")
        self.assertTrue(occurrence.needs_attention)
        order = occurrence.sale_order_id
        self.assertEqual(len(order.activity_ids), 1, "the hub's to-do: settle it")
        self._login(customer)

        self._pay(occurrence, other)

        self._assert_paid(occurrence)
        self.assertFalse(order.activity_ids, "the to-do is done")
        done = order.message_ids.filtered(
            lambda message: "Paid by the customer on the portal" in (message.body or "")
        )
        self.assertTrue(done)

    def test_a_declined_card_on_session_leaves_the_order_failed(self):
        customer, occurrence, _other = self._failed("Dora Declined")
        other = self._save_card(customer, DECLINES_WHEN_CHARGED)
        failure_mails = len(self._mails_to(customer, "did not go through"))
        self._login(customer)

        response = self._pay(occurrence, other)

        path, query = self._redirect(response)
        self.assertEqual(path, self._url(occurrence), "back on the pay page")
        self.assertIn("declined", query["error"].lower(), "the bank's words")
        self.assertIn("declined", self.url_open(response.headers["Location"]).text.lower())
        occurrence.invalidate_recordset()
        self.assertEqual(occurrence.state, "failed")
        self.assertEqual(occurrence.failure_reason, "declined")
        self.assertEqual(occurrence.charge_attempts, 2)
        self.assertTrue(occurrence.next_charge_at, "the hub's retry policy still in force")
        self.assertFalse(occurrence.needs_attention)
        self.assertEqual(occurrence.invoice_id.payment_state, "not_paid")
        self.assertFalse(self._succeeded(occurrence))
        self.assertEqual(
            len(self._mails_to(customer, "did not go through")),
            failure_mails,
            "told on the page, not by e-mail",
        )

    def test_a_waiting_payment_is_cancelled_before_paying_with_another_card(self):
        customer, occurrence = self._waiting("Wanda Waiting")
        waiting = occurrence.transaction_ids
        other = self._save_card(customer, MASTERCARD)
        self._login(customer)

        self._pay(occurrence, other)

        self._assert_paid(occurrence)
        self.assertEqual(waiting.state, "cancel")
        self.assertFalse(waiting.ofn_requires_authentication)
        intents = {i.description: i.status for i in self._intents(self.account, occurrence)}
        self.assertEqual(
            intents,
            {f"OFN-SO{occurrence.id}-1": "canceled", f"OFN-SO{occurrence.id}-2": "succeeded"},
        )

    def test_a_waiting_payment_that_went_through_meanwhile_is_followed(self):
        customer, occurrence = self._waiting("Walt Went")
        [intent] = self._intents(self.account, occurrence)
        # the customer answered their bank, and Odoo was not told yet
        self._sandbox_client(self.account.stripe_account_id).raw_request(
            "post",
            f"/v1/payment_intents/{intent.id}/_authenticate",
            client_secret=intent.client_secret,
            success="true",
        )
        other = self._save_card(customer, MASTERCARD)
        self._login(customer)

        response = self._pay(occurrence, other)

        self.assertIn("is paid", self._redirect(response)[1]["message"])
        self._assert_paid(occurrence)
        self.assertEqual(len(occurrence.transaction_ids), 1, "nothing new sent")
        self.assertEqual(len(self._intents(self.account, occurrence)), 1)

    # ------------------------------------------------------------------ Stripe does not answer
    def _fault(self, path):
        """The next requests to ``path`` are handled by Stripe, but the answers are lost
        (three: the gateway's SDK client tries a request three times)."""
        requests.post(
            self.sandbox_url + "/_sandbox/faults",
            data={"kind": "answer_lost", "path": path, "times": 3},
            timeout=10,
        ).raise_for_status()
        self.addCleanup(requests.delete, self.sandbox_url + "/_sandbox/faults", timeout=10)

    def test_no_answer_about_the_waiting_payment_sends_nothing_new(self):
        customer, occurrence = self._waiting("Nora Nowait")
        [waiting] = self._intents(self.account, occurrence)
        other = self._save_card(customer, MASTERCARD)
        user = self._user(customer)
        self._fault(f"/v1/payment_intents/{waiting.id}/cancel")

        with self.assertRaisesRegex(UserError, "try again in a minute"):
            occurrence.with_user(user).action_ofn_pay_now(other.with_user(user))

        self.assertEqual(occurrence.state, "awaiting_authentication")
        self.assertEqual(occurrence.charge_attempts, 1)
        self.assertEqual(len(self._intents(self.account, occurrence)), 1, "nothing new sent")

        # a minute later: Stripe's stored answer (the waiting payment was cancelled)
        result = occurrence.with_user(user).action_ofn_pay_now(other.with_user(user))

        self.assertEqual(result["state"], "paid")
        self._assert_paid(occurrence)
        statuses = sorted(i.status for i in self._intents(self.account, occurrence))
        self.assertEqual(statuses, ["canceled", "succeeded"])

    def test_no_answer_to_the_customers_payment_is_asked_again_not_paid_twice(self):
        _customer, occurrence, other = self._failed("Nils Noanswer")
        user = self._user(_customer)
        self._fault("/v1/payment_intents")

        with self.assertRaisesRegex(UserError, "do not pay again"):
            occurrence.with_user(user).action_ofn_pay_now(other.with_user(user))

        self.assertEqual(occurrence.state, "confirmed", "its outcome is unknown")
        self.assertTrue(occurrence.charge_unknown_since)
        self.assertEqual(occurrence.transaction_ids.sorted("id")[-1].state, "draft")

        # the engine asks Stripe again, with the same idempotency key
        self._confirm()

        self._assert_paid(occurrence)
        self.assertEqual(len(self._intents(self.account, occurrence)), 2, "1 failed, 1 paid")
        self.assertEqual(len(self._mails_to(self.manager.partner_id, "paid order")), 1)

    # ------------------------------------------------------------------ only once, only theirs
    def test_another_customers_order_is_not_found(self):
        _customer, occurrence, other = self._failed("Olga Owner")
        intruder = self._customer("Ivan Intruder", [self.hub])
        self._login(intruder)

        self.assertEqual(self.url_open(self._url(occurrence)).status_code, 404)
        self.assertEqual(self._pay(occurrence, other).status_code, 404)
        self.assertEqual(
            self._pay(occurrence, intruder.ofn_default_card()).status_code,
            404,
            "not with their own card either",
        )
        done = self._json(f"{self._url(occurrence)}/{occurrence.transaction_ids.id}/done")
        self.assertIn("NotFound", done.json()["error"]["data"]["name"])
        occurrence.invalidate_recordset()
        self.assertEqual((occurrence.state, occurrence.charge_attempts), ("failed", 1))
        with self.assertRaises(UserError):
            occurrence.with_user(self._user(intruder)).action_ofn_pay_now(
                intruder.ofn_default_card().with_user(self._user(intruder))
            )

    def test_a_paid_order_cannot_be_paid_again(self):
        customer, occurrence, other = self._failed("Paul Paid")
        self._login(customer)
        self._pay(occurrence, other)
        self._assert_paid(occurrence)

        again = self._pay(occurrence, other)

        path, query = self._redirect(again)
        self.assertEqual(path, PAGE)
        self.assertIn("is paid", query["message"])
        page = self._redirect(self.url_open(self._url(occurrence), allow_redirects=False))
        self.assertIn("is paid", page[1]["message"])
        self.assertNotIn(f'href="{self._url(occurrence)}"', self.url_open(PAGE).text)
        user = self._user(customer)
        with self.assertRaisesRegex(UserError, "is paid"):
            occurrence.with_user(user).action_ofn_pay_now(other.with_user(user))
        self.assertEqual(len(self._intents(self.account, occurrence)), 2)
        self._assert_paid(occurrence)

    # ------------------------------------------------------------------ and the engine
    def test_the_engines_charge_meanwhile_never_charges_again(self):
        customer, occurrence, other = self._failed("Eric Engine")
        user = self._user(customer)

        # an engine charge holds the occurrence (its session lock, on another connection)
        with sql_db.db_connect(self.env.cr.dbname).cursor() as engine:
            engine.execute("SELECT pg_advisory_lock(%s, %s)", [0x0F5C, occurrence.id])
            with self.assertRaisesRegex(UserError, "being processed"):
                occurrence.with_user(user).action_ofn_pay_now(other.with_user(user))
            engine.execute("SELECT pg_advisory_unlock(%s, %s)", [0x0F5C, occurrence.id])
        self.assertEqual(occurrence.charge_attempts, 1, "nothing sent")

        # the retry's job, enqueued before the customer pays, runs after
        self._retry_later(occurrence)
        with trap_jobs() as trap:
            self.env["ofn.standing.order.occurrence"]._cron_retry()
            [job] = trap.enqueued_jobs
            self.assertEqual(job.args, (2,))
            result = occurrence.with_user(user).action_ofn_pay_now(other.with_user(user))
            self.assertEqual(result["state"], "paid")
            self.assertFalse(occurrence.next_charge_at, "the engine's retries stop")
            job.func(*job.args, **job.kwargs)

        self._assert_paid(occurrence)
        self.assertEqual(occurrence.charge_attempts, 2)
        self.assertEqual(len(self._intents(self.account, occurrence)), 2, "no third payment")

    # ------------------------------------------------------------------ in a browser
    def test_a_new_three_d_secure_card_pays_in_the_browser(self):
        customer, occurrence, _other = self._failed("Tina Tour")

        self.start_tour(self._url(occurrence), "ofn_standing_order_pay_new_card", login="tina_tour")

        new = customer.ofn_wallet_card_ids.filtered(lambda card: card.payment_details == "3184")
        self.assertEqual(len(new), 1, "the new card is in the wallet")
        intent = self._assert_paid(occurrence)
        tx = occurrence.transaction_ids.sorted("id")[-1]
        self.assertEqual(tx.token_id.ofn_wallet_card_id, new)
        self.assertEqual(intent.payment_method, tx.token_id.stripe_payment_method)
