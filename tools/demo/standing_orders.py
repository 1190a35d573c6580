"""Standing orders of the demo, loaded by seed.py (inside ``odoo shell``) once the hubs, the
customers, their cards and consents exist.

For each connected hub: a catalogue, "Weekly veg box" (every week) and "Fortnightly dairy" (every
two weeks), a past cycle confirmed and paid, a cycle open now with its orders placed, cycles
planned ahead, and standing orders in every state. Green Valley's last dairy cycle closed
yesterday with its orders placed and NOT confirmed, one customer per outcome of the
confirmation job; Orchard Lane's last cycle too, and Orchard Lane then disconnected its Stripe
account. Running "Food hubs: confirm, invoice and charge the standing orders of closed cycles"
(Settings > Technical > Scheduled Actions > Run Manually) shows every outcome. Daniel's card was
declined at last week's close: he pays those two orders on the portal ("Pay now") with his
second card. Riverside's weekly cycle closes in two days and its check before the close has run:
two payments are at risk (Hugo's card expired, Alice no longer allows the hub), both were
e-mailed what to do and the hub's managers got the list.

Customers start their own standing orders on the subscription pages of two schedules: Riverside's
weekly veg box (started at once) and Green Valley's (the hub approves each new one: Inès's waits
for it, made as her subscription would have made it).

Days are counted from today (the cycles are where a real hub's would be this week); times are
the hub's local time, as the schedules say.
"""

from collections import Counter
from datetime import timedelta

import pytz
import requests

from odoo import fields

from odoo.addons.ofn_standing_orders.models.ofn_schedule import local_hour_to_utc
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

# product key: (name, price)
CATALOGUE = {
    "veg_large": ("Vegetable box (large)", 24.00),
    "veg_small": ("Vegetable box (small)", 15.50),
    "eggs": ("Free-range eggs (6)", 3.90),
    "bread": ("Sourdough loaf", 5.20),
    "fruit": ("Seasonal fruit bag", 9.80),
    "asparagus": ("Asparagus bunch (seasonal)", 6.50),  # out of season: no longer sold
    "milk": ("Raw milk (1 L)", 1.80),
    "yoghurt": ("Farmhouse yoghurt (500 g)", 3.40),
    "cheddar": ("Aged cheddar (250 g)", 6.90),
    "butter": ("Butter (250 g)", 4.20),
}

# schedule key: (name, interval, opens on (days from today), open for (days), plan ahead (weeks))
SCHEDULES = {
    "greenvalley": {
        # opened two days ago, closes in two days: open now; last week's is the past cycle
        "weekly": ("Weekly veg box", "weekly", -2, 4, 4),
        # opened four days ago, closed yesterday at 18:00: the cycle ready to be confirmed
        "dairy": ("Fortnightly dairy", "weeks", -4, 3, 4),
    },
    "riverside": {
        "weekly": ("Weekly veg box", "weekly", -1, 3, 4),
        # opens in three days: upcoming
        "dairy": ("Fortnightly dairy", "weeks", 3, 3, 4),
    },
    "orchardlane": {
        # closed yesterday; the hub disconnected its Stripe account since
        "weekly": ("Weekly veg box", "weekly", -4, 3, 2),
    },
}
OPENS_HOUR, CLOSES_HOUR = 8.0, 18.0

# what customers may subscribe to on a schedule's page: (hub, schedule) -> product key ->
# (min, max) per cycle; the products are flagged "Offered for standing orders"
OFFERS = {
    ("riverside", "weekly"): {
        "veg_small": (1, 3),
        "veg_large": (1, 2),
        "eggs": (1, 6),
        "bread": (1, 4),
    },
    ("greenvalley", "weekly"): {"veg_small": (1, 2), "veg_large": (1, 2), "fruit": (1, 3)},
}
# the hubs whose new standing orders (started by customers) wait for their approval
APPROVING_HUBS = ("greenvalley",)

