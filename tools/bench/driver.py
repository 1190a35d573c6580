"""``make bench``'s timed phases (ARCHITECTURE.md §6), driven from outside Odoo while tools/ofn.sh
runs a real server (HTTP workers, cron workers, the queue_job jobrunner): this driver only talks
to the database (committed data), to the server over HTTP and to the sandbox, and never runs the
business code itself. Untimed ORM steps go through ``odoo shell`` (tools/bench/shell.py).

Each phase triggers a scheduled action through the scheduler, as ``ir.cron._trigger()`` does
(its ``nextcall`` now, an ``ir_cron_trigger`` row, then NOTIFY ``cron_trigger`` on the
``postgres`` database, where the cron workers listen), and is timed until the action has run
(its ``lastcall`` moved and it is no longer due), no ``queue_job`` is waiting or running, and
what the phase is for is done:

1. placement (``ofn_standing_orders.cron_place_standing_orders``): no occurrence of the bench's
   cycles is left planned;
2. confirmation + charge (``ofn_standing_orders.cron_confirm_standing_orders``), once the cycles
   are closed: every occurrence is final (paid; failed, awaiting authentication or cancelled
   count as not paid);
3. for comparison, OCA contract's ``contract.contract_cron_for_invoice`` on N new contracts,
   without then with contract_queue_job's jobs; both leave draft invoices, posted by one
   ``action_post`` through the server's JSON-RPC (timed as "post").

Then every occurrence must be paid with exactly one PaymentIntent in the sandbox (their
description is ``OFN-SO<occurrence>-<attempt>``) and no job may have failed; otherwise the run
exits non-zero and says why. The last line of the output is the ``BENCH ...`` summary.
"""

import configparser
import os
import re
import subprocess
import sys
import time
from collections import Counter

import requests

from . import report
from .common import World, log, sandbox_client
from .measure import Database, Meter, combined

PLACE = "ofn_standing_orders.cron_place_standing_orders"
CONFIRM = "ofn_standing_orders.cron_confirm_standing_orders"
CONTRACT = "contract.contract_cron_for_invoice"
ACTIVE_JOBS = ["wait_dependencies", "pending", "enqueued", "started"]
# the jobs waiting or running, the jobs failed
JOBS = (
    "SELECT count(*) FILTER (WHERE state = ANY(%s)), count(*) FILTER (WHERE state = 'failed')"
    " FROM queue_job"
)
FINAL = ["paid", "failed", "awaiting_authentication", "cancelled"]
REFERENCE = re.compile(r"^OFN-SO(\d+)-\d+$")
# a job's request in the server's log, with the SQL statements it ran (werkzeug's line)
RUNJOB = re.compile(r"/queue_job/runjob\?\S*job_uuid=([0-9a-f-]+) HTTP/[0-9.]+\" \d+ - (\d+) ")
POLL_SECONDS = 0.2
STALL_SECONDS = 60  # a phase where nothing moves any more gives up


