"""A refused Stripe request of payment_stripe's flows reaches its caller as one exception type that
carries its kind: nothing to parse out of a translated message, nothing to dig out of
``__cause__``. Odoo's own payment test base, with the gateway patched (no Stripe at all)."""

from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.payment.tests.common import PaymentCommon

from .. import const
from ..exceptions import StripeGatewayError

GATEWAY = "odoo.addons.ofn_stripe_connect.models.ofn_stripe_gateway.OfnStripeGateway.request"


@tagged("post_install", "-at_install")
class TestStripeErrorKinds(PaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a provider acting with the platform's keys: its requests go through the gateway
        cls.provider = cls._prepare_provider(
            "stripe", update_values={"ofn_is_platform_provider": True, "state": "test"}
        )
        cls.payment_method_id = cls.env.ref("payment.payment_method_card").id

    def setUp(self):
        super().setUp()
        self.token = self._create_token(
            provider_ref="cus_error_kinds", stripe_payment_method="pm_error_kinds"
        )

    def _charge(self, error):
        """The token's off-session charge, Stripe answering with ``error``."""
        tx = self._create_transaction("token", token_id=self.token.id, operation="offline")
        with patch(GATEWAY, side_effect=error) as request:
            try:
                tx._send_payment_request()
            finally:
                self.assertTrue(request.called, "the request went through the gateway")
        return tx

    def test_each_refusal_reaches_the_caller_with_its_kind(self):
        cases = [
            ({"error_type": "APIConnectionError"}, const.ERROR_OUTCOME_UNKNOWN),
            ({"error_type": "APIError", "http_status": 503}, const.ERROR_OUTCOME_UNKNOWN),
            ({"error_type": "RateLimitError", "http_status": 429}, const.ERROR_RATE_LIMITED),
            (
                {"error_type": "PermissionError", "http_status": 403},
                const.ERROR_ACCOUNT_UNREACHABLE,
            ),
            ({"error_type": "AuthenticationError", "http_status": 401}, const.ERROR_REFUSED),
        ]
        for fields, kind in cases:
            with self.subTest(kind=kind, **fields):
                error = StripeGatewayError("Stripe said no", **fields)
                with self.assertRaises(StripeGatewayError) as caught:
                    self._charge(error)
                self.assertEqual(caught.exception.kind, kind)
                self.assertEqual(caught.exception.reason, "Stripe said no")
                self.assertTrue(caught.exception.args[0].startswith("Stripe: "))
                self.assertEqual(caught.exception.http_status, fields.get("http_status"))

    def test_a_declined_card_is_an_answer_not_an_error(self):
        """A card's refusal (4xx with a body) is Stripe's answer for payment_stripe to read:
        the transaction ends in error with the bank's reason, nothing is raised."""
        body = {
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
                "payment_intent": {"id": "pi_declined", "status": "requires_payment_method"},
            }
        }
        error = StripeGatewayError(
            "declined",
            code="card_declined",
            http_status=402,
            error_type="CardError",
            json_body=body,
        )
        self.assertEqual(error.kind, const.ERROR_DECLINED)
        tx = self._charge(error)
        self.assertEqual(tx.state, "error")
        self.assertIn("insufficient funds", tx.state_message)
