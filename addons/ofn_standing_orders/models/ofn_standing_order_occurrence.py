"""The occurrence of a standing order in an order cycle, and its state machine (ARCHITECTURE.md §4).

The cycle close runs as OCA ``queue_job`` jobs; the crons only find the work and enqueue it:

    planned --_place--> placed | empty                  (batch: one job per hub, cycle and chunk)
                                                        (of active standing orders only: the
                                                        planned occurrences of one waiting for
                                                        the hub's approval are never placed)
    placed --_confirm--> confirmed | paid | cancelled   (batch: confirm, invoice, post, credit)
    confirmed | failed --_charge--> charged | awaiting_authentication | failed
                                                        (one job per occurrence and attempt)
    awaiting_authentication --(customer's 3-D Secure)--> charged | failed
    charged --_book--> paid                             (batch: payments posted and reconciled)
    failed | awaiting_authentication --action_ofn_pay_now--> paid | awaiting_authentication
        | failed                    (the customer on the portal, on-session: the next attempt,
                                     booked at once; a waiting PaymentIntent cancelled first)

a failed attempt is retried as the hub's policy says, unless the bank's decline is a hard one
(HARD_DECLINE_CODES: lost or stolen card, wrong number...): then never, the customer is asked to
act and the hub to follow it up. The hub, on its payment problems:
    failed --action_retry_now--> (a charge job at once: the next attempt)
    failed | awaiting_authentication | confirmed (no charge planned or under way)
        --mark_paid_elsewhere--> paid                   (a payment registered on the invoice)
        --action_cancel_order--> cancelled              (the invoice reversed, the order cancelled)

and, by the customer or the hub before the cycle closes: planned | empty | placed --skip-->
skipped --unskip--> planned | placed; placed --(standing order stopped)--> cancelled.

Before the close, within the hub's check hours (``_cron_pre_close_check``, one job per hub and
cycle), a planned or placed occurrence to be charged by card is checked: what would make its
charge fail sets ``at_risk`` and its problems (no change of state); the customer and the hub's
managers are told once per problem by a job of its own; a check that finds nothing clears them.

A batch job runs its chunk in one transaction; when the chunk fails, it is split and run again
until the occurrence that fails is alone: that one is marked with its reason, the others go
through. A charge job commits the payment transaction before it calls Stripe, holds no lock
and no open transaction during the call, and records the outcome in a new transaction; the
payment's reference, and so its idempotency key, is the occurrence and the attempt, so a job
run twice, or run again after its worker died, never charges twice.
"""

import logging
import random
import uuid
from contextlib import contextmanager
from datetime import timedelta

from markupsafe import Markup
from psycopg2 import errorcodes
from psycopg2.errors import InFailedSqlTransaction, LockNotAvailable, SerializationFailure

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_datetime

from odoo.addons.ofn_stripe_connect.exceptions import StripeGatewayError
from odoo.addons.ofn_stripe_connect.utils import (
    commit_unit_of_work,
    format_local_time,
    in_test_transaction,
    mail_customers,
    mail_hub_managers,
)
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact

from ..const import (
    BOOKING_DELAY_SECONDS,
    BOOKING_JOB_PRIORITY,
    CHARGE_JOB_PRIORITY,
    CHARGE_REFERENCE,
    CHARGE_REPLAY_WINDOW_HOURS,
    CHARGE_UNANSWERED_RETRY_MINUTES,
    CUSTOMER_RISKS,
    DECLINE_CODE_GROUPS,
    DEFAULT_CHUNK_SIZE,
    ENGINE_CONTEXT,
    FAILURE_REASONS,
    HARD_DECLINE_CODES,
    HUB_SETTLEABLE_STATES,
    OCCURRENCE_STATES,
    OPEN_OCCURRENCE_STATES,
    SKIPPABLE_STATES,
    SUMMARY_RECHECK_MAX_SECONDS,
)
from ..lookups import looked_up_once
from .ofn_occurrence_lock import lock_before_closing

_logger = logging.getLogger(__name__)

# PostgreSQL errors that mean "another transaction was busy with the same rows": the job is run
# again by queue_job (never a bad occurrence)
_CONCURRENCY_ERRORS = (SerializationFailure, LockNotAvailable)
_CONCURRENCY_CODES = {
    errorcodes.SERIALIZATION_FAILURE,
    errorcodes.LOCK_NOT_AVAILABLE,
    errorcodes.DEADLOCK_DETECTED,
}

# the advisory locks' first key: placements of a hub take turns; charges of an occurrence too
_PLACE_LOCK, _CHARGE_LOCK = 0x0F5A, 0x0F5C

# what each stage acts on (SQL over the occurrence row ``o``; parameter: now)
_PLACEABLE = """o.state = 'planned' AND o.sale_order_id IS NULL
    AND EXISTS (SELECT 1 FROM ofn_order_cycle c
                 WHERE c.id = o.cycle_id AND c.opens_at <= %(now)s AND c.closes_at > %(now)s)
    AND EXISTS (SELECT 1 FROM ofn_standing_order s
                 WHERE s.id = o.standing_order_id AND s.status = 'active')"""
_CONFIRMABLE = """o.state = 'placed' AND EXISTS (
    SELECT 1 FROM ofn_order_cycle c WHERE c.id = o.cycle_id AND c.closes_at <= %(now)s)"""
_CHARGE_OPEN = "o.state IN ('confirmed', 'failed') AND NOT COALESCE(o.needs_attention, FALSE)"
_CHARGEABLE = f"{_CHARGE_OPEN} AND o.next_charge_at <= %(now)s"
_BOOKABLE = "o.state = 'charged'"
# what the customer may pay on the portal: a failed card payment (tried again or not), or one
# waiting for their bank
_PAYABLE = "o.state IN ('failed', 'awaiting_authentication')"
_UNANSWERED = """o.state = 'confirmed' AND o.charge_unknown_since IS NOT NULL
    AND NOT COALESCE(o.needs_attention, FALSE)"""
# the check before the close: the occurrences to be charged by card whose cycle closes within
# their hub's check hours (0: the hub does no check)
_CHECKED_BEFORE_CLOSE = """o.state IN ('planned', 'placed')
    AND EXISTS (SELECT 1 FROM ofn_standing_order s
                 WHERE s.id = o.standing_order_id AND s.status = 'active'
                   AND s.payment_mode = 'card')
    AND EXISTS (SELECT 1 FROM ofn_order_cycle c JOIN res_company h ON h.id = c.company_id
                 WHERE c.id = o.cycle_id AND c.closes_at > %(now)s
                   AND COALESCE(h.ofn_pre_close_check_hours, 0) > 0
                   AND c.closes_at <= %(now)s
                       + make_interval(hours => h.ofn_pre_close_check_hours))"""
# what the hub may act on (SQL, under its lock): retry a failed payment now; mark paid another
# way or cancel an order whose payment failed, waits for 3-D Secure, or is not planned (paid on
# invoice, after the last attempt) and has no card payment under way or of unknown outcome
_NO_CHARGE_UNDER_WAY = """o.charge_unknown_since IS NULL AND NOT EXISTS (
    SELECT 1 FROM payment_transaction t WHERE t.ofn_occurrence_id = o.id AND t.state = 'draft')"""
_RETRYABLE_BY_HUB = f"o.state = 'failed' AND {_NO_CHARGE_UNDER_WAY}"
_SETTLEABLE_BY_HUB = f"""o.state IN %(settleable)s AND (o.state != 'confirmed'
    OR o.next_charge_at IS NULL) AND {_NO_CHARGE_UNDER_WAY}"""
_AWAITING = "o.state = 'awaiting_authentication'"
# the states of an occurrence that is over: no payment problem any more
_SETTLED_STATES = ("paid", "cancelled", "skipped", "empty")


