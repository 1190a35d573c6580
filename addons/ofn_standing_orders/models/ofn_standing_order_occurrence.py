"""The occurrence of a standing order in an order cycle, and its state machine (ARCHITECTURE.md §4).

The cycle close runs as OCA ``queue_job`` jobs; the crons only find the work and enqueue it:

    planned --_place--> placed | empty                  (batch: one job per hub, cycle and chunk)
    placed --_confirm--> confirmed | paid | cancelled   (batch: confirm, invoice, post, credit)
    confirmed | failed --_charge--> charged | awaiting_authentication | failed
                                                        (one job per occurrence and attempt)
    awaiting_authentication --(customer's 3-D Secure)--> charged | failed
    charged --_book--> paid                             (batch: payments posted and reconciled)
    failed | awaiting_authentication --action_ofn_pay_now--> paid | awaiting_authentication
        | failed                    (the customer on the portal, on-session: the next attempt,
                                     booked at once; a waiting PaymentIntent cancelled first)

and, by the customer or the hub before the cycle closes: planned | empty | placed --skip-->
skipped --unskip--> planned | placed; placed --(standing order stopped)--> cancelled.

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

from odoo.addons.ofn_stripe_connect.exceptions import StripeGatewayError
from odoo.addons.ofn_stripe_connect.utils import (
    commit_unit_of_work,
    format_local_time,
    in_test_transaction,
)
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact

from ..const import (
    BOOKING_DELAY_SECONDS,
    CHARGE_JOB_PRIORITY,
    CHARGE_REFERENCE,
    CHARGE_REPLAY_WINDOW_HOURS,
    CHARGE_UNANSWERED_RETRY_MINUTES,
    DEFAULT_CHUNK_SIZE,
    ENGINE_CONTEXT,
    FAILURE_REASONS,
    OCCURRENCE_STATES,
    OPEN_OCCURRENCE_STATES,
    SKIPPABLE_STATES,
)
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
    def _find(self, where, order_by="o.id"):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT o.id FROM ofn_standing_order_occurrence o WHERE {where} ORDER BY {order_by}",
            {"now": fields.Datetime.now()},
        )
        return self.sudo().browse(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _enqueue_chunks(self, where, stage, order_by):
        """One job per hub, cycle and chunk of at most the chunk size (a setting); returns the
        occurrences found."""
        found = self._find(where, f"o.company_id, o.cycle_id, {order_by}")
        size = self._chunk_size()
        for (_hub, cycle), occurrences in found.grouped(
            lambda o: (o.company_id, o.cycle_id)
        ).items():
            for start in range(0, len(occurrences), size):
                chunk = occurrences[start : start + size]
                getattr(
                    chunk.with_delay(
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
            occurrence.with_delay(
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
            self.browse().with_delay(
                channel="root.ofn.batch",
                identity_key=f"ofn-book-{hub.id}",
                eta=BOOKING_DELAY_SECONDS,
                description=_("Book the card payments of %(hub)s", hub=hub.name),
            )._book_hub(hub.id)

    def _enqueue_summary(self, stage):
        """The hub's summary of the cycle's stage, sent once the stage's jobs are done."""
        for cycle in self.cycle_id:
            cycle.with_delay(
                channel="root.ofn.batch",
                identity_key=f"ofn-summary-{cycle.id}-{stage}",
                eta=3,
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
        self.invalidate_recordset(["state", "needs_attention"])
        if [(o.state, o.needs_attention) for o in self] != before:
            self._enqueue_summary(summary)

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
            {"ids": self.ids, "now": fields.Datetime.now()},
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
        placed, values_list = self.browse(), []
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
        orders = (
            self.env["sale.order"]
            .with_company(hub)
            .with_context(**ENGINE_CONTEXT)
            .create(values_list)
        )
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
        tx = self._prepare_charge(attempt)
        commit_unit_of_work(self.env)
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
                self._follow(tx)
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
            self._follow(tx)

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
        hub = self.company_id
        customer = self.partner_id.commercial_partner_id
        account = hub.sudo().ofn_stripe_account_id
        if not account or account.state != "connected" or account.provider_id.state == "disabled":
            return (
                None,
                "hub_disconnected",
                _("%(hub)s's Stripe account is not connected.", hub=hub.name),
            )
        consent = customer.ofn_consent_for(hub)
        if consent.card_id and not (consent.card_id.active and consent.hub_token_id.active):
            return (
                None,
                "card_deleted",
                _("The card allowed for %(hub)s was deleted from the wallet.", hub=hub.name),
            )
        if consent.state != "active":
            return (
                None,
                "no_consent",
                _(
                    "%(customer)s has not allowed %(hub)s to charge their card.",
                    customer=customer.name,
                    hub=hub.name,
                ),
            )
        return consent.hub_token_id, None, None

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

    def _follow(self, tx):
        """The occurrence follows its latest card payment: called after the charge, after the
        customer's 3-D Secure, and by the payment's post-processing (webhooks)."""
        self.ensure_one()
        if tx != self.transaction_ids.sorted("id")[-1:]:
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
                self._enqueue_summary("confirmation")
        elif tx.state in ("error", "cancel") and self.state in (
            "confirmed",
            "awaiting_authentication",
        ):
            reason = (
                "authentication_failed" if self.state == "awaiting_authentication" else "declined"
            )
            if self.company_id.sudo().ofn_stripe_account_id.state == "revoked":
                reason = "hub_disconnected"
            self._fail(reason, tx._ofn_bank_message())

    def _fail(self, reason, message):
        """The attempt charged nothing: the hub's retry policy says when the next one is, or
        that this was the last (the hub settles the invoice with the customer)."""
        hub = self.company_id.sudo()
        last = self.charge_attempts > hub.ofn_charge_retries
        values = {
            "state": "failed",
            "failure_reason": reason,
            "failure_message": message,
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
            "Standing order occurrence %s: payment attempt %s failed (%s)%s",
            self.id,
            self.charge_attempts,
            reason,
            ", last attempt" if last else "",
        )
        if not self.env.context.get("ofn_customer_present"):  # else told on the page
            self._enqueue_notification("ofn_standing_orders.mail_template_payment_failed")
        self._enqueue_summary("confirmation")
        if last:
            self._flag_for_hub()

    def _flag_for_hub(self):
        """After the last attempt: a to-do on the order for the hub's managers (one: an
        attempt of the customer's after the last one adds none)."""
        order = self.sale_order_id
        managers = self.company_id.ofn_managers()
        user = order.user_id if order.user_id in managers else managers[:1]
        if user and not self._unpaid_todos():
            order.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Standing order unpaid"),
                note=_(
                    "Every attempt to charge the card failed (%(reason)s). Invoice %(invoice)s "
                    "stays unpaid: settle it with the customer.",
                    reason=self.failure_message,
                    invoice=self.invoice_id.name,
                ),
                user_id=user.id,
            )

    def _unpaid_todos(self):
        """The hub's open "unpaid" to-dos on the order (`_flag_for_hub`)."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        unpaid = {_("Standing order unpaid"), "Standing order unpaid"}
        return self.sale_order_id.sudo().activity_ids.filtered(
            lambda activity: activity.activity_type_id == todo and activity.summary in unpaid
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
        account = self.company_id.sudo().ofn_stripe_account_id
        if not account or account.state != "connected" or not account.provider_id:
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
        order = self.sale_order_id.sudo()
        self._unpaid_todos().action_feedback(feedback=_("Paid by the customer on the portal."))
        order.message_post(
            body=Markup("<p>%s</p>")
            % _(
                "%(customer)s paid this order from the portal (%(card)s, %(reference)s).",
                customer=self.partner_id.name,
                card=tx.token_id.display_name,
                reference=tx.reference,
            ),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        template = self.env.ref("ofn_standing_orders.mail_template_hub_paid_by_customer").sudo()
        for manager in self.company_id.ofn_managers().partner_id:
            template.with_context(lang=manager.lang).send_mail(
                self.id,
                email_values={"recipient_ids": [Command.set(manager.ids)]},
                email_layout_xmlid="mail.mail_notification_light",
            )

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
        template = self.env.ref(template_xmlid)
        subtype = self.env.ref("mail.mt_comment")
        for hub, occurrences in self.grouped("company_id").items():
            orders = occurrences.sale_order_id
            if not orders:
                continue
            composer = (
                self.env["mail.compose.message"]
                .with_company(hub)
                .with_context(
                    mail_notify_force_send=False,
                    mail_create_nosubscribe=True,
                    mail_post_autofollow=False,  # `sale` would make the customer a follower
                )
                .create(
                    {
                        "composition_mode": "comment",
                        "model": "sale.order",
                        "res_ids": orders.ids,
                        "template_id": template.id,
                        "author_id": hub.partner_id.id,
                        "message_type": "comment",
                        "subtype_id": subtype.id,
                    }
                )
            )
            composer._action_send_mail()

    def _summary_line(self):
        """This occurrence as the hub's summary lists it under a problem."""
        parts = [self.standing_order_id.name, self.sale_order_id.name]
        if self.state == "placed" and self.change_note:
            parts.append(self.change_note)
        if self.needs_attention or self.state == "failed":
            parts.append(self.failure_message)
        if self.state == "failed":
            parts.append(
                _("last attempt: the hub settles it")
                if self.needs_attention
                else _(
                    "tried again at %(when)s",
                    when=format_local_time(
                        self.env, self.next_charge_at, tz=self.company_id.partner_id.tz
                    ),
                )
            )
        return " — ".join(part for part in parts if part)

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
            order.message_post(
                body=Markup("<p>%s</p>")
                % _("The customer skipped this order cycle: the order is cancelled."),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
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
