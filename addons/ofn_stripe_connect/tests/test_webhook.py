import hashlib
import hmac
import json
import os
import time
import uuid
from unittest.mock import patch

import requests
import stripe

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..platform_settings import get_setting
from .common import OfnStripeHttpCase

WEBHOOK = "/ofn/stripe/webhook"
CONTROLLER_LOGGER = "odoo.addons.ofn_stripe_connect.controllers.webhook"
PROCESSOR_LOGGER = "odoo.addons.ofn_stripe_connect.models.ofn_stripe_event"


def _signature(payload, secret, timestamp=None):
    """The ``Stripe-Signature`` header Stripe sends: HMAC-SHA256 of ``"<t>.<payload>"``."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), b"%d.%s" % (timestamp, payload), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@tagged("post_install", "-at_install")
class TestConnectWebhook(OfnStripeHttpCase):
    """Stripe's signed events, posted to the real route, act once on the right hub only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub_a, cls.manager_a = cls._create_hub("Webhook Hub A", "webhook_manager_a")
        cls.hub_b, _manager = cls._create_hub("Webhook Hub B")
        cls.account_a = cls._connect_hub(cls.hub_a)
        cls.account_b = cls._connect_hub(cls.hub_b)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Alice Martin", "email": "alice@customer.example"}
        )

    # ------------------------------------------------------------------ helpers
    def _event(self, event_type, obj, account=None):
        """An event as Stripe sends it to a Connect endpoint (``account``: where it happened)."""
        event = {
            "id": "evt_" + uuid.uuid4().hex[:24],
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "api_version": stripe.api_version,  # the Connect endpoint's version (README)
            "pending_webhooks": 1,
            "data": {"object": obj},
        }
        if account:
            event["account"] = account.stripe_account_id
        return event

    def _send(self, event, secret=None, timestamp=None, signed=True):
        """POST ``event`` to the webhook, signed with the platform's secret unless told."""
        payload = json.dumps(event).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if signed:
            secret = secret or get_setting("OFN_STRIPE_WEBHOOK_SECRET")
            headers["Stripe-Signature"] = _signature(payload, secret, timestamp)
        self.env.flush_all()
        response = self.url_open(WEBHOOK, data=payload, headers=headers)
        self.env.invalidate_all()
        return response

    def _stored(self, event_id):
        return self.env["ofn.stripe.event"].search([("stripe_event_id", "=", event_id)])

    def _stripe_account(self, account):
        """The account as Stripe has it, as a plain dict."""
        return self.gateway.retrieve_account(account.stripe_account_id)

    def _transaction(self, account, reference):
        return self.env["payment.transaction"].create(
            {
                "provider_id": account.provider_id.id,
                "payment_method_id": self.env.ref("payment.payment_method_card").id,
                "partner_id": self.customer.id,
                "amount": 15.0,
                "currency_id": self.env.ref("base.EUR").id,
                "reference": reference,
                "operation": "online_direct",
            }
        )

    def _paid_intent(self, account, reference):
        """A PaymentIntent paid by card on ``account`` for ``reference``, as a dict in the
        SDK's API version (the shape of the endpoint's events)."""
        intent = self._sandbox_client(account.stripe_account_id).v1.payment_intents.create(
            {
                "amount": 1500,
                "currency": "eur",
                "description": reference,
                "payment_method": "pm_card_visa",
                "allowed_payment_method_types": ["card"],
                "confirm": True,
            }
        )
        self.assertEqual(intent.status, "succeeded")
        return intent.to_dict(for_json=True)

    def _register_sandbox_webhook(self, events):
        """The sandbox delivers ``events`` to this Odoo's webhook, signed with our secret."""
        name = "ofn_webhook_tests"
        requests.post(
            f"{self.sandbox_url}/_config/webhooks/{name}",
            data={
                "url": self.base_url() + WEBHOOK,
                "secret": get_setting("OFN_STRIPE_WEBHOOK_SECRET"),
                "events[]": events,
            },
            timeout=10,
        ).raise_for_status()
        self.addCleanup(requests.delete, f"{self.sandbox_url}/_config/webhooks/{name}", timeout=10)

    def _wait_for_delivery(self, **filters):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = requests.get(
                f"{self.sandbox_url}/_sandbox/webhook_deliveries", params=filters, timeout=10
            ).json()["data"]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"the sandbox delivered no webhook matching {filters}")

    # ------------------------------------------------------------------ connected accounts
    def test_deauthorization_revokes_the_hub_and_tells_its_managers(self):
        hub, manager = self._create_hub("Webhook Hub C", "webhook_manager_c")
        account = self._connect_hub(hub)
        provider = account.provider_id
        self.assertEqual(provider.state, "enabled")
        self._register_sandbox_webhook(["account.application.deauthorized"])
        self.env.flush_all()

        # the account holder revokes the platform's access on Stripe: Stripe tells the webhook
        self.gateway.oauth_deauthorize(account.stripe_account_id)
        delivery = self._wait_for_delivery(
            type="account.application.deauthorized", account=account.stripe_account_id
        )
        self.env.invalidate_all()

        self.assertEqual(delivery["status"], 200)
        self.assertEqual(account.state, "revoked")
        self.assertFalse(account.charges_enabled)
        self.assertEqual(provider.state, "disabled")
        stored = self._stored(delivery["event"])
        self.assertEqual(stored.state, "processed")
        self.assertEqual(stored.company_id, hub)
        # the hub's managers are e-mailed (a template, queued by the mail queue), from OdooBot
        notices = self.env["mail.mail"].search(
            [("model", "=", "ofn.stripe.account"), ("res_id", "=", account.id)]
        )
        self.assertEqual(len(notices), 1)
        self.assertEqual(notices.state, "outgoing", "queued, not sent at once")
        self.assertEqual(notices.recipient_ids, manager.partner_id)
        self.assertNotIn(self.manager_a.partner_id, notices.recipient_ids)
        self.assertIn(account.stripe_account_id, notices.body_html)
        self.assertIn("Webhook Hub C: Stripe disconnected", notices.subject)
        self.assertEqual(notices.author_id, self.env.ref("base.partner_root"))
        # the account's chatter says what happened, as OdooBot's doing
        tracked = account.message_ids.filtered("tracking_value_ids")[:1]
        self.assertEqual(tracked.author_id, self.env.ref("base.partner_root"))
        self.assertIn("state", tracked.tracking_value_ids.field_id.mapped("name"))
        self.assertEqual(self.account_a.state, "connected", "other hubs keep their connection")

    def test_account_updated_stores_the_new_status(self):
        stripe_account = self._stripe_account(self.account_a)
        stripe_account["charges_enabled"] = False
        stripe_account["requirements"] = {
            "currently_due": ["external_account"],
            "past_due": [],
            "disabled_reason": "requirements.past_due",
        }
        response = self._send(self._event("account.updated", stripe_account, self.account_a))

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.account_a.state, "onboarding")
        self.assertFalse(self.account_a.charges_enabled)
        self.assertEqual(self.account_a.requirements_due, "external_account")
        self.assertEqual(self.account_a.disabled_reason, "requirements.past_due")
        self.assertEqual(self.account_a.provider_id.state, "disabled")
        self.assertEqual(self.account_b.state, "connected")

    def test_an_account_of_another_api_version_is_fetched_again(self):
        """An endpoint created with another API version sends the Account in that version's
        shape: it is not read, the account is fetched again in the SDK's version (here Stripe
        still has it enabled, whatever the event says)."""
        stripe_account = self._stripe_account(self.account_a)
        stripe_account["charges_enabled"] = False
        event = self._event("account.updated", stripe_account, self.account_a)
        event["api_version"] = "2019-05-16"
        with self.assertLogs(PROCESSOR_LOGGER, "WARNING") as logs:
            response = self._send(event)
        self.assertEqual(response.status_code, 200)
        self.assertIn("should be created with version " + stripe.api_version, logs.output[0])
        self.assertTrue(self.account_a.charges_enabled, "Stripe's own answer, not the event's")
        self.assertEqual(self.account_a.state, "connected")

    def test_the_same_event_twice_is_processed_once(self):
        event = self._event("account.updated", self._stripe_account(self.account_a), self.account_a)
        Processor = self.registry["ofn.stripe.event"]
        with patch.object(
            Processor,
            "_on_account_updated",
            autospec=True,
            side_effect=Processor._on_account_updated,
        ) as handler:
            first = self._send(event)
            again = self._send(event)

        self.assertEqual([first.status_code, again.status_code], [200, 200])
        self.assertEqual(handler.call_count, 1)
        stored = self._stored(event["id"])
        self.assertEqual(len(stored), 1)
        self.assertEqual(stored.state, "processed")
        self.assertEqual(stored.event_type, "account.updated")
        self.assertEqual(stored.stripe_account_id, self.account_a.stripe_account_id)
        self.assertEqual(stored.company_id, self.hub_a)

    def test_a_failed_event_is_rolled_back_and_processed_when_delivered_again(self):
        stripe_account = self._stripe_account(self.account_a)
        stripe_account["charges_enabled"] = False
        event = self._event("account.updated", stripe_account, self.account_a)
        Processor = self.registry["ofn.stripe.event"]
        original = Processor._on_account_updated
        failures = [UserError("Stripe could not be reached.")]

        def fails_once_after_acting(processor, event):
            result = original(processor, event)
            if failures:
                raise failures.pop()
            return result

        with patch.object(
            Processor, "_on_account_updated", autospec=True, side_effect=fails_once_after_acting
        ):
            with self.assertLogs(CONTROLLER_LOGGER, "WARNING"):
                failed = self._send(event)
            self.assertEqual(failed.status_code, 500)
            self.assertEqual(self.account_a.state, "connected", "the failed attempt is undone")
            stored = self._stored(event["id"])
            self.assertEqual(stored.state, "failed")
            self.assertEqual(stored.reason, "Stripe could not be reached.")

            retried = self._send(event)

        self.assertEqual(retried.status_code, 200)
        self.assertEqual(self.account_a.state, "onboarding")
        self.assertEqual(stored.state, "processed")
        self.assertFalse(stored.reason)

    def test_unknown_event_types_are_acknowledged_and_ignored(self):
        event = self._event("customer.created", {"id": "cus_123", "object": "customer"})
        response = self._send(event)
        self.assertEqual(response.status_code, 200)
        stored = self._stored(event["id"])
        self.assertEqual(stored.state, "ignored")
        self.assertFalse(stored.stripe_account_id)
        self.assertFalse(stored.company_id)

    # ------------------------------------------------------------------ signatures
    def test_forged_or_unsigned_events_are_refused_and_not_stored(self):
        event = self._event("account.application.deauthorized", {}, self.account_a)
        with self.assertLogs(CONTROLLER_LOGGER, "WARNING") as logs:
            forged = self._send(event, secret="whsec_" + "forged")
            unsigned = self._send(event, signed=False)
        self.assertEqual([forged.status_code, unsigned.status_code], [400, 400])
        self.assertFalse(self._stored(event["id"]))
        self.assertEqual(self.account_a.state, "connected")
        self.assertNotIn(event["id"], "\n".join(logs.output), "the payload is never logged")

    def test_stale_events_are_refused(self):
        event = self._event("account.application.deauthorized", {}, self.account_a)
        with self.assertLogs(CONTROLLER_LOGGER, "WARNING"):
            response = self._send(event, timestamp=time.time() - 301)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._stored(event["id"]))
        self.assertEqual(self.account_a.state, "connected")

    def test_without_a_signing_secret_nothing_is_accepted(self):
        event = self._event("account.application.deauthorized", {}, self.account_a)
        with patch.dict(os.environ), self.assertLogs(CONTROLLER_LOGGER, "WARNING") as logs:
            del os.environ["OFN_STRIPE_WEBHOOK_SECRET"]
            response = self._send(event, secret="whsec_" + "anything")
        self.assertEqual(response.status_code, 503)
        self.assertIn("OFN_STRIPE_WEBHOOK_SECRET is not configured", logs.output[0])
        self.assertFalse(self._stored(event["id"]))
        self.assertEqual(self.account_a.state, "connected")

    # ------------------------------------------------------------------ payments
    def test_payment_intent_succeeded_completes_the_hub_transaction(self):
        tx = self._transaction(self.account_a, "WH-PAY-1")
        intent = self._paid_intent(self.account_a, tx.reference)
        response = self._send(self._event("payment_intent.succeeded", intent, self.account_a))

        self.assertEqual(response.status_code, 200)
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.provider_reference, intent["id"])
        self.assertEqual(tx.payment_method_id, self.env.ref("payment.payment_method_visa"))

    def test_refund_made_on_stripe_creates_the_refund_transaction(self):
        tx = self._transaction(self.account_a, "WH-PAY-2")
        intent = self._paid_intent(self.account_a, tx.reference)
        self._send(self._event("payment_intent.succeeded", intent, self.account_a))
        client = self._sandbox_client(self.account_a.stripe_account_id)
        refund = client.v1.refunds.create({"payment_intent": intent["id"], "amount": 500})
        charge = client.v1.charges.retrieve(refund.charge).to_dict(for_json=True)

        response = self._send(self._event("charge.refunded", charge, self.account_a))

        self.assertEqual(response.status_code, 200)
        refund_tx = tx.child_transaction_ids
        self.assertEqual(len(refund_tx), 1)
        self.assertEqual(refund_tx.operation, "refund")
        self.assertEqual(refund_tx.provider_reference, refund.id)
        self.assertEqual(refund_tx.amount, -5.0)
        self.assertEqual(refund_tx.state, "done")

    def test_an_event_of_hub_b_never_touches_a_transaction_of_hub_a(self):
        tx_a = self._transaction(self.account_a, "WH-PAY-3")
        # a payment on hub B's account that names hub A's transaction
        intent_b = self._paid_intent(self.account_b, tx_a.reference)
        event = self._event("payment_intent.succeeded", intent_b, self.account_b)
        with self.assertLogs(PROCESSOR_LOGGER, "WARNING"):
            response = self._send(event)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(tx_a.state, "draft")
        self.assertFalse(tx_a.provider_reference)
        stored = self._stored(event["id"])
        self.assertEqual(stored.state, "ignored")
        self.assertEqual(stored.company_id, self.hub_b)
        self.assertIn(tx_a.reference, stored.reason)

    def test_events_for_unknown_transactions_are_ignored(self):
        intent = self._paid_intent(self.account_a, "NOT-AN-ODOO-REFERENCE")
        event = self._event("payment_intent.succeeded", intent, self.account_a)
        response = self._send(event)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._stored(event["id"]).state, "ignored")
