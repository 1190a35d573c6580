"""Stripe's Connect webhook (ARCHITECTURE.md §3, public routes fixed): one endpoint for the
events of the connected accounts and of the platform."""

import logging

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..exceptions import StripeGatewayError, StripeNotConfigured

_logger = logging.getLogger(__name__)

WEBHOOK_ROUTE = "/ofn/stripe/webhook"


class StripeWebhookController(http.Controller):
    @http.route(
        WEBHOOK_ROUTE,
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def stripe_webhook(self):
        """Verify the event's signature and age, then process it once.

        503 without a signing secret (nothing is ever accepted unsigned), 400 for a missing,
        forged or stale signature, 500 when processing failed (rolled back, the event is logged as
        failed, Stripe delivers it again), 200 otherwise, also for events the platform ignores.
        """
        httprequest = request.httprequest
        try:
            event = request.env["ofn.stripe.gateway"].construct_event(
                httprequest.get_data(), httprequest.headers.get("Stripe-Signature")
            )
        except StripeNotConfigured:
            _logger.warning("Refused a Stripe webhook: OFN_STRIPE_WEBHOOK_SECRET is not configured")
            return _response(503, "webhook signing secret not configured")
        except StripeGatewayError as error:
            _logger.warning(
                "Refused a Stripe webhook from %s: %s", httprequest.remote_addr, error.args[0]
            )
            return _response(400, "invalid signature")

        try:
            record = request.env["ofn.stripe.event"].sudo().process(event)
        except UserError as error:
            request.env.cr.rollback()
            _logger.warning(
                "Stripe event %s (%s) failed, Stripe will deliver it again: %s",
                event["id"],
                event["type"],
                error.args[0],
            )
            request.env["ofn.stripe.event"].sudo().record_failure(event, error.args[0])
            return _response(500, "processing failed")
        return _response(200, record.state)


def _response(status, message):
    """A short JSON answer: Stripe only reads the status, people read the message."""
    return request.make_json_response({"status": message}, status=status)
