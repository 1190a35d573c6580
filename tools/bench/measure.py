"""What a phase of the benchmark costs: wall seconds, CPU seconds of the Odoo process, SQL
statements (every cursor of the process) and HTTP calls to Stripe (every request sent to the
Stripe API base, whoever sends it: the gateway's SDK client, payment_stripe through the gateway,
anything else; a network retry counts as a call), and the HTTP connections they came over (the
sandbox counts the distinct client connections of its API requests)."""

import cProfile
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import requests.adapters

import odoo.sql_db

# a Stripe id (pi_3Nx..., acct_1Sa...) or a number, not a resource name (payment_intents)
_ID_SEGMENT = re.compile(r"^(?:[a-z]{2,8}_[A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*|\d+)$")


class StripeCallCounter:
    """Counts the requests ``requests`` sends to ``base_url``, by method and path shape."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.calls = Counter()
        self._original = None

    def install(self):
        original = self._original = requests.adapters.HTTPAdapter.send
        counter = self

        def send(adapter, request, *args, **kwargs):
            if request.url.startswith((counter.base_url + "/v1/", counter.base_url + "/oauth/")):
                counter.calls[counter.endpoint(request.method, request.url)] += 1
            return original(adapter, request, *args, **kwargs)

        requests.adapters.HTTPAdapter.send = send
        return self

    def uninstall(self):
        if self._original is not None:
            requests.adapters.HTTPAdapter.send = self._original
            self._original = None

    def endpoint(self, method, url):
        path = url[len(self.base_url) :].split("?", 1)[0]
        shape = "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/"))
        return f"{method} {shape}"

    def total(self):
        return sum(self.calls.values())

    def connections(self):
        """The client connections the sandbox has seen API requests come over (since its last
        reset): a client that keeps its connections alive opens a few, whatever the calls."""
        stats = requests.get(self.base_url + "/_sandbox/stats", timeout=10)
        stats.raise_for_status()
        return stats.json()["connections"]


@dataclass
class Phase:
    name: str
    orders: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    sql: int = 0
    stripe_calls: int = 0
    stripe_endpoints: Counter = field(default_factory=Counter)
    stripe_connections: int = 0
    emails: int = None
    unit: str = "order"

    def per_order(self, value):
        return value / self.orders if self.orders else float("nan")

    @property
    def orders_per_second(self):
        return self.orders / self.seconds if self.seconds else float("nan")

    @property
    def seconds_per_order(self):
        return self.per_order(self.seconds)


class Meter:
    """``with meter.phase("name") as phase: ...; phase.orders = n``."""

    def __init__(self, stripe_counter, emails=None, profile_dir=None):
        self.stripe = stripe_counter
        self.emails = emails or (lambda: None)  # e-mails sent so far, or None
        self.profile_dir = profile_dir  # cProfile each phase into <dir>/<phase>.prof (slower)
        self.phases = []

    def phase(self, name, unit="order"):
        return _Measuring(self, Phase(name, unit=unit))


class _Measuring:
    def __init__(self, meter, phase):
        self.meter = meter
        self.result = phase

    def __enter__(self):
        self._stripe_before = self.meter.stripe.calls.copy()
        self._connections_before = self.meter.stripe.connections()
        self._emails_before = self.meter.emails()
        self._sql_before = odoo.sql_db.sql_counter
        self._profiler = cProfile.Profile() if self.meter.profile_dir else None
        self._cpu_before = time.process_time()
        self._wall_before = time.perf_counter()
        if self._profiler:
            self._profiler.enable()
        return self.result

    def __exit__(self, exc_type, exc, tb):
        phase = self.result
        phase.seconds = time.perf_counter() - self._wall_before
        phase.cpu_seconds = time.process_time() - self._cpu_before
        if self._profiler:
            self._profiler.disable()
            name = re.sub(r"[^a-z0-9]+", "-", phase.name.lower()).strip("-")
            self._profiler.dump_stats(os.path.join(self.meter.profile_dir, f"{name}.prof"))
        phase.sql = odoo.sql_db.sql_counter - self._sql_before
        phase.stripe_endpoints = self.meter.stripe.calls - self._stripe_before
        phase.stripe_calls = sum(phase.stripe_endpoints.values())
        phase.stripe_connections = self.meter.stripe.connections() - self._connections_before
        if self._emails_before is not None:
            phase.emails = self.meter.emails() - self._emails_before
        if exc_type is None:
            self.meter.phases.append(phase)
        return False


def combined(name, phases, unit="order"):
    """One row adding ``phases`` up (their ``orders`` are the same orders: the first one's)."""
    total = Phase(name, orders=phases[0].orders if phases else 0, unit=unit)
    for phase in phases:
        total.seconds += phase.seconds
        total.cpu_seconds += phase.cpu_seconds
        total.sql += phase.sql
        total.stripe_calls += phase.stripe_calls
        total.stripe_endpoints += phase.stripe_endpoints
        if phase.emails is not None:
            total.emails = (total.emails or 0) + phase.emails
    return total