OLD, NEW = -35, -3  # start dates (days from today): before the past cycles / after them
# (customer login, hub, schedule, lines, payment mode, status, start, end, what it shows)
# fmt: off
STANDING_ORDERS = [
    # --- Green Valley, fortnightly dairy: the cycle that closed yesterday, one outcome each
    ("alice", "greenvalley", "dairy", {"milk": 2, "yoghurt": 1, "cheddar": 1, "butter": 1},
     "card", "active", NEW, None, "paid: $12.00 of credit, the rest by card"),
    ("bruno", "greenvalley", "dairy", {"milk": 3, "yoghurt": 2},
     "card", "active", NEW, None, "3-D Secure: waits for Bruno, link e-mailed"),
    ("daniel", "greenvalley", "dairy", {"cheddar": 2, "butter": 1},
     "card", "active", OLD, None, "declined: Daniel reported his card lost"),
    ("emma", "greenvalley", "dairy", {"milk": 4, "yoghurt": 2},
     "card", "active", OLD, None, "no consent: Emma withdrew it after the order was placed"),
    ("farid", "greenvalley", "dairy", {"butter": 2, "cheddar": 1},
     "card", "active", OLD, None, "card deleted after the order was placed"),
    ("gabrielle", "greenvalley", "dairy", {"milk": 2, "cheddar": 1},
     "card", "active", OLD, None, "paid by card"),
    ("ines", "greenvalley", "dairy", {"milk": 2, "yoghurt": 1},
     "card", "active", OLD, None, "paid by card"),
    ("julien", "greenvalley", "dairy", {"milk": 2, "butter": 1},
     "invoice", "active", OLD, None, "pay on invoice: invoiced, not charged"),
    ("chloe", "greenvalley", "dairy", {"yoghurt": 2},
     "invoice", "draft", NEW, None, "draft"),
    ("lea", "greenvalley", "dairy", {"cheddar": 1},
     "card", "cancelled", NEW, None, "cancelled before it started"),
    # --- Green Valley, weekly veg box: last week's cycle paid, this week's open
    ("alice", "greenvalley", "weekly", {"veg_large": 1, "eggs": 1},
     "card", "active", NEW, None, "placed in the open cycle"),
    ("bruno", "greenvalley", "weekly", {"veg_small": 1},
     "card", "draft", NEW, None, "draft"),
    ("chloe", "greenvalley", "weekly", {"veg_small": 1, "bread": 1},
     "invoice", "active", NEW, None, "placed, pay on invoice"),
    ("daniel", "greenvalley", "weekly", {"veg_large": 1},
     "card", "active", OLD, None, "card declined last week: Daniel pays it on the portal"),
    ("emma", "greenvalley", "weekly", {"veg_small": 1},
     "card", "paused", OLD, None, "paused after last week: not placed this week"),
    ("farid", "greenvalley", "weekly", {"fruit": 1},
     "card", "cancelled", OLD, None, "paid last week, then cancelled"),
    ("gabrielle", "greenvalley", "weekly", {"veg_large": 1, "bread": 1},
     "card", "active", OLD, None, "paid last week, placed this week"),
    ("ines", "greenvalley", "weekly", {"veg_small": 1, "eggs": 2},
     "card", "active", OLD, -6, "ended after last week"),
    ("julien", "greenvalley", "weekly", {"veg_large": 1},
     "invoice", "active", OLD, None, "invoice paid last week, skips this week"),
    ("lea", "greenvalley", "weekly", {"asparagus": 2},
     "card", "active", NEW, None, "nothing to order: asparagus is out of season"),
    ("ines", "greenvalley", "weekly", {"veg_small": 1, "fruit": 1},
     "card", "pending", NEW, None, "subscribed again on the page: waits for the hub's approval"),
    # --- Riverside
    ("alice", "riverside", "weekly", {"veg_small": 1, "bread": 1},
     "card", "active", OLD, None, "paid last week, placed; at risk: no longer allows the hub"),
    ("daniel", "riverside", "weekly", {"eggs": 2, "fruit": 1},
     "card", "active", OLD, None, "card declined last week: Daniel pays it on the portal"),
    ("gabrielle", "riverside", "weekly", {"veg_large": 1},
     "card", "active", OLD, None, "paid last week, placed this week"),
    ("hugo", "riverside", "weekly", {"veg_large": 1, "eggs": 2},
     "card", "active", OLD, None, "paid last week, placed; at risk: his card expired"),
    ("julien", "riverside", "weekly", {"veg_small": 1},
     "invoice", "active", OLD, None, "invoice paid last week, placed this week"),
    ("ines", "riverside", "weekly", {"eggs": 1},
     "card", "cancelled", OLD, None, "paid last week, then cancelled"),
    ("lea", "riverside", "weekly", {"fruit": 1},
     "card", "active", -60, -20, "ended"),
    ("alice", "riverside", "dairy", {"yoghurt": 2},
     "card", "active", NEW, None, "planned in the coming cycles"),
    ("emma", "riverside", "dairy", {"milk": 2, "yoghurt": 1},
     "card", "active", NEW, None, "planned in the coming cycles"),
    ("hugo", "riverside", "dairy", {"cheddar": 1, "butter": 1},
     "card", "paused", NEW, None, "paused"),
    ("lea", "riverside", "dairy", {"milk": 1},
     "card", "draft", NEW, None, "draft"),
    # --- Orchard Lane: its last cycle closed, then it disconnected from Stripe
    ("gabrielle", "orchardlane", "weekly", {"veg_small": 1, "fruit": 1},
     "card", "active", NEW, None, "hub disconnected: nothing can be charged"),
]
# fmt: on


