from datetime import timedelta

import requests

from odoo import fields
from odoo.tests import tagged

from odoo.addons.ofn_stripe_connect.platform_settings import get_setting

from .common import OneHubChargeCase, OneHubChargeHttpCase

CHARGER_LOG = "odoo.addons.ofn_standing_orders.models.ofn_standing_order_occurrence"


@tagged("post_install", "-at_install")
class TestUnansweredCharges(OneHubChargeCase):
    """A charge whose answer never came back is not a failed charge: Stripe may have taken the
    money. The attempt is asked again with the same idempotency key until Stripe answers, and a
    rate limit is never an outcome of the order."""

    hub_name, manager_login = "Unanswered Hub", "unanswered_manager"

    def setUp(self):
        super().setUp()
        self.addCleanup(requests.delete, self.sandbox_url + "/_sandbox/faults", timeout=10)

    def _confirm_unanswered(self, kind):
        """The confirmation run, while every PaymentIntent creation on Stripe fails that way
        (three times: the gateway's SDK client tries a request three times)."""
        requests.post(
            self.sandbox_url + "/_sandbox/faults",
            data={"kind": kind, "path": "/v1/payment_intents", "times": 3},
            timeout=10,
        ).raise_for_status()
        self.postponed = []
        with self.assertLogs(CHARGER_LOG, "WARNING"):
            self._confirm()

    def _assert_waiting_not_failed(self, customer, occurrence):
        self.assertEqual(occurrence.state, "confirmed", "not a failed payment")
        self.assertEqual(occurrence.charge_attempts, 1)
        self.assertEqual(
            occurrence.transaction_ids.state, "draft", "the attempt's outcome is unknown"
        )
        self.assertFalse(occurrence.failure_reason)
        self.assertTrue(occurrence.charge_unknown_since)
        self.assertFalse(occurrence.next_charge_at, "its job is run again, no new attempt")
        [job] = self.postponed
        self.assertEqual((job.method_name, job.args), ("_charge", (1,)), "the same attempt")
        self.assertFalse(self._mails_to(customer, "did not go through"), "nobody is told it failed")

    def test_an_answer_lost_after_stripe_took_the_money_charges_once(self):
        """Stripe stores the PaymentIntent, then every answer (the SDK's retries too) is lost
        on the way back. The retry job, the next confirmation runs and the job run again later
        leave exactly one PaymentIntent, and the order paid."""
        customer, occurrence = self._one("Lou Lost")
        self._confirm_unanswered("answer_lost")

        self._assert_waiting_not_failed(customer, occurrence)
        [intent] = self._intents(self.account, occurrence)
        self.assertEqual(intent.status, "succeeded", "Stripe did take the money")
        self.assertEqual(intent.description, f"OFN-SO{occurrence.id}-1")

        postponed, self.postponed = self.postponed, []
        self._retry()  # the retry cron: not a failure to retry
        self._confirm()  # the next confirmation run: its job is pending already
        self.assertEqual(occurrence.charge_attempts, 1)
        self.postponed = postponed

        self._run_postponed()  # queue_job runs the job again

        self.assertEqual(occurrence.state, "paid")
        self.assertEqual(occurrence.transaction_ids.reference, f"OFN-SO{occurrence.id}-1")
        self.assertEqual(occurrence.transaction_ids.provider_reference, intent.id)
        self.assertFalse(occurrence.charge_unknown_since)
        self.assertEqual(occurrence.invoice_id.payment_state, "paid")
        self.assertEqual(len(self._intents(self.account, occurrence)), 1, "charged once")

    def test_a_rate_limit_leaves_the_order_waiting_and_is_asked_again(self):
        customer, occurrence = self._one("Rita Ratelimited")
        self._confirm_unanswered("rate_limited")

        self._assert_waiting_not_failed(customer, occurrence)
        self.assertFalse(self._intents(self.account, occurrence), "Stripe did nothing")

        requests.delete(self.sandbox_url + "/_sandbox/faults", timeout=10).raise_for_status()
        self._run_postponed()
        self.assertEqual(occurrence.state, "paid")
        self.assertEqual(len(self._intents(self.account, occurrence)), 1)

    def _a_day_later(self, occurrence):
        """Stripe no longer keeps the answers of the day before (24 hours)."""
        occurrence.sudo().charge_unknown_since = fields.Datetime.now() - timedelta(hours=25)
        requests.post(
            self.sandbox_url + "/_sandbox/idempotency/expire", timeout=10
        ).raise_for_status()
        requests.delete(self.sandbox_url + "/_sandbox/faults", timeout=10).raise_for_status()

    def test_past_stripes_replay_window_the_payment_is_looked_up(self):
        """A day later, asking again with the same key would make a second PaymentIntent: the
        attempt's PaymentIntent is found on the hub's account instead, and is the answer."""
        _customer, occurrence = self._one("Uma Unsettled")
        self._confirm_unanswered("answer_lost")
        [intent] = self._intents(self.account, occurrence)

        self._a_day_later(occurrence)
        self._run_postponed()

        self.assertEqual(occurrence.state, "paid")
        self.assertFalse(occurrence.needs_attention)
        self.assertEqual(occurrence.transaction_ids.provider_reference, intent.id)
        self.assertEqual(occurrence.invoice_id.payment_state, "paid")
        self.assertEqual(
            [i.id for i in self._intents(self.account, occurrence)], [intent.id], "nothing new"
        )
        self.assertFalse(self._retry() & occurrence)

    def test_past_the_window_a_payment_stripe_never_saw_is_sent_again(self):
        """The request was lost on its way: Stripe has no PaymentIntent for the attempt, which
        charged nothing; a day later it is sent again, and paid once."""
        _customer, occurrence = self._one("Noa Neverseen")
        self._confirm_unanswered("request_lost")
        self.assertFalse(self._intents(self.account, occurrence), "Stripe saw nothing")

        self._a_day_later(occurrence)
        self._run_postponed()

        self.assertEqual(occurrence.state, "paid")
        self.assertEqual(occurrence.charge_attempts, 1, "the same attempt, sent again")
        [intent] = self._intents(self.account, occurrence)
        self.assertEqual(intent.description, f"OFN-SO{occurrence.id}-1")
        self.assertEqual(occurrence.transaction_ids.provider_reference, intent.id)

    def test_a_lookup_whose_answer_is_lost_is_asked_again(self):
        _customer, occurrence = self._one("Ivo Twicelost")
        self._confirm_unanswered("answer_lost")
        self._a_day_later(occurrence)
        requests.post(
            self.sandbox_url + "/_sandbox/faults",
            data={
                "kind": "answer_lost",
                "method": "GET",
                "path": "/v1/payment_intents",
                "times": 3,
            },
            timeout=10,
        ).raise_for_status()

        self._run_postponed()

        self.assertEqual(occurrence.state, "confirmed", "still unknown")
        [job] = self.postponed
        self.assertEqual((job.method_name, job.args), ("_charge", (1,)))
        requests.delete(self.sandbox_url + "/_sandbox/faults", timeout=10).raise_for_status()
        self._run_postponed()
        self.assertEqual(occurrence.state, "paid")
        self.assertEqual(len(self._intents(self.account, occurrence)), 1)


