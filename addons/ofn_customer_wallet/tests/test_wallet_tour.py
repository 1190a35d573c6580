from odoo.tests import new_test_user, tagged

from .common import THREE_D_SECURE, OfnWalletHttpCase


@tagged("post_install", "-at_install")
class TestWalletTour(OfnWalletHttpCase):
    """The Wallet page in a browser (headless Chromium, the sandbox's Stripe.js shim)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, _manager = cls._create_hub("Tour Hub")
        cls.account = cls._connect_hub(cls.hub)

    def _customer_with_a_3ds_card(self, login):
        user = new_test_user(self.env, login=login, groups="base.group_portal")
        self._save_card(user.partner_id, THREE_D_SECURE)
        return user.partner_id

    def _consent(self, partner):
        return self.env["ofn.wallet.consent"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.hub.id)]
        )

    def test_consent_with_three_d_secure_completes_in_the_browser(self):
        partner = self._customer_with_a_3ds_card("tour_alice")
        self.start_tour("/my/wallet", "ofn_wallet_consent_3ds", login="tour_alice")
        consent = self._consent(partner)
        self.assertEqual(consent.state, "active")
        self.assertTrue(consent.hub_token_id.provider_id.ofn_stripe_account_id, "card cloned")

    def test_failed_authentication_leaves_consent_off_with_the_reason(self):
        partner = self._customer_with_a_3ds_card("tour_bob")
        self.start_tour("/my/wallet", "ofn_wallet_consent_3ds_failed", login="tour_bob")
        consent = self._consent(partner)
        self.assertEqual(consent.state, "failed")
        self.assertTrue(consent.reason)

    def test_a_card_is_saved_from_the_wallet_page(self):
        user = new_test_user(self.env, login="tour_carol", groups="base.group_portal")
        self.start_tour("/my/wallet", "ofn_wallet_add_card", login="tour_carol")
        card = user.partner_id.ofn_wallet_card_ids
        self.assertEqual(len(card), 1)
        self.assertEqual((card.payment_details, card.ofn_is_default), ("4242", True))
        self.assertTrue(card.stripe_payment_method.startswith("pm_"))
