import json

from odoo.tests import new_test_user, tagged

from .common import THREE_D_SECURE, OfnWalletHttpCase


@tagged("post_install", "-at_install")
class TestPaymentAwaitingAuthentication(OfnWalletHttpCase):
    """An off-session charge the bank wants confirmed waits for the customer, who completes
    3-D Secure from the Wallet page or their email's link (/my/wallet/authenticate/<tx>)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, _manager = cls._create_hub("Auth Hub")
        cls.account = cls._connect_hub(cls.hub)

    def _awaiting_payment(self, login):
        user = new_test_user(self.env, login=login, groups="base.group_portal")
        card = self._save_card(user.partner_id, THREE_D_SECURE)
        clone = card.ofn_clone_for(self.account)
        tx = self._pay_with_token(clone, 18.0)
        self.assertEqual(
            (tx.state, tx.ofn_requires_authentication), ("pending", True), tx.state_message
        )
        return tx

    def _done(self, tx, token):
        return self.url_open(
            f"/my/wallet/authenticate/{tx.id}/done",
            data=json.dumps({"params": {"access_token": token}}),
            headers={"Content-Type": "application/json"},
        ).json()

    def test_the_link_needs_the_right_access_token(self):
        tx = self._awaiting_payment("auth_eve")
        good = tx.ofn_authentication_url()
        self.assertEqual(self.url_open(good).status_code, 200)
        for bad in (f"/my/wallet/authenticate/{tx.id}", good[:-4] + "beef"):
            self.assertEqual(self.url_open(bad).status_code, 404, bad)
        other = self._awaiting_payment("auth_mallory")
        token = good.split("access_token=")[1]
        self.assertEqual(
            self.url_open(f"/my/wallet/authenticate/{other.id}?access_token={token}").status_code,
            404,
        )
        self.assertIn("error", self._done(other, token))

    def test_authenticated_payment_is_paid_on_the_hub(self):
        tx = self._awaiting_payment("auth_alice")
        token = tx.ofn_authentication_url().split("access_token=")[1]
        page = self.url_open(tx.ofn_authentication_url())
        intent = self._sandbox_client(self.account.stripe_account_id).v1.payment_intents.retrieve(
            tx.provider_reference
        )
        self.assertIn(f'data-client-secret="{intent.client_secret}"', page.text)
        self.assertIn(f'data-stripe-account="{self.account.stripe_account_id}"', page.text)
        # the customer answers their bank in the browser (Stripe.js handleNextAction)
        self._sandbox_client(self.account.stripe_account_id).raw_request(
            "post",
            f"/v1/payment_intents/{tx.provider_reference}/_authenticate",
            client_secret=intent.client_secret,
            success="true",
        )
        self.assertEqual(self._done(tx, token)["result"]["state"], "done")
        self.assertEqual(tx.state, "done")
        self.assertFalse(tx.ofn_requires_authentication)

    def test_the_wallet_page_lists_it_and_the_browser_completes_it(self):
        tx = self._awaiting_payment("auth_bob")
        self.authenticate("auth_bob", "auth_bob")
        self.assertIn(tx.reference, self.url_open("/my/wallet").text)
        self.start_tour("/my/wallet", "ofn_wallet_authenticate_payment", login="auth_bob")
        self.assertEqual(tx.state, "done")
