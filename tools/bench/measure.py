"""What a phase of the benchmark costs, seen from outside Odoo: wall seconds; SQL statements of
every Odoo process (PostgreSQL's pg_stat_statements for the benchmark's database, less the
driver's own statements and transaction control: BEGIN, COMMIT, ROLLBACK); HTTP calls to Stripe
(the sandbox's request log: every /v1 and /oauth request, whoever sent it; a network retry counts
as a call) by endpoint, and the client connections they came over; e-mails (the SMTP sink)."""

import os
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg2
import requests


class Database:
    """The driver's connection (autocommit, so no BEGIN/COMMIT of its own): it counts the
    statements it sends, which pg_stat_statements counts too, to take them out again."""

    def __init__(self, **dsn):
        self.cnx = psycopg2.connect(**dsn)
        self.cnx.autocommit = True
        self.statements = 0

    def all(self, query, args=None):
        with self.cnx.cursor() as cr:
            cr.execute(query, args)
            self.statements += 1
            return cr.fetchall() if cr.description else []

    def one(self, query, args=None):
        return self.all(query, args)[0]


@dataclass
class Phase:
    name: str
    orders: int = 0
    seconds: float = 0.0
    sql: int = 0
    stripe_calls: int = 0
    stripe_endpoints: Counter = field(default_factory=Counter)
    stripe_connections: int = 0
    emails: int = 0
    evicted: int = 0  # pg_stat_statements entries deallocated meanwhile: SQL is a lower bound
    unit: str = "order"

    def per_order(self, value):
        return value / self.orders if self.orders else float("nan")

    @property
    def orders_per_second(self):
        return self.orders / self.seconds if self.seconds else float("nan")

    @property
    def seconds_per_order(self):
        return self.per_order(self.seconds)


@dataclass
class _Snapshot:
    sql: int
    evicted: int
    requests: list
    connections: int
    emails: int


class Meter:
    """``with meter.phase("name") as phase: ...; phase.orders = n``."""

    def __init__(self, db, sandbox_url, emails_file):
        self.db, self.sandbox_url, self.emails_file = db, sandbox_url.rstrip("/"), emails_file
        self.phases = []
        db.all("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    def _snapshot(self):
        counted = self.db.statements
        sql, evicted = self.db.one(
            """SELECT coalesce(sum(calls), 0), (SELECT dealloc FROM pg_stat_statements_info)
                 FROM pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND query !~* '^\\s*(BEGIN|COMMIT|ROLLBACK)\\M'"""
        )
        sandbox = requests.get(f"{self.sandbox_url}/_sandbox/requests", timeout=30)
        stats = requests.get(f"{self.sandbox_url}/_sandbox/stats", timeout=30)
        with open(self.emails_file) as f:
            emails = int(f.read().strip() or 0)
        return _Snapshot(
            sql - counted,  # this query is counted on its own completion: by the next snapshot
            evicted,
            sandbox.json()["data"],
            stats.json()["connections"],
            emails,
        )

    @contextmanager
    def phase(self, name, unit="order"):
        phase = Phase(name, unit=unit)
        # this database's entries only: fewer entries, fewer evicted before they are read
        self.db.all(
            "SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database"
            " WHERE datname = current_database()"
        )
        before = self._snapshot()
        started = time.perf_counter()
        yield phase
        phase.seconds = time.perf_counter() - started
        after = self._snapshot()
        phase.sql = after.sql - before.sql
        phase.evicted = after.evicted - before.evicted
        phase.stripe_endpoints = Counter(
            f"{r['method']} {r['route']}" for r in after.requests[len(before.requests) :]
        )
        phase.stripe_calls = sum(phase.stripe_endpoints.values())
        phase.stripe_connections = after.connections - before.connections
        phase.emails = after.emails - before.emails
        self.phases.append(phase)
        self._write_top_statements(phase)

    def _write_top_statements(self, phase, limit=300):
        """The phase's most frequent statements, to see where its SQL goes:
        .run/bench/sql-<phase>.txt (calls, total ms, the statement)."""
        rows = self.db.all(
            """SELECT calls, round(total_exec_time::numeric, 1),
                      left(regexp_replace(query, '\\s+', ' ', 'g'), 300)
                 FROM pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                ORDER BY calls DESC LIMIT %s""",
            [limit],
        )
        slug = "".join(c if c.isalnum() else "-" for c in phase.name).strip("-")
        path = os.path.join(os.path.dirname(self.emails_file), f"sql-{slug}.txt")
        with open(path, "w") as out:
            out.writelines(f"{calls:7d} {ms:10} {query}\n" for calls, ms, query in rows)


def combined(name, phases, unit="order"):
    """One row adding ``phases`` up (their ``orders`` are the same orders: the first one's)."""
    total = Phase(name, orders=phases[0].orders, unit=unit)
    for phase in phases:
        total.seconds += phase.seconds
        total.sql += phase.sql
        total.stripe_calls += phase.stripe_calls
        total.stripe_endpoints += phase.stripe_endpoints
        total.emails += phase.emails
        total.evicted += phase.evicted
    return total
