from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .credit_common import OfnCreditCase


@tagged("post_install", "-at_install")
class TestCreditAccess(OfnCreditCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_user = new_test_user(
            cls.env, login="dave@customer.example", groups="base.group_portal"
        )
        cls.other = cls.other_user.partner_id
        cls.ledger.adjust(cls.customer, cls.hub_a, 10.0, "Goodwill")
        cls.ledger.adjust(cls.customer, cls.hub_b, 4.0, "Goodwill")
        cls.ledger.adjust(cls.other, cls.hub_a, 6.0, "Goodwill")

    def test_a_hub_manager_sees_only_their_hub(self):
        for manager, hub in ((self.manager_a, self.hub_a), (self.manager_b, self.hub_b)):
            movements = self.env["ofn.wallet.transaction"].with_user(manager).search([])
            balances = self.env["ofn.credit.balance"].with_user(manager).search([])
            self.assertTrue(movements)
            self.assertEqual(movements.company_id, hub)
            self.assertEqual(balances.company_id, hub)
        hub_a_rows = self.env["ofn.wallet.transaction"].search([("company_id", "=", self.hub_a.id)])
        with self.assertRaises(AccessError):
            hub_a_rows.with_user(self.manager_b).read(["amount"])
        self.assertEqual(
            self.ledger.with_user(self.manager_b).balance(self.customer, self.hub_a), 0
        )

    def test_a_hub_manager_cannot_move_another_hubs_credit(self):
        with self.assertRaises(AccessError):
            self.ledger.with_user(self.manager_b).adjust(self.customer, self.hub_a, 5.0, "Sneaky")
        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 10.0)

    def test_a_hub_manager_adds_movements_but_never_changes_them(self):
        movement = self.ledger.with_user(self.manager_a).adjust(
            self.customer, self.hub_a, 2.0, "Goodwill"
        )

        self.assertEqual(movement.balance_after, 12.0)
        self.assertEqual(movement.entry_move_id.state, "posted")
        with self.assertRaises(AccessError):
            self.env["ofn.credit.balance"].with_user(self.manager_a).search([]).write(
                {"balance": 1000.0}
            )

    def test_a_customer_sees_only_their_own_credit(self):
        movements = self.env["ofn.wallet.transaction"].with_user(self.customer_user).search([])
        balances = self.env["ofn.credit.balance"].with_user(self.customer_user).search([])

        self.assertEqual(movements.partner_id, self.customer)
        self.assertEqual(movements.company_id, self.hub_a | self.hub_b)
        self.assertEqual(sorted(movements.mapped("amount")), [4.0, 10.0])
        self.assertEqual(balances.partner_id, self.customer)
        self.assertEqual(
            sorted(balances.mapped("balance")),
            [4.0, 10.0],
        )
        other_rows = self.env["ofn.wallet.transaction"].search([("partner_id", "=", self.other.id)])
        with self.assertRaises(AccessError):
            other_rows.with_user(self.customer_user).read(["amount"])

    def test_a_customer_cannot_give_themselves_credit(self):
        with self.assertRaises(AccessError):
            self.ledger.with_user(self.customer_user).post(
                self.customer, self.hub_a, 100.0, "manual_credit", reason="Free money"
            )
        credit_note = self._invoice(self.hub_a, self.customer, 5.0, move_type="out_refund")
        with self.assertRaises(AccessError):
            credit_note.with_user(self.customer_user).action_ofn_refund_to_credit()
        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 10.0)

    def test_the_customer_form_shows_their_credit_with_the_hub(self):
        contact = self.env["res.partner"].create(
            {"name": "Carol at work", "parent_id": self.customer.id}
        )
        customer_for_a = self.customer.with_user(self.manager_a)

        self.assertEqual(customer_for_a.ofn_credit, 10.0)
        self.assertEqual(self.customer.with_user(self.manager_b).ofn_credit, 4.0)
        self.assertEqual(contact.with_user(self.manager_a).ofn_credit, 10.0)  # the customer's
        action = customer_for_a.action_ofn_open_credit()
        balances = self.env["ofn.credit.balance"].with_user(self.manager_a).search(action["domain"])
        self.assertEqual(balances.mapped("balance"), [10.0])
        self.assertEqual(balances.action_open_transactions()["domain"][1][2], self.hub_a.id)
