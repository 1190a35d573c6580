from odoo import _, fields, models
from odoo.tools import consteq, hmac

_TOKEN_SCOPE = "ofn_customer_wallet.authenticate"


class PaymentTransaction(models.Model):
    """Payments awaiting the customer's 3-D Secure: an off-session charge on a hub that the
    bank wants the customer to confirm waits (instead of failing) until they do, on the
    Wallet page or from the link of their email."""

    _inherit = "payment.transaction"

    ofn_requires_authentication = fields.Boolean(
        string="Awaiting authentication", readonly=True, copy=False
    )

    # === OVERRIDES === #

    def _stripe_create_intent(self):
        """Override of `payment_stripe`: an off-session charge on a hub that the bank wants
        confirmed by the customer waits for them, instead of failing."""
        intent = super()._stripe_create_intent()
        if (
            self._ofn_waits_for_authentication()
            and self.provider_id.ofn_stripe_account_id
            and (intent or {}).get("status") == "requires_action"
        ):
            self.write(
                {
                    "state": "pending",
                    "ofn_requires_authentication": True,
                    "state_message": _(
                        "The customer's bank asks them to confirm this payment (3-D Secure)."
                    ),
                }
            )
        return intent

    def _ofn_waits_for_authentication(self):
        """Whether this payment, when the bank asks for 3-D Secure, waits for the customer
        (rather than being left to payment_stripe's checkout): an off-session charge."""
        return self.operation == "offline"

    # === ACTION METHODS === #

    def action_ofn_complete_authentication(self):
        """Route of the authentication page, once the customer answered their bank: the
        PaymentIntent is read and processed as payment_stripe processes a returning customer.

        :return: the transaction's state
        :rtype: str
        """
        self.ensure_one()
        self.check_access("write")
        self._ofn_process_stripe_intent(self.ofn_payment_intent())
        if self.state in ("done", "authorized", "error", "cancel"):
            self.ofn_requires_authentication = False
        return self.state

    # === BUSINESS METHODS === #

    def ofn_authentication_url(self):
        """The link of the page where the customer completes 3-D Secure for this payment, with
        its access token (for whoever may read the payment: its customer, the hub's staff)."""
        self.ensure_one()
        self.check_access("read")
        return f"/my/wallet/authenticate/{self.id}?access_token={self._ofn_authentication_token()}"

    def ofn_check_authentication_token(self, access_token):
        """Whether ``access_token`` is the one of this payment's authentication link."""
        self.ensure_one()
        self.check_access("read")
        return bool(access_token) and consteq(access_token, self._ofn_authentication_token())

    def ofn_payment_intent(self):
        """The PaymentIntent, read through the hub's provider (payment_stripe's API version)."""
        self.ensure_one()
        self.check_access("read")
        return self.provider_id._stripe_make_request(
            f"payment_intents/{self.provider_reference}", method="GET"
        )

    # === PRIVATE METHODS === #

    def _ofn_authentication_token(self):
        """The access token of the authentication link (HMAC with the database secret)."""
        self.ensure_one()
        return hmac(self.env(su=True), _TOKEN_SCOPE, f"{self.id}|{self.reference}")
