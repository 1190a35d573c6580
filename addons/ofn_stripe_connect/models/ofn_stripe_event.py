import logging
from datetime import UTC, datetime

import stripe

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.payment_stripe.const import HANDLED_WEBHOOK_EVENTS
from odoo.addons.payment_stripe.controllers.main import StripeController

from .. import const

_logger = logging.getLogger(__name__)


class OfnStripeEvent(models.Model):
    """The log of the Stripe events the Connect webhook received, one row per event id: what makes
    processing idempotent (ARCHITECTURE.md §3). Only ids, type and outcome are kept, never the
    payload. An event processes itself (:meth:`process`): a connected account's deauthorization
    or new status, and the payment events of ``payment_stripe`` for the transactions of hub and
    platform providers.

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
    state = fields.Selection(const.EVENT_STATES, required=True, readonly=True)
    reason = fields.Text(
        readonly=True, help="Why the event was ignored, or the error that made it fail."
    )

    _sql_constraints = [
        ("stripe_event_id_unique", "UNIQUE(stripe_event_id)", "This Stripe event is known."),
    ]

    # === PROCESSING === #

    @api.model
    def process(self, event):
        """Process ``event`` (a dict whose signature was verified) unless it already was. What
        it changes on a hub's account is told in the account's chatter as OdooBot's doing.

        :return: its ``ofn.stripe.event``
        :raise AccessError: the user may not record events (only the platform may)
        :raise UserError: processing failed (Stripe refused a request, inconsistent data...):
            the caller rolls back and lets Stripe deliver the event again
        """
        self.check_access("create")
        record, pending = self.sudo()._claim(event)
        if not pending:
            _logger.info("Stripe event %s was already handled: skipped", event["id"])
            return record.with_env(self.env)
        # what it writes for the hub (reasons, failure messages) is in the hub's language
        hubs = record._hub_accounts(event).company_id
        state, reason = record.with_context(
            lang=hubs[:1].ofn_lang() if hubs else "en_US"
        )._dispatch(event)
        record._finish(state, reason)
        _logger.info(
            "Stripe event %s (%s, account %s): %s",
            event["id"],
            event["type"],
            event.get("account") or "platform",
            state,
        )
        return record.with_env(self.env)

    @api.model
    def record_failure(self, event, reason):
        """Store ``event`` as failed (after its processing was rolled back), unless it was
        processed in the meantime.

        :raise AccessError: the user may not record events (only the platform may)
        """
        self.check_access("create")
        record, pending = self.sudo()._claim(event)
        if pending:
            record._finish("failed", reason)
        return record.with_env(self.env)

    def _dispatch(self, event):
        """Act on ``event``; return its state (``processed`` or ``ignored``) and the reason."""
        event_type = event["type"]
        if event_type == "account.application.deauthorized":
            return self._on_deauthorized(event)
        if event_type == "account.updated":
            return self._on_account_updated(event)
        if event_type in HANDLED_WEBHOOK_EVENTS:
            return self._on_transaction_event(event)
        return "ignored", _("The platform does not act on %(type)s events.", type=event_type)

    def _hub_accounts(self, event):
        """The hubs' ``ofn.stripe.account`` records of the event's connected account."""
        account_id = event.get("account")
        if not account_id:
            return self.env["ofn.stripe.account"]
        return self.env["ofn.stripe.account"].search([("stripe_account_id", "=", account_id)])

    def _on_deauthorized(self, event):
        """The account holder revoked the platform's access on Stripe: the hubs' managers are
        told."""
        accounts = self._hub_accounts(event)
        if not accounts:
            return "ignored", _("No hub uses this Stripe account.")
        revoked = accounts.filtered(lambda account: account.state != "revoked")
        if not revoked:
            return "ignored", _("The hub had already disconnected this Stripe account.")
        revoked.mark_revoked(_("access revoked on Stripe"), notify_managers=True)
        return "processed", None

    def _on_account_updated(self, event):
        """Store the account's new status (charges and payouts enabled, requirements). The
        event's Account is in the endpoint's API version, which the README asks to be the SDK's
        pinned one: read as it is then; from an endpoint of another version, fetched again in
        the pinned version rather than read in a shape the code was not written for."""
        accounts = self._hub_accounts(event)
        if not accounts:
            return "ignored", _("No hub uses this Stripe account.")
        stripe_account = event["data"]["object"]
        if event.get("api_version") != stripe.api_version:
            _logger.warning(
                "Stripe event %s has API version %s: the Connect webhook endpoint should be "
                "created with version %s; the account is fetched again",
                event["id"],
                event.get("api_version"),
                stripe.api_version,
            )
            stripe_account = self.env["ofn.stripe.gateway"].retrieve_account(stripe_account["id"])
        accounts.apply_stripe_account(stripe_account)
        return "processed", None

    def _on_transaction_event(self, event):
        """Hand a payment event to ``payment_stripe``'s transaction processing, as its own webhook
        does, for a transaction of a provider acting on the event's account only. The intent or
        refund is fetched again through that provider, in ``payment_stripe``'s API version: the
        event's object has the endpoint's version and shape."""
        stripe_object = event["data"]["object"]
        data = {
            "reference": stripe_object.get("description"),
            "event_type": event["type"],
            "object_id": stripe_object["id"],
        }
        Transaction = self.env["payment.transaction"]
        try:
            tx = Transaction._get_tx_from_notification_data("stripe", data)
        except ValidationError:
            tx = Transaction
        if len(tx) != 1:
            return "ignored", _("No transaction matches this event.")
        provider = tx.provider_id
        if not (
            provider.ofn_uses_platform_keys()
            and provider.ofn_stripe_account_header() == (event.get("account") or None)
        ):
            _logger.warning(
                "Stripe event %s of account %s names transaction %s of another account: ignored",
                event["id"],
                event.get("account") or "platform",
                tx.id,
            )
            return "ignored", _(
                "Transaction %(reference)s is not paid through this Stripe account.",
                reference=tx.reference,
            )

        event_type = event["type"]
        if event_type == "charge.refunded":
            self._process_refunds(tx, stripe_object["id"], data)
            return "processed", None
        if event_type.startswith(("payment_intent", "setup_intent")):
            payment = event_type.startswith("payment_intent")
            intent = provider._stripe_make_request(
                f"{'payment' if payment else 'setup'}_intents/{stripe_object['id']}",
                payload={"expand[]": "payment_method"},
                method="GET",
            )
            if payment:
                StripeController._include_payment_intent_in_notification_data(intent, data)
            else:
                StripeController._include_setup_intent_in_notification_data(intent, data)
        else:  # charge.refund.updated: ``tx`` is the refund transaction
            refund = provider._stripe_make_request(f"refunds/{stripe_object['id']}", method="GET")
            StripeController._include_refund_in_notification_data(refund, data)
        tx._handle_notification_data("stripe", data)
        return "processed", None

    def _process_refunds(self, tx, charge_id, data):
        """Create and process the refund transactions of the charge's refunds Odoo does not know
        yet (refunds made from Stripe's dashboard, or whose request did not come back)."""
        known = tx.child_transaction_ids.filtered(lambda child: child.operation == "refund")
        known_ids = set(known.mapped("provider_reference"))
        params = {"charge": charge_id, "limit": 100}
        while True:
            page = tx.provider_id._stripe_make_request("refunds", payload=params, method="GET")
            for refund in page["data"]:
                if refund["id"] in known_ids:
                    continue
                refund_tx = StripeController._create_refund_tx_from_refund(tx, refund)
                StripeController._include_refund_in_notification_data(refund, data)
                refund_tx._handle_notification_data("stripe", data)
            if not page.get("has_more"):
                return
            params["starting_after"] = page["data"][-1]["id"]

    # === THE LOG === #

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


def _from_timestamp(timestamp):
    """A Unix timestamp as Odoo stores datetimes (naive UTC), or ``None``."""
    if not timestamp:
        return None
    return datetime.fromtimestamp(int(timestamp), tz=UTC).replace(tzinfo=None)