class Driver:
    def __init__(self):
        env = os.environ
        self.conf, self.dir = env["OFN_BENCH_CONF"], env["OFN_BENCH_DIR"]
        self.url, self.server_pid = env["OFN_BENCH_URL"], int(env["OFN_BENCH_SERVER_PID"])
        self.n, self.e = int(env["OFN_BENCH_N"]), int(env["OFN_BENCH_E"])
        self.workers, self.latency = env["OFN_BENCH_WORKERS"], float(env["OFN_BENCH_LATENCY_MS"])
        self.timeout = float(env.get("OFN_BENCH_TIMEOUT") or 3600)
        options = configparser.ConfigParser(interpolation=None)
        options.read(self.conf)
        options = options["options"]
        self.dbname = options["db_name"]
        dsn = {
            "host": options["db_host"],
            "port": options["db_port"],
            "user": options["db_user"],
            "password": None if options["db_password"] == "False" else options["db_password"],
        }
        self.db = Database(dbname=self.dbname, **dsn)
        # the cron workers LISTEN on the postgres database (ir.cron._notifydb)
        self.cron_wakeup = Database(dbname="postgres", **dsn)
        self.meter = Meter(self.db, env["OFN_STRIPE_API_BASE"], env["OFN_BENCH_SMTP_COUNT"])
        self.world = World.load()
        self.problems, self.untimed, self.notes = [], {}, []
        self.uid = self.rpc("common", "login", self.dbname, "admin", "admin")

    # ------------------------------------------------------------------------------ the server
    def step(self, name):
        """An untimed ``odoo shell`` step (tools/bench/shell.py)."""
        started = time.perf_counter()
        with open(os.path.join(os.path.dirname(__file__), "shell.py")) as script:
            subprocess.run(
                [sys.executable, "-m", "odoo", "shell", "-c", self.conf, "-d", self.dbname,
                 "--no-http", "--log-level=warn", f"--logfile={self.dir}/odoo-shell.log"],
                stdin=script, stdout=subprocess.DEVNULL, check=True,
                env={**os.environ, "OFN_BENCH_STEP": name},
            )  # fmt: skip
        self.untimed[name] = time.perf_counter() - started

    def rpc(self, service, method, *args):
        answer = requests.post(
            f"{self.url}/jsonrpc",
            json={"jsonrpc": "2.0", "method": "call",
                  "params": {"service": service, "method": method, "args": args}},
            timeout=self.timeout,
        ).json()  # fmt: skip
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']['data']['message']}")
        return answer["result"]

    def execute(self, model, method, *args):
        context = {"allowed_company_ids": self.world.hubs}
        return self.rpc(
            "object", "execute_kw", self.dbname, self.uid, "admin", model, method, args,
            {"context": context},
        )  # fmt: skip

    def run_cron(self, xmlid, unfinished=lambda: 0):
        """Triggers the scheduled action ``xmlid`` through the scheduler and waits until it has
        run, the job queue is drained and ``unfinished()`` is 0."""
        module, name = xmlid.split(".")
        cron, lastcall = self.db.one(
            "SELECT c.id, c.lastcall FROM ir_cron c JOIN ir_model_data d"
            " ON d.model = 'ir.cron' AND d.res_id = c.id WHERE d.module = %s AND d.name = %s",
            [module, name],
        )
        self.db.all(
            """WITH cron AS (UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC'
                              WHERE id = %s RETURNING id)
               INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, write_uid,
                                            create_date, write_date)
               SELECT id, now() AT TIME ZONE 'UTC', 1, 1, now() AT TIME ZONE 'UTC',
                      now() AT TIME ZONE 'UTC' FROM cron""",
            [cron],
        )
        self.cron_wakeup.all("SELECT pg_notify('cron_trigger', %s)", [self.dbname])
        deadline, progress, since = time.monotonic() + self.timeout, None, None
        while True:
            time.sleep(POLL_SECONDS)
            ran, failures = self.db.one(
                """SELECT c.lastcall IS DISTINCT FROM %s AND c.nextcall > now() AT TIME ZONE 'UTC'
                          AND NOT EXISTS (SELECT FROM ir_cron_trigger t WHERE t.cron_id = c.id
                                             AND t.call_at <= now() AT TIME ZONE 'UTC'),
                          c.failure_count
                     FROM ir_cron c WHERE c.id = %s""",
                [lastcall, cron],
            )
            jobs, failed = self.db.one(JOBS, [ACTIVE_JOBS])
            left = unfinished()
            if ran and not jobs and not left:
                break
            # stuck: nothing moves, and nothing will (the action ran and no job is left) or a
            # job failed (jobs that wait for its work may wait for ever)
            if (jobs, failed, left) != progress:
                progress, since = (jobs, failed, left), time.monotonic()
            elif time.monotonic() - since > STALL_SECONDS and ((ran and not jobs) or failed):
                self.problems.append(
                    f"{xmlid}: stuck for {STALL_SECONDS}s with {left} not done, {jobs} jobs "
                    f"waiting or running, {failed} failed"
                )
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{xmlid}: not done after {self.timeout:.0f}s")
            try:
                os.kill(self.server_pid, 0)
            except ProcessLookupError as died:
                raise SystemExit(
                    f"the Odoo server died (log: {self.dir}/odoo-server.log)"
                ) from died
        if failures:
            self.problems.append(f"{xmlid} failed (log: {self.dir}/odoo-server.log)")

    # ------------------------------------------------------------------------------ phases
    def occurrences(self, states, among=True):
        (count,) = self.db.one(
            "SELECT count(*) FROM ofn_standing_order_occurrence"
            " WHERE cycle_id = ANY(%s) AND (state = ANY(%s)) = %s",
            [self.world.cycles, states, among],
        )
        return count

    def ours(self):
        # the world was set up at full speed: from now on every Stripe call takes LATENCY_MS
        requests.post(
            f"{self.meter.sandbox_url}/_sandbox/latency", data={"ms": self.latency}, timeout=10
        ).raise_for_status()
        with self.meter.phase("1. placement") as phase:
            self.run_cron(PLACE, lambda: self.occurrences(["planned"]))
            phase.orders = self.occurrences(["placed"])
        log(f"placement: {phase.orders} orders in {phase.seconds:.1f}s")
        self.step("close_cycles")
        with self.meter.phase("2. confirmation + charge") as phase:
            self.run_cron(CONFIRM, lambda: self.occurrences(FINAL, among=False))
            phase.orders = self.occurrences(["paid"])
        log(f"confirmation: {phase.orders} orders paid in {phase.seconds:.1f}s")
        return self.meter.phases[-2:]

    def contract(self, label, step):
        """N new contracts invoiced by contract's scheduled action, then posted."""
        self.step(step)
        (last,) = self.db.one("SELECT coalesce(max(id), 0) FROM account_move")
        invoices = "SELECT id FROM account_move WHERE move_type = 'out_invoice' AND id > %s"
        with self.meter.phase(f"{label}: invoices", unit="invoice") as phase:
            self.run_cron(CONTRACT)
            phase.orders = len(self.db.all(invoices, [last]))
        drafts = [id_ for (id_,) in self.db.all(invoices + " AND state = 'draft'", [last])]
        self.notes.append(f"{label} left {len(drafts)} of its {phase.orders} invoices draft")
        with self.meter.phase(f"{label}: post", unit="invoice") as phase:
            self.execute("account.move", "action_post", drafts)
            phase.orders = len(drafts)
        posted = len(self.db.all(invoices + " AND state = 'posted'", [last]))
        if posted != self.n:
            self.problems.append(f"{label}: expected {self.n} posted invoices, found {posted}")
        log(f"{label}: {posted} invoices posted")
        return self.meter.phases[-2:]

    # ------------------------------------------------------------------------------ checks
    def verify(self):
        """Every occurrence paid with exactly one PaymentIntent, no failed job; returns the
        PaymentIntents that succeeded and the occurrences paid."""
        states = dict(
            self.db.all(
                "SELECT id, state FROM ofn_standing_order_occurrence WHERE cycle_id = ANY(%s)",
                [self.world.cycles],
            )
        )
        if Counter(states.values()) != Counter(paid=self.n):
            self.problems.append(
                f"occurrences: expected {self.n} paid, found {dict(Counter(states.values()))}"
            )
        intents = [
            intent
            for account in self.world.accounts
            for intent in sandbox_client(account)
            .v1.payment_intents.list({"limit": 100})
            .auto_paging_iter()
        ]
        per_occurrence = Counter(
            int(match[1]) for i in intents if (match := REFERENCE.match(i.description or ""))
        )
        wrong = {id_: per_occurrence[id_] for id_ in states if per_occurrence[id_] != 1}
        if wrong or len(intents) != len(states):
            self.problems.append(
                f"sandbox: {len(intents)} PaymentIntents for {len(states)} occurrences; "
                f"{len(wrong)} occurrences without exactly one (occurrence: PaymentIntents) "
                f"{dict(list(wrong.items())[:5])}"
            )
        succeeded = sum(intent.status == "succeeded" for intent in intents)
        if succeeded != len(intents):
            statuses = Counter(intent.status for intent in intents)
            self.problems.append(f"sandbox: PaymentIntents {dict(statuses)}")
        return succeeded, Counter(states.values())["paid"]

    def failed_jobs(self):
        for method, exc, count, message in self.db.all(
            "SELECT method_name, exc_name, count(*), min(exc_message) FROM queue_job"
            " WHERE state = 'failed' GROUP BY method_name, exc_name"
        ):
            self.problems.append(
                f"queue_job: {count} {method} jobs failed: {exc}: "
                f"{(message or '').partition(chr(10))[0][:200]} (log: {self.dir}/odoo-server.log)"
            )

    def sql_by_job(self):
        """Where the jobs' SQL goes: the server logs each job's request with the number of SQL
        statements it ran (``GET /queue_job/runjob?...job_uuid=... 200 - <queries> ...``); the
        queue_job table says which method each job ran. Returns [(method, runs, statements)],
        most statements first."""
        path = os.path.join(self.dir, "odoo-server.log")
        if not os.path.exists(path):
            return []
        methods = dict(self.db.all("SELECT uuid, method_name FROM queue_job"))
        runs, statements = Counter(), Counter()
        with open(path, errors="replace") as f:
            for line in f:
                found = RUNJOB.search(line)
                if found:
                    method = methods.get(found[1], "?")
                    runs[method] += 1
                    statements[method] += int(found[2])
        return [(method, runs[method], count) for method, count in statements.most_common()]

    def log_problems(self):
        """Warnings and errors the Odoo processes logged."""
        found = 0
        for name in ("odoo-server.log", "odoo-shell.log"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    found += sum(1 for line in f if re.search(r" (WARNING|ERROR|CRITICAL) ", line))
        return found


def render(driver, ours, theirs, summary):
    total = combined("ours: total", ours)
    total.orders = driver.n  # per standing order
    rows = [*map(report.row, ours), report.row(total)]
    totals = {}
    for label, phases in theirs.items():
        totals[label] = combined(f"{label}: total", phases, unit="invoice")
        rows += [None, *map(report.row, phases), report.row(totals[label])]
    untimed = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in driver.untimed.items())
    load_before, load_after = summary["load"]
    lines = [
        "",
        (
            f"make bench: N={driver.n} standing orders, E={driver.e} hubs, Stripe latency "
            f"{driver.latency:g} ms; Odoo server with {driver.workers} HTTP workers, 2 cron "
            f"workers, queue_job channels {os.environ.get('OFN_QUEUE_CHANNELS')}; "
            f"{os.cpu_count()} cores, load average {load_before:.2f} before / "
            f"{load_after:.2f} after"
        ),
        f"not timed (odoo shell): {untimed}",
        "",
        report.table(rows),
        "",
    ]
    for phase in ours:
        if phase.stripe_calls:
            lines.append(f"Stripe calls in {phase.name}: {report.endpoints(phase)}")
            lines.append(
                f"HTTP connections opened to Stripe in {phase.name}: "
                f"{phase.stripe_connections} for {phase.stripe_calls} calls, "
                f"{100 * phase.stripe_connections / phase.stripe_calls:.1f} per 100 calls"
            )
    lines.append(
        "e-mails sent (SMTP sink): "
        + ", ".join(f"{p.name} {p.emails}" for p in ours)
        + f"; left queued for Odoo's mail scheduler at the end: {summary['queued']}"
    )
    lines.append(
        f"sandbox: {summary['charged']} PaymentIntents succeeded across {driver.e} connected "
        f"accounts; {summary['paid']} occurrences paid"
    )
    lines.append(
        "contract rows count invoices (one per contract, one line each; the standing orders have"
        " 1 to 3 lines, 2 on average); "
        + "; ".join(driver.notes)
        + ", posted by one action_post through JSON-RPC"
    )
    per_order = total.seconds_per_order
    for label, theirs_total in totals.items():
        lines.append(
            f"ratio ours/{label}, seconds per order: "
            f"{per_order / theirs_total.seconds_per_order:.2f}: {per_order * 1000:.1f} ms per "
            f"standing order placed, confirmed, invoiced, posted and charged through Stripe / "
            f"{theirs_total.seconds_per_order * 1000:.1f} ms per invoice created and posted"
        )
    if summary["jobs"]:
        lines.append(
            "SQL run by the jobs, per job method (runs; statements per standing order): "
            + ", ".join(
                f"{method} {runs}; {count / driver.n:.1f}"
                for method, runs, count in summary["jobs"]
            )
        )
    evicted = [p.name for p in driver.meter.phases if p.evicted]
    if evicted:
        lines.append(
            "pg_stat_statements evicted entries during "
            + ", ".join(evicted)
            + ": their SQL counts are lower bounds"
        )
    if summary["logged"]:
        lines.append(
            f"Odoo logged {summary['logged']} warnings or errors: {driver.dir}/odoo-server.log, "
            f"{driver.dir}/odoo-shell.log"
        )
    lines.append(f"database kept: {driver.dbname}; report: {driver.dir}/report.txt")
    lines += [f"FAILED: {problem}" for problem in driver.problems]
    ratios = {label: per_order / t.seconds_per_order for label, t in totals.items()}
    lines.append(
        f"BENCH n={driver.n} e={driver.e} latency_ms={driver.latency:g} "
        f"workers={driver.workers} ms_per_order={1000 * per_order:.1f} "
        f"sql_per_order={total.per_order(total.sql):.1f} "
        f"ratio_contract={ratios['contract']:.2f} "
        f"ratio_contract_queue_job={ratios['contract_queue_job']:.2f} "
        f"charged={summary['charged']} paid={summary['paid']}"
    )
    return "\n".join(lines)


def main():
    driver = Driver()
    load_before = os.getloadavg()[0]
    ours = driver.ours()
    charged, paid = driver.verify()
    theirs = {
        "contract": driver.contract("contract", "contracts"),
        "contract_queue_job": driver.contract("contract_queue_job", "contracts_queue_job"),
    }
    driver.failed_jobs()
    summary = {
        "load": (load_before, os.getloadavg()[0]),
        "charged": charged,
        "paid": paid,
        "logged": driver.log_problems(),
        "jobs": driver.sql_by_job(),
        "queued": driver.db.one("SELECT count(*) FROM mail_mail WHERE state = 'outgoing'")[0],
    }
    print(render(driver, ours, theirs, summary), flush=True)
    sys.exit(1 if driver.problems else 0)


if __name__ == "__main__":
    main()