def seed(env, hubs, customers, sandbox_url):
    """``hubs``: slug -> res.company; ``customers``: login slug -> res.partner. Returns the
    lines for demo-logins.txt (nothing when the demo already has schedules)."""
    if env["ofn.schedule"].with_context(active_test=False).search_count([]):
        return _instructions(env["ofn.standing.order"].search_count([])) + (
            _subscription_instructions(env)
        )
    today = fields.Date.context_today(env["ofn.schedule"])
    Cycle = env["ofn.order.cycle"]

    # 1. catalogues and schedules
    # Riverside checks its card payments three days before a cycle closes (this week's, closing
    # in two days at 18:00, is in its check whatever the time of day)
    hubs["riverside"].write(
        {
            "ofn_charge_retries": 3,
            "ofn_charge_retry_delay_hours": 12,
            "ofn_pre_close_check_hours": 72,
        }
    )
    products, schedules = {}, {}
    for slug, hub_schedules in SCHEDULES.items():
        hub = hubs[slug]
        _chart(env, hub)
        for key, (name, price) in CATALOGUE.items():
            products[slug, key] = (
                env["product.product"]
                .with_company(hub)
                .create(
                    {
                        "name": name,
                        "lst_price": price,
                        "type": "consu",
                        "invoice_policy": "order",
                        "taxes_id": False,
                        "company_id": hub.id,
                        "ofn_standing_order_ok": any(
                            key in offered
                            for (offering, _schedule), offered in OFFERS.items()
                            if offering == slug
                        ),
                    }
                )
            )
        for key, (name, interval, opens_in, days, horizon) in hub_schedules.items():
            first_opening = today + timedelta(days=opens_in - 28)  # same weekday, 4 weeks back
            schedules[slug, key] = env["ofn.schedule"].create(
                {
                    "name": name,
                    "company_id": hub.id,
                    "interval": interval,
                    "interval_weeks": 2,
                    "opens_weekday": str(first_opening.weekday()),
                    "opens_hour": OPENS_HOUR,
                    "duration_days": days,
                    "closes_hour": CLOSES_HOUR,
                    "start_date": first_opening,
                    "horizon_weeks": horizon,
                }
            )

    _offer_subscriptions(hubs, products, schedules)

    # 2. standing orders: created active (or draft, or waiting for the hub's approval as a
    #    customer's subscription makes it); paused and cancelled later, as in life
    standing = []
    for login, slug, key, lines, mode, status, start, end, note in STANDING_ORDERS:
        order = env["ofn.standing.order"].create(
            {
                "company_id": hubs[slug].id,
                "partner_id": customers[login].id,
                "schedule_id": schedules[slug, key].id,
                "start_date": today + timedelta(days=start),
                "end_date": end is not None and today + timedelta(days=end),
                "payment_mode": mode,
                "status": status if status in ("draft", "pending") else "active",
                "origin": "customer" if status == "pending" else "hub",
                "line_ids": [
                    (0, 0, {"product_id": products[slug, product].id, "quantity": quantity})
                    for product, quantity in lines.items()
                ],
            }
        )
        standing.append((order, status, note))

    def by(login, slug, key):
        return next(
            order
            for order, _status, _note in standing
            if order.partner_id == customers[login] and order.schedule_id == schedules[slug, key]
        )

    # 3. last week's cycles: placed, closed, confirmed and paid (pay on invoice: paid by
    #    bank transfer), but Daniel had reported his card lost: his bank declines it since,
    #    his orders wait for him to pay them on the portal ("Pay now", with his second card)
    past = Cycle
    for slug in ("greenvalley", "riverside"):
        past |= _last_closed_cycle(env, schedules[slug, "weekly"], today)
    _place(past)
    daniel_card = customers["daniel"].ofn_default_card()
    requests.post(
        sandbox_url + "/_sandbox/cards/block",
        data={"payment_method": daniel_card.stripe_payment_method},
        timeout=10,
    ).raise_for_status()
    env["ofn.standing.order.occurrence"]._cron_confirm()
    _run_queue(env)
    _backdate(past)
    for occurrence in past.mapped(_occurrences):
        invoice = occurrence.invoice_id
        if occurrence.standing_order_id.payment_mode == "invoice" and (
            invoice.payment_state == "not_paid"
        ):
            env["account.payment.register"].with_company(invoice.company_id).with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({}).action_create_payments()

    # 4. changes of heart since then
    for order, status, _note in standing:
        if status in ("paused", "cancelled"):
            order._stop(status, "keep")  # what the hub answers in the pause/cancel dialog

    # 5. the cycles that closed yesterday: orders placed, the confirmation has NOT run. Then
    #    what happened to some customers since the placement.
    ready = _last_closed_cycle(env, schedules["greenvalley", "dairy"], today)
    orchard = _last_closed_cycle(env, schedules["orchardlane", "weekly"], today)
    _place(ready | orchard)
    _backdate(ready | orchard)
    emma_consent = customers["emma"].ofn_consent_ids.filtered(
        lambda consent: consent.company_id == hubs["greenvalley"]
    )
    emma_consent.revoke("I'd rather pay at pick-up")
    customers["farid"].ofn_default_card().action_ofn_remove_from_wallet()
    orchard_manager = env["res.users"].search([("login", "=", "orchardlane@demo.example")])
    hubs["orchardlane"].with_user(orchard_manager).action_ofn_stripe_disconnect()

    # 6. cycles planned ahead (this week's open ones included), then the placement job
    #    (asparagus went out of season); Julien skips this week on the portal
    all_schedules = env["ofn.schedule"].browse([s.id for s in schedules.values()])
    all_schedules.action_generate_cycles()
    products["greenvalley", "asparagus"].sale_ok = False
    julien_week = by("julien", "greenvalley", "weekly").occurrence_ids.filtered(
        lambda o: o.cycle_id.state == "open"
    )
    env["ofn.standing.order.occurrence"]._cron_place()
    _run_queue(env)
    julien_week._skip()  # the portal's "skip this cycle": his quotation, placed, is cancelled

    # 7. Riverside's weekly cycle closes in two days: Hugo's card expired (his bank sent him a
    #    new one he has not saved yet) and Alice no longer allows Riverside; the hourly check
    #    finds both, e-mails them what to do and the hub's managers the list
    _check_before_close(env, customers, hubs["riverside"], schedules["riverside", "weekly"])

    # 8. the confirmation job waits for the hub to run it by hand (Run Manually): tomorrow
    cron = env.ref("ofn_standing_orders.cron_confirm_standing_orders")
    cron.nextcall = fields.Datetime.now() + timedelta(days=1)

    _print_summary(env, standing, ready | orchard)
    return _instructions(len(standing)) + _subscription_instructions(env)


