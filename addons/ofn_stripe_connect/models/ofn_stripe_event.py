from datetime import UTC, datetime

from odoo import api, fields, models
from odoo.tools import SQL

EVENT_STATES = [
    ("received", "Being processed"),
    ("processed", "Processed"),
    ("ignored", "Ignored"),
    ("failed", "Failed"),
]


class OfnStripeEvent(models.Model):
    """The log of the Stripe events the Connect webhook received, one row per event id: what makes
    processing idempotent (ARCHITECTURE.md §3). Only ids, type and outcome are kept, never the
    payload.

    ``received`` only exists inside the transaction that processes the event; ``failed`` events
    are processed again when Stripe delivers them again.
    """

    _name = "ofn.stripe.event"
    _description = "Stripe webhook event"
    _rec_name = "stripe_event_id"
    _order = "received_at desc, id desc"
    _log_access = False

    stripe_event_id = fields.Char(string="Event", required=True, readonly=True)
    event_type = fields.Char(string="Type", required=True, readonly=True, index=True)
    stripe_account_id = fields.Char(
        string="Stripe account",
        readonly=True,
        index=True,
        help="The connected account (acct_...) the event happened on; empty for the platform's.",
    )
    stripe_object_id = fields.Char(
        string="Stripe object", readonly=True, help="The id of the object the event is about."
    )
    company_id = fields.Many2one(
        "res.company", string="Hub", readonly=True, index=True, ondelete="set null"
    )
    livemode = fields.Boolean(string="Live mode", readonly=True)
    created_at = fields.Datetime(string="Created on Stripe", readonly=True)
    received_at = fields.Datetime(readonly=True)
    state = fields.Selection(EVENT_STATES, required=True, readonly=True)
    reason = fields.Text(
        readonly=True, help="Why the event was ignored, or the error that made it fail."
    )

    _sql_constraints = [
        ("stripe_event_id_unique", "UNIQUE(stripe_event_id)", "This Stripe event is known."),
    ]

    @api.model
    def _claim(self, event):
        """Insert the row of ``event`` (a verified event dict), or lock the row already there.

        Concurrent deliveries of one event wait for each other on the unique id; under Odoo's
        REPEATABLE READ the later one then fails to serialize, and Odoo's retry of the request
        finds the row.

        :return: ``(record, pending)``: ``pending`` is true when the event is new or failed
            before, i.e. when it must be processed now
        """
        account_id = event.get("account") or None
        company = (
            self.env["ofn.stripe.account"]
            .sudo()
            .search([("stripe_account_id", "=", account_id)], limit=1)
            .company_id
            if account_id
            else self.env["res.company"]
        )
        self.env.cr.execute(
            SQL(
                """INSERT INTO ofn_stripe_event (stripe_event_id, event_type, stripe_account_id,
                       stripe_object_id, company_id, livemode, created_at, received_at, state)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'received')
                   ON CONFLICT (stripe_event_id) DO NOTHING
                   RETURNING id""",
                event["id"],
                event["type"],
                account_id,
                ((event.get("data") or {}).get("object") or {}).get("id"),
                company.id or None,
                bool(event.get("livemode")),
                _from_timestamp(event.get("created")),
                fields.Datetime.now(),
            )
        )
        inserted = self.env.cr.fetchone()
        if inserted:
            return self.browse(inserted[0]), True
        self.env.cr.execute(
            SQL(
                "SELECT id, state FROM ofn_stripe_event WHERE stripe_event_id = %s FOR UPDATE",
                event["id"],
            )
        )
        record_id, state = self.env.cr.fetchone()
        return self.browse(record_id), state == "failed"

    def _finish(self, state, reason=None):
        self.write({"state": state, "reason": reason or False})

    @api.model
    def _record_failure(self, event, reason):
        """Store ``event`` as failed (after the processing was rolled back), unless it was
        processed in the meantime."""
        record, pending = self._claim(event)
        if pending:
            record._finish("failed", reason)
        return record


def _from_timestamp(timestamp):
    """A Unix timestamp as Odoo stores datetimes (naive UTC), or ``None``."""
    if not timestamp:
        return None
    return datetime.fromtimestamp(int(timestamp), tz=UTC).replace(tzinfo=None)
