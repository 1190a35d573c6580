"""The cycle-close benchmark (ARCHITECTURE.md §6), run by ``make bench`` inside ``odoo shell``.

Setup (not timed, committed): E hubs with the generic chart of accounts in EUR, each connected to
the Stripe sandbox through Connect OAuth, with a manager and a weekly schedule; N portal customers
spread over the hubs, each with a wallet card saved through a SetupIntent, consent for their hub
and one active standing order paid by card (1 to 3 lines of products without taxes).

Timed phases, each ending with the commit the cron would make:

1. placement: an open order cycle for every schedule (creating it makes the occurrences), then
   the placement job (``ofn.cycle.placer``);
2. confirmation: once the cycles are closed (their dates moved into the past, not timed: it
   stands for time passing), the confirmation job (``ofn.cycle.confirmer._cron_confirm``):
   confirm, invoice, post, credit and an off-session charge per order, one commit each.

Then (not timed) every occurrence must be paid and the sandbox must hold exactly N
PaymentIntents across the E connected accounts; otherwise the run exits non-zero. With OCA
``contract`` installed (``OFN_BENCH_CONTRACT``), N contracts are invoiced on the same database
for comparison (:mod:`bench.oca_contract`).
"""

import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import stripe
from stripe_sandbox.browser import decide_oauth

from odoo import fields

from . import oca_contract, report
from .measure import Meter, StripeCallCounter, combined

VISA = "pm_card_visa"
PRODUCTS = [
    ("Eggs (12)", 4.5),
    ("Vegetable box", 18.25),
    ("Sourdough loaf", 5.8),
    ("Goat cheese", 7.4),
    ("Apple juice (1 l)", 3.9),
]


@dataclass
class World:
    """What the setup made (committed)."""

    hubs: object  # res.company
    schedules: object  # ofn.schedule, one per hub
    products: object  # product.product
    customers: object  # res.partner


@dataclass
class Params:
    n: int
    e: int
    latency_ms: float
    contract: str  # the OCA contract version installed, or "" when it is not available
    smtp_count_file: str
    profile_dir: str
    sandbox_url: str
    secret_key: str

    @classmethod
    def from_environ(cls):
        params = cls(
            n=int(os.environ.get("OFN_BENCH_N", "500")),
            e=int(os.environ.get("OFN_BENCH_E", "20")),
            latency_ms=float(os.environ.get("OFN_BENCH_LATENCY_MS") or 0),
            contract=os.environ.get("OFN_BENCH_CONTRACT", ""),
            smtp_count_file=os.environ.get("OFN_BENCH_SMTP_COUNT", ""),
            profile_dir=os.environ.get("OFN_BENCH_PROFILE_DIR", ""),
            sandbox_url=os.environ["OFN_STRIPE_API_BASE"].rstrip("/"),
            secret_key=os.environ["OFN_STRIPE_SECRET_KEY"],
        )
        if params.n < 1 or params.e < 1:
            raise SystemExit("N and E must be at least 1")
        if not params.sandbox_url.startswith("http://127.0.0.1:"):
            raise SystemExit("the benchmark only ever talks to the local Stripe sandbox")
        return params

    def sandbox_client(self, account=None):
        return stripe.StripeClient(
            self.secret_key,
            stripe_account=account,
            base_addresses={"api": self.sandbox_url, "connect": self.sandbox_url},
            max_network_retries=0,
        )

    def emails_sent(self):
        """Messages the SMTP sink accepted so far (``None`` without a sink)."""
        if not self.smtp_count_file:
            return None
        with open(self.smtp_count_file) as f:
            return int(f.read().strip() or 0)


_STARTED = time.monotonic()


