"""Standing orders against the sandbox: connected hubs, customers with wallet cards and
consents, a schedule per hub and cycles opened and closed at will."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from odoo import fields, http
from odoo.tests import common as odoo_tests_common
from odoo.tests import new_test_user

from odoo.addons.queue_job.exception import RetryableJobError

# queue_job's test helpers register themselves in odoo.tests.common.SETATTR_SOURCES, which
# later Odoo 18.0 sources have; an older 18.0 source tree gets the empty registry they expect
odoo_tests_common.__dict__.setdefault("SETATTR_SOURCES", {})
from odoo.addons.ofn_customer_wallet.tests.common import (
    VISA,
    OfnWalletCase,
    OfnWalletCommon,
    OfnWalletHttpCase,
)
from odoo.addons.queue_job.tests.common import trap_jobs


class CycleCloseDriver:
    """Runs the cycle close as production does, inside the test's transaction: a cron finds
    the work and enqueues jobs, which are performed (with the jobs they enqueue) as the
    jobrunner would, here synchronously (queue_job's ``trap_jobs``). A job that asks to run
    later (``RetryableJobError``) is kept in ``postponed``, for the test to run again when time
    has passed (``_run_postponed``)."""

    postponed: list

    def _run_cron(self, method):
        """Runs the occurrence cron ``method`` and the jobs; returns the occurrences whose
        state, attempts or attention changed."""
        Occurrence = self.env["ofn.standing.order.occurrence"].sudo()
        before = self._snapshot(Occurrence.search([]))
        with trap_jobs() as trap:
            getattr(Occurrence, method)()
            self._drain(trap)
        after = Occurrence.search([])
        return after.filtered(lambda o: before.get(o.id) != self._snapshot(o)[o.id])

    def _place(self):
        return self._run_cron("_cron_place")

    def _confirm(self):
        return self._run_cron("_cron_confirm")

    def _retry(self):
        return self._run_cron("_cron_retry")

    def _run_postponed(self):
        """The jobs that asked to run later run now (time has passed)."""
        jobs, self.postponed = self.postponed, []
        with trap_jobs() as trap:
            trap.enqueued_jobs.extend(jobs)
            self._drain(trap)

    def _drain(self, trap):
        """Performs the trapped jobs in order; the jobs not performed yet stay in the trap, so
        that a job enqueued twice while pending is one job (queue_job's identity keys)."""
        if not hasattr(self, "postponed"):
            self.postponed = []
        for _performed in range(500):
            if not trap.enqueued_jobs:
                return
            job = trap.enqueued_jobs.pop(0)
            # run as Job.perform does, in the test's cursor (a job that may commit runs in a
            # cursor of its own in production)
            self.env.flush_all()
            try:
                job.func(*job.args, **job.kwargs)
            except RetryableJobError:
                if job.method_name == "_send_summary":
                    trap.enqueued_jobs.append(job)  # the stage still runs: after the rest
                else:
                    self.postponed.append(job)
            finally:
                self.env.invalidate_all()
        raise AssertionError(
            "jobs still enqueued after 500: "
            + ", ".join(
                f"{job.method_name}{job.args} on {job.recordset}" for job in trap.enqueued_jobs
            )
        )

    @staticmethod
    def _snapshot(occurrences):
        return {
            o.id: (
                o.state,
                o.charge_attempts,
                o.needs_attention,
                o.next_charge_at,
                o.sale_order_id.id,
            )
            for o in occurrences
        }


class StandingOrderChargeCommon(CycleCloseDriver, OfnWalletCommon):
    @classmethod
    def _setup_hub(cls, name, manager_login, env=None):
        """A connected hub with its manager, a weekly schedule and no cycle yet."""
        hub, manager = cls._create_hub(name, manager_login, env=env)
        hub.env["account.chart.template"].try_loading("generic_coa", hub, install_demo=False)
        hub.currency_id = hub.env.ref("base.EUR")  # the generic chart comes in USD
        account = cls._connect_hub(hub)
        schedule = hub.env["ofn.schedule"].create(
            {"name": f"{name} boxes", "company_id": hub.id, "start_date": fields.Date.today()}
        )
        return hub, manager, account, schedule

    @classmethod
    def _setup_products(cls, env=None):
        env = env or cls.env
        cls.eggs = env["product.product"].create(
            {"name": "Eggs (12)", "lst_price": 4.5, "invoice_policy": "order", "taxes_id": False}
        )
        cls.veg_box = env["product.product"].create(
            {
                "name": "Vegetable box",
                "lst_price": 18.25,
                "invoice_policy": "order",
                "taxes_id": False,
            }
        )

    @classmethod
    def _customer(cls, name, hubs, test_card=VISA, env=None):
        """A portal customer with a wallet card, allowing ``hubs`` to charge it."""
        env = env or cls.env
        login = name.lower().replace(" ", "_")
        user = new_test_user(env, login=login, groups="base.group_portal", name=name)
        customer = user.partner_id
        customer.email = f"{login}@customer.example"
        cls._save_card(customer, test_card)
        for hub in hubs:
            cls._allow(customer, hub)
        return customer

    @classmethod
    def _allow(cls, customer, hub):
        consent, client_secret = customer.env["ofn.wallet.consent"].grant(customer, hub)
        if client_secret:  # the customer passes 3-D Secure in the browser
            client = cls._sandbox_client(hub.sudo().ofn_stripe_account_id.stripe_account_id)
            client.raw_request(
                "post",
                f"/v1/setup_intents/{consent.setup_intent_id}/_authenticate",
                client_secret=client_secret,
                success="true",
            )
            consent.action_confirm()
        assert consent.state == "active", consent.reason
        return consent

    @classmethod
    def _standing(cls, customer, schedule, lines, payment_mode="card"):
        return schedule.env["ofn.standing.order"].create(
            {
                "company_id": schedule.company_id.id,
                "partner_id": customer.id,
                "schedule_id": schedule.id,
                "start_date": fields.Date.today() - timedelta(days=7),
                "payment_mode": payment_mode,
                "status": "active",
                "line_ids": [(0, 0, {"product_id": p.id, "quantity": q}) for p, q in lines],
            }
        )

    @classmethod
    def _open_cycle(cls, schedule):
        now = fields.Datetime.now()
        return schedule.env["ofn.order.cycle"].create(
            {
                "company_id": schedule.company_id.id,
                "schedule_id": schedule.id,
                "opens_at": now - timedelta(hours=1),
                "closes_at": now + timedelta(days=2),
            }
        )

    @staticmethod
    def _coming_cycle(schedule, days=1):
        """A cycle of ``schedule`` that opens in ``days`` days."""
        now = fields.Datetime.now()
        return schedule.env["ofn.order.cycle"].create(
            {
                "company_id": schedule.company_id.id,
                "schedule_id": schedule.id,
                "opens_at": now + timedelta(days=days),
                "closes_at": now + timedelta(days=days + 2),
            }
        )

    @staticmethod
    def _of(standing, cycle):
        """The standing order's occurrence in ``cycle``."""
        return standing.occurrence_ids.filtered(lambda o: o.cycle_id == cycle)

    @staticmethod
    def _close(cycle):
        now = fields.Datetime.now()
        # a cycle of the schedule closed within the same second opened a second before
        # (a schedule's cycles open at different moments)
        opens_at = now - timedelta(days=3)
        while cycle.search_count(
            [("schedule_id", "=", cycle.schedule_id.id), ("opens_at", "=", opens_at)], limit=1
        ):
            opens_at -= timedelta(seconds=1)
        cycle.write({"opens_at": opens_at, "closes_at": now - timedelta(minutes=1)})

    def _placed_and_closed(self, *schedules):
        """Opens a cycle of each schedule, places its orders and closes it; returns the
        occurrences placed."""
        cycles = self.env["ofn.order.cycle"]
        for schedule in schedules:
            cycles |= self._open_cycle(schedule)
        placed = self._place().filtered(lambda o: o.cycle_id in cycles)
        for cycle in cycles:
            self._close(cycle)
        return placed

    def _intents(self, account, occurrences):
        """The PaymentIntents on ``account`` charging these occurrences (the sandbox keeps the
        other tests' of the class too)."""
        client = self._sandbox_client(account.stripe_account_id)
        prefixes = tuple(f"OFN-SO{occurrence.id}-" for occurrence in occurrences)
        return [
            intent
            for intent in client.v1.payment_intents.list({"limit": 100}).auto_paging_iter()
            if (intent.description or "").startswith(prefixes)
        ]

    @staticmethod
    def _retry_later(occurrences):
        """Time passes: the next attempt of these occurrences is due."""
        for occurrence in occurrences:
            occurrence.sudo().next_charge_at = fields.Datetime.now() - timedelta(seconds=1)

    def _messages_to(self, partner, subject_part):
        """Messages notified to ``partner`` (an HTTP request sends its e-mails at once and
        deletes them, unlike a test transaction's)."""
        return self.env["mail.message"].search(
            [("partner_ids", "in", partner.ids), ("subject", "ilike", subject_part)]
        )

    def _mails_to(self, partner, subject_part):
        return self.env["mail.mail"].search(
            [("recipient_ids", "in", partner.ids), ("subject", "ilike", subject_part)]
        )


class StandingOrderChargeCase(StandingOrderChargeCommon, OfnWalletCase):
    pass


class OneHubCharges:
    """One connected hub (``hub_name``, managed by ``manager_login``) with a schedule and the
    products; ``_one`` gives a customer's standing order placed in a cycle that just closed."""

    hub_name = manager_login = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.manager, cls.account, cls.schedule = cls._setup_hub(
            cls.hub_name, cls.manager_login
        )
        cls._setup_products()

    def _one(self, name):
        customer = self._customer(name, [self.hub])
        self._standing(customer, self.schedule, [(self.veg_box, 1)])
        return customer, self._placed_and_closed(self.schedule)


class OneHubChargeCase(OneHubCharges, StandingOrderChargeCase):
    pass


class StandingOrderChargeHttpCase(StandingOrderChargeCommon, OfnWalletHttpCase):
    pass


class OneHubChargeHttpCase(OneHubCharges, StandingOrderChargeHttpCase):
    pass


class PortalClient:
    """A customer of ``_customer`` on /my/standing_orders, through the real routes with their
    session (an ``HttpCase``)."""

    @staticmethod
    def _login_of(customer):
        return customer.name.lower().replace(" ", "_")

    def _login(self, customer):
        self.authenticate(self._login_of(customer), self._login_of(customer))

    def _get(self, url):
        response = self.url_open(url, allow_redirects=False)
        self.env.invalidate_all()
        return response

    def _post(self, url, **data):
        response = self.url_open(
            url, data={"csrf_token": http.Request.csrf_token(self), **data}, allow_redirects=False
        )
        self.env.invalidate_all()  # the request changed records behind this test's cache
        return response

    def _flash(self, response, kind):
        """The ``message`` or ``error`` a redirection carries to /my/standing_orders."""
        self.assertEqual(response.status_code, 303, response.text[:500])
        return parse_qs(urlparse(response.headers["Location"]).query).get(kind, [""])[0]