class OfnStandingOrderOccurrence(models.Model):
    """One standing order in one order cycle (OFN's proxy order): unique per pair, it links the
    ``sale.order`` placed for that cycle, its invoice and the card payments tried for it."""

    _name = "ofn.standing.order.occurrence"
    _description = "Standing order in an order cycle"
    _order = "cycle_opens_at, id"

    standing_order_id = fields.Many2one(
        "ofn.standing.order", required=True, ondelete="cascade", index=True
    )
    cycle_id = fields.Many2one("ofn.order.cycle", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="standing_order_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="standing_order_id.partner_id", store=True)
    cycle_opens_at = fields.Datetime(related="cycle_id.opens_at", store=True)
    cycle_closes_at = fields.Datetime(related="cycle_id.closes_at", string="Closes at")
    state = fields.Selection(
        OCCURRENCE_STATES, required=True, default="planned", readonly=True, index=True
    )
    sale_order_id = fields.Many2one("sale.order", readonly=True, ondelete="set null", index=True)
    change_note = fields.Text(
        readonly=True, help="What the placement changed: quantities capped, products dropped."
    )
    invoice_id = fields.Many2one("account.move", readonly=True, ondelete="set null")
    currency_id = fields.Many2one(related="invoice_id.currency_id")
    amount_due = fields.Monetary(related="invoice_id.amount_residual", string="Due")
    payment_state = fields.Selection(related="invoice_id.payment_state")
    transaction_ids = fields.One2many(
        "payment.transaction", "ofn_occurrence_id", string="Card payments", readonly=True
    )
    charge_attempts = fields.Integer(readonly=True, help="Card payments tried so far.")
    next_charge_at = fields.Datetime(
        readonly=True, index=True, help="When the card is charged (again); empty: not planned."
    )
    charge_unknown_since = fields.Datetime(
        readonly=True,
        help="Since when Stripe's answer to the card payment is missing: the same payment, with "
        "the same idempotency key, is asked again until Stripe answers.",
    )
    failure_reason = fields.Selection(FAILURE_REASONS, readonly=True)
    failure_message = fields.Char(readonly=True)
    needs_attention = fields.Boolean(
        readonly=True,
        index=True,
        help="The hub has to act: every attempt to charge the card failed, or the order could "
        "not be placed or confirmed.",
    )
    can_change = fields.Boolean(compute="_compute_can_change")
    # the check before the close (a hub setting): what would make the card payment fail
    at_risk = fields.Boolean(
        readonly=True,
        index=True,
        help="The check before the cycle closes found a problem that would make the card "
        "payment fail.",
    )
    risk_codes = fields.Char(
        readonly=True, help="The problems found, comma-separated codes (RISK_REASONS)."
    )
    risk_message = fields.Text(readonly=True, string="Payment at risk")
    risk_notified_codes = fields.Char(
        readonly=True,
        help="The problems the customer and the hub were told about for this cycle: never twice.",
    )
    decline_code = fields.Char(
        readonly=True, help="The bank's reason for the last declined card payment (Stripe's code)."
    )
    hard_decline = fields.Boolean(
        compute="_compute_hard_decline",
        help="The bank refused the card for good (lost, stolen, expired, wrong number...): it is "
        "not tried again until the hub retries it by hand.",
    )
    payment_problem = fields.Boolean(
        compute="_compute_payment_problem",
        store=True,
        index=True,
        help="Listed in the hub's payment problems: the card payment failed or waits for the "
        "customer's authentication, the check before the close found it at risk, or the hub "
        "has to act.",
    )

    _sql_constraints = [
        (
            "one_per_order_and_cycle",
            "UNIQUE(standing_order_id, cycle_id)",
            "A standing order appears once in a cycle.",
        ),
    ]

    @api.depends("state", "cycle_id.closes_at")
    def _compute_can_change(self):
        """The customer may skip, un-skip or change the order until the cycle closes."""
        now = fields.Datetime.now()
        for occurrence in self:
            occurrence.can_change = (
                occurrence.state in ("planned", "skipped", "placed", "empty")
                and occurrence.cycle_id.closes_at > now
            )

    @api.depends("state", "decline_code")
    def _compute_hard_decline(self):
        for occurrence in self:
            occurrence.hard_decline = (
                occurrence.state == "failed" and occurrence.decline_code in HARD_DECLINE_CODES
            )

    @api.depends("state", "at_risk", "needs_attention")
    def _compute_payment_problem(self):
        for occurrence in self:
            occurrence.payment_problem = occurrence.state not in _SETTLED_STATES and (
                occurrence.state in ("failed", "awaiting_authentication")
                or occurrence.at_risk
                or occurrence.needs_attention
            )

    # === CRONS: FIND THE WORK, ENQUEUE IT === #

    @api.model
    def _cron_place(self):
        """Places the standing orders of open cycles. A hub without a warehouse gets it here,
        once, before its chunks' jobs run at once (each would make its own)."""
        chunks = self._enqueue_chunks(_PLACEABLE, "_place_chunk", "o.standing_order_id, o.id")
        for hub in chunks.company_id:
            hub._ofn_warehouse()

    @api.model
    def _cron_confirm(self):
        """Confirms, invoices and charges the standing orders of closed cycles; also sends again
        the first charges whose job was lost."""
        self._enqueue_chunks(_CONFIRMABLE, "_confirm_chunk", "o.id")
        self._find(_CHARGEABLE + " AND o.state = 'confirmed'")._enqueue_charges()
        # a charge whose answer never came back has its job waiting to run again: only a job
        # that was lost is enqueued anew (the same one otherwise: its identity key)
        self._find(_UNANSWERED)._enqueue_charges()
        self._find(_BOOKABLE)._enqueue_booking()

    @api.model
    def _cron_retry(self):
        """Tries the failed card payments again, as each hub's retry policy says."""
        self._find(_CHARGEABLE + " AND o.state = 'failed'")._enqueue_charges()

    @api.model
    def _cron_pre_close_check(self):
        """Checks the card payments of the cycles closing within their hub's check hours, and
        those found at risk before (cleared once no longer to be checked: the cycle closed, the
        order was skipped...): one job per hub and cycle."""
        found = self._find(f"({_CHECKED_BEFORE_CLOSE}) OR o.at_risk", "o.cycle_id, o.id")
        for cycle, occurrences in found.grouped("cycle_id").items():
            occurrences.with_context(lang=cycle.company_id.ofn_lang()).with_delay(
                channel="root.ofn.batch",
                identity_key=identity_exact,
                description=_("Check the card payments of %(cycle)s", cycle=cycle.name),
            )._pre_close_check()

    @api.model
    def _find(self, where, order_by="o.id", **params):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT o.id FROM ofn_standing_order_occurrence o WHERE {where} ORDER BY {order_by}",
            {"now": fields.Datetime.now(), **params},
        )
        return self.sudo().browse(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _enqueue_chunks(self, where, stage, order_by):
        """One job per hub, cycle and chunk of at most the chunk size (a setting); returns the
        occurrences found."""
        found = self._find(where, f"o.company_id, o.cycle_id, {order_by}")
        size = self._chunk_size()
        for (hub, cycle), occurrences in found.grouped(
            lambda o: (o.company_id, o.cycle_id)
        ).items():
            for start in range(0, len(occurrences), size):
                chunk = occurrences[start : start + size]
                getattr(
                    chunk.with_context(lang=hub.ofn_lang()).with_delay(
                        channel="root.ofn.batch",
                        identity_key=identity_exact,
                        description=_(
                            "%(stage)s %(count)s orders of %(cycle)s",
                            stage=_("Place") if stage == "_place_chunk" else _("Confirm"),
                            count=len(chunk),
                            cycle=cycle.name,
                        ),
                    ),
                    stage,
                )()
        return found

    @api.model
    def _chunk_size(self):
        value = self.env["ir.config_parameter"].sudo().get_param("ofn_standing_orders.chunk_size")
        try:
            return max(int(value or DEFAULT_CHUNK_SIZE), 1)
        except ValueError:
            return DEFAULT_CHUNK_SIZE

    def _enqueue_charges(self):
        """One job per occurrence and attempt: enqueuing the same one twice makes one job."""
        for occurrence in self:
            attempt = occurrence.charge_attempts + (0 if occurrence.charge_unknown_since else 1)
            hub = occurrence.company_id
            # in the hub's company and language (the hub is the company of what the job makes)
            occurrence.with_company(hub).with_context(lang=hub.ofn_lang()).with_delay(
                channel="root.ofn.charge",
                # ahead of the batch jobs waiting: a confirmed order is charged before more
                # are confirmed (the customer is charged soon after the close, and the charge's
                # wait on Stripe overlaps the batch work of the other channel)
                priority=CHARGE_JOB_PRIORITY,
                identity_key=f"ofn-charge-{occurrence.id}-{attempt}",
                max_retries=0,  # retried until Stripe answers; the job gives up by itself
                description=_(
                    "Charge %(reference)s", reference=occurrence._charge_reference(attempt)
                ),
            )._charge(attempt)

    def _enqueue_booking(self):
        """The charged occurrences of each hub are booked together a little later: every charge
        of the hub until then joins the same job."""
        for hub in self.company_id:
            # a charge's job runs in its hub's company and language (``_enqueue_charges``): the
            # hub's language is not read again for each of its charges
            charge_job = self.env.context.get("job_uuid") and self.env.company == hub
            lang = self.env.lang if charge_job else hub.ofn_lang()
            self.browse().with_context(lang=lang).with_delay(
                channel="root.ofn.batch",
                identity_key=f"ofn-book-{hub.id}",
                eta=BOOKING_DELAY_SECONDS,
                priority=BOOKING_JOB_PRIORITY,
                description=_("Book the card payments of %(hub)s", hub=hub.name),
            )._book_hub(hub.id)

    def _charge_outcome_known(self):
        """A card payment of these occurrences ended (booked, failed, waiting for the customer's
        bank): the hub's summary of the confirmation is sent once none is left running."""
        self._enqueue_summary("confirmation")
        self.cycle_id._send_summary_now_if_done("confirmation")

    def _enqueue_summary(self, stage, eta=3):
        """The hub's summary of the cycle's stage, sent once the stage's jobs are done (checked
        ``eta`` seconds from now, then again until they are)."""
        for cycle in self.cycle_id:
            cycle.with_context(lang=cycle.company_id.ofn_lang()).with_delay(
                channel="root.ofn.batch",
                identity_key=f"ofn-summary-{cycle.id}-{stage}",
                eta=eta,
                max_retries=0,
                description=_("Summary of %(cycle)s", cycle=cycle.name),
            )._send_summary(stage)

    # === BATCH STAGES === #

    def _place_chunk(self):
        self._run_stage("_place", "placement")

    def _confirm_chunk(self):
        self._run_stage("_confirm", "confirmation")

    def _run_stage(self, stage, summary):
        """A batch stage's job: the chunk, then the hub's summary when something changed."""
        before = [(o.state, o.needs_attention) for o in self]
        self._run_chunk(stage)
        self.invalidate_recordset(["state", "needs_attention", "next_charge_at"])
        if [(o.state, o.needs_attention) for o in self] != before:
            # charges enqueued: their outcomes bring the summary forward once they are all known
            # (``_charge_outcome_known``); until then it would only find them running, so its
            # first check is as late as its later ones
            charging = any(o.state == "confirmed" and o.next_charge_at for o in self)
            self._enqueue_summary(summary, eta=SUMMARY_RECHECK_MAX_SECONDS if charging else 3)

    def _run_chunk(self, stage):
        """Runs the batch ``stage`` on this chunk in one transaction; when it fails, each half
        is run again on its own, until the occurrence that fails is alone: that one is marked
        with its reason (and left as it was), the others go through."""
        try:
            with self.env.cr.savepoint():
                getattr(self, stage)()
        except Exception as error:
            if isinstance(error, _CONCURRENCY_ERRORS) or getattr(error, "pgcode", None) in (
                _CONCURRENCY_CODES
            ):
                raise  # another job was busy with these rows: queue_job runs this one again
            if len(self) == 1:
                self._mark_stuck(stage, error)
            else:
                half = len(self) // 2
                self[:half]._run_chunk(stage)
                self[half:]._run_chunk(stage)

    def _mark_stuck(self, stage, error):
        """This occurrence alone made its chunk fail: it stays as it was (the next run tries it
        again) and the hub is told once, in the stage's summary and on its list of problems."""
        _logger.warning("Standing order occurrence %s: %s failed: %s", self.id, stage, error)
        if self.needs_attention:
            return
        message = (
            _("Could not be placed: %(error)s", error=str(error))
            if stage == "_place"
            else _("Could not be confirmed: %(error)s", error=str(error))
        )
        self.write(
            {"needs_attention": True, "failure_reason": "error", "failure_message": message[:500]}
        )

    def _lock(self, where):
        """These occurrences, locked for this transaction (``FOR UPDATE SKIP LOCKED``: one that
        another job holds is left to it), that still match ``where`` under the lock.

        A row another job changed since this transaction began cannot be locked (a
        serialization failure): the job is run again by queue_job, which is no error to log."""
        if not self:
            return self
        self.env.flush_all()
        self.env.cr.execute(
            f"""SELECT o.id FROM ofn_standing_order_occurrence o
                 WHERE o.id = ANY(%(ids)s) AND ({where})
                 ORDER BY o.id FOR UPDATE OF o SKIP LOCKED""",
            {"ids": self.ids, "now": fields.Datetime.now(), "settleable": HUB_SETTLEABLE_STATES},
            log_exceptions=False,
        )
        locked = {row[0] for row in self.env.cr.fetchall()}
        self.invalidate_recordset()
        return self.filtered(lambda occurrence: occurrence.id in locked)

    # --- place --- #

    def _place(self):
        """Each planned occurrence of an active standing order in an open cycle becomes a
        quotation of the hub, in one ``create``; stored products are capped by the stock still
        free, the oldest standing orders served first; an order with nothing left is not
        placed. The customers are told by a job of their own."""
        occurrences = self._lock(_PLACEABLE)
        if not occurrences:
            return
        hub = occurrences.company_id.ensure_one()
        # placements of one hub take turns: each reads the stock the others left
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_PLACE_LOCK, hub.id])
        stock: dict[int, float] = {}
        warehouse = hub._ofn_warehouse()
        # the orders' numbers come from the sequence sale.order.create would draw them from,
        # found once for all of them
        numbers = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", "sale.order"), ("company_id", "in", [hub.id, False])],
                order="company_id",
                limit=1,
            )
        )
        placed, values_list = self.browse(), []
        ordered_at = fields.Datetime.now()  # one moment for the batch: its prices are found once
        for occurrence in occurrences.sorted(lambda o: (o.standing_order_id.id, o.id)):
            standing = occurrence.standing_order_id
            if standing.end_date and occurrence.cycle_id.opens_at.date() > standing.end_date:
                continue
            quantities, changes = standing._quantities_for(stock)
            note = "; ".join(changes) or False
            if not quantities:
                occurrence.write({"state": "empty", "change_note": note, **_CLEARED})
                continue
            placed |= occurrence
            occurrence.change_note = note
            values_list.append(
                {
                    "warehouse_id": warehouse.id,
                    "partner_id": standing.partner_id.id,
                    "partner_shipping_id": (standing.partner_shipping_id or standing.partner_id).id,
                    "company_id": hub.id,
                    "date_order": ordered_at,
                    **({"name": numbers._next()} if numbers else {}),
                    "origin": standing.name,
                    # the link in the customer's message, made here for all orders at once
                    # rather than by a write per order while the message is rendered
                    "access_token": str(uuid.uuid4()),
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": quantity})
                        for product, quantity in quantities
                    ],
                }
            )
        with looked_up_once(self.env):
            orders = (
                self.env["sale.order"]
                .with_company(hub)
                .with_context(**ENGINE_CONTEXT)
                .create(values_list)
            )
            self.env.flush_all()  # the prices, computed in the batch
        for occurrence, order in zip(placed, orders, strict=True):
            occurrence.write({"sale_order_id": order.id, "state": "placed", **_CLEARED})
        placed._enqueue_notification("ofn_standing_orders.mail_template_order_placed")

    # --- confirm --- #

    def _confirm(self):
        """The placed orders of closed cycles are confirmed, invoiced (one invoice each) and
        posted, in batches; the customer's credit pays first; what is left is charged to the
        card by a job per order, or paid on invoice."""
        occurrences = self._lock(_CONFIRMABLE)
        if not occurrences:
            return
        hub = occurrences.company_id.ensure_one()
        gone = occurrences.filtered(
            lambda o: not o.sale_order_id or o.sale_order_id.state == "cancel"
        )
        gone.write({"state": "cancelled", "next_charge_at": False})
        occurrences -= gone
        orders = occurrences.sale_order_id.with_company(hub).with_context(**ENGINE_CONTEXT)
        drafts = orders.filtered(lambda order: order.state in ("draft", "sent"))
        drafts.filtered(lambda order: not order.warehouse_id).warehouse_id = hub._ofn_warehouse()
        drafts.action_confirm()
        invoiced = orders.invoice_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.state != "cancel"
        )
        to_invoice = orders.filtered(lambda order: not (order.invoice_ids & invoiced))
        if to_invoice:
            with looked_up_once(self.env):
                invoiced |= to_invoice._create_invoices(grouped=True, final=True)
        # the credit is applied below, on its own, so that what is left is charged to the card
        invoiced.filtered(lambda move: move.state == "draft").with_context(
            ofn_no_credit_apply=True
        ).action_post()
        # the customers with credit at the hub, found at once: the others have none to apply
        with_credit = (
            self.env["ofn.credit.balance"]
            .sudo()
            .search(
                [
                    ("company_id", "=", hub.id),
                    ("partner_id", "in", occurrences.partner_id.commercial_partner_id.ids),
                    ("balance", ">", 0),
                ]
            )
            .partner_id
        )
        now = fields.Datetime.now()
        by_state = {"paid": self.browse(), "card": self.browse(), "invoice": self.browse()}
        for occurrence in occurrences:
            order = occurrence.sale_order_id
            invoice = (order.invoice_ids & invoiced)[:1]
            if occurrence.partner_id.commercial_partner_id in with_credit:
                invoice.ofn_apply_credit()
            occurrence.invoice_id = invoice
            if invoice.currency_id.is_zero(invoice.amount_residual):
                by_state["paid"] |= occurrence
            elif occurrence.standing_order_id.payment_mode == "card":
                by_state["card"] |= occurrence
            else:
                by_state["invoice"] |= occurrence
        by_state["paid"].write({"state": "paid", "next_charge_at": False, **_CLEARED})
        by_state["card"].write({"state": "confirmed", "next_charge_at": now, **_CLEARED})
        by_state["invoice"].write({"state": "confirmed", "next_charge_at": False, **_CLEARED})
        by_state["paid"]._enqueue_notification("ofn_standing_orders.mail_template_order_paid")
        by_state["invoice"]._enqueue_notification(
            "ofn_standing_orders.mail_template_order_invoiced"
        )
        by_state["card"]._enqueue_charges()

    # --- charge (one occurrence, one attempt, outside any transaction) --- #

    def _charge_reference(self, attempt):
        return CHARGE_REFERENCE.format(occurrence=self.id, attempt=attempt)

    def _charge(self, attempt):
        """Charges what the invoice still owes to the customer's card for the hub: attempt
        ``attempt`` of an off-session PaymentIntent, a direct charge on the hub's connected
        account through Odoo's payment_stripe token flow.

        1. Under the occurrence's lock, the payment transaction of this attempt is created (or
           found: this job ran before, or runs twice), then committed;
        2. Stripe is called with no lock and no open transaction; the attempt's idempotency key
           makes a second call answer with the first one's PaymentIntent;
        3. the outcome is recorded in a new transaction. An answer that never came back (or a
           429) leaves the outcome unknown: the job is run again later with the same key,
           until Stripe answers, and never sends a new attempt meanwhile."""
        self.ensure_one()
        with self._charge_lock():
            self._charge_unlocked(attempt)

    @contextmanager
    def _charge_lock(self):
        """One charge of the occurrence at a time (the engine's job, or the customer paying on
        the portal), for as long as its connection lives: a session lock, neither a row lock
        nor a transaction, released if the worker dies. Busy: ``RetryableJobError``."""
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [_CHARGE_LOCK, self.id])
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError("another job charges this order", seconds=10, ignore_retry=True)
        try:
            yield
        finally:
            # the connection goes back to Odoo's pool: its session lock must not go with it
            unlock = ("SELECT pg_advisory_unlock(%s, %s)", [_CHARGE_LOCK, self.id])
            try:
                self.env.cr.execute(*unlock, log_exceptions=False)
            except InFailedSqlTransaction:
                if in_test_transaction():
                    raise
                self.env.cr.rollback()  # an aborted transaction runs nothing until then
                self.env.cr.execute(*unlock)

    def _charge_unlocked(self, attempt):
        # the payment transaction is committed by the gateway right before Stripe is called
        # (``ofn_stripe_commit_before_call``): the request is made from what this transaction
        # has read, not read again after a commit
        tx = self._prepare_charge(attempt)
        if tx and self._past_replay_window():
            tx = self._look_up(tx)
            commit_unit_of_work(self.env)
        if tx:
            # the customer's own payment, asked again after Stripe did not answer, is booked
            # at once as when it was answered
            self._send_charge(tx, book_now=tx.operation == "online_token")

    def _send_charge(self, tx, book_now=False):
        """Sends the committed payment ``tx`` to Stripe (no lock, no open transaction) and
        records the outcome; ``book_now``: a payment that went through is booked at once (the
        customer paying on the portal), not with the hub's batch. Stripe's answer lost:
        ``RetryableJobError`` once the unknown outcome is recorded."""
        try:
            tx.with_context(ofn_stripe_commit_before_call=True)._send_payment_request()
        except StripeGatewayError as error:
            if error.ask_again:
                self._unanswered(error)
                commit_unit_of_work(self.env)
                seconds = (
                    random.randint(20, 90)
                    if error.rate_limited
                    else CHARGE_UNANSWERED_RETRY_MINUTES * 60
                )
                raise RetryableJobError(error.reason, seconds=seconds, ignore_retry=True) from error
            if error.payment_intent:
                # a card declined on-session (an off-session request returns it as its answer)
                tx._ofn_process_stripe_intent(error.payment_intent)
                self._follow(tx, latest=True)
                return
            # the platform lost access to the hub's account, or Stripe refused the request:
            # nothing was charged
            tx._set_error(str(error))
            unreachable = error.account_unreachable
            self._fail("hub_disconnected" if unreachable else "error", str(error))
            return
        except (UserError, ValidationError) as error:  # not Stripe's: nothing was charged
            tx._set_error(str(error))
            self._fail("error", str(error))
            return
        if book_now and tx.state == "done" and not tx.is_post_processed:
            tx._post_process()  # booked; the occurrence follows
        else:
            self._follow(tx, latest=True)

    def _prepare_charge(self, attempt, card=None):
        """The payment transaction to send for ``attempt``, or None when there is nothing to
        send (another job has the occurrence, the attempt is over, or it needs no card).

        ``card``: the hub's token of the card the customer pays with on the portal (an
        on-session payment of a failed or waiting order); else the card the customer allowed
        the hub to charge, off-session."""
        where = _PAYABLE if card else _CHARGE_OPEN
        if not self._lock(where):
            if self._find(f"o.id = {int(self.id)} AND {where}"):
                # another job (or the customer) holds the occurrence: this one runs later
                raise RetryableJobError("occurrence busy", seconds=10, ignore_retry=True)
            return None
        reference = self._charge_reference(attempt)
        tx = self.transaction_ids.filtered(lambda t: t.reference == reference)
        if tx:
            if tx.state != "draft":
                self._follow(tx)  # the outcome is known: this job ran already
                return None
            # sent before, its answer never came back: asked again with the same key (or,
            # past Stripe's replay window, looked up first)
            return tx
        if attempt != self.charge_attempts + 1:
            return None  # a job of an older attempt
        invoice = self.invoice_id
        # credit granted since the last attempt pays before a retry
        if self.charge_attempts:
            invoice.ofn_apply_credit()
        if invoice.currency_id.is_zero(invoice.amount_residual):
            self.write({"state": "paid", "next_charge_at": False, "needs_attention": False})
            self._enqueue_notification("ofn_standing_orders.mail_template_order_paid")
            return None
        self.write(
            {
                "charge_attempts": attempt,
                "next_charge_at": False,
                "state": "confirmed",
                "charge_unknown_since": False,
                # the customer's payment is followed as the engine's (an unanswered one too)
                **({"needs_attention": False} if card else {}),
            }
        )
        if card:
            token = card
        else:
            token, reason, message = self._card_to_charge()
            if not token:
                self._fail(reason, message)
                return None
        return (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": token.provider_id.id,
                    # the provider's, as Odoo would compute it after the creation
                    "company_id": token.provider_id.company_id.id,
                    "payment_method_id": token.payment_method_id.id,
                    "token_id": token.id,
                    "partner_id": invoice.partner_id.id,
                    "amount": invoice.amount_residual,
                    "currency_id": invoice.currency_id.id,
                    "reference": reference,
                    "operation": "online_token" if card else "offline",
                    "invoice_ids": [Command.set(invoice.ids)],
                    "ofn_occurrence_id": self.id,
                }
            )
        )

    def _card_to_charge(self):
        """(the hub's clone of the consented card, None, None), or (None, reason, message)."""
        token, problems = self._card_problems()
        if token:
            return token, None, None
        code, message = problems[0]
        # the charge's reasons (FAILURE_REASONS): a missing clone is a card the hub lost
        return None, "card_deleted" if code == "clone_missing" else code, message

    def _card_problems(self, until=None):
        """What would make the card payment of this occurrence fail (RISK_REASONS), for the
        charge and for the check before the close: ``(card, [(code, message)])``, the card being
        the hub's clone of the consented card when a charge can be sent (the problems are then
        the ones Stripe would answer), else None.

        :param until: the check's moment (the cycle's close): the card must be valid until then
                      and the hub's account able to take charges; None (the charge): Stripe says
        """
        self.ensure_one()
        hub = self.company_id
        customer = self.partner_id.commercial_partner_id
        account = hub.sudo().ofn_stripe_account_id
        if not hub._ofn_takes_cards():
            # nothing else matters (nor can be fixed by the customer: the hub's cards at its
            # disabled provider are archived, a consent cannot be given)
            return None, [
                ("hub_disconnected", _("%(hub)s's Stripe account is not connected.", hub=hub.name))
            ]
        problems = []
        if until and not account.charges_enabled:
            problems.append(
                (
                    "hub_disconnected",
                    _("%(hub)s's Stripe account cannot take card payments.", hub=hub.name),
                )
            )
        consent = customer.ofn_consent_for(hub)
        card = consent.card_id
        (card | consent.hub_token_id).mapped("active")  # the card and the hub's copy, read at once
        if card and not card.active:
            problems.append(
                (
                    "card_deleted",
                    _("The card allowed for %(hub)s was deleted from the wallet.", hub=hub.name),
                )
            )
        elif consent.state != "active":
            problems.append(
                (
                    "no_consent",
                    _(
                        "%(customer)s has not allowed %(hub)s to charge their card.",
                        customer=customer.name,
                        hub=hub.name,
                    ),
                )
            )
        elif not consent.hub_token_id.active:
            problems.append(
                (
                    "clone_missing",
                    _(
                        "%(hub)s's copy of the card of %(customer)s is missing.",
                        customer=customer.name,
                        hub=hub.name,
                    ),
                )
            )
        elif until and card.ofn_card_expires_before(until):
            # (no f-string inside _(): the translations' extractor evaluates its arguments)
            expiry = f"{card.ofn_card_exp_month:02d}/{card.ofn_card_exp_year}"
            problems.append(
                (
                    "card_expires",
                    _(
                        "The card of %(customer)s expires at the end of %(expiry)s, before the "
                        "cycle closes.",
                        customer=customer.name,
                        expiry=expiry,
                    ),
                )
            )
        if any(code != "hub_disconnected" for code, _message in problems):
            return None, problems
        return consent.hub_token_id, problems

    def _unanswered(self, error):
        """Stripe's answer never came back (or it asked to slow down): the outcome is unknown,
        the same payment is asked again later with the same key."""
        self.write(
            {
                "charge_unknown_since": self.charge_unknown_since or fields.Datetime.now(),
                "failure_message": _(
                    "Stripe did not answer the card payment (%(reason)s): it is asked again, "
                    "and can never be charged twice.",
                    reason=error.reason,
                ),
            }
        )
        _logger.warning(
            "Standing order occurrence %s: Stripe did not answer the card payment (%s); the "
            "same payment is asked again later",
            self.id,
            error.error_type or error.http_status,
        )

    def _past_replay_window(self):
        """Stripe keeps a key's answer 24 hours: past that, asking again with the same key is
        no answer (it would make a new PaymentIntent)."""
        since = self.charge_unknown_since
        return bool(since) and fields.Datetime.now() - since > timedelta(
            hours=CHARGE_REPLAY_WINDOW_HOURS
        )

    def _look_up(self, tx):
        """Stripe no longer keeps the answer of the unanswered attempt ``tx``: its PaymentIntent
        is looked for on the hub's account (no lock, no open transaction meanwhile). Found, it
        is the answer and the occurrence follows it; not found, the attempt charged nothing and
        ``tx`` is returned, to be sent again. When Stripe cannot be asked (the account is no
        longer reachable), nothing is sent and the hub is asked to check."""
        try:
            found = tx.with_context(
                ofn_stripe_commit_before_call=True
            ).ofn_settle_with_stripe_intent()
        except StripeGatewayError as error:
            if error.ask_again:
                raise RetryableJobError(
                    error.reason, seconds=CHARGE_UNANSWERED_RETRY_MINUTES * 60, ignore_retry=True
                ) from error
            self._unsettled(tx.reference)
            return None
        except (UserError, ValidationError):  # not Stripe's: the hub is asked to check
            self._unsettled(tx.reference)
            return None
        if not found:
            _logger.info(
                "Standing order occurrence %s: Stripe has no payment %s; it is sent again",
                self.id,
                tx.reference,
            )
            return tx
        self._follow(tx)
        return None

    def _unsettled(self, reference):
        """Stripe never answered, no longer keeps the key's answer, and cannot be asked for the
        payment either: whether the card was charged can only be read on the hub's Stripe
        dashboard. Nothing new is sent; the hub is asked to check."""
        self.write(
            {
                "needs_attention": True,
                "next_charge_at": False,
                "failure_reason": "error",
                "failure_message": _(
                    "Stripe never answered the card payment %(reference)s: look for it on the "
                    "hub's Stripe dashboard before charging the customer again.",
                    reference=reference,
                ),
            }
        )
        self._flag_for_hub()

    # --- outcomes of a card payment --- #

    def _follow(self, tx, latest=False):
        """The occurrence follows its latest card payment: called after the charge, after the
        customer's 3-D Secure, and by the payment's post-processing (webhooks).

        :param latest: ``tx`` is known to be the latest (the charge that just sent it, under
            the occurrence's charge lock)"""
        self.ensure_one()
        if not latest and tx != self.transaction_ids.sorted("id")[-1:]:
            return  # an older attempt
        if tx.state == "done" and self.state in ("confirmed", "awaiting_authentication", "failed"):
            if tx.is_post_processed and self.invoice_id.payment_state in ("paid", "in_payment"):
                # booked already (after the customer's 3-D Secure, or by a webhook)
                self.write(
                    {
                        "state": "paid",
                        "next_charge_at": False,
                        "charge_unknown_since": False,
                        "needs_attention": False,
                    }
                )
                self._enqueue_notification("ofn_standing_orders.mail_template_order_paid")
                if tx.operation == "online_token":
                    self._tell_hub_paid_by_customer(tx)
                return
            self.write(
                {
                    "state": "charged",
                    "next_charge_at": False,
                    "charge_unknown_since": False,
                    "failure_reason": False,
                    "failure_message": False,
                }
            )
            self._enqueue_booking()
        elif tx.state == "pending" and tx.ofn_requires_authentication:
            if self.state != "awaiting_authentication":
                self.write(
                    {
                        "state": "awaiting_authentication",
                        "failure_reason": False,
                        "charge_unknown_since": False,
                    }
                )
                if not self.env.context.get("ofn_customer_present"):
                    self._enqueue_notification(
                        "ofn_standing_orders.mail_template_authentication_required"
                    )
                self._charge_outcome_known()
        elif tx.state in ("error", "cancel") and self.state in (
            "confirmed",
            "awaiting_authentication",
        ):
            reason = (
                "authentication_failed" if self.state == "awaiting_authentication" else "declined"
            )
            if self.company_id.sudo().ofn_stripe_account_id.state == "revoked":
                reason = "hub_disconnected"
            self._fail(reason, tx._ofn_bank_message(), decline_code=tx.ofn_decline_code)

    def _fail(self, reason, message, decline_code=False):
        """The attempt charged nothing: the hub's retry policy says when the next one is, or
        that this was the last (the hub settles the invoice with the customer). A hard decline
        of the bank (``decline_code`` in HARD_DECLINE_CODES: lost or stolen card, wrong
        number...) is never retried: the customer is asked to act, the hub to follow it up."""
        hub = self.company_id.sudo()
        last = self.charge_attempts > hub.ofn_charge_retries or decline_code in HARD_DECLINE_CODES
        values = {
            "state": "failed",
            "failure_reason": reason,
            "failure_message": message,
            "decline_code": decline_code or False,
            "charge_unknown_since": False,
        }
        if last:
            values.update({"next_charge_at": False, "needs_attention": True})
        else:
            values["next_charge_at"] = fields.Datetime.now() + timedelta(
                hours=hub.ofn_charge_retry_delay_hours
            )
        self.write(values)
        _logger.info(
            "Standing order occurrence %s: payment attempt %s failed (%s%s)%s",
            self.id,
            self.charge_attempts,
            reason,
            f", {decline_code}" if decline_code else "",
            ", last attempt" if last else "",
        )
        if not self.env.context.get("ofn_customer_present"):  # else told on the page
            self._enqueue_notification("ofn_standing_orders.mail_template_payment_failed")
        self._charge_outcome_known()
        if last:
            self._flag_for_hub()

    def _flag_for_hub(self):
        """After the last attempt: a to-do on the order for the hub's managers (one: an
        attempt of the customer's after the last one adds none)."""
        order = self.sale_order_id
        managers = self.company_id.ofn_managers()
        user = order.user_id if order.user_id in managers else managers[:1]
        if user and not self._unpaid_todos():
            if self.hard_decline:
                note = _(
                    "The bank refused the card for good (%(reason)s, %(code)s): it is not "
                    "tried again and the customer is asked to pay with another card. Invoice "
                    "%(invoice)s stays unpaid until then: settle it with the customer.",
                    reason=self.failure_message,
                    code=self.decline_code,
                    invoice=self.invoice_id.name,
                )
            else:
                note = _(
                    "Every attempt to charge the card failed (%(reason)s). Invoice %(invoice)s "
                    "stays unpaid: settle it with the customer.",
                    reason=self.failure_message,
                    invoice=self.invoice_id.name,
                )
            order.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Standing order unpaid"),
                note=note,
                user_id=user.id,
            )

    def _close_hub_todo(self, feedback=None):
        """The order is settled: the engine's "unpaid" to-do on it is done, with ``feedback``
        (by default, the state it was settled in)."""
        self._unpaid_todos().action_feedback(
            feedback=feedback or _("Settled: %(state)s", state=self._state_label())
        )

    def _state_label(self):
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _unpaid_todos(self):
        """The hub's open "unpaid" to-dos on the order (`_flag_for_hub`, the engine's own)."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        return self.sale_order_id.sudo().activity_ids.filtered(
            lambda activity: activity.automated and activity.activity_type_id == todo
        )

    # --- the customer pays on the portal (on-session) --- #

    def action_ofn_pay_now(self, card):
        """Route of the portal's "Pay now": the customer pays this order, whose card payment
        failed or waits for their bank, with ``card``, one of their wallet cards: an on-session
        direct charge on the hub's account with the hub's clone of the card, the occurrence's
        next attempt (same discipline as the engine's charge: the attempt's payment committed
        under the occurrence's lock, Stripe called with no lock, the outcome recorded after;
        the engine's retries stop). A payment waiting for the bank is cancelled on Stripe
        first (or, if it went through meanwhile, followed: nothing new is sent). The standing
        order's consent does not change.

        :param card: a `payment.token`, one of the customer's wallet cards
        :return: ``{"state": "paid" | "authenticate" | "failed" | "processing", "message":
            str}`` (``failed``: the bank's words), and for ``authenticate`` (the bank asks for
            3-D Secure in the browser) the ``tx_id``
        :rtype: dict
        :raise UserError: nothing to pay, the card or the hub cannot be used, the order is
            being processed, or Stripe did not answer (nothing new is sent; ask again later)
        """
        self.ensure_one()
        self.check_access("read")
        card = card._ofn_check_own_wallet_card()
        occurrence = self.sudo()
        if card.partner_id != occurrence.partner_id.commercial_partner_id or not card.active:
            raise UserError(_("Choose one of the cards of your wallet."))
        try:
            with occurrence._charge_lock():
                return occurrence.with_context(ofn_customer_present=True)._pay_now(card)
        except RetryableJobError as busy:
            raise UserError(self._busy_message()) from busy

    def action_ofn_pay_now_done(self, tx):
        """Route of the pay page once the customer answered their bank (3-D Secure): the
        outcome of the customer's payment ``tx`` is read from Stripe and followed.

        :return: as `action_ofn_pay_now`
        :rtype: dict
        """
        self.ensure_one()
        self.check_access("read")
        occurrence = self.sudo()
        tx = tx.sudo()
        if tx not in occurrence.transaction_ids or tx.operation != "online_token":
            raise UserError(_("This is not a payment of your order."))
        if tx.state == "pending" and tx.ofn_requires_authentication:
            tx.with_context(ofn_customer_present=True).action_ofn_complete_authentication()
        return occurrence._pay_now_result(tx)

    def _pay_now(self, card):
        self._check_payable()
        account = self.company_id.ofn_stripe_account_id
        token = card.ofn_clone_for(account)  # may ask Stripe: no lock held on the occurrence
        commit_unit_of_work(self.env)
        waiting = self._waiting_payment()
        if waiting:
            self._cancel_waiting_payment(waiting)
            if self.state == "paid":
                return self._pay_now_result(waiting)
        try:
            tx = self._prepare_charge(self.charge_attempts + 1, card=token)
        except RetryableJobError as busy:
            raise UserError(self._busy_message()) from busy
        commit_unit_of_work(self.env)
        if not tx:  # paid meanwhile (by credit), or no longer to pay
            if self.state != "paid":
                self._check_payable()
            return self._pay_now_result(tx)
        try:
            self._send_charge(tx, book_now=True)
        except RetryableJobError as unanswered:
            raise UserError(
                _(
                    "Stripe did not answer your payment: it is checked again in a few minutes "
                    "and can never be charged twice. Please do not pay again; look at your "
                    "order in a few minutes."
                )
            ) from unanswered
        return self._pay_now_result(tx)

    def _busy_message(self):
        return _("Your order is being processed right now: please try again in a minute.")

    def _check_payable(self):
        """Raises a plain message when the customer cannot pay this order now."""
        self.invalidate_recordset()
        if self.state == "paid":
            raise UserError(_("Your order %(order)s is paid.", order=self.sale_order_id.name))
        if self.state not in ("failed", "awaiting_authentication") or not self.invoice_id:
            raise UserError(_("There is nothing to pay for this order now."))
        if not self.company_id._ofn_takes_cards():
            raise UserError(
                _(
                    "%(hub)s cannot take card payments right now: please contact them.",
                    hub=self.company_id.name,
                )
            )

    def _waiting_payment(self):
        """The payment of this occurrence waiting for the customer's bank, if any."""
        return self.transaction_ids.sorted("id")[-1:].filtered(
            lambda tx: tx.state == "pending" and tx.ofn_requires_authentication
        )

    def _cancel_waiting_payment(self, tx):
        """Cancels on Stripe the PaymentIntent of ``tx``, which waits for the customer's bank,
        before the customer pays otherwise: it can never be completed as well. Stripe's answer
        is recorded; one that says the payment went through meanwhile is followed (the order is
        paid). No answer: nothing is known, nothing new is sent."""
        named = tx._ofn_naming_stripe_posts("ofn-pay-now-cancel").with_context(
            ofn_stripe_commit_before_call=True
        )
        try:
            try:
                intent = named.provider_id._stripe_make_request(
                    f"payment_intents/{tx.provider_reference}/cancel"
                )
            except StripeGatewayError as error:
                if error.ask_again:
                    raise
                # Stripe refused to cancel it: read where the payment is
                intent = named.ofn_payment_intent()
        except StripeGatewayError as error:
            if error.ask_again:
                raise UserError(
                    _(
                        "Stripe did not answer about your waiting payment: nothing was sent. "
                        "Please try again in a minute."
                    )
                ) from error
            raise UserError(
                _("Your waiting payment could not be cancelled: %(reason)s", reason=error.reason)
            ) from error
        tx._ofn_process_stripe_intent(intent)
        if tx.state == "done":
            tx._post_process()  # it went through meanwhile: booked, the occurrence follows
            return
        if tx.state not in ("cancel", "error"):
            raise UserError(
                _("Your bank is still processing the waiting payment: please try again later.")
            )
        tx.ofn_requires_authentication = False

    def _pay_now_result(self, tx):
        """What the pay page tells the customer after their payment ``tx``."""
        self.invalidate_recordset()
        if self.state == "paid":
            return {
                "state": "paid",
                "message": _(
                    "Thank you: your order %(order)s is paid.", order=self.sale_order_id.name
                ),
            }
        if tx and tx.state == "pending" and tx.ofn_requires_authentication:
            return {
                "state": "authenticate",
                "tx_id": tx.id,
                "message": _("Your bank asks you to confirm this payment."),
            }
        if tx and tx.state in ("error", "cancel"):
            return {"state": "failed", "message": tx._ofn_bank_message()}
        return {
            "state": "processing",
            "message": _("Your payment is being processed: look at your order in a minute."),
        }

    def _tell_hub_paid_by_customer(self, tx):
        """The customer paid this failed order on the portal: the hub's "unpaid" to-do is
        done, a note on the order says so, and each of the hub's managers gets an e-mail in
        their language."""
        self._close_hub_todo(_("Paid by the customer on the portal."))
        self.sudo()._note_on_order(
            _(
                "%(customer)s paid this order from the portal (%(card)s, %(reference)s).",
                customer=self.partner_id.name,
                card=tx.token_id.display_name,
                reference=tx.reference,
            )
        )
        template = self.env.ref("ofn_standing_orders.mail_template_hub_paid_by_customer")
        mail_hub_managers(template, self, author=self.company_id.partner_id)

    # --- book --- #

    @api.model
    def _book_hub(self, hub_id):
        """Books the charged occurrences of the hub, a chunk at a time."""
        charged = self._find(f"{_BOOKABLE} AND o.company_id = {int(hub_id)}")
        size = self._chunk_size()
        for start in range(0, len(charged), size):
            charged[start : start + size]._run_chunk("_book")

    def _book(self):
        """The card payments of these charged occurrences are posted and reconciled with their
        invoices in one batch; the occurrences are paid."""
        occurrences = self._lock(_BOOKABLE)
        if not occurrences:
            return
        occurrences.transaction_ids.filtered(
            lambda tx: tx.state == "done" and not tx.is_post_processed
        )._ofn_book()
        paid = occurrences.filtered(lambda o: o.invoice_id.payment_state in ("paid", "in_payment"))
        paid.write({"state": "paid", "needs_attention": False})
        paid._enqueue_notification("ofn_standing_orders.mail_template_order_paid")
        paid._charge_outcome_known()

    # === E-MAILS === #

    def _enqueue_notification(self, template_xmlid):
        """The customers are told by a job of their own (rendered and queued there, sent by
        Odoo's mail queue): never inside a stage's job. Outside the jobs (the customer's own
        3-D Secure, the hub stopping a standing order), they are told at once."""
        if self and not self.env.context.get("job_uuid"):
            self._notify(template_xmlid)
        elif self:
            self.with_delay(
                channel="root.ofn.batch",
                description=_("Tell the customers: %(what)s", what=template_xmlid.split(".")[-1]),
            )._notify(template_xmlid)

    def _notify(self, template_xmlid):
        """One message per order, from the hub, on the order's chatter and e-mailed to the
        customer, rendered from the template in the customer's language."""
        # the invoices the templates link to, read at once (a template reads one order's)
        self.invoice_id.fetch(["name", "access_token", "amount_residual", "currency_id"])
        mail_customers(self.sale_order_id, template_xmlid)

    def _summary_line(self):
        """This occurrence as the hub's summary lists it under a problem."""
        parts = [self.standing_order_id.name, self.sale_order_id.name]
        if self.state == "placed" and self.change_note:
            parts.append(self.change_note)
        if self.needs_attention or self.state == "failed":
            parts.append(self.failure_message)
        if self.state == "failed":
            parts.append(
                _("refused for good (%(code)s): not tried again", code=self.decline_code)
                if self.hard_decline
                else _("last attempt: the hub settles it")
                if self.needs_attention
                else _(
                    "tried again at %(when)s",
                    when=format_local_time(
                        self.env, self.next_charge_at, tz=self.company_id.partner_id.tz
                    ),
                )
            )
        return " — ".join(part for part in parts if part)

    # === THE CHECK BEFORE THE CLOSE === #

    def _pre_close_check(self, notify=True):
        """The check's job (one hub and cycle), or the check again after the customer fixed
        something (``notify`` False): each occurrence still to be charged by card within its
        hub's check hours gets the problems that would make the charge fail; the others, and
        those with none, are cleared (the hub's list shows what is wrong now). The problems
        nobody was told about are e-mailed by a job of their own."""
        checked = self._find(f"o.id = ANY(%(ids)s) AND {_CHECKED_BEFORE_CLOSE}", ids=self.ids)
        for occurrence in self:
            problems = []
            if occurrence in checked:
                problems = occurrence._card_problems(until=occurrence.cycle_id.closes_at)[1]
            values = {
                "at_risk": bool(problems),
                "risk_codes": ",".join(code for code, _message in problems) or False,
                "risk_message": "\n".join(message for _code, message in problems) or False,
            }
            if any(occurrence[name] != value for name, value in values.items()):
                occurrence.write(values)
        if not notify:
            return
        for cycle, occurrences in (
            self.filtered(lambda o: o._risks_to_tell()).grouped("cycle_id").items()
        ):
            occurrences.with_delay(
                channel="root.ofn.batch",
                identity_key=f"ofn-risk-mail-{cycle.id}",
                description=_("Tell about the payments at risk of %(cycle)s", cycle=cycle.name),
            )._notify_risks()

    def _risks_to_tell(self, codes=None):
        """The problems of these occurrences nobody was told about yet: ``[(occurrence, code,
        message)]``, only ``codes`` when given."""
        found = []
        for occurrence in self.filtered("at_risk"):
            told = set((occurrence.risk_notified_codes or "").split(","))
            lines = zip(
                occurrence.risk_codes.split(","),
                occurrence.risk_message.split("\n"),
                strict=True,
            )
            found += [
                (occurrence, code, message)
                for code, message in lines
                if code not in told and (codes is None or code in codes)
            ]
        return found

    def _customer_risks_to_tell(self):
        """What the customer of this occurrence can fix, of all their orders of its cycle at
        its hub, not told yet (read by the customer's e-mail): ``[{occurrence, code, card,
        url}]``, the url being the page that fixes it (the Wallet, at the hub's row)."""
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id
        siblings = self.cycle_id.occurrence_ids.filtered(
            lambda o: o.partner_id.commercial_partner_id == customer
        )
        consent = customer.ofn_consent_for(self.company_id)
        url = f"{self.get_base_url()}/my/wallet#ofn-hub-{self.company_id.id}"
        return [
            {"occurrence": occurrence, "code": code, "card": consent.card_id, "url": url}
            for occurrence, code, _message in siblings._risks_to_tell(CUSTOMER_RISKS)
        ]

    def _notify_risks(self):
        """The check's e-mails (a job, one hub and cycle): each customer once for what they
        can fix on all their orders of the cycle, in their language, from the hub; the hub's
        managers the list of orders at risk, each in their own language. Only the problems
        nobody was told about; queued for Odoo's mail queue."""
        self.invalidate_model()  # what was told meanwhile, by another job
        cycle = self.cycle_id.ensure_one()
        new = cycle.occurrence_ids._risks_to_tell()  # as the e-mails list them
        if not new:
            return
        occurrences = self.browse([occurrence.id for occurrence, _code, _message in new])
        hub = cycle.company_id
        to_customers = self.browse(
            [occurrence.id for occurrence, code, _message in new if code in CUSTOMER_RISKS]
        )
        customer_template = self.env.ref("ofn_standing_orders.mail_template_payment_at_risk")
        for customer_occurrences in to_customers.grouped(
            lambda o: o.partner_id.commercial_partner_id
        ).values():
            customer_template.send_mail(
                customer_occurrences[0].id,
                email_values={"author_id": hub.partner_id.id},
                email_layout_xmlid="mail.mail_notification_light",
            )
        hub_template = self.env.ref("ofn_standing_orders.mail_template_hub_payments_at_risk")
        mail_hub_managers(hub_template, cycle, author=hub.partner_id)
        for occurrence in occurrences:
            told = (occurrence.risk_notified_codes or "").split(",")
            occurrence.risk_notified_codes = ",".join(
                code for code in dict.fromkeys(told + occurrence.risk_codes.split(",")) if code
            )

    def _payment_failed_advice(self):
        """Why the card payment did not go through, in plain words, and what the customer can
        do: ``{"reason": ..., "action": ...}``, in this environment's language (the customer's,
        when their e-mail is rendered). The bank's decline code decides the words, by group
        (DECLINE_CODE_GROUPS); without one, the failure's reason does."""
        self.ensure_one()
        hub = self.company_id.name
        group = next(
            (name for name, codes in DECLINE_CODE_GROUPS.items() if self.decline_code in codes),
            None,
        )
        if self.next_charge_at:
            later = self.env._(
                "We will try again on %(date)s, or you can pay now.",
                date=format_datetime(
                    self.env, self.next_charge_at, tz=self.partner_id.tz, dt_format="short"
                ),
            )
        else:
            later = self.env._("You can pay now, with this card or another one.")
        if group == "lost_or_stolen":
            reason = self.env._("Your bank reports this card as lost or stolen, or blocked it.")
            action = self.env._(
                "It cannot be charged any more: add a new card to your wallet and pay now."
            )
        elif group == "expired":
            reason = self.env._("Your card has expired.")
            action = self.env._("Add your new card to your wallet and pay now.")
        elif group == "card_details":
            reason = self.env._(
                "Your bank does not accept the card's details (its number, expiry date or "
                "security code), or its account is closed."
            )
            action = self.env._("Add the card again, or another card, and pay now.")
        elif group == "refused":
            reason = self.env._("Your bank refuses this card's payments to %(hub)s.", hub=hub)
            action = self.env._("Ask your bank, or add another card to your wallet and pay now.")
        elif group == "funds":
            reason = self.env._(
                "There was not enough money on the card, or its spending limit was reached."
            )
            action = later
        elif group == "temporary":
            reason = self.env._("Your bank could not process the payment for now.")
            action = later
        elif self.failure_reason == "no_consent":
            reason = self.env._("%(hub)s may not charge your card.", hub=hub)
            action = self.env._(
                "Allow %(hub)s to charge your card on your Wallet page, or pay now.", hub=hub
            )
        elif self.failure_reason == "card_deleted":
            reason = self.env._(
                "The card you allowed %(hub)s to charge was deleted from your wallet.", hub=hub
            )
            action = self.env._(
                "Add a card and allow %(hub)s to charge it on your Wallet page, or pay now.",
                hub=hub,
            )
        elif self.failure_reason == "authentication_failed":
            reason = self.env._("Your bank's confirmation of the payment (3-D Secure) failed.")
            action = later
        elif self.failure_reason in ("hub_disconnected", "error"):
            reason = self.env._(
                "%(hub)s could not take the card payment: nothing was charged.", hub=hub
            )
            action = later
        else:
            reason = self.env._("Your bank declined the payment without giving a reason.")
            action = (
                later
                if self.next_charge_at
                else self.env._("Ask your bank, or pay now with another card.")
            )
        return {"reason": reason, "action": action}

    # === THE HUB'S ACTIONS ON A PAYMENT PROBLEM === #

    def _check_hub_staff(self):
        """These occurrences as superuser, once the current user is found to be staff of each
        one's hub (its managers, the platform's admins); another hub's occurrences are refused
        (the multi-company record rules).

        :raise AccessError: the user may not act for one of the hubs
        """
        self.check_access("read")
        self.company_id._ofn_check_standing_order_staff()
        return self.sudo()

    def _lock_for_hub(self, where, refusal):
        """This occurrence, locked for the hub's action while it matches ``where`` and no
        charge job of it runs (the job's lock is taken until the end of the transaction: no
        charge starts meanwhile). Else ``refusal`` is raised: nothing changes."""
        self.ensure_one()
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_CHARGE_LOCK, self.id])
        if not self.env.cr.fetchone()[0] or not self._lock(where):
            raise UserError(refusal)
        return self

    def action_retry_now(self):
        """The hub charges the card again now (the customer says they fixed it, even after a
        hard decline): one more attempt, enqueued at once as a charge job; the hub's retry
        policy goes on from there."""
        for occurrence in self._check_hub_staff():
            occurrence._lock_for_hub(
                _RETRYABLE_BY_HUB,
                _(
                    "%(order)s cannot be charged again now: its payment did not fail, or a "
                    "card payment of it is under way.",
                    order=occurrence.sale_order_id.name,
                ),
            )
            occurrence.write({"needs_attention": False, "next_charge_at": fields.Datetime.now()})
            occurrence._close_hub_todo()
            occurrence._note_on_order(
                _("%(user)s charges the card again now.", user=self.env.user.name)
            )
            occurrence._enqueue_charges()
        return True

    def action_resend_authentication(self):
        """The customer gets the e-mail asking them to confirm the payment (3-D Secure)
        again."""
        for occurrence in self._check_hub_staff():
            occurrence._lock_for_hub(
                _AWAITING,
                _(
                    "%(order)s does not wait for the customer's authentication.",
                    order=occurrence.sale_order_id.name,
                ),
            )
            occurrence._notify("ofn_standing_orders.mail_template_authentication_required")
        return True

    def action_open_paid_elsewhere(self):
        """The small form where the hub says how the customer paid (cash, bank transfer)."""
        occurrence = self._check_hub_staff().ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Mark as paid another way"),
            "res_model": "ofn.occurrence.paid.elsewhere",
            "view_mode": "form",
            "target": "new",
            "context": {"default_occurrence_id": occurrence.id},
        }

    def mark_paid_elsewhere(self, journal, payment_date, memo=None):
        """The customer paid the invoice another way: a payment of what it still owes, in the
        hub's cash or bank ``journal`` on ``payment_date``, registered with Odoo's own
        ``account.payment.register`` (posted, reconciled with the invoice); the occurrence is
        paid, its retries stop, a payment waiting for 3-D Secure is cancelled here (its link
        then refuses), the hub's "unpaid" to-do is done. Stripe is never called.

        :param journal: an ``account.journal`` (or its id) of the hub, of type cash or bank
        :return: the payment
        :raise UserError: the order cannot be settled now, or the journal does not fit
        """
        occurrence = self._check_hub_staff().ensure_one()
        hub = occurrence.company_id
        journal = self.env["account.journal"].sudo().browse(getattr(journal, "id", journal))
        if (
            journal.company_id != hub
            or journal.type not in ("cash", "bank")
            or not journal.inbound_payment_method_line_ids.filtered(
                lambda line: line.code == "manual"
            )
        ):
            raise UserError(
                _("Choose a cash or bank journal of %(hub)s for this payment.", hub=hub.name)
            )
        occurrence._settle_for_hub()
        invoice = occurrence.invoice_id.with_company(hub)
        register = (
            self.env["account.payment.register"]
            .sudo()
            .with_company(hub)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "journal_id": journal.id,
                    # the manual method: never a card payment, no Stripe call
                    "payment_method_line_id": journal.inbound_payment_method_line_ids.filtered(
                        lambda line: line.code == "manual"
                    )[:1].id,
                    "payment_date": payment_date or fields.Date.context_today(self),
                    "communication": memo or invoice.name,
                }
            )
        )
        payment = register._create_payments().sudo()
        occurrence.write({"state": "paid", "next_charge_at": False, "needs_attention": False})
        occurrence._close_hub_todo()
        occurrence._note_on_order(
            _(
                "%(user)s marked the order as paid another way: %(payment)s in %(journal)s.",
                user=self.env.user.name,
                payment=payment.name,
                journal=journal.name,
            )
        )
        occurrence._notify("ofn_standing_orders.mail_template_order_paid")
        return payment.with_env(self.env)

    def action_cancel_order(self):
        """The hub cancels the order: its posted invoice reversed by a credit note, its
        delivery cancelled, the occurrence cancelled, retries stopped, the customer told. The
        standing order goes on."""
        for occurrence in self._check_hub_staff():
            order = occurrence.sale_order_id.with_company(occurrence.company_id)
            if order.picking_ids.filtered(lambda picking: picking.state == "done"):
                raise UserError(
                    _(
                        "%(order)s is delivered already: return its delivery before cancelling it.",
                        order=order.name,
                    )
                )
            occurrence._settle_for_hub()
            invoice = occurrence.invoice_id.with_company(occurrence.company_id)
            if invoice.state == "posted":
                invoice._reverse_moves(
                    [{"ref": _("Cancelled: %(invoice)s", invoice=invoice.name)}], cancel=True
                )
            order.with_context(disable_cancel_warning=True).action_cancel()
            occurrence.write(
                {"state": "cancelled", "next_charge_at": False, "needs_attention": False}
            )
            occurrence._close_hub_todo()
            occurrence._note_on_order(_("%(user)s cancelled the order.", user=self.env.user.name))
            occurrence._notify("ofn_standing_orders.mail_template_order_cancelled_by_hub")
        return True

    def _settle_for_hub(self):
        """Locks this occurrence for the hub settling it (paid another way, or cancelled) and
        stops its card payments: a payment waiting for 3-D Secure is cancelled here (no Stripe
        call; its authentication link then refuses)."""
        self._lock_for_hub(
            _SETTLEABLE_BY_HUB,
            _(
                "%(order)s cannot be settled now: it is paid or cancelled already, or a card "
                "payment of it is planned or under way.",
                order=self.sale_order_id.name,
            ),
        )
        waiting = self.transaction_ids.filtered(lambda tx: tx.state == "pending")
        if waiting:
            waiting._set_canceled(_("Settled by the hub without the card."))
            waiting.ofn_requires_authentication = False

    def _note_on_order(self, text):
        """A note for the hub on the order's chatter (the customer is not told of it)."""
        self.sale_order_id.message_post(
            body=Markup("<p>%s</p>") % text, message_type="comment", subtype_xmlid="mail.mt_note"
        )

    # === THE CUSTOMER'S CHANGES BEFORE THE CYCLE CLOSES === #

    def _skip(self):
        """The customer does not want this cycle's order. A quotation already placed is
        cancelled; the occurrence keeps the link to it (the hub sees which order was
        withdrawn)."""
        occurrence = lock_before_closing(self, SKIPPABLE_STATES)
        order = occurrence.sale_order_id
        if occurrence.state == "placed" and order.state != "cancel":
            order._ofn_check_still_a_quotation()
            order.with_company(order.company_id).with_context(
                disable_cancel_warning=True
            ).action_cancel()
            occurrence._note_on_order(
                _("The customer skipped this order cycle: the order is cancelled.")
            )
        occurrence.write({"state": "skipped"})
        occurrence.env.flush_all()  # as superuser: the hub's records are not the customer's
        return occurrence

    def _unskip(self):
        """The customer wants this cycle's order after all: placed at once when the cycle is
        open and the standing order active, else planned (placed when the cycle opens)."""
        occurrence = lock_before_closing(self, ("skipped",))
        standing = occurrence.standing_order_id
        if standing.status not in ("active", "paused"):
            raise UserError(_("This standing order is cancelled: its cycles cannot be taken back."))
        occurrence.write({"state": "planned", "sale_order_id": False, "change_note": False})
        if standing.status == "active" and occurrence.cycle_id.opens_at <= fields.Datetime.now():
            occurrence._place()  # the row is locked by this transaction already
        occurrence.env.flush_all()
        return occurrence

    def _set_quantities(self, quantities):
        """New quantities for the lines of the placed quotation (``{line id: quantity}``, 0
        removes a line; nothing is ever added). Returns the changes, one sentence each."""
        occurrence = lock_before_closing(self, ("placed",))
        order = occurrence.sale_order_id
        order._ofn_check_still_a_quotation()
        changes = order._ofn_set_customer_quantities(quantities)
        occurrence.env.flush_all()
        return changes

    def _cancel_with_standing_order(self):
        """The standing order stopped and its open orders go with it: the quotation is
        cancelled and the customer told (an order confirmed meanwhile is kept)."""
        self.env.cr.execute(
            "SELECT id FROM ofn_standing_order_occurrence WHERE id = ANY(%s) AND state IN %s "
            "FOR UPDATE NOWAIT",
            [self.ids, OPEN_OCCURRENCE_STATES],
        )
        occurrences = self.browse(row[0] for row in self.env.cr.fetchall())
        orders = occurrences.sale_order_id.filtered(lambda o: o.state in ("draft", "sent"))
        for order in orders:
            order.with_company(order.company_id).with_context(
                disable_cancel_warning=True
            ).action_cancel()
        occurrences.write({"state": "cancelled", "next_charge_at": False})
        occurrences.filtered("sale_order_id")._enqueue_notification(
            "ofn_standing_orders.mail_template_order_cancelled"
        )


# a problem of an earlier run is over
_CLEARED = {"needs_attention": False, "failure_reason": False, "failure_message": False}
