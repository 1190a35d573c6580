"""The cycle-close benchmark's setup and untimed steps (ARCHITECTURE.md §6), run by ``odoo shell``
(tools/bench/shell.py) before and between the phases that tools/bench/driver.py times on a
running server.

Setup (committed): E hubs with the generic chart of accounts in EUR, each connected to the Stripe
sandbox through Connect OAuth, with a manager and a weekly schedule; N portal customers spread
over the hubs, each with a wallet card saved through a SetupIntent, consent for their hub and one
active standing order paid by card (1 to 3 lines of products without taxes); an open order cycle
for every schedule (creating it plans the occurrences). Every scheduled action is then put off a
day and the e-mails of the setup are sent, so that the server starts idle: the driver triggers
the scheduled actions it times. Between the two phases, :func:`close_cycles` moves the cycles'
dates into the past (it stands for time passing).
"""

import os
from dataclasses import dataclass
from datetime import timedelta

from stripe_sandbox.browser import decide_oauth

from odoo import fields

from .common import World, log, sandbox_client

VISA = "pm_card_visa"
PRODUCTS = [
    ("Eggs (12)", 4.5),
    ("Vegetable box", 18.25),
    ("Sourdough loaf", 5.8),
    ("Goat cheese", 7.4),
    ("Apple juice (1 l)", 3.9),
]


@dataclass
class Params:
    n: int
    e: int

    @classmethod
    def from_environ(cls):
        params = cls(n=int(os.environ["OFN_BENCH_N"]), e=int(os.environ["OFN_BENCH_E"]))
        if params.n < 1 or params.e < 1:
            raise SystemExit("N and E must be at least 1")
        return params


# ---------------------------------------------------------------------------------------- setup
def setup(env):
    """Hubs, customers, cards, consents, standing orders and an open cycle per schedule,
    committed; the scheduled actions put off; the World saved for the other steps."""
    params = Params.from_environ()
    env["ir.config_parameter"].set_param("ofn_stripe_connect.enabled", "1")
    eur = env.ref("base.EUR")
    eur.active = True
    # the set-up's own e-mails (portal invitations) are sent from an address of the platform,
    # as a production database's would, and not logged as errors: Odoo 18 reads it from the
    # companies' alias domain (the first one made is given to every company, and to the hubs
    # made after it)
    if not env["mail.alias.domain"].search_count([]):
        env["mail.alias.domain"].create({"name": "bench.example", "default_from": "notifications"})
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
    # the driver posts OCA contract's invoices as admin, through JSON-RPC
    env.ref("base.user_admin").company_ids |= hubs
    portal = env.ref("base.group_portal")
    customers = env["res.partner"]
    for index in range(params.n):
        hub, schedule = hubs[index % params.e], schedules[index % params.e]
        customer = _setup_customer(env, index, hub, portal)
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
    cycles = open_cycles(env, schedules)
    quiet_crons(env)
    env.cr.commit()  # pylint: disable=invalid-commit
    planned = env["ofn.standing.order.occurrence"].search_count([("cycle_id", "in", cycles.ids)])
    log(f"setup: {len(cycles)} cycles open, {planned} occurrences planned")
    accounts = [hub.ofn_stripe_account_id.stripe_account_id for hub in hubs]
    World(hubs.ids, accounts, schedules.ids, products.ids, customers.ids, cycles.ids).save()


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
    accounts = env["ofn.stripe.account"]
    answer = decide_oauth(accounts.oauth_authorize_url(hub, "http://127.0.0.1/callback"))
    account = accounts.connect_oauth(hub, answer["code"])
    if account.state != "connected" or account.provider_id.state != "enabled":
        raise RuntimeError(f"{name} is not connected: {account.state}")
    schedule = env["ofn.schedule"].create(
        {"name": f"{name} boxes", "company_id": hub.id, "start_date": fields.Date.today()}
    )
    return hub, schedule


def _setup_customer(env, index, hub, portal):
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
    started = customer.action_ofn_start_card_setup()
    sandbox_client().v1.setup_intents.confirm(started["setup_intent"], {"payment_method": VISA})
    customer.action_ofn_save_card(started["setup_intent"])
    consent, client_secret = env["ofn.wallet.consent"].grant(customer, hub)
    if client_secret or consent.state != "active":
        raise RuntimeError(f"{login}: consent for {hub.name} is {consent.state} ({consent.reason})")
    return customer


# ---------------------------------------------------------------------------------------- steps
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


def quiet_crons(env):
    """No scheduled action is due before a day, none is triggered, no e-mail is queued: what
    the server does from its start is what the driver triggers."""
    env["ir.cron.trigger"].search([]).unlink()
    env["ir.cron"].search([]).write({"nextcall": fields.Datetime.now() + timedelta(days=1)})
    env["mail.mail"].process_email_queue(batch_size=100000)


def close_cycles(env):
    now = fields.Datetime.now()
    cycles = env["ofn.order.cycle"].browse(World.load().cycles)
    cycles.write({"opens_at": now - timedelta(days=3), "closes_at": now - timedelta(minutes=1)})
    env.cr.commit()  # pylint: disable=invalid-commit
