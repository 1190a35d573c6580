from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import new_hub_manager
from .payout_common import OfnPayoutCase


@tagged("post_install", "-at_install")
class TestPayoutSecurity(OfnPayoutCase):
    """Each hub's accountant sees, syncs, books and exports that hub's payouts only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub_a, cls.accountant_a, cls.account_a = cls._setup_hub_books("Hub A", "acc_a")
        cls.hub_b, cls.accountant_b, cls.account_b = cls._setup_hub_books("Hub B", "acc_b")
        for account in (cls.account_a, cls.account_b):
            cls._charge(account, 30.0, application_fee=1.0)
            cls._pay_out(account)
            account.sync_payouts()
        cls.payout_a, cls.payout_b = cls.account_a.payout_ids, cls.account_b.payout_ids

    def test_accountant_sees_only_own_hub(self):
        Payout = self.env["ofn.stripe.payout"].with_user(self.accountant_b)
        self.assertEqual(Payout.search([]), self.payout_b)
        with self.assertRaises(AccessError):
            self.payout_a.with_user(self.accountant_b).read(["amount"])
        Line = self.env["ofn.stripe.balance.line"].with_user(self.accountant_b)
        self.assertEqual(Line.search([]).account_id, self.account_b)
        with self.assertRaises(AccessError):
            self.payout_a.balance_line_ids.with_user(self.accountant_b).read(["net"])

    def test_sync_buttons_act_for_the_accountants_hub(self):
        Payout, Line = self.env["ofn.stripe.payout"], self.env["ofn.stripe.balance.line"]
        self._charge(self.account_b, 8.0)
        self._charge(self.account_a, 9.0)
        lines_a = Line.search_count([("account_id", "=", self.account_a.id)])
        action = Payout.with_user(self.accountant_b).action_sync_current_hubs()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            Line.search_count([("account_id", "=", self.account_a.id)]), lines_a, "not hub A"
        )
        self.assertTrue(
            Line.search([("account_id", "=", self.account_b.id)]).filtered(
                lambda line: line.amount == 8.0
            )
        )
        self.hub_a.with_user(self.accountant_a).action_ofn_sync_payouts()
        self.assertEqual(Line.search_count([("account_id", "=", self.account_a.id)]), lines_a + 1)
        self.assertTrue(self.payout_a.statement_id, "the synced payout is booked at once")
        with self.assertRaises(AccessError):
            self.hub_a.with_user(self.accountant_b).action_ofn_sync_payouts()

    def test_accountant_cannot_act_for_another_hub(self):
        with self.assertRaises(AccessError):
            self.account_a.with_user(self.accountant_b).sync_payouts()
        with self.assertRaises(AccessError):
            self.env["ofn.payout.statement.builder"].with_user(self.accountant_b).build(
                self.payout_a
            )
        self.assertFalse(self.payout_a.statement_id)

    def test_accountant_cannot_export_another_hub(self):
        period = {
            "date_from": self.payout_a.arrival_date - timedelta(days=7),
            "date_to": self.payout_a.arrival_date,
        }
        Wizard = self.env["ofn.payout.export.wizard"].with_user(self.accountant_b)
        wizard = Wizard.create({"company_id": self.hub_a.id, **period})
        with self.assertRaises(AccessError):
            wizard.action_export()
        wizard = Wizard.create(
            {"company_id": self.hub_b.id, "payout_ids": [(6, 0, self.payout_a.ids)], **period}
        )
        with self.assertRaises(UserError):
            wizard.action_export()
        self.assertFalse(wizard.sudo().file_data)
        wizard.payout_ids = False
        wizard.action_export()
        self.assertTrue(wizard.file_data, "own hub's payouts export")

    def test_hub_manager_without_accountant_role_sees_no_payout(self):
        manager = new_hub_manager(self.env, "manager_a", self.hub_a)
        with self.assertRaises(AccessError):
            self.env["ofn.stripe.payout"].with_user(manager).search([])
        with self.assertRaises(AccessError):
            self.env["ofn.payout.export.wizard"].with_user(manager).create(
                {"company_id": self.hub_a.id}
            )
        with self.assertRaises(AccessError):
            self.account_a.with_user(manager).sync_payouts()

    def test_menus_by_role(self):
        Menu = self.env["ir.ui.menu"]
        payouts = self.env.ref("ofn_stripe_connect.menu_ofn_stripe_payout")
        fees = self.env.ref("ofn_stripe_connect.menu_ofn_application_fees")
        visible = Menu.with_user(self.accountant_a)._visible_menu_ids()
        self.assertIn(payouts.id, visible)
        self.assertIn(self.env.ref("ofn_stripe_connect.menu_ofn_root").id, visible)
        self.assertNotIn(fees.id, visible, "application fees are for the platform admins")
        admin_visible = Menu.with_user(self.env.ref("base.user_admin"))._visible_menu_ids()
        self.assertIn(fees.id, admin_visible)