def _offer_subscriptions(hubs, products, schedules):
    """The schedules customers may subscribe to (OFFERS), and the hubs approving them."""
    for (slug, key), offered in OFFERS.items():
        schedules[slug, key].write(
            {
                "subscribe_ok": True,
                "offer_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": products[slug, product].id,
                            "min_quantity": low,
                            "max_quantity": high,
                        },
                    )
                    for product, (low, high) in offered.items()
                ],
            }
        )
    for slug in APPROVING_HUBS:
        hubs[slug].ofn_subscription_approval = True


def _subscription_instructions(env):
    """The subscription links to share, for demo-logins.txt."""
    lines = [
        "",
        "Subscribe (customers start their own standing orders; share these links):",
    ]
    for schedule in env["ofn.schedule"].search([("subscribe_ok", "=", True)]):
        hub = schedule.company_id
        lines.append(f"  {hub.name}, {schedule.name}: {schedule.subscribe_url}")
        if hub.ofn_subscription_approval:
            lines.append(
                "    (new ones wait for the hub's approval: Food Hubs > Standing orders > To"
                " approve, as its manager; Inès's is waiting)"
            )
    lines.append(
        "  Try: open a link in a private window, sign up as a new customer, choose a box and pay"
        " with a new card (4000 0025 0000 3155: 3-D Secure when it is saved and when the hub is"
        " allowed, none when the hub charges it at the close); it is on My Account >"
        " Standing orders."
    )
    return lines


