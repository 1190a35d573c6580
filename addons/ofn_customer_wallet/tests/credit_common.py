"""Customer credit test ground: two hubs with a chart of accounts in EUR, their managers and a
customer with a portal login."""

from contextlib import contextmanager

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.ofn_stripe_connect.tests.common import OfnInvoicingCommon, new_hub_manager


class OfnCreditCase(OfnInvoicingCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.hub_a, cls.manager_a = cls._create_hub("Green Valley Hub", "manager.a@hub.example")
        cls.hub_b, cls.manager_b = cls._create_hub("Riverside Hub", "manager.b@hub.example")
        cls.customer_user = new_test_user(
            cls.env, login="carol@customer.example", groups="base.group_portal"
        )
        cls.customer = cls.customer_user.partner_id
        cls.ledger = cls.env["ofn.wallet.transaction"]

    @classmethod
    def _create_hub(cls, name, manager_login):
        """A hub company with the generic chart of accounts in EUR, and its manager."""
        hub = cls.env["res.company"].create({"name": name, "currency_id": cls.eur.id})
        cls.env["account.chart.template"].try_loading("generic_coa", hub, install_demo=False)
        hub.currency_id = cls.eur  # the generic chart comes in USD
        cls.env.user.company_ids |= hub
        manager = new_hub_manager(cls.env, manager_login, hub)
        return hub, manager

    def _credit_account_balance(self, hub, partner):
        """What the hub owes ``partner`` on its customer credit account (posted entries)."""
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", hub.ofn_credit_account_id.id),
                ("partner_id", "=", partner.id),
                ("parent_state", "=", "posted"),
            ]
        )
        return -sum(lines.mapped("balance"))

    def _history(self, hub, partner):
        """The ledger of ``partner`` at ``hub``, oldest first."""
        return self.env["ofn.wallet.transaction"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", hub.id)], order="sequence"
        )

    @contextmanager
    def _assert_refused(self, message):
        """A UserError saying ``message`` (a regex); what was done before it is rolled back
        (Odoo's ``assertRaises`` runs the block in a savepoint)."""
        with self.assertRaises(UserError) as caught:
            yield
        self.assertRegex(caught.exception.args[0], message)
