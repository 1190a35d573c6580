"""Every kind of request the addons make to Stripe, accepted by the strict sandbox under the API
version it carried: our own calls in the stripe SDK's pinned version, Odoo's payment_stripe flows
in theirs (2019-05-16). The sandbox refuses any endpoint, parameter or value that version does not
have, so an accepted request is one real Stripe accepts too."""

import re

import requests
import stripe

from odoo.tests import tagged

from odoo.addons.ofn_customer_wallet.tests.common import OfnWalletHttpCase
from odoo.addons.ofn_stripe_connect.tests.common import new_hub_manager
from odoo.addons.payment_stripe import const as stripe_const

PINNED = stripe.api_version
LEGACY = stripe_const.API_VERSION

# (what the addons do, method, path pattern, API version, carries an idempotency key)
EXPECTED = [
    ("OAuth: code exchanged", "POST", r"^/oauth/token$", None, False),
    ("Connect: account status", "GET", r"^/v1/accounts/acct_\w+$", PINNED, False),
    ("Account Links: account created", "POST", r"^/v1/accounts$", PINNED, True),
    ("Account Links: onboarding link", "POST", r"^/v1/account_links$", PINNED, True),
    ("wallet: platform customer", "POST", r"^/v1/customers$", PINNED, True),
    ("wallet: card set up", "POST", r"^/v1/setup_intents$", PINNED, True),
    ("wallet: set-up read back", "GET", r"^/v1/setup_intents/seti_\w+$", PINNED, False),
    ("wallet: card read", "GET", r"^/v1/payment_methods/pm_\w+$", PINNED, False),
    ("clone: hub's cards", "GET", r"^/v1/customers/cus_\w+/payment_methods$", PINNED, False),
    ("clone: card cloned", "POST", r"^/v1/payment_methods$", PINNED, True),
    ("clone: attached", "POST", r"^/v1/payment_methods/pm_\w+/attach$", PINNED, True),
    ("charge on a hub (payment_stripe)", "POST", r"^/v1/payment_intents$", LEGACY, True),
    ("refund (payment_stripe)", "POST", r"^/v1/refunds$", LEGACY, True),
    ("payouts sync: transactions", "GET", r"^/v1/balance_transactions$", PINNED, False),
    ("payouts sync: payout", "GET", r"^/v1/payouts/po_\w+$", PINNED, False),
]


@tagged("post_install", "-at_install")
class TestEveryRequestIsValidForItsVersion(OfnWalletHttpCase):
    def _requests(self):
        response = requests.get(self.sandbox_url + "/_sandbox/requests", timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def _made_by_the_addons(self):
        """Connect a hub by OAuth and another by Account Links, save a card, allow a hub (card
        cloned), pay the hub with it, refund part, pay out and sync the payouts."""
        hub, _manager = self._create_hub("Requests Hub")
        account = self._connect_hub(hub)

        onboarding_hub, _manager = self._create_hub("Requests Onboarding Hub")
        new_hub_manager(self.env, "requests_onboarding_manager", onboarding_hub)
        self.authenticate("requests_onboarding_manager", "requests_onboarding_manager")
        response = self.url_open(
            f"/ofn/stripe/connect/{onboarding_hub.id}?method=account_link", allow_redirects=False
        )
        self.assertEqual(response.status_code, 303, response.text[:300])
        self.assertIn("/connect/onboarding/", response.headers["Location"])

        customer = self._create_customer("Request Customer")
        card = self._save_card(customer)
        consent, secret = self.env["ofn.wallet.consent"].grant(customer, hub)
        self.assertEqual(consent.state, "active", consent.reason)
        self.assertFalse(secret)

        tx = self._pay_with_token(consent.hub_token_id, 18.25)
        self.assertEqual(tx.state, "done", tx.state_message)
        tx._send_refund_request(amount_to_refund=5.0)

        client = self._sandbox_client(account.stripe_account_id)
        available = next(
            b.amount for b in client.v1.balance.retrieve().available if b.currency == "eur"
        )
        client.v1.payouts.create({"amount": available, "currency": "eur"})
        account.sync_payouts()
        return card

    def test_each_request_accepted_under_the_version_it_carried(self):
        self._made_by_the_addons()
        made = self._requests()
        refused = [r for r in made if r["status"] >= 400]
        self.assertFalse(refused, "the sandbox refused requests that Stripe would refuse too")
        for what, method, pattern, version, keyed in EXPECTED:
            found = [r for r in made if r["method"] == method and re.search(pattern, r["path"])]
            with self.subTest(what):
                self.assertTrue(found, f"{what}: no {method} {pattern} was sent")
                self.assertTrue(all(200 <= r["status"] < 300 for r in found), found)
                if version:
                    addons = [r for r in found if r["version"] == version]
                    self.assertTrue(addons, f"{what}: not sent under {version}: {found}")
                if keyed:
                    keys = [r["idempotency_key"] for r in found if r["version"] == version]
                    self.assertTrue(all(keys), f"{what}: a POST without an idempotency key")
        # payment_stripe's version is only ever sent by payment_stripe's flows
        legacy = {(r["method"], r["route"]) for r in made if r["version"] == LEGACY}
        self.assertTrue(legacy)
        self.assertFalse(
            {r["version"] for r in made} - {PINNED, LEGACY, None},
            "every request carries one of the two versions",
        )

    def test_a_retried_attempt_gets_stripes_first_answer(self):
        """The same wallet-card attempt sent again (its transaction rolled back after Stripe
        answered) is answered with the same SetupIntent; the next attempt makes a new one."""
        customer = self._create_customer("Retrying Customer")
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            first = customer.action_ofn_start_card_setup()
            raise RuntimeError("the answer is lost with the transaction")
        self.env.invalidate_all()
        again = customer.action_ofn_start_card_setup()
        self.assertEqual(again["setup_intent"], first["setup_intent"])
        following = customer.action_ofn_start_card_setup()
        self.assertNotEqual(following["setup_intent"], first["setup_intent"])
        posts = [
            r
            for r in self._requests()
            if r["method"] == "POST" and r["path"] == "/v1/setup_intents"
        ]
        keys = [r["idempotency_key"] for r in posts]
        self.assertEqual(len(keys), 3)
        self.assertEqual(keys[0], keys[1], "same attempt, same key")
        self.assertNotEqual(keys[1], keys[2])
        self.assertRegex(keys[2], rf"^wallet-card-{customer.id}-2-[0-9a-f]{{8}}$")
