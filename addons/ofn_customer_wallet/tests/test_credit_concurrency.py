import threading

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

POSTINGS = 50
ATTEMPTS = 500  # per posting: all 50 start together, each waits its turn through the retries


@tagged("post_install", "-at_install")
class TestCreditConcurrency(TransactionCase):
    """50 postings on one customer's credit at one hub, at the same instant, from 50 threads
    with their own database transactions (the way 50 requests or cron workers would), on
    committed data: the test's own transaction never commits, so the customer is created in a
    committed transaction of its own and removed at the end."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.partner_id = env["res.partner"].create({"name": "Concurrent customer"}).id
            self.hub_id = env.ref("base.main_company").id
        self.addCleanup(self._remove_customer)

    def _remove_customer(self):
        """The ledger never deletes a movement; the test's own committed rows go by SQL."""
        with self.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM ofn_wallet_transaction WHERE partner_id = %s", [self.partner_id]
            )
            cr.execute("DELETE FROM ofn_credit_balance WHERE partner_id = %s", [self.partner_id])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.partner_id])

    def _post(self, amount, start, outcome):
        """One posting in its own transaction, retried after serialisation failures as Odoo
        retries requests and crons."""
        start.wait()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["ofn.wallet.transaction"].post(
                        env["res.partner"].browse(self.partner_id),
                        env["res.company"].browse(self.hub_id),
                        amount,
                        "manual_credit" if amount > 0 else "manual_debit",
                        reason=f"Concurrent posting of {amount}",
                        allow_negative=True,
                    )
            except SerializationFailure:
                continue
            except Exception as error:  # noqa: BLE001 - reported to the test's thread
                outcome[amount] = error
                return
            outcome[amount] = attempt
            return
        outcome[amount] = RuntimeError(f"no turn after {ATTEMPTS} attempts")

    def test_fifty_concurrent_postings_keep_a_correct_running_balance(self):
        # credits and debits, distinct amounts: 1.01, 2.02, ... with every fifth one a debit
        amounts = [round(i * 1.01, 2) * (-1 if i % 5 == 0 else 1) for i in range(1, POSTINGS + 1)]
        start = threading.Barrier(POSTINGS, timeout=60)
        outcome = {}
        threads = [
            threading.Thread(target=self._post, args=(amount, start, outcome)) for amount in amounts
        ]
        with mute_logger("odoo.sql_db"):  # the serialisation failures of the waiting postings
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)

        failures = {
            amount: result for amount, result in outcome.items() if not isinstance(result, int)
        }
        self.assertFalse(failures)
        self.assertEqual(len(outcome), POSTINGS)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            history = env["ofn.wallet.transaction"].search(
                [("partner_id", "=", self.partner_id), ("company_id", "=", self.hub_id)],
                order="sequence",
            )
            head = env["ofn.credit.balance"].search([("partner_id", "=", self.partner_id)])
            self.assertEqual(history.mapped("sequence"), list(range(1, POSTINGS + 1)))
            self.assertEqual(sorted(history.mapped("amount")), sorted(amounts))
            running = 0.0
            for movement in history:
                running = round(running + movement.amount, 2)
                self.assertEqual(movement.balance_after, running, f"movement {movement.sequence}")
            self.assertEqual(running, round(sum(amounts), 2))
            self.assertEqual(head.balance, running)
            self.assertEqual(head.transaction_count, POSTINGS)
            # the order of the history is the order of the commits
            self.assertEqual(history.ids, sorted(history.ids))
        # they did run concurrently: most postings had to wait for their turn
        self.assertGreater(max(outcome.values()), 1)
