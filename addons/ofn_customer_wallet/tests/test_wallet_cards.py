import threading
import uuid

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError, UserError
from odoo.service.model import retrying
from odoo.tests import tagged

from .common import THREE_D_SECURE, OfnWalletCase


@tagged("post_install", "-at_install")
class TestWalletCards(OfnWalletCase):
    """A card saved once on the platform, usable at every hub the customer allows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub_a, _manager = cls._create_hub("Wallet Hub A")
        cls.hub_b, _manager = cls._create_hub("Wallet Hub B")
        cls.account_a = cls._connect_hub(cls.hub_a)
        cls.account_b = cls._connect_hub(cls.hub_b)
        cls.customer = cls._create_customer("Alice Martin")

    def test_card_saved_once_on_the_platform(self):
        card = self._save_card(self.customer)
        self.assertTrue(card.ofn_is_wallet_card)
        self.assertTrue(card.ofn_is_default, "the first card is the default one")
        self.assertEqual(card.payment_details, "4242")
        self.assertEqual(card.ofn_card_brand, "visa")
        self.assertTrue(card.ofn_card_fingerprint)
        platform_customer = self.customer.ofn_stripe_customer_id
        self.assertEqual(card.provider_ref, platform_customer)
        methods = self._sandbox_client().v1.customers.payment_methods.list(platform_customer)
        self.assertIn(card.stripe_payment_method, [m.id for m in methods.data])
        second = self._save_card(self.customer)
        self.assertEqual(self.customer.ofn_stripe_customer_id, platform_customer, "one customer")
        self.assertFalse(second.ofn_is_default)

    def test_paid_at_two_hubs_with_one_clone_each(self):
        self.customer = self._create_customer("Bob Two Hubs")  # a customer of this test only
        card = self._save_card(self.customer)
        clone_a = card.ofn_clone_for(self.account_a)
        clone_b = card.ofn_clone_for(self.account_b)
        self.assertEqual(card.ofn_clone_for(self.account_a), clone_a, "reused")
        self.assertEqual(card.ofn_clone_ids, clone_a | clone_b)
        self.assertEqual(clone_a.provider_id, self.account_a.provider_id)
        self.assertEqual(clone_a.ofn_card_fingerprint, card.ofn_card_fingerprint)
        for clone, account in ((clone_a, self.account_a), (clone_b, self.account_b)):
            tx = self._pay_with_token(clone, 12.5)
            self.assertEqual(tx.state, "done", tx.state_message)
            hub_client = self._sandbox_client(account.stripe_account_id)
            intent = hub_client.v1.payment_intents.retrieve(tx.provider_reference)
            self.assertEqual(intent.payment_method, clone.stripe_payment_method)
            methods = hub_client.v1.customers.payment_methods.list(clone.provider_ref)
            self.assertEqual(len(methods.data), 1, "never more than one copy per hub")

    def test_an_archived_clone_is_found_again_by_fingerprint(self):
        card = self._save_card(self.customer)
        clone = card.ofn_clone_for(self.account_a)
        clone.active = False  # e.g. lost on Odoo's side: the hub's account still has the card
        again = card.ofn_clone_for(self.account_a)
        self.assertNotEqual(again, clone)
        self.assertEqual(again.stripe_payment_method, clone.stripe_payment_method)
        self.assertEqual(again.provider_ref, clone.provider_ref, "same customer at the hub")

    def test_no_clone_to_a_disconnected_hub(self):
        card = self._save_card(self.customer)
        hub, _manager = self._create_hub("Gone Hub")
        account = self._connect_hub(hub)
        account.mark_revoked("test")
        with self.assertRaises(UserError):
            card.ofn_clone_for(account)

    def test_setup_intent_of_another_customer_is_refused(self):
        intruder = self._create_customer("Mallory")
        started = self.customer.action_ofn_start_card_setup()
        self._sandbox_client().v1.setup_intents.confirm(
            started["setup_intent"], {"payment_method": "pm_card_visa"}
        )
        with self.assertRaises(AccessError):
            intruder.action_ofn_save_card(started["setup_intent"])
        self.assertFalse(intruder.ofn_wallet_card_ids)

    def test_unconfirmed_card_is_not_saved(self):
        started = self.customer.action_ofn_start_card_setup()
        with self.assertRaises(UserError):
            self.customer.action_ofn_save_card(started["setup_intent"])

    # ------------------------------------------------------------------ consents
    def test_deleting_the_card_revokes_both_consents_and_archives_both_clones(self):
        card = self._save_card(self.customer)
        Consent = self.env["ofn.wallet.consent"]
        consent_a, _secret = Consent.grant(self.customer, self.hub_a)
        consent_b, _secret = Consent.grant(self.customer, self.hub_b)
        self.assertEqual((consent_a | consent_b).mapped("state"), ["active", "active"])
        clones = card.ofn_clone_ids
        self.assertEqual(len(clones), 2)
        message = card.action_ofn_remove_from_wallet()
        self.assertEqual((consent_a | consent_b).mapped("state"), ["revoked", "revoked"])
        self.assertEqual(consent_a.reason, "card deleted")
        self.assertFalse(any((card | clones).mapped("active")))
        self.assertIn("Wallet Hub A", message)
        self.assertIn("Wallet Hub B", message)
        platform = self._sandbox_client().v1.customers.payment_methods.list(card.provider_ref)
        self.assertNotIn(card.stripe_payment_method, [m.id for m in platform.data], "detached")

    def test_changing_the_default_card_revokes_consents(self):
        first = self._save_card(self.customer)
        second = self._save_card(self.customer)
        consent, _secret = self.env["ofn.wallet.consent"].grant(self.customer, self.hub_a)
        self.assertEqual(consent.card_id, first)
        message = second.action_ofn_make_default()
        self.assertTrue(second.ofn_is_default)
        self.assertFalse(first.ofn_is_default)
        self.assertEqual(consent.state, "revoked")
        self.assertIn("Wallet Hub A", message)

    def test_consent_with_three_d_secure_waits_then_completes(self):
        self._save_card(self.customer, THREE_D_SECURE)
        consent, client_secret = self.env["ofn.wallet.consent"].grant(self.customer, self.hub_a)
        self.assertEqual(consent.state, "pending")
        self.assertTrue(client_secret)
        # the customer completes 3-D Secure in the browser (Stripe.js handleNextAction)
        self._sandbox_client(self.account_a.stripe_account_id).raw_request(
            "post", f"/v1/setup_intents/{consent.setup_intent_id}/_authenticate", success="true"
        )
        self.assertEqual(consent.action_confirm(), "active")

    def test_declined_card_leaves_consent_off_with_the_banks_message(self):
        customer = self._create_customer("Declined Dan")
        card = self._save_card(customer)
        self._block_card(card)
        consent, client_secret = self.env["ofn.wallet.consent"].grant(customer, self.hub_a)
        self.assertIsNone(client_secret)
        self.assertEqual(consent.state, "failed")
        self.assertIn("declined", consent.reason)

    def test_no_consent_without_a_card(self):
        with self.assertRaises(UserError):
            self.env["ofn.wallet.consent"].grant(self._create_customer("Cardless"), self.hub_a)


@tagged("post_install", "-at_install")
class TestConcurrentClones(OfnWalletCase):
    """Two requests cloning the same card to the same hub at once make one clone."""

    def test_two_concurrent_clone_requests_make_one_clone(self):
        registry = self.env.registry
        with registry.cursor() as cr:  # committed, so that other cursors see it
            env = api.Environment(cr, SUPERUSER_ID, {})
            run = uuid.uuid4().hex[:8]  # committed data: unique names for every run
            hub, _manager = self._create_hub(f"Concurrent Hub {run}", env=env)
            account = self._connect_hub(hub)
            card = self._save_card(self._create_customer("Concurrent Carol", env=env))
            card_id, account_id = card.id, account.id
        self.addCleanup(self._forget_committed_hub, account_id)
        barrier = threading.Barrier(2)
        results, errors = [], []

        def clone():
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    barrier.wait(timeout=10)
                    # as every Odoo request and cron: retried on a serialization failure
                    token = retrying(
                        lambda: (
                            env["payment.token"]
                            .browse(card_id)
                            .ofn_clone_for(env["ofn.stripe.account"].browse(account_id))
                        ),
                        env,
                    )
                    results.append(token.id)
            except Exception as error:  # noqa: BLE001 (reported by the test thread below)
                errors.append(error)

        threads = [threading.Thread(target=clone) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertEqual(len(set(results)), 1, f"one clone for both requests: {results}")
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            clone = env["payment.token"].browse(results[0])
            clones = env["payment.token"].search([("ofn_wallet_card_id", "=", card_id)])
            self.assertEqual(clones, clone)
            hub_client = self._sandbox_client(
                clone.provider_id.ofn_stripe_account_id.stripe_account_id
            )
            methods = hub_client.v1.customers.payment_methods.list(clone.provider_ref)
            self.assertEqual(len(methods.data), 1, "one PaymentMethod on the hub's account")

    def _forget_committed_hub(self, account_id):
        """The hub was committed for the threads to see it: disconnect it, so that later tests
        (the Wallet page lists connected hubs) never meet it."""
        with self.env.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["ofn.stripe.account"].browse(
                account_id
            ).mark_revoked("end of the concurrency test")


@tagged("post_install", "-at_install")
class TestCheckoutAnywhere(OfnWalletCase):
    """At any hub's checkout the customer pays with their wallet cards."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, _manager = cls._create_hub("Anywhere Hub")
        cls.account = cls._connect_hub(cls.hub)

    def test_wallet_cards_are_offered_at_the_hub_and_cloned_once(self):
        customer = self._create_customer("Dora Anywhere")
        card = self._save_card(customer)
        Token = self.env["payment.token"]
        offered = Token._get_available_tokens([self.account.provider_id.id], customer.id)
        self.assertEqual(offered.ofn_wallet_card_id, card)
        self.assertEqual(offered.provider_id, self.account.provider_id)
        again = Token._get_available_tokens([self.account.provider_id.id], customer.id)
        self.assertEqual(again, offered, "the clone is reused, never made twice")
        tx = self._pay_with_token(offered, 9.9, "ANYWHERE-1", operation="online_token")
        self.assertEqual(tx.state, "done", tx.state_message)
        hub_client = self._sandbox_client(self.account.stripe_account_id)
        self.assertEqual(
            hub_client.v1.payment_intents.retrieve(tx.provider_reference).payment_method,
            offered.stripe_payment_method,
        )

    def test_hub_unreachable_does_not_break_the_checkout(self):
        customer = self._create_customer("Eve Unreachable")
        self._save_card(customer)
        hub, _manager = self._create_hub("Unreachable Hub")
        account = self._connect_hub(hub)
        self.gateway.oauth_deauthorize(account.stripe_account_id)  # revoked on Stripe's side
        offered = self.env["payment.token"]._get_available_tokens(
            [account.provider_id.id], customer.id
        )
        self.assertFalse(offered)