@tagged("post_install", "-at_install")
class TestUnansweredChargeOnALostAccount(OneHubChargeCase):
    """Past Stripe's replay window, the hub's account no longer lets the platform in: the
    payment cannot be looked up, so nothing is sent and the hub is asked to check Stripe."""

    hub_name, manager_login = "Lost Account Hub", "lost_account_manager"

    def test_nothing_new_is_sent_and_the_hub_is_asked(self):
        requests.post(
            self.sandbox_url + "/_sandbox/faults",
            data={"kind": "answer_lost", "path": "/v1/payment_intents", "times": 3},
            timeout=10,
        ).raise_for_status()
        self.addCleanup(requests.delete, self.sandbox_url + "/_sandbox/faults", timeout=10)
        _customer, occurrence = self._one("Ada Unsettled")
        self.postponed = []
        with self.assertLogs(CHARGER_LOG, "WARNING"):
            self._confirm()
        self.assertEqual(len(self._intents(self.account, occurrence)), 1)
        occurrence.sudo().charge_unknown_since = fields.Datetime.now() - timedelta(hours=25)
        self.env["ofn.stripe.gateway"].oauth_deauthorize(self.account.stripe_account_id)
        creations = self._intent_creations()

        self._run_postponed()

        self.assertTrue(occurrence.needs_attention)
        self.assertFalse(occurrence.next_charge_at)
        self.assertIn(f"OFN-SO{occurrence.id}-1", occurrence.failure_message)
        self.assertIn("Stripe dashboard", occurrence.failure_message)
        self.assertEqual(occurrence.sale_order_id.activity_ids.user_id, self.manager)
        self.assertEqual(occurrence.transaction_ids.state, "draft", "the outcome is not known")
        self._retry_later(occurrence)
        self.assertFalse(self._confirm() & occurrence)
        self.assertFalse(self._retry() & occurrence)
        self.assertEqual(self._intent_creations(), creations, "nothing new was sent")

    def _intent_creations(self):
        """The PaymentIntent creations the sandbox was asked for, on any account (the hub's
        account no longer lets the platform list its intents)."""
        return requests.get(
            self.sandbox_url + "/_sandbox/requests",
            params={"method": "POST", "path": "/v1/payment_intents"},
            timeout=10,
        ).json()