def _instructions(count):
    """What demo-logins.txt says about the standing orders."""
    return [
        "",
        "Standing orders (Food Hubs > Standing orders; as a hub manager or admin):",
        f"  {count} at Green Valley, Riverside and Orchard Lane, in every state;",
        "  last week's cycles paid, this week's open with their orders placed.",
        "  Green Valley's dairy cycle (and Orchard Lane's) closed yesterday, not confirmed yet:",
        '  in developer mode, Settings > Technical > Scheduled Actions > "Food hubs: confirm,',
        '  invoice and charge the standing orders of closed cycles" > Run Manually, then',
        "  Food Hubs > Standing orders > Orders by cycle shows every outcome: paid by card,",
        "  paid partly by credit, pay on invoice, waiting for 3-D Secure, card declined,",
        "  no consent, card deleted, hub disconnected.",
        "  Riverside's weekly cycle closes in two days: Hugo's and Alice's payments are at risk",
        "  (e-mails in Settings > Technical > Emails; Hugo's card is flagged on his Wallet).",
        "  Pay now: daniel@demo.example's card was declined last week (Green Valley's and",
        "  Riverside's veg boxes): My Account > Standing orders > Pay now, with his second card",
        "  (or a new one, e.g. 4000 0027 6000 3184 for 3-D Secure).",
    ]


def _check_before_close(env, customers, hub, schedule):
    """Two payments of the hub's open cycle at risk, and the check run (its jobs too)."""
    cycle = schedule.env["ofn.order.cycle"].search(
        [("schedule_id", "=", schedule.id), ("state", "=", "open")], limit=1
    )
    year, month = cycle.closes_at.year, cycle.closes_at.month
    hugo_card = customers["hugo"].ofn_default_card()
    hugo_card.write(  # his last valid month ended before the close
        {
            "ofn_card_exp_month": month - 1 if month > 1 else 12,
            "ofn_card_exp_year": year if month > 1 else year - 1,
        }
    )
    customers["alice"].ofn_consent_for(hub).revoke("I'll pay at the market this week")
    env["ofn.standing.order.occurrence"]._cron_pre_close_check()
    _run_queue(env)


