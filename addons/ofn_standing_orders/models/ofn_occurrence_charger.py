import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.ofn_stripe_connect.exceptions import StripeGatewayError

from ..const import (
    CHARGE_REFERENCE,
    CHARGE_REPLAY_WINDOW_HOURS,
    CHARGE_UNANSWERED_RETRY_MINUTES,
)

_logger = logging.getLogger(__name__)

# an occurrence whose card payment is due, in a state (first attempt or retry)
_DUE = "o.state = %s AND o.next_charge_at <= %s AND NOT COALESCE(o.needs_attention, FALSE)"


class _Unanswered(Exception):
    """Stripe's answer to the charge never came back (or Stripe asked to slow down): the
    attempt is undone here and asked again later, never recorded as a failure."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


class OfnOccurrenceCharger(models.AbstractModel):
    """Charges what a standing order's invoice still owes to the customer's card for the hub:
    an off-session PaymentIntent, a direct charge on the hub's connected account with the
    platform's fee, through Odoo's payment_stripe token flow (ARCHITECTURE.md §4 steps 3 and 4).

    Each attempt is a ``payment.transaction`` whose reference is made of the occurrence and
    the attempt number: payment_stripe derives the PaymentIntent's idempotency key from it, so
    a run that dies after Stripe took the money and before the commit is replayed by the next
    run with the same key, and Stripe answers with the same PaymentIntent instead of charging
    again. A failed attempt is tried again by the retry job, as the hub's policy says; after
    the last one, the invoice stays unpaid and the hub is asked to settle it.

    A charge whose answer never came back is not a failed charge: Stripe may have taken the
    money. The attempt is undone in Odoo and asked again, same reference and so same key, until
    Stripe answers (with the PaymentIntent it made, if it made one). Past Stripe's 24 hours of
    replay, nothing new is sent: the hub looks the payment up on Stripe."""

    _name = "ofn.occurrence.charger"
    _description = "Charge a standing order's invoice to the customer's card"

    @api.model
    def charge_due(self, state, commit=False):
        """Charges the occurrences in ``state`` (``confirmed``: first attempt, ``failed``: a
        retry) whose attempt is due. Returns the occurrences tried."""
        return self.env["ofn.occurrence.runner"].run(
            _DUE,
            [state, fields.Datetime.now()],
            "o.next_charge_at, o.id",
            self._charge_one,
            commit=commit,
        )

    # ------------------------------------------------------------------ one attempt
    def _charge_one(self, occurrence):
        since = occurrence.charge_unknown_since
        if since and fields.Datetime.now() - since > timedelta(hours=CHARGE_REPLAY_WINDOW_HOURS):
            self._unsettled(occurrence)
            return
        try:
            with self.env.cr.savepoint():
                self._attempt(occurrence)
        except _Unanswered as unanswered:
            self._unanswered(occurrence, unanswered.error)

    def _attempt(self, occurrence):
        invoice = occurrence.invoice_id
        # the confirmation applied the credit before the first attempt; credit granted since
        # then pays before a retry
        if occurrence.charge_attempts:
            self.env["ofn.credit.applier"].apply(invoice)
        if invoice.currency_id.is_zero(invoice.amount_residual):
            self._paid(occurrence)
            return
        attempt = occurrence.charge_attempts + 1
        # "confirmed" while the card is charged: the outcome moves it on (paid, waiting, failed)
        occurrence.write(
            {
                "charge_attempts": attempt,
                "next_charge_at": False,
                "state": "confirmed",
                "charge_unknown_since": False,
            }
        )
        token, reason, message = self._card_to_charge(occurrence)
        if not token:
            self._fail(occurrence, reason, message)
            return
        token.provider_id._ofn_ensure_payment_method_line()
        tx = (
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
                    "reference": CHARGE_REFERENCE.format(occurrence=occurrence.id, attempt=attempt),
                    "operation": "offline",
                    "invoice_ids": [(6, 0, invoice.ids)],
                    "ofn_occurrence_id": occurrence.id,
                }
            )
        )
        try:
            tx._send_payment_request()
        except (UserError, ValidationError) as error:
            cause = error.__cause__
            if isinstance(cause, StripeGatewayError) and (
                cause.outcome_unknown or cause.rate_limited
            ):
                raise _Unanswered(cause) from error
            # the platform lost access to the hub's account, or Stripe refused the request:
            # nothing was charged
            tx._set_error(str(error))
            unreachable = isinstance(cause, StripeGatewayError) and cause.account_unreachable
            self._fail(occurrence, "hub_disconnected" if unreachable else "error", str(error))
            return
        self._after_charge(occurrence, tx)

    def _unanswered(self, occurrence, error):
        """The attempt was undone: ask Stripe the same again in a while."""
        now = fields.Datetime.now()
        occurrence.write(
            {
                "charge_unknown_since": occurrence.charge_unknown_since or now,
                "next_charge_at": now + timedelta(minutes=CHARGE_UNANSWERED_RETRY_MINUTES),
                "failure_message": _(
                    "Stripe did not answer the card payment (%(reason)s): it is asked again, "
                    "and can never be charged twice.",
                    reason=error.args[0],
                ),
            }
        )
        _logger.warning(
            "Standing order occurrence %s: Stripe did not answer the card payment (%s); the "
            "same payment is asked again after %s minutes",
            occurrence.id,
            error.error_type or error.http_status,
            CHARGE_UNANSWERED_RETRY_MINUTES,
        )

    def _unsettled(self, occurrence):
        """Stripe never answered, and it no longer keeps the key's answer: whether the card was
        charged can only be read on Stripe. Nothing new is sent; the hub is asked to check."""
        reference = CHARGE_REFERENCE.format(
            occurrence=occurrence.id, attempt=occurrence.charge_attempts + 1
        )
        occurrence.write(
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
        self._flag_for_hub(occurrence)

    def _after_charge(self, occurrence, tx):
        if tx.state == "done":
            tx._post_process()  # pays the invoice, and the occurrence follows
        else:
            self._follow_transactions(tx)

    def _card_to_charge(self, occurrence):
        """(the hub's clone of the consented card, None, None), or (None, reason, message)."""
        hub = occurrence.company_id
        customer = occurrence.partner_id.commercial_partner_id
        account = hub.sudo().ofn_stripe_account_id
        if not account or account.state != "connected" or account.provider_id.state == "disabled":
            return (
                None,
                "hub_disconnected",
                _("%(hub)s's Stripe account is not connected.", hub=hub.name),
            )
        consent = customer._ofn_consent_for(hub)
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

    # ------------------------------------------------------------------ outcomes
    @api.model
    def _follow_transactions(self, transactions):
        """The occurrences of these card payments follow their outcome (called right after the
        charge, after the customer's 3-D Secure, and by payment post-processing)."""
        for tx in transactions.filtered("ofn_occurrence_id"):
            occurrence = tx.ofn_occurrence_id
            if tx != occurrence.transaction_ids.sorted("id")[-1:]:
                continue  # an older attempt
            if tx.state == "done" and occurrence.state != "paid":
                if occurrence.invoice_id.payment_state in ("paid", "in_payment"):
                    self._paid(occurrence)
            elif tx.state == "pending" and tx.ofn_requires_authentication:
                if occurrence.state != "awaiting_authentication":
                    occurrence.write({"state": "awaiting_authentication", "failure_reason": False})
                    self._tell_authentication_required(occurrence, tx)
            elif tx.state in ("error", "cancel") and occurrence.state in (
                "confirmed",
                "awaiting_authentication",
            ):
                reason = (
                    "authentication_failed"
                    if occurrence.state == "awaiting_authentication"
                    else "declined"
                )
                if occurrence.company_id.sudo().ofn_stripe_account_id.state == "revoked":
                    reason = "hub_disconnected"
                self._fail(occurrence, reason, self._bank_message(tx))

    def _paid(self, occurrence):
        occurrence.write(
            {
                "state": "paid",
                "next_charge_at": False,
                "needs_attention": False,
                "failure_reason": False,
                "failure_message": False,
            }
        )
        self._tell_paid(occurrence)

    def _bank_message(self, tx):
        message = (tx.state_message or "").strip()
        # payment_stripe wraps the bank's words: keep those
        if "'" in message:
            message = message.split("'", 1)[1].rsplit("'", 1)[0] or message
        return message or _("The payment was refused.")

    def _fail(self, occurrence, reason, message):
        hub = occurrence.company_id.sudo()
        last = occurrence.charge_attempts > hub.ofn_charge_retries
        values = {"state": "failed", "failure_reason": reason, "failure_message": message}
        if last:
            values.update({"next_charge_at": False, "needs_attention": True})
        else:
            values["next_charge_at"] = fields.Datetime.now() + timedelta(
                hours=hub.ofn_charge_retry_delay_hours
            )
        occurrence.write(values)
        _logger.info(
            "Standing order occurrence %s: payment attempt %s failed (%s)%s",
            occurrence.id,
            occurrence.charge_attempts,
            reason,
            ", last attempt" if last else "",
        )
        self._tell_failed(occurrence)
        if last:
            self._flag_for_hub(occurrence)

    # ------------------------------------------------------------------ messages
    def _tell_paid(self, occurrence):
        invoice = occurrence.invoice_id
        self.env["ofn.customer.notifier"].notify(
            occurrence.sale_order_id,
            _("Your order from %(hub)s is paid", hub=occurrence.company_id.name),
            [
                _(
                    "Your order %(order)s is confirmed and invoice %(invoice)s is paid. Thank you!",
                    order=occurrence.sale_order_id.name,
                    invoice=invoice.name,
                )
            ],
            link=invoice.get_portal_url(),
            link_label=_("View my invoice"),
        )

    def _tell_authentication_required(self, occurrence, tx):
        self.env["ofn.customer.notifier"].notify(
            occurrence.sale_order_id,
            _("Please confirm your payment to %(hub)s", hub=occurrence.company_id.name),
            [
                _(
                    "Your bank asks you to confirm the payment of %(amount)s for your order "
                    "%(order)s (3-D Secure). Your order waits until you do.",
                    amount=tx.currency_id.format(tx.amount),
                    order=occurrence.sale_order_id.name,
                )
            ],
            link=tx._ofn_authentication_url(),
            link_label=_("Confirm my payment"),
        )

    def _tell_failed(self, occurrence):
        hub = occurrence.company_id
        advice = {
            "no_consent": _("Allow %(hub)s to charge your card on your Wallet page.", hub=hub.name),
            "card_deleted": _(
                "Add a card and allow %(hub)s to charge it on your Wallet page.", hub=hub.name
            ),
            "no_card": _("Add a card on your Wallet page."),
        }.get(occurrence.failure_reason)
        then = (
            _(
                "%(hub)s will contact you to settle invoice %(invoice)s.",
                hub=hub.name,
                invoice=occurrence.invoice_id.name,
            )
            if occurrence.needs_attention
            else _(
                "We will try again on %(when)s.",
                when=fields.Datetime.to_string(occurrence.next_charge_at)[:16] + " UTC",
            )
        )
        self.env["ofn.customer.notifier"].notify(
            occurrence.sale_order_id,
            _("Your payment to %(hub)s did not go through", hub=hub.name),
            [
                _(
                    "We could not charge your card for order %(order)s: %(reason)s",
                    order=occurrence.sale_order_id.name,
                    reason=occurrence.failure_message,
                ),
                advice,
                then,
            ],
            link="/my/wallet",
            link_label=_("My wallet"),
        )

    def _flag_for_hub(self, occurrence):
        """After the last attempt: a to-do on the order for the hub's managers."""
        order = occurrence.sale_order_id
        managers = occurrence.company_id._ofn_managers()
        user = order.user_id if order.user_id in managers else managers[:1]
        if user:
            order.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Standing order unpaid"),
                note=_(
                    "Every attempt to charge the card failed (%(reason)s). Invoice %(invoice)s "
                    "stays unpaid: settle it with the customer.",
                    reason=occurrence.failure_message,
                    invoice=occurrence.invoice_id.name,
                ),
                user_id=user.id,
            )

    @api.model
    def _cron_retry(self):
        tried = self.charge_due("failed", commit=True)
        self.env["ofn.hub.summary"].send("retry", tried)
