"""The cycle close's jobs on committed data, each job in its own database connection as the
jobrunner runs them: two workers running the same jobs at once, a worker killed after Stripe
answered, the same charge job enqueued twice."""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import requests
from psycopg2.errors import DeadlockDetected, LockNotAvailable, SerializationFailure

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.tests import tagged
from odoo.tools import config

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

from ..models.ofn_standing_order_occurrence import OfnStandingOrderOccurrence
from .common import StandingOrderChargeCase

OCCURRENCES = 50


class WorkerKilled(BaseException):
    """The worker process dies: nothing after it is committed."""


@tagged("post_install", "-at_install")
class TestJobsOnCommittedData(StandingOrderChargeCase):
    def _committed_cycle(self, count, placed=True):
        """A committed, connected hub whose ``count`` standing orders are placed in a cycle
        that just closed (or, not ``placed``, planned in a cycle still open); returns
        (occurrence ids, the hub's Stripe account id)."""
        registry = self.env.registry
        run = uuid.uuid4().hex[:8]  # committed data: unique names for every run
        # Connect is switched on in the test's own transaction only (its parameter row is
        # locked there): the committed hub is connected as if the switch were on
        connect_on = patch.object(
            type(self.env["res.config.settings"]), "ofn_is_connect_enabled", return_value=True
        )
        with connect_on, registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            hub, _manager, account, schedule = self._setup_hub(
                f"Busy Hub {run}", f"busy_manager_{run}", env=env
            )
            self._setup_products(env=env)
            customers = [
                self._customer(f"Busy Customer {run} {n}", [hub], env=env) for n in range(5)
            ]
            for n in range(count):
                self._standing(customers[n % 5], schedule, [(self.eggs, 1 + n % 3)])
            cycle = self._open_cycle(schedule)
            occurrences = cycle.occurrence_ids
            if placed:
                occurrences._place_chunk()
                self._close(cycle)
            ids, stripe_account = occurrences.ids, account.stripe_account_id
            hub_id, account_id = hub.id, account.id
        self.addCleanup(self._forget_committed_hub, hub_id, account_id)
        return ids, stripe_account

    def _pending_jobs(self, methods, cycle_id=None):
        with self.env.registry.cursor() as cr:
            # the only jobs committed in the test database are this test's (or, ``cycle_id``
            # given, those of that cycle)
            cr.execute(
                """SELECT uuid FROM queue_job WHERE state = 'pending' AND method_name = ANY(%s)
                   AND (%s IS NULL OR ofn_cycle_id = %s) ORDER BY id""",
                [list(methods), cycle_id, cycle_id],
            )
            return [row[0] for row in cr.fetchall()]

    def _perform(self, job_uuid, errors=None):
        """Performs one stored job in its own thread and connection, as a worker does (a
        test's own thread commits nothing); the job's own record is left as it is (these
        tests look at what the job does)."""
        raised: list = []

        def work():
            last = None
            # like queue_job's worker: a job that collided with another transaction is run
            # again (a few times); a job done is marked done; one asking to wait stays pending
            for _attempt in range(5):
                try:
                    # each cursor commits as its block ends
                    with self.env.registry.cursor() as cr:
                        job = Job.load(api.Environment(cr, SUPERUSER_ID, {}), job_uuid)
                        if job.state != "pending":
                            return
                        job.perform()
                    with self.env.registry.cursor() as cr:
                        job = Job.load(api.Environment(cr, SUPERUSER_ID, {}), job_uuid)
                        job.set_done()
                        job.store()
                    return
                except RetryableJobError:
                    return
                except (SerializationFailure, LockNotAvailable, DeadlockDetected) as error:
                    last = error
                    time.sleep(0.05)
                except BaseException as error:  # noqa: BLE001 (re-raised in the test's thread)
                    raised.append(error)
                    return
            raised.append(last)

        worker = threading.Thread(target=work)
        worker.start()
        worker.join(timeout=300)
        for error in raised:
            if errors is None:
                raise error
            errors.append(error)

    def _drain_committed(self):
        """The pending jobs run, in order, until none is left (as the jobrunner would)."""
        for _round in range(20):
            todo = self._pending_jobs(_ALL_JOBS)
            if not todo:
                return
            for job_uuid in todo:
                self._perform(job_uuid)

    def _state(self, occurrence_ids):
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            occurrences = env["ofn.standing.order.occurrence"].browse(occurrence_ids)
            return (
                sorted(set(occurrences.mapped("state"))),
                sorted(occurrences.transaction_ids.mapped("reference")),
            )

    def _stripe_intents(self, stripe_account):
        return list(
            self._sandbox_client(stripe_account)
            .v1.payment_intents.list({"limit": 100})
            .auto_paging_iter()
        )

    def test_two_workers_running_the_same_jobs_at_once_charge_each_order_exactly_once(self):
        occurrence_ids, stripe_account = self._committed_cycle(OCCURRENCES)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ofn.standing.order.occurrence"]._cron_confirm()
        for _round in range(20):
            jobs = self._pending_jobs(_ALL_JOBS)
            if not jobs:
                break
            errors: list = []
            barrier = threading.Barrier(2)

            def worker(order, jobs, errors, barrier):
                barrier.wait(timeout=30)
                for job_uuid in order(jobs):
                    self._perform(job_uuid, errors)  # each in a thread of its own

            threads = [
                threading.Thread(target=worker, args=(list, jobs, errors, barrier)),
                threading.Thread(
                    target=worker, args=(lambda js: list(reversed(js)), jobs, errors, barrier)
                ),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=600)
            # a job that collided with its twin is run again by queue_job: not a failure here
            self.assertFalse(
                [e for e in errors if getattr(e, "pgcode", None) not in _CONCURRENCY_CODES],
                errors,
            )

        states, references = self._state(occurrence_ids)
        self.assertEqual(states, ["paid"])
        self.assertEqual(references, sorted(f"OFN-SO{i}-1" for i in occurrence_ids))
        intents = self._stripe_intents(stripe_account)
        self.assertEqual(len(intents), OCCURRENCES, "one PaymentIntent per order, no more")
        self.assertEqual({intent.status for intent in intents}, {"succeeded"})

    def test_the_placement_jobs_of_a_new_hub_running_at_once_place_every_order(self):
        """More orders of a hub than a chunk: the jobs of its chunks run at the same time, and
        every order is placed once, from the hub's one warehouse (a hub without one gets it
        from the cron, before the jobs: two jobs making it at once collided)."""
        occurrence_ids, _stripe_account = self._committed_cycle(4, placed=False)
        Occurrence = type(self.env["ofn.standing.order.occurrence"])
        with (
            patch.object(Occurrence, "_chunk_size", return_value=2),
            self.env.registry.cursor() as cr,
        ):
            env = api.Environment(cr, SUPERUSER_ID, {})
            cycle_id = env["ofn.standing.order.occurrence"].browse(occurrence_ids).cycle_id.id
            env["ofn.standing.order.occurrence"]._cron_place()
        jobs = self._pending_jobs(["_place_chunk"], cycle_id)
        self.assertEqual(len(jobs), 2)
        errors: list = []
        barrier = threading.Barrier(2)

        def worker(job_uuid):
            barrier.wait(timeout=30)
            self._perform(job_uuid, errors)

        threads = [threading.Thread(target=worker, args=(job_uuid,)) for job_uuid in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)

        self.assertFalse(errors)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            occurrences = env["ofn.standing.order.occurrence"].browse(occurrence_ids)
            self.assertEqual(set(occurrences.mapped("state")), {"placed"})
            self.assertFalse(occurrences.filtered("needs_attention").mapped("failure_message"))
            hub = occurrences.company_id
            self.assertEqual(env["stock.warehouse"].search_count([("company_id", "=", hub.id)]), 1)
            self.assertEqual(occurrences.sale_order_id.warehouse_id.company_id, hub)

    def test_an_order_another_job_changed_meanwhile_runs_the_job_again_and_logs_no_error(self):
        """A job's transaction began, then another job committed a change to one of its
        occurrences: locking them is a serialization failure, raised for queue_job to run the
        job again, not an error in the log."""
        occurrence_ids, _stripe_account = self._committed_cycle(2)

        def changed_meanwhile(env):
            occurrences = env["ofn.standing.order.occurrence"].browse(occurrence_ids)
            occurrences.invalidate_recordset()
            occurrences.mapped("state")  # the transaction's snapshot is taken
            with self.env.registry.cursor() as other:
                other.execute(
                    "UPDATE ofn_standing_order_occurrence SET write_date = now() WHERE id = %s",
                    [occurrence_ids[0]],
                )
            return occurrences

        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            occurrences = changed_meanwhile(env)
            with (
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
                self.assertRaises(SerializationFailure),
            ):
                occurrences._lock("TRUE")
            cr.rollback()
            # the confirmation's chunk raises it too: neither marked nor split
            occurrences = changed_meanwhile(env)
            with self.assertRaises(SerializationFailure):
                occurrences._run_chunk("_confirm")
            cr.rollback()
            self.assertEqual(set(occurrences.mapped("state")), {"placed"})
            self.assertFalse(any(occurrences.mapped("needs_attention")))

    def test_a_worker_killed_after_stripe_took_the_money_charges_once_when_run_again(self):
        [occurrence_id], stripe_account = self._committed_cycle(1)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ofn.standing.order.occurrence"]._cron_confirm()
        [confirm_job] = self._pending_jobs(["_confirm_chunk"])
        self._perform(confirm_job)
        [charge_job] = self._pending_jobs(["_charge"])
        kill = patch.object(
            OfnStandingOrderOccurrence, "_follow", autospec=True, side_effect=WorkerKilled
        )
        with kill, self.assertRaises(WorkerKilled):
            self._perform(charge_job)

        [intent] = self._stripe_intents(stripe_account)
        self.assertEqual(intent.status, "succeeded", "Stripe did take the money")
        states, references = self._state([occurrence_id])
        self.assertEqual(states, ["confirmed"], "the outcome was never committed")
        self.assertEqual(references, [f"OFN-SO{occurrence_id}-1"], "the attempt was committed")

        # queue_job requeues a job whose worker died: it runs again
        self._perform(charge_job)
        self._drain_committed()

        self.assertEqual(self._state([occurrence_id])[0], ["paid"])
        self.assertEqual(len(self._stripe_intents(stripe_account)), 1, "exactly one charge")

    def test_a_webhook_that_books_the_payment_while_the_charge_waits_pays_and_tells_once(self):
        """Stripe's webhook comes while the charge job still waits for Stripe's answer, and the
        payment is booked meanwhile: the job goes on from what is in the database then (what
        it read before its commit about the payment, the invoice and the order is not kept),
        so the order is paid once, booked once, and its customer told once."""
        [occurrence_id], stripe_account = self._committed_cycle(1)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ofn.standing.order.occurrence"]._cron_confirm()
        self._perform(self._pending_jobs(["_confirm_chunk"])[0])
        [charge_job] = self._pending_jobs(["_charge"])
        Gateway = type(self.env["ofn.stripe.gateway"])
        ask_stripe = Gateway.request

        def answered_after_the_webhook(gateway, method, path, *args, **kwargs):
            answer = ask_stripe(gateway, method, path, *args, **kwargs)
            if method.lower() == "post" and path == "/v1/payment_intents":
                with self.env.registry.cursor() as cr:  # the webhook, committed meanwhile
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    tx = env["payment.transaction"].search(
                        [("reference", "=", f"OFN-SO{occurrence_id}-1")]
                    )
                    tx._ofn_process_stripe_intent(answer)
                    self.assertEqual(tx.state, "done")
                    tx._post_process()
            return answer

        with patch.object(Gateway, "request", answered_after_the_webhook):
            self._perform(charge_job)
        self._drain_committed()

        self.assertEqual(self._state([occurrence_id])[0], ["paid"])
        self.assertEqual(len(self._stripe_intents(stripe_account)), 1)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            occurrence = env["ofn.standing.order.occurrence"].browse(occurrence_id)
            self.assertEqual(len(occurrence.transaction_ids.payment_id), 1, "booked once")
            self.assertEqual(occurrence.invoice_id.payment_state, "paid")
            told = env["mail.message"].search_count(
                [
                    ("model", "=", "sale.order"),
                    ("res_id", "=", occurrence.sale_order_id.id),
                    ("subject", "ilike", "is paid"),
                ]
            )
            self.assertEqual(told, 1, "the customer is told once")

    def test_the_summary_waiting_to_check_again_is_sent_once_the_payments_are_booked(self):
        """The hub's confirmation summary checks again later while charges run; the booking
        of the last payments brings it forward: sent then, not at its next check."""
        occurrence_ids, _stripe_account = self._committed_cycle(2)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ofn.standing.order.occurrence"]._cron_confirm()
        self._perform(self._pending_jobs(["_confirm_chunk"])[0])
        later = fields.Datetime.now() + timedelta(hours=1)
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT cycle_id FROM ofn_standing_order_occurrence WHERE id = %s",
                [occurrence_ids[0]],
            )
            cycle_id = cr.fetchone()[0]
            cr.execute(
                "UPDATE queue_job SET eta = %s WHERE identity_key = %s AND state = 'pending'"
                " RETURNING uuid",
                [later, f"ofn-summary-{cycle_id}-confirmation"],
            )
            [summary] = [row[0] for row in cr.fetchall()]
        for job_uuid in self._pending_jobs(["_charge"]):
            self._perform(job_uuid)

        def eta():
            with self.env.registry.cursor() as cr:
                cr.execute("SELECT eta FROM queue_job WHERE uuid = %s", [summary])
                return cr.fetchone()[0]

        self.assertEqual(eta(), later, "charged, not yet booked: the summary still waits")
        [booking] = self._pending_jobs(["_book_hub"])
        self._perform(booking)

        self.assertEqual(self._state(occurrence_ids)[0], ["paid"])
        self.assertLessEqual(eta(), fields.Datetime.now(), "brought forward")
        self._perform(summary)
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM mail_message WHERE model = 'ofn.order.cycle'"
                " AND res_id = %s AND subject ILIKE %s",
                [cycle_id, "%confirmed%"],
            )
            self.assertEqual(cr.fetchone()[0], 1, "the summary is sent")

    def test_the_same_charge_job_enqueued_twice_charges_once(self):
        [occurrence_id], stripe_account = self._committed_cycle(1)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ofn.standing.order.occurrence"]._cron_confirm()
        self._perform(self._pending_jobs(["_confirm_chunk"])[0])
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            occurrence = env["ofn.standing.order.occurrence"].browse(occurrence_id)
            occurrence._enqueue_charges()  # a pending twin: queue_job keeps one
        jobs = self._pending_jobs(["_charge"])
        self.assertEqual(len(jobs), 1, "one pending job per occurrence and attempt")
        self._perform(jobs[0])
        self._drain_committed()

        self.assertEqual(self._state([occurrence_id])[0], ["paid"])
        self.assertEqual(len(self._stripe_intents(stripe_account)), 1)

    def test_the_jobrunner_and_its_workers_close_the_cycle(self):
        """Production's way: an Odoo server with 2 HTTP workers and queue_job's jobrunner runs
        the jobs the confirmation cron enqueued, each in a worker process."""
        occurrence_ids, stripe_account = self._committed_cycle(4)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ofn.standing.order.occurrence"]._cron_confirm()
        server = self._start_server(workers=2)
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and self._state(occurrence_ids)[0] != ["paid"]:
                time.sleep(1)
            jobs = self._jobs_of_the_test()
        finally:
            server.terminate()
            server.wait(timeout=60)

        self.assertEqual(self._state(occurrence_ids)[0], ["paid"])
        self.assertEqual(len(self._stripe_intents(stripe_account)), 4, "one charge per order")
        charges = [job for job in jobs if job[0] == "_charge"]
        self.assertEqual(len(charges), 4)
        self.assertEqual({job[1] for job in charges}, {"done"})
        workers = {job[2] for job in jobs if job[2]}
        self.assertTrue(workers)
        self.assertNotIn(os.getpid(), workers, "run by the server's workers, not by the test")

    def _jobs_of_the_test(self):
        with self.env.registry.cursor() as cr:
            cr.execute("SELECT method_name, state, worker_pid FROM queue_job ORDER BY id")
            return cr.fetchall()

    def _start_server(self, workers):
        """An Odoo server on the test database: ``workers`` HTTP workers and the jobrunner
        with capacity on the project's channels; returns the process once it answers."""
        source = config.rcfile
        port, gevent_port = _free_port(), _free_port()
        lines = []
        with open(source, encoding="utf-8") as conf:
            for line in conf:
                key = line.split("=", 1)[0].strip()
                if key in ("http_port", "gevent_port", "workers", "channels", "max_cron_threads"):
                    continue
                lines.append(line.rstrip("\n"))
        section = lines.index("[queue_job]")
        lines[section + 1 : section + 1] = ["channels = root:2,root.ofn.batch:1,root.ofn.charge:1"]
        options = [
            f"http_port = {port}",
            f"gevent_port = {gevent_port}",
            f"workers = {workers}",
            "max_cron_threads = 0",
        ]
        lines[1:1] = options
        folder = tempfile.mkdtemp(prefix="ofn-jobrunner-")
        conf_path = os.path.join(folder, "odoo.conf")
        with open(conf_path, "w", encoding="utf-8") as conf:
            conf.write("\n".join(lines) + "\n")
        log = open(os.path.join(folder, "odoo.log"), "wb")  # noqa: SIM115 (the server's)
        self.addCleanup(log.close)
        # odoo-bin, not "python -m odoo": the prefork server starts its gevent worker with argv[0]
        odoo_bin = Path(odoo.__file__).resolve().parent.parent / "odoo-bin"
        command = [str(odoo_bin)] if odoo_bin.exists() else ["-m", "odoo"]
        server = subprocess.Popen(
            [sys.executable, *command, "-c", conf_path, "-d", self.env.cr.dbname],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok:
                    return server
            except requests.RequestException:
                time.sleep(0.5)
        server.terminate()
        raise AssertionError(f"the Odoo server did not start (log: {log.name})")

    def _forget_committed_hub(self, hub_id, account_id):
        """The hub was committed for the jobs to see it: nothing of it is left for later
        tests, and it is disconnected (the Wallet page lists connected hubs)."""
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ofn.standing.order.occurrence"].search(
                [
                    ("company_id", "=", hub_id),
                    ("state", "in", ("planned", "placed", "confirmed", "failed", "charged")),
                ]
            ).write({"state": "cancelled", "next_charge_at": False})
            cr.execute("DELETE FROM queue_job WHERE method_name = ANY(%s)", [list(_ALL_JOBS)])
            env["ofn.stripe.account"].browse(account_id).mark_revoked("end of the test")


_ALL_JOBS = ("_place_chunk", "_confirm_chunk", "_charge", "_book_hub", "_notify", "_send_summary")
_CONCURRENCY_CODES = {"40001", "55P03", "40P01"}


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
