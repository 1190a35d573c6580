from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import OfnWalletHttpCase


@tagged("post_install", "-at_install")
class TestCheckoutSaveToWallet(OfnWalletHttpCase):
    """A new card entered at a hub's checkout is saved to the wallet, then pays the hub."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, _manager = cls._create_hub("Checkout Hub")
        # the hub keeps books: once paid, Odoo records the payment in the hub's bank journal
        cls.env["account.chart.template"].try_loading("generic_coa", cls.hub, install_demo=False)
        cls.hub.currency_id = cls.env.ref("base.EUR")
        cls.account = cls._connect_hub(cls.hub)
        card = cls.env.ref("payment.payment_method_card")
        card.active = True
        cls.account.provider_id.payment_method_ids = [Command.set(card.ids)]
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.customer = new_test_user(cls.env, login="checkout_ann", groups="base.group_portal")
        cls.customer.partner_id.company_id = False

    def test_card_saved_at_checkout_goes_to_the_wallet_and_pays(self):
        partner = self.customer.partner_id
        url = self._payment_link(self.hub, partner, 31.5, self.eur)
        self.start_tour(url, "ofn_checkout_save_card_to_wallet", login="checkout_ann")
        card = partner.ofn_wallet_card_ids
        self.assertEqual(len(card), 1, "saved once, on the platform")
        self.assertEqual(card.provider_id, self.env["payment.provider"].ofn_platform_provider())
        clone = card.ofn_clone_ids
        self.assertEqual(clone.provider_id, self.account.provider_id)
        tx = self.env["payment.transaction"].search([("token_id", "=", clone.id)])
        self.assertEqual(tx.state, "done")
        intent = self._sandbox_client(self.account.stripe_account_id).v1.payment_intents.retrieve(
            tx.provider_reference
        )
        self.assertEqual(intent.payment_method, clone.stripe_payment_method)

    def test_return_url_stays_on_this_site(self):
        self.authenticate("checkout_ann", "checkout_ann")
        started = self.customer.partner_id.action_ofn_start_card_setup()
        self._sandbox_client().v1.setup_intents.confirm(
            started["setup_intent"], {"payment_method": "pm_card_visa"}
        )
        response = self.url_open(
            f"/my/wallet/cards/saved?setup_intent={started['setup_intent']}"
            "&return_url=//evil.example/steal",
            allow_redirects=False,
        )
        self.assertNotIn("evil.example", response.headers["Location"])