@tagged("post_install", "-at_install")
class TestUnansweredChargeAndLateWebhooks(OneHubChargeHttpCase):
    """The answer is lost after Stripe charged, and Stripe's webhooks come a day late: the
    jobs and runs that follow, then the late webhooks, leave one charge and the order paid."""

    hub_name, manager_login = "Late Webhook Hub", "late_webhook_manager"

    def setUp(self):
        super().setUp()
        sandbox = self.sandbox_url + "/_sandbox"
        self.addCleanup(requests.delete, sandbox + "/faults", timeout=10)
        delay = requests.post(sandbox + "/webhooks/delay", data={"seconds": 86400}, timeout=10)
        self.addCleanup(
            requests.post,
            sandbox + "/webhooks/delay",
            data={"seconds": delay.json()["previous"]},
            timeout=10,
        )
        name = "ofn_late_webhooks"
        requests.post(
            f"{self.sandbox_url}/_config/webhooks/{name}",
            data={
                "url": self.base_url() + "/ofn/stripe/webhook",
                "secret": get_setting("OFN_STRIPE_WEBHOOK_SECRET"),
                "events[]": ["payment_intent.succeeded"],
            },
            timeout=10,
        ).raise_for_status()
        self.addCleanup(requests.delete, f"{self.sandbox_url}/_config/webhooks/{name}", timeout=10)

    def test_the_jobs_then_the_late_webhook_leave_one_charge_and_the_order_paid(self):
        customer, occurrence = self._one("Wes Late")
        requests.post(
            self.sandbox_url + "/_sandbox/faults",
            data={"kind": "answer_lost", "path": "/v1/payment_intents", "times": 3},
            timeout=10,
        ).raise_for_status()
        with self.assertLogs(CHARGER_LOG, "WARNING"):
            self._confirm()  # every answer lost: the SDK's network retries exhausted
        self.assertEqual(occurrence.state, "confirmed")
        [intent] = self._intents(self.account, occurrence)
        self.assertEqual(intent.status, "succeeded", "Stripe did take the money")

        postponed, self.postponed = self.postponed, []
        self._confirm()
        self._retry()
        self.postponed = postponed
        self._run_postponed()  # the job, run again: same key, Stripe's first answer

        self.assertEqual(occurrence.state, "paid")
        deliveries = requests.post(
            self.sandbox_url + "/_sandbox/webhooks/deliver_now", timeout=10
        ).json()
        self.assertGreaterEqual(deliveries["delivered"], 1, "a day later, the webhooks come")
        late = requests.get(
            self.sandbox_url + "/_sandbox/webhook_deliveries",
            params={"type": "payment_intent.succeeded", "account": self.account.stripe_account_id},
            timeout=10,
        ).json()["data"]
        self.assertTrue(late and all(d["ok"] for d in late), late)

        occurrence.invalidate_recordset()
        self.assertEqual(occurrence.state, "paid")
        self.assertEqual(len(self._intents(self.account, occurrence)), 1, "charged once")
        tx = occurrence.transaction_ids
        self.assertEqual((len(tx), tx.state, tx.provider_reference), (1, "done", intent.id))
        self.assertEqual(occurrence.invoice_id.payment_state, "paid")
        self.assertEqual(len(tx.payment_id), 1, "booked once")
        self.assertFalse(self._mails_to(customer, "did not go through"))
