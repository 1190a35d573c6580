from psycopg2 import IntegrityError

from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .credit_common import OfnCreditCase


@tagged("post_install", "-at_install")
class TestCreditLedger(OfnCreditCase):
    def test_history_keeps_a_running_balance(self):
        self.ledger.adjust(self.customer, self.hub_a, 10.0, "Eggs missing from the box")
        self.ledger.adjust(self.customer, self.hub_a, 5.555, "Late delivery")
        self.ledger.adjust(self.customer, self.hub_a, -3.25, "Credit given twice")

        history = self._history(self.hub_a, self.customer)
        self.assertEqual(history.mapped("sequence"), [1, 2, 3])
        self.assertEqual(history.mapped("kind"), ["manual_credit", "manual_credit", "manual_debit"])
        self.assertEqual(history.mapped("amount"), [10.0, 5.56, -3.25])  # the currency's rounding
        self.assertEqual(history.mapped("balance_after"), [10.0, 15.56, 12.31])
        self.assertEqual(history[2].reason, "Credit given twice")
        self.assertEqual(history.currency_id, self.eur)
        self.assertAlmostEqual(self.ledger.balance(self.customer, self.hub_a), 12.31)
        self.assertEqual(self.ledger.balance(self.customer, self.hub_b), 0.0)

    def test_each_movement_is_booked_on_the_customer_credit_account(self):
        credit = self.ledger.adjust(self.customer, self.hub_a, 20.0, "Goodwill")
        debit = self.ledger.adjust(self.customer, self.hub_a, -4.5, "Correction")

        account = self.hub_a.ofn_credit_account_id
        self.assertEqual(account.account_type, "liability_current")
        self.assertEqual(credit.entry_move_id.state, "posted")
        self.assertEqual(credit.entry_move_id.journal_id.type, "general")
        adjustments = self.hub_a.ofn_credit_adjustment_account_id
        self.assertEqual(adjustments.account_type, "expense")
        debit_lines = debit.entry_move_id.line_ids
        self.assertEqual(debit_lines.filtered(lambda line: line.account_id == account).debit, 4.5)
        self.assertEqual(
            debit_lines.filtered(lambda line: line.account_id == adjustments).credit, 4.5
        )
        self.assertAlmostEqual(self._credit_account_balance(self.hub_a, self.customer), 15.5)

    def test_a_debit_never_makes_the_balance_negative_by_itself(self):
        self.ledger.adjust(self.customer, self.hub_a, 5.0, "Goodwill")

        with self._assert_refused("negative balance"):
            self.ledger.adjust(self.customer, self.hub_a, -5.01, "Too much")
        self.assertEqual(len(self._history(self.hub_a, self.customer)), 1)
        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 5.0)

        debit = self.ledger.adjust(
            self.customer, self.hub_a, -8.0, "Box delivered twice", allow_negative=True
        )
        self.assertEqual(debit.balance_after, -3.0)
        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), -3.0)
        self.assertAlmostEqual(self._credit_account_balance(self.hub_a, self.customer), -3.0)

    def test_a_manual_movement_says_why(self):
        with self._assert_refused("Say why"):
            self.ledger.post(self.customer, self.hub_a, 5.0, "manual_credit", reason="  ")
        with self._assert_refused("needs an amount"):
            self.ledger.post(self.customer, self.hub_a, 0.004, "manual_credit", reason="Rounding")
        with self._assert_refused("adds to the balance"):
            self.ledger.post(self.customer, self.hub_a, -5.0, "manual_credit", reason="Sign")
        self.assertFalse(self._history(self.hub_a, self.customer))

    def test_the_database_refuses_a_movement_of_the_wrong_sign(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.env["ofn.wallet.transaction"].create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.hub_a.id,
                    "currency_id": self.eur.id,
                    "sequence": 1,
                    "amount": -5.0,
                    "balance_after": -5.0,
                    "kind": "refund_to_credit",
                }
            )
            self.env.flush_all()

    def test_movements_are_immutable(self):
        movement = self.ledger.adjust(self.customer, self.hub_a, 10.0, "Goodwill")

        for env in (self.env, self.env(user=self.manager_a)):
            row = movement.with_env(env)
            with self._assert_refused("cannot be changed"):
                row.write({"amount": 1000.0})
            with self._assert_refused("cannot be deleted"):
                row.unlink()
        self.assertEqual(movement.amount, 10.0)
        with self._assert_refused("cannot be reset"):
            movement.entry_move_id.button_draft()

    def test_credit_is_kept_per_hub(self):
        self.ledger.adjust(self.customer, self.hub_a, 10.0, "Goodwill")
        self.ledger.adjust(self.customer, self.hub_b, 3.0, "Goodwill")
        self.ledger.adjust(self.customer, self.hub_a, -2.0, "Correction")

        self.assertEqual(self.ledger.balance(self.customer, self.hub_a), 8.0)
        self.assertEqual(self.ledger.balance(self.customer, self.hub_b), 3.0)
        self.assertEqual(self._history(self.hub_b, self.customer).mapped("sequence"), [1])

    def test_a_contact_credits_its_company(self):
        company = self.env["res.partner"].create({"name": "Bakery Ltd", "is_company": True})
        contact = self.env["res.partner"].create({"name": "Baker", "parent_id": company.id})

        movement = self.ledger.adjust(contact, self.hub_a, 4.0, "Goodwill")

        self.assertEqual(movement.partner_id, company)
        self.assertEqual(self.ledger.balance(contact, self.hub_a), 4.0)

    def test_hub_manager_credits_and_debits_through_the_wizard(self):
        Wizard = self.env["ofn.credit.adjust.wizard"].with_user(self.manager_a)

        with Form(Wizard) as wizard:
            wizard.partner_id = self.customer
            wizard.amount = 12.0
            wizard.reason = "Damaged crate"
        wizard.record.action_confirm()
        with Form(Wizard) as wizard:
            wizard.partner_id = self.customer
            self.assertEqual(wizard.balance, 12.0)
            wizard.direction = "debit"
            wizard.amount = 20.0
            wizard.reason = "Crate found"
        with self._assert_refused("negative balance"):
            wizard.record.action_confirm()
        with Form(Wizard) as wizard:
            wizard.partner_id = self.customer
            wizard.direction = "debit"
            wizard.amount = 20.0
            wizard.reason = "Crate found"
            wizard.allow_negative = True
        wizard.record.action_confirm()

        history = self._history(self.hub_a, self.customer)
        self.assertEqual(history.mapped("amount"), [12.0, -20.0])
        self.assertEqual(history.mapped("balance_after"), [12.0, -8.0])
        self.assertEqual(history.create_uid, self.manager_a)
        self.assertEqual(history.company_id, self.hub_a)