def log(message):
    print(f"[bench {time.monotonic() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- setup
def setup(env, params):
    """Hubs, customers, cards, consents and standing orders; committed. Returns the World."""
    env["ir.config_parameter"].set_param("ofn_stripe_connect.enabled", "1")
    eur = env.ref("base.EUR")
    eur.active = True
    products = env["product.product"].create(
        [
            {"name": name, "lst_price": price, "invoice_policy": "order", "taxes_id": False}
            for name, price in PRODUCTS
        ]
    )
    env.cr.commit()  # pylint: disable=invalid-commit
    hubs = env["res.company"]
    schedules = env["ofn.schedule"]
    for index in range(params.e):
        hub, schedule = _setup_hub(env, f"Bench Hub {index + 1:03d}", eur)
        hubs |= hub
        schedules |= schedule
        env.cr.commit()  # pylint: disable=invalid-commit
        account = hub.ofn_stripe_account_id.stripe_account_id
        log(f"setup: hub {index + 1}/{params.e} connected ({account})")
    portal = env.ref("base.group_portal")
    customers = env["res.partner"]
    for index in range(params.n):
        hub, schedule = hubs[index % params.e], schedules[index % params.e]
        customer = _setup_customer(env, params, index, hub, portal)
        customers |= customer
        lines = [
            (0, 0, {"product_id": products[(index + k) % len(products)].id, "quantity": 1 + k})
            for k in range(1 + index % 3)
        ]
        env["ofn.standing.order"].create(
            {
                "company_id": hub.id,
                "partner_id": customer.id,
                "schedule_id": schedule.id,
                "start_date": fields.Date.today() - timedelta(days=7),
                "payment_mode": "card",
                "status": "active",
                "line_ids": lines,
            }
        )
        env.cr.commit()  # pylint: disable=invalid-commit
        if (index + 1) % 50 == 0 or index + 1 == params.n:
            log(f"setup: {index + 1}/{params.n} customers with a card, consent, standing order")
    return World(hubs, schedules, products, customers)


def _setup_hub(env, name, eur):
    """A connected hub as the tests make one (ofn_standing_orders/tests/common.py)."""
    slug = name.lower().replace(" ", "-")
    # no country: outside tests, Odoo would install that country's localisation modules; and
    # no company enrichment from Odoo's IAP service (partner_autocomplete) over the internet
    values = {"name": name, "currency_id": eur.id, "email": f"{slug}@hub.example"}
    if "iap_enrich_auto_done" in env["res.company"]._fields:
        values["iap_enrich_auto_done"] = True
    hub = env["res.company"].create(values)
    env["account.chart.template"].try_loading("generic_coa", hub, install_demo=False)
    hub.currency_id = eur  # the generic chart comes in USD
    env["res.users"].with_context(no_reset_password=True).create(
        {
            "name": f"{name} manager",
            "login": f"{slug}-manager",
            "email": f"manager@{slug}.hub.example",
            "company_id": hub.id,
            "company_ids": [(6, 0, hub.ids)],
            "groups_id": [
                (6, 0, [env.ref("ofn_stripe_connect.group_ofn_hub_manager").id]),
            ],
        }
    )
    # Connect OAuth on the sandbox's page, as ofn_stripe_connect/tests/common.py _connect_hub
    gateway = env["ofn.stripe.gateway"]
    state = env["ofn.stripe.oauth.state"]._issue(hub)
    answer = decide_oauth(gateway.oauth_authorize_url("http://127.0.0.1/callback", state))
    account_id = gateway.oauth_token(answer["code"])["stripe_user_id"]
    account = env["ofn.stripe.connector"].connect(hub, account_id, "oauth")
    if account.state != "connected" or account.provider_id.state != "enabled":
        raise RuntimeError(f"{name} is not connected: {account.state}")
    schedule = env["ofn.schedule"].create(
        {"name": f"{name} boxes", "company_id": hub.id, "start_date": fields.Date.today()}
    )
    return hub, schedule


def _setup_customer(env, params, index, hub, portal):
    """A portal customer with a wallet card (ofn_customer_wallet/tests/common.py _save_card)
    allowing ``hub`` to charge it."""
    login = f"bench-customer-{index + 1:05d}"
    user = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": f"Customer {index + 1:05d}",
                "login": login,
                "email": f"{login}@customer.example",
                "groups_id": [(6, 0, portal.ids)],
            }
        )
    )
    customer = user.partner_id
    saver = env["ofn.wallet.card.saver"]
    started = saver.start(customer)
    params.sandbox_client().v1.setup_intents.confirm(
        started["setup_intent"], {"payment_method": VISA}
    )
    saver.finish(customer, started["setup_intent"])
    consent, client_secret = env["ofn.consent.granter"].grant(customer, hub)
    if client_secret or consent.state != "active":
        raise RuntimeError(f"{login}: consent for {hub.name} is {consent.state} ({consent.reason})")
    return customer


# ---------------------------------------------------------------------------------------- phases
def open_cycles(env, schedules):
    now = fields.Datetime.now()
    return env["ofn.order.cycle"].create(
        [
            {
                "company_id": schedule.company_id.id,
                "schedule_id": schedule.id,
                "opens_at": now - timedelta(hours=1),
                "closes_at": now + timedelta(days=2),
            }
            for schedule in schedules
        ]
    )


def close_cycles(cycles):
    now = fields.Datetime.now()
    cycles.write({"opens_at": now - timedelta(days=3), "closes_at": now - timedelta(minutes=1)})


def run_phases(env, schedules, meter):
    """The two timed phases; returns the cycles and the untimed closing's seconds."""
    env.invalidate_all()
    with meter.phase("1. placement") as phase:
        cycles = open_cycles(env, schedules)
        placed = env["ofn.cycle.placer"].place()
        env.cr.commit()  # pylint: disable=invalid-commit
        phase.orders = len(placed.filtered(lambda o: o.state == "placed"))
    log(f"placement: {phase.orders} orders in {phase.seconds:.1f}s")

    started = time.perf_counter()
    close_cycles(cycles)
    env.cr.commit()  # pylint: disable=invalid-commit
    closing = time.perf_counter() - started
    env.invalidate_all()

    with meter.phase("2. confirmation + charge") as phase:
        env["ofn.cycle.confirmer"]._cron_confirm()
        env.cr.commit()  # pylint: disable=invalid-commit
        phase.orders = env["ofn.standing.order.occurrence"].search_count(
            [("cycle_id", "in", cycles.ids), ("state", "=", "paid")]
        )
    log(f"confirmation: {phase.orders} orders paid in {phase.seconds:.1f}s")
    return cycles, closing


