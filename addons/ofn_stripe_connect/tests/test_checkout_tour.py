from odoo import Command
from odoo.tests import new_test_user, tagged

from ..platform_settings import get_setting
from .common import OfnStripeHttpCase


@tagged("post_install", "-at_install")
class TestCheckoutTour(OfnStripeHttpCase):
    """A portal customer pays a connected hub on Odoo's own payment page with a new card typed
    into Stripe.js (the sandbox's shim, OFN_STRIPE_JS_URL): the charge lands on the hub's account.
    Tours: static/tests/tours/checkout_tour.js."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, _manager = cls._create_hub("Green Valley Hub")
        # the hub keeps books: once paid, Odoo records the payment in the hub's bank journal
        cls.env["account.chart.template"].try_loading("generic_coa", cls.hub, install_demo=False)
        cls.hub.currency_id = cls.env.ref("base.EUR")  # the generic chart comes in USD
        cls.account = cls._connect_hub(cls.hub)
        cls.provider = cls.account.provider_id
        card = cls.env.ref("payment.payment_method_card")
        card.active = True
        cls.provider.payment_method_ids = [Command.set(card.ids)]
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.customer = new_test_user(
            cls.env, login="alice", groups="base.group_portal", name="Alice Martin"
        )
        cls.customer.partner_id.company_id = False  # a customer of every hub

    def _pay_url(self, amount=42.5):
        return self._payment_link(self.hub, self.customer.partner_id, amount, self.eur)

    def _pay(self, tour):
        """Run ``tour`` on the hub's payment page; return the transaction."""
        self.assertEqual((self.provider.state, self.provider.is_published), ("enabled", True))
        self.start_tour(self._pay_url(), tour, login="alice")
        return self.env["payment.transaction"].search([("provider_id", "=", self.provider.id)])

    def _intents_of(self, tx, account=None):
        """The PaymentIntents of ``tx`` on ``account`` (``None``: the platform's own account):
        payment_stripe describes them with the transaction's reference."""
        intents = self._sandbox_client(account).v1.payment_intents.list({"limit": 100}).data
        return [intent for intent in intents if intent.description == tx.reference]

    def _hub_intent(self, tx):
        self.assertFalse(self._intents_of(tx), "nothing is charged on the platform's account")
        (intent,) = self._intents_of(tx, self.account.stripe_account_id)
        return intent

    def _assert_paid_on_the_hub(self, tx):
        self.assertEqual(tx.state, "done", tx.state_message)
        intent = self._hub_intent(tx)
        self.assertEqual(tx.provider_reference, intent.id)
        self.assertEqual(
            (intent.status, intent.amount, intent.currency), ("succeeded", 4250, "eur")
        )

    def test_page_loads_the_configured_stripe_js(self):
        self.authenticate("alice", "alice")
        html = self.url_open(self._pay_url()).text
        self.assertIn(f'src="{get_setting("OFN_STRIPE_JS_URL")}"', html)
        self.assertNotIn("https://js.stripe.com/v3/", html)

    def test_new_card(self):
        self._assert_paid_on_the_hub(self._pay("ofn_stripe_checkout_card"))

    def test_3ds_card_authenticated(self):
        self._assert_paid_on_the_hub(self._pay("ofn_stripe_checkout_3ds"))

    def test_declined_card(self):
        tx = self._pay("ofn_stripe_checkout_declined")
        self.assertEqual(tx.state, "draft")
        intent = self._hub_intent(tx)
        self.assertEqual(intent.status, "requires_payment_method")
        self.assertEqual(intent.last_payment_error.decline_code, "generic_decline")
