import logging

import stripe

from odoo import _, api, models
from odoo.exceptions import ValidationError

from odoo.addons.payment_stripe.const import HANDLED_WEBHOOK_EVENTS
from odoo.addons.payment_stripe.controllers.main import StripeController

_logger = logging.getLogger(__name__)


class OfnStripeWebhookProcessor(models.AbstractModel):
    """Acts on the verified events of the Connect webhook (ARCHITECTURE.md §3), once per event id:
    a connected account's deauthorization or new status, and the payment events of
    ``payment_stripe`` for the transactions of hub and platform providers."""

    _name = "ofn.stripe.webhook.processor"
    _description = "Stripe webhook processor"

    @api.model
    def process(self, event):
        """Process ``event`` (a dict whose signature was verified) unless it already was.

        :return: its ``ofn.stripe.event``
        :raise UserError: processing failed (Stripe refused a request, inconsistent data...):
            the caller rolls back and lets Stripe deliver the event again
        """
        record, pending = self.env["ofn.stripe.event"].sudo()._claim(event)
        if not pending:
            _logger.info("Stripe event %s was already handled: skipped", event["id"])
            return record
        state, reason = self._dispatch(event)
        record._finish(state, reason)
        _logger.info(
            "Stripe event %s (%s, account %s): %s",
            event["id"],
            event["type"],
            event.get("account") or "platform",
            state,
        )
        return record

    # ------------------------------------------------------------------ dispatch
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
        return (
            self.env["ofn.stripe.account"].sudo().search([("stripe_account_id", "=", account_id)])
        )

    # ------------------------------------------------------------------ connected accounts
    def _on_deauthorized(self, event):
        """The account holder revoked the platform's access on Stripe."""
        accounts = self._hub_accounts(event)
        if not accounts:
            return "ignored", _("No hub uses this Stripe account.")
        revoked = accounts.filtered(lambda account: account.state != "revoked")
        if not revoked:
            return "ignored", _("The hub had already disconnected this Stripe account.")
        revoked._mark_revoked(_("access revoked on Stripe"))
        for account in revoked:
            self._notify_managers(account)
        return "processed", None

    def _notify_managers(self, account):
        """Tell the hub's managers that its card payments stopped (inbox or email)."""
        hub = account.company_id
        managers = hub._ofn_managers()
        if not managers:
            return
        hub.partner_id.sudo().message_notify(
            partner_ids=managers.partner_id.ids,
            author_id=self.env.ref("base.partner_root").id,
            subject=_("%(hub)s: Stripe disconnected", hub=hub.name),
            body=_(
                "The Stripe account %(account)s revoked the platform's access: %(hub)s no longer "
                "takes card payments. A manager can connect the hub to Stripe again from its "
                "Stripe tab.",
                account=account.stripe_account_id,
                hub=hub.name,
            ),
        )

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
        for account in accounts:
            account._apply_stripe_account(stripe_account)
        return "processed", None

    # ------------------------------------------------------------------ payments
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
        Transaction = self.env["payment.transaction"].sudo()
        try:
            tx = Transaction._get_tx_from_notification_data("stripe", data)
        except ValidationError:
            tx = Transaction
        if len(tx) != 1:
            return "ignored", _("No transaction matches this event.")
        provider = tx.provider_id
        if not (
            provider._ofn_uses_platform_keys()
            and provider._ofn_stripe_account_header() == (event.get("account") or None)
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
        if event_type.startswith("payment_intent"):
            intent = provider._stripe_make_request(
                f"payment_intents/{stripe_object['id']}",
                payload={"expand[]": "payment_method"},
                method="GET",
            )
            StripeController._include_payment_intent_in_notification_data(intent, data)
        elif event_type.startswith("setup_intent"):
            intent = provider._stripe_make_request(
                f"setup_intents/{stripe_object['id']}",
                payload={"expand[]": "payment_method"},
                method="GET",
            )
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
