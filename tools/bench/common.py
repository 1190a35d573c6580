"""What the benchmark's two sides share: the world the setup made (ids, in a JSON file that the
``odoo shell`` steps write and read and the driver reads), the Stripe sandbox client, the log."""

import json
import os
import sys
import time
from dataclasses import asdict, dataclass

import stripe

_STARTED = time.monotonic()


def log(message):
    print(f"[bench {time.monotonic() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class World:
    """What the setup made (committed), by id."""

    hubs: list  # res.company
    accounts: list  # the hubs' connected Stripe accounts (acct_...)
    schedules: list  # ofn.schedule, one per hub
    products: list  # product.product
    customers: list  # res.partner
    cycles: list  # ofn.order.cycle, open, one per schedule

    def save(self):
        with open(os.environ["OFN_BENCH_WORLD"], "w") as f:
            json.dump(asdict(self), f)

    @classmethod
    def load(cls):
        with open(os.environ["OFN_BENCH_WORLD"]) as f:
            return cls(**json.load(f))


def sandbox_client(account=None):
    """A Stripe client of the local sandbox (the fake keys of tools/ofn.sh sandbox_env)."""
    url = os.environ["OFN_STRIPE_API_BASE"].rstrip("/")
    if not url.startswith("http://127.0.0.1:"):
        raise SystemExit("the benchmark only ever talks to the local Stripe sandbox")
    return stripe.StripeClient(
        os.environ["OFN_STRIPE_SECRET_KEY"],
        stripe_account=account,
        base_addresses={"api": url, "connect": url},
        max_network_retries=0,
    )