# ---------------------------------------------------------------------------------------- checks
def verify(env, params, hubs, cycles):
    """Problems found (empty: all good)."""
    env.invalidate_all()
    problems = []
    occurrences = env["ofn.standing.order.occurrence"].search([("cycle_id", "in", cycles.ids)])
    states = Counter(occurrences.mapped("state"))
    if len(occurrences) != params.n or states != Counter({"paid": params.n}):
        problems.append(f"occurrences: expected {params.n} paid, found {dict(states)}")
    unpaid = occurrences.invoice_id.filtered(
        lambda move: move.payment_state not in ("paid", "in_payment")
    )
    if unpaid or len(occurrences.invoice_id) != params.n:
        problems.append(
            f"invoices: {len(occurrences.invoice_id)} for {params.n} orders, {len(unpaid)} unpaid"
        )
    intents = Counter()
    for hub in hubs:
        account = hub.sudo().ofn_stripe_account_id.stripe_account_id
        client = params.sandbox_client(account)
        for intent in client.v1.payment_intents.list({"limit": 100}).auto_paging_iter():
            intents[intent.status] += 1
    if sum(intents.values()) != params.n or intents["succeeded"] != params.n:
        problems.append(
            f"sandbox: expected {params.n} succeeded PaymentIntents across {params.e} accounts, "
            f"found {dict(intents)}"
        )
    return problems, sum(intents.values())


# ---------------------------------------------------------------------------------------- main
def main(env):
    params = Params.from_environ()
    counter = StripeCallCounter(params.sandbox_url).install()
    meter = Meter(counter, emails=params.emails_sent, profile_dir=params.profile_dir)
    load_before = os.getloadavg()[0]
    log(f"setup: {params.n} standing orders across {params.e} hubs (not timed)")
    started = time.perf_counter()
    world = setup(env, params)
    untimed = {"setup": time.perf_counter() - started}
    cycles, untimed["closing the cycles"] = run_phases(env, world.schedules, meter)
    problems, intents = verify(env, params, world.hubs, cycles)
    ours = meter.phases[:]
    if params.contract:
        log(f"OCA contract {params.contract}: {params.n} contracts across {params.e} hubs")
        problems += oca_contract.run(env, params, world, meter, log)
    theirs = meter.phases[len(ours) :]
    counter.uninstall()
    summary = {
        "load": (load_before, os.getloadavg()[0]),
        "untimed": untimed,
        "intents": intents,
        "database": env.cr.dbname,
    }
    print(render(params, ours, theirs, summary), flush=True)
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}", flush=True)
        raise SystemExit(1)


def render(params, ours, theirs, summary):
    rows = [report.row(phase) for phase in ours]
    rows.append(report.row(combined("ours: total", ours)))
    rows.append(None)
    if theirs:
        rows += [report.row(phase) for phase in theirs]
        rows.append(report.row(combined("contract: total", theirs, unit="invoice")))
    else:
        rows.append(("contract: not available", *["-"] * (len(report.COLUMNS) - 1)))
    load_before, load_after = summary["load"]
    untimed = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in summary["untimed"].items())
    lines = [
        "",
        (
            f"make bench: N={params.n} standing orders, E={params.e} hubs, Stripe latency "
            f"{params.latency_ms:g} ms, {os.cpu_count()} cores, load average "
            f"{load_before:.2f} before / {load_after:.2f} after"
        ),
        f"not timed: {untimed}",
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
    emails = [f"{phase.name} {phase.emails}" for phase in ours if phase.emails is not None]
    if emails:
        lines.append("e-mails sent (SMTP sink): " + ", ".join(emails))
    lines.append(
        f"sandbox: {summary['intents']} PaymentIntents across {params.e} connected accounts"
    )
    if theirs:
        lines.append(
            "contract rows count invoices (one per contract, one line each; the standing orders "
            "have 1 to 3 lines, 2 on average)"
        )
        ours_total, theirs_total = combined("ours", ours), combined("theirs", theirs)
        per_invoice = theirs_total.seconds_per_order
        lines.append(
            f"ratio ours/theirs, seconds per order: "
            f"{ours_total.seconds_per_order / per_invoice:.2f} "
            f"(confirmation + charge alone: {ours[-1].seconds_per_order / per_invoice:.2f}): "
            f"{ours_total.seconds_per_order * 1000:.1f} ms per standing order placed, "
            f"confirmed, invoiced, posted and charged through Stripe / "
            f"{per_invoice * 1000:.1f} ms per OCA contract {params.contract} invoice created "
            f"and posted (no payment)"
        )
    else:
        lines.append("contract: not available")
    if params.profile_dir:
        lines.append(f"profiled (times inflated): cProfile stats in {params.profile_dir}")
    lines.append(f"database kept: {summary['database']}")
    return "\n".join(lines)
