"""The three addons install together and form one product (ARCHITECTURE.md §1)."""

import ast
from pathlib import Path

from odoo.tests import HttpCase, TransactionCase, tagged

ADDONS_DIR = Path(__file__).resolve().parent.parent / "addons"
OFN_MODULES = ["ofn_stripe_connect", "ofn_customer_wallet", "ofn_standing_orders"]
DEPENDS = {
    "ofn_stripe_connect": {"payment_stripe", "account_payment"},
    "ofn_customer_wallet": {"ofn_stripe_connect", "portal"},
    # sale_stock: placement caps quantities by the hub's stock, and a hub's orders ship from its
    # warehouse (ARCHITECTURE.md §1); queue_job: the cycle close runs as jobs (§4)
    "ofn_standing_orders": {"ofn_customer_wallet", "sale_management", "sale_stock", "queue_job"},
}


@tagged("post_install", "-at_install")
class TestInstalledTogether(TransactionCase):
    def test_all_three_addons_are_installed(self):
        modules = self.env["ir.module.module"].search([("name", "in", OFN_MODULES)])
        self.assertEqual(
            {m.name: m.state for m in modules}, dict.fromkeys(OFN_MODULES, "installed")
        )

    def test_manifests_follow_the_conventions(self):
        for name in OFN_MODULES:
            manifest = ast.literal_eval((ADDONS_DIR / name / "__manifest__.py").read_text())
            with self.subTest(module=name):
                self.assertEqual(manifest["version"], "18.0.1.0.0")
                self.assertEqual(manifest["license"], "AGPL-3")
                self.assertEqual(manifest["external_dependencies"], {"python": ["stripe"]})
                self.assertEqual(set(manifest["depends"]), DEPENDS[name])

    def test_menus_hang_under_food_hubs(self):
        root = self.env.ref("ofn_stripe_connect.menu_ofn_root")
        for xmlid in (
            "ofn_stripe_connect.menu_ofn_configuration",
            "ofn_customer_wallet.menu_ofn_customers",
            "ofn_standing_orders.menu_ofn_standing_orders",
        ):
            with self.subTest(menu=xmlid):
                self.assertEqual(self.env.ref(xmlid).parent_id, root)


@tagged("post_install", "-at_install")
class TestBackendServes(HttpCase):
    def test_login_page_is_served(self):
        response = self.url_open("/web/login")
        self.assertEqual(response.status_code, 200)
        self.assertIn('name="login"', response.text)

    def test_admin_gets_the_food_hubs_app(self):
        self.authenticate("admin", "admin")
        menus = self.url_open("/web/webclient/load_menus/1").json()
        apps = {menus[str(i)]["name"]: menus[str(i)] for i in menus["root"]["children"]}
        self.assertIn("Food Hubs", apps)
        children = [menus[str(i)]["name"] for i in apps["Food Hubs"]["children"]]
        self.assertIn("Configuration", children)
