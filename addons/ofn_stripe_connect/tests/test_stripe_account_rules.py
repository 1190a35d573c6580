from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import new_hub_manager


@tagged("post_install", "-at_install")
class TestStripeAccountRules(TransactionCase):
    """One hub never sees another hub's Stripe account; one account per hub."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub_a = cls.env["res.company"].create({"name": "Hub A"})
        cls.hub_b = cls.env["res.company"].create({"name": "Hub B"})
        Account = cls.env["ofn.stripe.account"]
        cls.account_a = Account.create({"company_id": cls.hub_a.id, "stripe_account_id": "acct_a"})
        cls.account_b = Account.create({"company_id": cls.hub_b.id, "stripe_account_id": "acct_b"})
        cls.manager_a = new_hub_manager(cls.env, "manager_a", cls.hub_a)

    def test_hub_manager_sees_only_own_hub(self):
        visible = self.env["ofn.stripe.account"].with_user(self.manager_a).search([])
        self.assertEqual(visible, self.account_a)
        with self.assertRaises(AccessError):
            self.account_b.with_user(self.manager_a).read(["stripe_account_id"])

    def test_hub_manager_cannot_write_account(self):
        with self.assertRaises(AccessError):
            self.account_a.with_user(self.manager_a).write({"charges_enabled": True})

    def test_one_stripe_account_per_hub(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["ofn.stripe.account"].create(
                {"company_id": self.hub_a.id, "stripe_account_id": "acct_other"}
            )

    def test_menus_by_role(self):
        hub_menu = self.env.ref("ofn_stripe_connect.menu_ofn_hub_stripe")
        all_accounts_menu = self.env.ref("ofn_stripe_connect.menu_ofn_stripe_account")
        visible = self.env["ir.ui.menu"].with_user(self.manager_a)._visible_menu_ids()
        self.assertIn(hub_menu.id, visible)
        self.assertNotIn(all_accounts_menu.id, visible, "the list of all hubs is for admins")
        employee = new_test_user(self.env, login="plain_employee", groups="base.group_user")
        self.assertNotIn(
            hub_menu.id, self.env["ir.ui.menu"].with_user(employee)._visible_menu_ids()
        )
