from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.payment_stripe.controllers.main import StripeController


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    ofn_decline_code = fields.Char(
        string="Decline code",
        readonly=True,
        copy=False,
        help="The bank's reason for declining this card payment (Stripe's decline code).",
    )

    @api.constrains("token_id", "provider_id")
    def _check_ofn_token_of_the_same_hub(self):
        """A card saved on one hub's Stripe account is charged through that hub's provider only:
        a charge can never go through another hub's account."""
        for tx in self.filtered("token_id"):
            if tx.token_id.provider_id != tx.provider_id and (
                tx.provider_id.ofn_stripe_account_id
                or tx.token_id.provider_id.ofn_stripe_account_id
            ):
                raise ValidationError(
                    _(
                        "This card is saved for %(token_hub)s: it cannot be charged by %(hub)s.",
                        token_hub=tx.token_id.provider_id.company_id.name,
                        hub=tx.provider_id.company_id.name,
                    )
                )

    # === PAYMENT_STRIPE'S POSTS, IDEMPOTENT === #

    def _ofn_naming_stripe_posts(self, purpose, attempt=1):
        """This transaction, with the record and attempt that payment_stripe's POSTs on our
        providers derive their idempotency keys from (``payment.provider._ofn_idempotency_key``)."""
        return self.with_context(ofn_stripe_idempotency=(purpose, self.id, attempt))

    def _ofn_next_child_attempt(self):
        """Refunds, captures and voids each make a child transaction: the next one's number."""
        return len(self.child_transaction_ids) + 1

    def _stripe_create_intent(self):
        """Override of `payment_stripe` to derive the keys of the Customer and the intent it
        creates from this transaction (one transaction, one attempt)."""
        tx = self._ofn_naming_stripe_posts("payment")
        return super(PaymentTransaction, tx)._stripe_create_intent()

    def _send_refund_request(self, amount_to_refund=None):
        """Override of `payment_stripe`: a refund's key is this transaction and its n-th refund."""
        tx = self._ofn_naming_stripe_posts("refund", self._ofn_next_child_attempt())
        return super(PaymentTransaction, tx)._send_refund_request(amount_to_refund)

    def _send_capture_request(self, amount_to_capture=None):
        """Override of `payment_stripe`: a capture's key is this transaction and its n-th
        capture."""
        tx = self._ofn_naming_stripe_posts("capture", self._ofn_next_child_attempt())
        return super(PaymentTransaction, tx)._send_capture_request(amount_to_capture)

    def _send_void_request(self, amount_to_void=None):
        """Override of `payment_stripe`: a void's key is this transaction and its n-th void."""
        tx = self._ofn_naming_stripe_posts("void", self._ofn_next_child_attempt())
        return super(PaymentTransaction, tx)._send_void_request(amount_to_void)

    def _stripe_prepare_payment_intent_payload(self):
        """A charge on a hub's account carries the platform's application fee, when one is set."""
        payload = super()._stripe_prepare_payment_intent_payload()
        account = self.provider_id.sudo().ofn_stripe_account_id
        if account:
            fee = account.application_fee_minor(self.amount, self.currency_id)
            if fee:
                payload["application_fee_amount"] = fee
        return payload

    def _process_notification_data(self, notification_data):
        """Override of `payment_stripe`: a declined PaymentIntent keeps the bank's reason, its
        ``last_payment_error.decline_code`` (in an offline payment's error response too, which
        carries the intent, and in the answer of a customer's payment or of a webhook)."""
        super()._process_notification_data(notification_data)
        intent = notification_data.get("payment_intent")
        if self.provider_code != "stripe" or not isinstance(intent, dict):
            return
        if self.state in ("error", "cancel"):
            error = intent.get("last_payment_error") or {}
            self.ofn_decline_code = error.get("decline_code") or False

    # === A PAYMENT WHOSE ANSWER WAS LOST === #

    def ofn_settle_with_stripe_intent(self):
        """Settle this token payment, whose answer never came back, with its PaymentIntent on its
        hub's Stripe account, once Stripe no longer keeps its key's answer (24 hours): found,
        the intent is processed as payment_stripe processes the answer of its payment request;
        not found, Stripe has none and the payment charged nothing.

        :return: whether Stripe has the PaymentIntent (and the transaction follows it)
        :raise AccessError: the user may not change the transaction
        :raise StripeGatewayError: Stripe could not be asked
        """
        self.ensure_one()
        self.check_access("write")
        intent = self._ofn_find_stripe_intent()
        if intent is None:
            return False
        self._ofn_process_stripe_intent(intent)
        return True

    def _ofn_process_stripe_intent(self, intent):
        """This payment follows its PaymentIntent ``intent`` (a dict, as Stripe answers), as
        payment_stripe processes the answer of its payment request."""
        self.ensure_one()
        notification_data = {"reference": self.reference}
        StripeController._include_payment_intent_in_notification_data(intent, notification_data)
        self._handle_notification_data("stripe", notification_data)

    def _ofn_find_stripe_intent(self):
        """This token payment's PaymentIntent on its hub's Stripe account, as payment_stripe
        reads one, or None when Stripe has none. payment_stripe describes the intent by the
        transaction's reference; the card's customer narrows the search to their few intents (a
        list, not Stripe's search: a list is up to date)."""
        payload = {
            "customer": self.token_id.provider_ref,
            "limit": 100,
            "expand[]": "data.payment_method",
        }
        while True:
            page = self.provider_id._stripe_make_request(
                "payment_intents", payload=payload, method="GET"
            )
            intents = page.get("data") or []
            for intent in intents:
                if intent.get("description") == self.reference:
                    return intent
            if not page.get("has_more") or not intents:
                return None
            payload["starting_after"] = intents[-1]["id"]
