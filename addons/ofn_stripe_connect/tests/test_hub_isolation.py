from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import OfnStripeCase


@tagged("post_install", "-at_install")
class TestHubIsolation(OfnStripeCase):
    """Hub B's manager reads none of hub A's Stripe data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub_a, cls.manager_a = cls._create_hub("Hub A", "manager_a")
        cls.hub_b, cls.manager_b = cls._create_hub("Hub B", "manager_b")
        cls.account_a = cls._connect_hub(cls.hub_a)
        cls.account_b = cls._connect_hub(cls.hub_b)

    def test_accounts_are_hub_scoped(self):
        Account = self.env["ofn.stripe.account"].with_user(self.manager_b)
        self.assertEqual(Account.search([]), self.account_b)
        with self.assertRaises(AccessError):
            self.account_a.with_user(self.manager_b).read(["stripe_account_id"])

    def test_providers_are_hub_scoped(self):
        Provider = self.env["payment.provider"].with_user(self.manager_b)
        visible = Provider.search([("ofn_stripe_account_id", "!=", False)])
        self.assertEqual(visible, self.account_b.provider_id)
        with self.assertRaises(AccessError):
            self.account_a.provider_id.with_user(self.manager_b).read(["name"])

    def test_manager_cannot_change_an_account_or_its_fee(self):
        with self.assertRaises(AccessError):
            self.account_b.with_user(self.manager_b).write({"application_fee_percent": 0})
