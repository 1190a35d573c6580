import stripe

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import OfnStripeCase


@tagged("post_install", "-at_install")
class TestDisconnect(OfnStripeCase):
    """ "Disconnect" deauthorizes the platform, or only unlinks when another hub shares the
    account (as OFN does); either way the hub's provider stops taking payments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.manager = cls._create_hub("Green Valley", "gv_manager")
        cls.other_hub, cls.other_manager = cls._create_hub("Orchard", "orchard_manager")

    def test_disconnect_deauthorizes_and_disables_the_provider(self):
        account = self._connect_hub(self.hub)
        self.hub.with_user(self.manager).action_ofn_stripe_disconnect()
        self.assertEqual(account.state, "revoked")
        self.assertEqual(account.provider_id.state, "disabled")
        with self.assertRaises(stripe.PermissionError):
            self._sandbox_client(account.stripe_account_id).v1.accounts.retrieve_current()

    def test_the_chatter_says_who_connected_and_disconnected(self):
        """The account's chatter: who connected it (the platform admin here), who disconnected
        it (the hub's manager), and what changed."""
        account = self._connect_hub(self.hub)
        self.env.cr.flush()  # the tracking messages are made before the commit
        self.env.invalidate_all()
        connected = account.message_ids
        self.assertEqual(len(connected), 1, "made in this transaction: one creation message")
        self.assertEqual(connected.author_id, self.env.user.partner_id)

        self.hub.with_user(self.manager).action_ofn_stripe_disconnect()
        self.env.cr.flush()
        self.env.invalidate_all()
        disconnected = account.message_ids.filtered("tracking_value_ids") - connected
        self.assertEqual(len(disconnected), 1)
        self.assertEqual(disconnected.author_id, self.manager.partner_id)
        changed = disconnected.tracking_value_ids.field_id.mapped("name")
        self.assertIn("state", changed)
        self.assertIn("charges_enabled", changed)
        # the hub's manager reads the account's history on its form
        self.assertTrue(account.with_user(self.manager).message_ids)

    def test_shared_account_is_only_unlinked(self):
        account = self._connect_hub(self.hub)
        shared = self.env["ofn.stripe.account"]._connect(
            self.other_hub, account.stripe_account_id, "oauth"
        )
        self.hub.with_user(self.manager).action_ofn_stripe_disconnect()
        self.assertEqual(account.state, "revoked")
        self.assertEqual(shared.state, "connected")
        self.assertEqual(shared.provider_id.state, "enabled")
        # the other hub still charges on it
        fetched = self._sandbox_client(account.stripe_account_id).v1.accounts.retrieve_current()
        self.assertEqual(fetched.id, account.stripe_account_id)

    def test_disconnect_when_already_revoked_on_stripe_still_unlinks(self):
        account = self._connect_hub(self.hub)
        self.gateway.oauth_deauthorize(account.stripe_account_id)
        self.hub.with_user(self.manager).action_ofn_stripe_disconnect()
        self.assertEqual(account.state, "revoked")

    def test_reconnect_after_disconnect_reuses_the_record(self):
        account = self._connect_hub(self.hub)
        self.hub.with_user(self.manager).action_ofn_stripe_disconnect()
        again = self._connect_hub(self.hub)
        self.assertEqual(again, account)
        self.assertEqual(again.state, "connected")
        self.assertEqual(again.provider_id.state, "enabled")

    def test_refresh_status_reads_stripe(self):
        account = self._connect_hub(self.hub)
        self._sandbox_client().v1.accounts.update(
            account.stripe_account_id, {"business_profile": {"name": "Green Valley Farm Shop"}}
        )
        self.hub.with_user(self.manager).action_ofn_stripe_refresh()
        self.assertEqual(account.stripe_account_name, "Green Valley Farm Shop")

    def test_managers_of_another_hub_cannot_disconnect(self):
        self._connect_hub(self.hub)
        with self.assertRaises(AccessError):
            self.hub.with_user(self.other_manager).action_ofn_stripe_disconnect()
        self.assertEqual(self.hub.ofn_stripe_state, "connected")
