import json

import stripe

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import OfnStripeCase


@tagged("post_install", "-at_install")
class TestHubPayment(OfnStripeCase):
    """Odoo's own payment_stripe flows, on a hub's provider, charge the hub's connected account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub_a, _manager = cls._create_hub("Hub A")
        cls.hub_b, _manager = cls._create_hub("Hub B")
        cls.account_a = cls._connect_hub(cls.hub_a)
        cls.account_b = cls._connect_hub(cls.hub_b)
        cls.account_a.write({"application_fee_percent": 2.0})
        cls.customer = cls.env["res.partner"].create(
            {"name": "Alice Martin", "email": "alice@customer.example"}
        )
        cls.eur = cls.env.ref("base.EUR")

    def _token(self, account, test_card="pm_card_visa"):
        """A customer's saved card on ``account`` (as payment_stripe stores one)."""
        client = self._sandbox_client(account.stripe_account_id)
        customer = client.v1.customers.create({"email": self.customer.email})
        card = client.v1.payment_methods.attach(test_card, {"customer": customer.id})
        return self.env["payment.token"].create(
            {
                "provider_id": account.provider_id.id,
                "payment_method_id": self.env.ref("payment.payment_method_card").id,
                "partner_id": self.customer.id,
                "provider_ref": customer.id,
                "stripe_payment_method": card.id,
                "payment_details": "4242",
            }
        )

    def _pay(self, account, token, reference="S0001"):
        self.assertEqual(token.provider_id, account.provider_id)
        return self._pay_with_token(token, 20.0, reference, partner=self.customer)

    def test_token_payment_is_a_direct_charge_with_the_application_fee(self):
        tx = self._pay(self.account_a, self._token(self.account_a))
        self.assertEqual(tx.state, "done", tx.state_message)
        intent = self._sandbox_client(self.account_a.stripe_account_id).v1.payment_intents.retrieve(
            tx.provider_reference
        )
        self.assertEqual(intent.amount, 2000)
        self.assertEqual(intent.currency, "eur")
        self.assertEqual(intent.application_fee_amount, 40)  # 2% of 20.00 EUR, in cents
        self.assertEqual(intent.status, "succeeded")
        charge = intent.latest_charge
        charge_id = charge if isinstance(charge, str) else charge.id
        fees = self._sandbox_client().v1.application_fees.list({"limit": 100}).data
        self.assertEqual(
            [(f.amount, f.account) for f in fees if f.charge == charge_id],
            [(40, self.account_a.stripe_account_id)],
            "the platform earns its fee on the hub's charge",
        )
        # invisible from the other hub's account and from the platform's own
        for client in (
            self._sandbox_client(self.account_b.stripe_account_id),
            self._sandbox_client(),
        ):
            with self.assertRaises(stripe.InvalidRequestError):
                client.v1.payment_intents.retrieve(tx.provider_reference)

    def test_no_fee_configured_means_no_application_fee(self):
        tx = self._pay(self.account_b, self._token(self.account_b), reference="S0002")
        self.assertEqual(tx.state, "done", tx.state_message)
        intent = self._sandbox_client(self.account_b.stripe_account_id).v1.payment_intents.retrieve(
            tx.provider_reference
        )
        self.assertFalse(intent.application_fee_amount)

    def test_refund_goes_back_through_the_hub_account(self):
        tx = self._pay(self.account_a, self._token(self.account_a), reference="S0003")
        refund_tx = tx._send_refund_request(amount_to_refund=5.0)
        self.assertEqual(refund_tx.state, "done", refund_tx.state_message)
        refunds = self._sandbox_client(self.account_a.stripe_account_id).v1.refunds.list()
        self.assertEqual(
            [(r.amount, r.payment_intent) for r in refunds.data], [(500, tx.provider_reference)]
        )
        self.assertFalse(
            self._sandbox_client(self.account_b.stripe_account_id).v1.refunds.list().data
        )

    def test_a_card_of_hub_b_can_never_be_charged_through_hub_a(self):
        token_b = self._token(self.account_b)
        with self.assertRaises(ValidationError):
            self.env["payment.transaction"].create(
                {
                    "provider_id": self.account_a.provider_id.id,
                    "payment_method_id": token_b.payment_method_id.id,
                    "token_id": token_b.id,
                    "partner_id": self.customer.id,
                    "amount": 10.0,
                    "currency_id": self.eur.id,
                    "reference": "S0004",
                    "operation": "offline",
                }
            )
        for account in (self.account_a, self.account_b):
            intents = self._sandbox_client(account.stripe_account_id).v1.payment_intents.list()
            self.assertFalse(intents.data)

    def test_provider_cannot_be_enabled_without_a_chargeable_account(self):
        self.account_b.sudo().mark_revoked("test")
        self.assertEqual(self.account_b.provider_id.state, "disabled")
        with self.assertRaises(ValidationError):
            self.account_b.provider_id.state = "enabled"

    def test_provider_keys_come_from_the_environment_not_the_fields(self):
        provider = self.account_a.provider_id
        self.assertFalse(provider.stripe_secret_key)
        self.assertFalse(provider.stripe_publishable_key)
        self.assertTrue(provider._stripe_get_publishable_key().startswith("pk_test_"))

    def test_stripe_js_on_the_hub_checkout_acts_on_the_hub_account(self):
        values = json.loads(
            self.account_a.provider_id._stripe_get_inline_form_values(
                20.0, self.eur, self.customer.id, False, self.env.ref("payment.payment_method_card")
            )
        )
        self.assertEqual(values["stripe_account"], self.account_a.stripe_account_id)
        self.assertTrue(values["publishable_key"].startswith("pk_test_"))

    def test_application_fee_percent_and_fixed_in_minor_units(self):
        account = self.account_b
        account.write({"application_fee_percent": 1.5, "application_fee_fixed": 0.25})
        self.assertEqual(account.application_fee_minor(20.0, self.eur), 55)  # 0.30 + 0.25
        self.assertEqual(
            account.application_fee_minor(0.10, self.eur), 10, "never above the charge"
        )
        jpy = self.env.ref("base.JPY")
        account.application_fee_fixed = 0
        self.assertEqual(account.application_fee_minor(1000, jpy), 15, "JPY has no minor unit")
        account.write({"application_fee_percent": 0, "application_fee_fixed": 0})
        self.assertEqual(account.application_fee_minor(20.0, self.eur), 0)
