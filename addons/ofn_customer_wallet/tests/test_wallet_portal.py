import json
import re

from odoo.tests import new_test_user, tagged
from odoo.tools import hmac

from .common import OfnWalletHttpCase


@tagged("post_install", "-at_install")
class TestWalletPortal(OfnWalletHttpCase):
    """/my/wallet: a customer sees and acts on their own cards and consents only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.hub_manager = cls._create_hub("Portal Hub", "portal_hub_manager")
        cls.account = cls._connect_hub(cls.hub)
        cls.alice = new_test_user(cls.env, login="alice", groups="base.group_portal")
        cls.mallory = new_test_user(cls.env, login="mallory", groups="base.group_portal")
        cls.card = cls._save_card(cls.alice.partner_id)
        cls.consent, _secret = cls.env["ofn.wallet.consent"].grant(cls.alice.partner_id, cls.hub)
        cls.env["ofn.wallet.transaction"].post(
            cls.alice.partner_id, cls.hub, 15.0, "manual_credit", reason="Missing eggs last week"
        )

    def _page(self, login):
        self.authenticate(login, login)
        page = self.url_open("/my/wallet")
        self.assertEqual(page.status_code, 200)
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        return page.text

    def _post(self, url, **data):
        token = self.csrf.group(1) if self.csrf else self._csrf_from_home()
        return self.url_open(url, data={"csrf_token": token, **data}, allow_redirects=False)

    def _csrf_from_home(self):
        page = self.url_open("/my/security")
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def _json(self, url):
        return self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": {}}),
            headers={"Content-Type": "application/json"},
        )

    def test_owner_sees_cards_and_consents(self):
        page = self._page("alice")
        self.assertIn("4242", page)
        self.assertIn("Portal Hub", page)
        self.assertIn("Allowed", page)
        self.assertIn("Missing eggs last week", page, "the credit history")
        self.assertIn("15.00", page, "the credit balance")

    def test_others_see_nothing_of_them(self):
        page = self._page("mallory")
        self.assertNotIn(f'data-card-id="{self.card.id}"', page)
        self.assertIn("No card saved yet", page)
        self.assertNotIn("Missing eggs", page)

    def test_foreign_card_cannot_be_deleted_or_made_default(self):
        self._page("mallory")
        for action in ("delete", "default"):
            response = self._post(f"/my/wallet/cards/{self.card.id}/{action}")
            self.assertEqual(response.status_code, 404, action)
        self.assertTrue(self.card.active)
        self.assertTrue(self.card.ofn_is_default)

    def test_foreign_consent_cannot_be_revoked_or_confirmed(self):
        self._page("mallory")
        self.assertEqual(
            self._post(f"/my/wallet/consents/{self.consent.id}/revoke").status_code, 404
        )
        confirmed = self._json(f"/my/wallet/consents/{self.consent.id}/confirm").json()
        self.assertIn("error", confirmed)
        self.assertEqual(self.consent.state, "active")

    def test_foreign_setup_intent_cannot_be_taken(self):
        started = self.alice.partner_id.action_ofn_start_card_setup()
        self._sandbox_client().v1.setup_intents.confirm(
            started["setup_intent"], {"payment_method": "pm_card_visa"}
        )
        self._page("mallory")
        response = self.url_open(
            f"/my/wallet/cards/saved?setup_intent={started['setup_intent']}",
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("error=", response.headers["Location"])
        self.assertFalse(self.mallory.partner_id.ofn_wallet_card_ids)

    def test_consent_uses_only_the_customers_own_card(self):
        self._page("mallory")
        response = self._post(f"/my/wallet/consents/{self.hub.id}/grant")
        self.assertIn("error=", response.headers["Location"], "Mallory has no card")
        self.assertFalse(self.mallory.partner_id.ofn_consent_ids)

    def test_owner_revokes_then_allows_again(self):
        self._page("alice")
        response = self._post(f"/my/wallet/consents/{self.consent.id}/revoke")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.consent.state, "revoked")
        self._post(f"/my/wallet/consents/{self.hub.id}/grant")
        self.assertEqual(self.consent.state, "active")

    def test_declined_card_shows_the_reason_and_consent_stays_off(self):
        dan = new_test_user(self.env, login="dan", groups="base.group_portal")
        self._block_card(self._save_card(dan.partner_id))
        self._page("dan")
        response = self._post(f"/my/wallet/consents/{self.hub.id}/grant")
        self.assertIn("declined", response.headers["Location"])
        page = self._page("dan")
        self.assertIn("Failed", page)
        self.assertIn("Your card was declined", page)
        consent = dan.partner_id.ofn_consent_ids
        self.assertEqual(consent.state, "failed")

    def test_nobody_pays_with_another_customers_card(self):
        clone = self.card.ofn_clone_for(self.account)
        mallory = self.mallory.partner_id
        eur = self.env.ref("base.EUR")
        self.authenticate("mallory", "mallory")
        response = self.url_open(
            "/payment/transaction",
            data=json.dumps(
                {
                    "params": {
                        "amount": 10.0,
                        "currency_id": eur.id,
                        "partner_id": mallory.id,
                        "access_token": hmac(
                            self.env(su=True),
                            "generate_access_token",
                            f"{mallory.id}|10.0|{eur.id}",
                        ),
                        "provider_id": clone.provider_id.id,
                        "payment_method_id": clone.payment_method_id.id,
                        "token_id": clone.id,
                        "flow": "token",
                        "tokenization_requested": False,
                        "landing_route": "/my/wallet",
                        "is_validation": False,
                    }
                }
            ),
            headers={"Content-Type": "application/json"},
        ).json()
        self.assertIn("error", response)
        self.assertFalse(self.env["payment.transaction"].search([("token_id", "=", clone.id)]))

    def test_owner_deletes_a_card(self):
        self._page("alice")
        response = self._post(f"/my/wallet/cards/{self.card.id}/delete")
        self.assertEqual(response.status_code, 303)
        self.assertIn("Portal+Hub", response.headers["Location"])
        self.assertFalse(self.card.active)
        self.assertEqual(self.consent.state, "revoked")

    def test_hub_staff_see_only_their_hubs_consents(self):
        other_hub, other_manager = self._create_hub("Other Portal Hub", "other_hub_manager")
        Consent = self.env["ofn.wallet.consent"]
        self.assertEqual(Consent.with_user(self.hub_manager).search([]), self.consent)
        self.assertFalse(Consent.with_user(other_manager).search([]))
        self.assertEqual(other_hub.ofn_stripe_state, False)