def _chart(env, hub):
    """A chart of accounts, for the invoices (Green Valley has one already)."""
    if env["account.account"].search_count([("company_ids", "in", hub.ids)], limit=1):
        return
    hub_env = env(context={"allowed_company_ids": [hub.id]})
    hub_env["account.chart.template"].try_loading("generic_coa", hub, install_demo=False)
    hub.ofn_stripe_fee_account_id = (
        hub_env["account.chart.template"].with_company(hub).ref("expense_finance")
    )


def _last_closed_cycle(env, schedule, today):
    """The schedule's last cycle closing before ``today``, at its regular times in the hub's
    time zone (a schedule plans only cycles still to close); creating it plans the
    standing orders whose dates cover it."""
    tz = pytz.timezone(schedule.company_id.partner_id.tz or "UTC")
    step = timedelta(weeks=1 if schedule.interval == "weekly" else schedule.interval_weeks)
    opening = schedule.start_date
    while opening + step + timedelta(days=schedule.duration_days) < today:
        opening += step
    return env["ofn.order.cycle"].create(
        {
            "company_id": schedule.company_id.id,
            "schedule_id": schedule.id,
            "opens_at": local_hour_to_utc(tz, opening, schedule.opens_hour),
            "closes_at": local_hour_to_utc(
                tz, opening + timedelta(days=schedule.duration_days), schedule.closes_hour
            ),
        }
    )


def _occurrences(cycle):
    return cycle.env["ofn.standing.order.occurrence"].search([("cycle_id", "=", cycle.id)])


def _place(cycles):
    """What the placement job did while these (now closed) cycles were open: each planned
    occurrence of an active standing order placed, the hubs told."""
    now = fields.Datetime.now()
    for cycle in cycles:
        opens_at, closes_at = cycle.opens_at, cycle.closes_at
        cycle.write({"opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(hours=1)})
        cycle.occurrence_ids._place_chunk()
        cycle.write({"opens_at": opens_at, "closes_at": closes_at})
    _run_queue(cycles.env)


def _run_queue(env):
    """What the jobrunner does as the demo's past cycles close: every pending job, in order,
    until none is left (a summary waits for its stage: it runs in a later round)."""
    for _round in range(20):
        records = env["queue.job"].search([("state", "=", "pending")], order="id")
        if not records:
            return
        for record in records:
            job = Job.load(env, record.uuid)
            try:  # in the seed's own transaction (Job.perform would open a cursor of its own)
                job.func(*job.args, **job.kwargs)
            except RetryableJobError:
                continue
            job.set_done()
            job.store()


def _backdate(cycles):
    """The orders of past cycles were placed when their cycle opened (the placement job runs
    every few minutes), not today."""
    for occurrence in cycles.mapped(_occurrences).filtered("sale_order_id"):
        opened = occurrence.cycle_id.opens_at + timedelta(minutes=10)
        occurrence.sale_order_id.date_order = opened


def _print_summary(env, standing, ready):
    notes = {order: note for order, _status, note in standing}
    """Into demo-seed.log: the standing orders by state, the occurrences of each cycle by
    state, and the orders waiting for the confirmation job."""
    states = Counter(order.state for order, _status, _note in standing)
    print("Standing orders by state:", dict(sorted(states.items())))
    print("Occurrences by cycle:")
    Occurrence = env["ofn.standing.order.occurrence"]
    for cycle in env["ofn.order.cycle"].search([], order="company_id, opens_at"):
        counts = Counter(Occurrence.search([("cycle_id", "=", cycle.id)]).mapped("state"))
        if counts:
            print(f"  {cycle.name} ({cycle.state}): {dict(counts)}")
    print("Placed in closed cycles, for the confirmation job:")
    for occurrence in Occurrence.search([("cycle_id", "in", ready.ids)]):
        order = occurrence.standing_order_id
        print(
            f"  {occurrence.company_id.name:<22} {occurrence.partner_id.name:<16} "
            f"{order.payment_mode:<8} {occurrence.sale_order_id.amount_total:>6.2f} "
            f"{occurrence.state}: {notes[order]}"
        )
