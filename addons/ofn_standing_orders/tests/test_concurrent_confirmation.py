import threading
import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from .common import StandingOrderChargeCase

OCCURRENCES = 50


@tagged("post_install", "-at_install")
class TestConcurrentConfirmation(StandingOrderChargeCase):
    """Two confirmation runs at once (two cron workers, two database connections) on the same
    closed cycle charge every order exactly once."""

    def test_two_runs_at_once_charge_each_order_exactly_once(self):
        registry = self.env.registry
        run = uuid.uuid4().hex[:8]  # committed data: unique names for every run
        # Connect is switched on in the test's own transaction only (its parameter row is
        # locked there): the committed hub is connected as if the switch were on
        connect_on = patch.object(
            type(self.env["res.config.settings"]), "_ofn_connect_enabled", return_value=True
        )
        with connect_on, registry.cursor() as cr:  # committed, so that the runs see it
            env = api.Environment(cr, SUPERUSER_ID, {})
            hub, _manager, account, schedule = self._setup_hub(
                f"Busy Hub {run}", f"busy_manager_{run}", env=env
            )
            self.assertEqual(account.provider_id.state, "enabled")
            self._setup_products(env=env)
            customers = [
                self._customer(f"Busy Customer {run} {n}", [hub], env=env) for n in range(5)
            ]
            for n in range(OCCURRENCES):
                self._standing(customers[n % 5], schedule, [(self.eggs, 1 + n % 3)])
            cycle = self._open_cycle(schedule)
            placed = env["ofn.cycle.placer"].place().filtered(lambda o: o.cycle_id == cycle)
            self._close(cycle)
            hub_id, account_id, occurrence_ids = hub.id, account.id, placed.ids
            stripe_account = account.stripe_account_id
        self.addCleanup(self._forget_committed_hub, hub_id, account_id)
        self.assertEqual(len(occurrence_ids), OCCURRENCES)

        barrier = threading.Barrier(2)
        handled, errors = [], []

        def confirmation_run():
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    barrier.wait(timeout=30)
                    handled.append(env["ofn.cycle.confirmer"].confirm(commit=True).ids)
            except Exception as error:  # noqa: BLE001 (reported by the test thread below)
                errors.append(error)

        threads = [threading.Thread(target=confirmation_run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)

        self.assertEqual(errors, [])
        self.assertTrue(all(handled), f"both runs took a share: {[len(h) for h in handled]}")
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            occurrences = env["ofn.standing.order.occurrence"].browse(occurrence_ids)
            self.assertEqual(set(occurrences.mapped("state")), {"paid"})
            self.assertEqual(len(occurrences.transaction_ids), OCCURRENCES)
            references = {f"OFN-SO{occurrence_id}-1" for occurrence_id in occurrence_ids}
            self.assertEqual(set(occurrences.transaction_ids.mapped("reference")), references)
        intents = [
            intent
            for intent in self._sandbox_client(stripe_account)
            .v1.payment_intents.list({"limit": 100})
            .auto_paging_iter()
        ]
        self.assertEqual(len(intents), OCCURRENCES, "one PaymentIntent per order, no more")
        self.assertEqual({intent.description for intent in intents}, references)
        self.assertEqual({intent.status for intent in intents}, {"succeeded"})

    def _forget_committed_hub(self, hub_id, account_id):
        """The hub was committed for the runs to see it: nothing of it is left for the
        confirmation runs of later tests, and it is disconnected (the Wallet page lists
        connected hubs)."""
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ofn.standing.order.occurrence"].search(
                [("company_id", "=", hub_id), ("state", "in", ("placed", "confirmed", "failed"))]
            ).write({"state": "cancelled", "next_charge_at": False})
            env["ofn.stripe.account"].browse(account_id)._mark_revoked("end of the test")
