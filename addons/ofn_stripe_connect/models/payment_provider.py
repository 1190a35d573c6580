import hashlib
import json
import logging

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.payment_stripe import const as stripe_const

from ..exceptions import StripeGatewayError, StripeNotConfigured
from ..utils import nest_form_params

_logger = logging.getLogger(__name__)


class PaymentProvider(models.Model):
    """A hub's Stripe provider: Odoo's ``payment_stripe`` acting on the hub's connected account
    with the platform's keys (ARCHITECTURE.md §3), through its Stripe Connect hooks."""

    _inherit = "payment.provider"

    ofn_stripe_account_id = fields.Many2one(
        "ofn.stripe.account",
        string="Hub Stripe account",
        readonly=True,
        ondelete="restrict",
        index="btree_not_null",
        help="Payments of this provider are direct charges on this connected account.",
    )
    ofn_is_platform_provider = fields.Boolean(
        string="Platform Stripe provider",
        readonly=True,
        help="Acts on the platform's own Stripe account with the keys from the environment.",
    )

    # ------------------------------------------------------------------ what is ours
    def ofn_uses_platform_keys(self):
        """Whether the provider is a hub's or the platform's: it acts with the platform's keys
        from the environment, never with its own fields."""
        self.ensure_one()
        return self.code == "stripe" and bool(
            self.ofn_stripe_account_id or self.ofn_is_platform_provider
        )

    def ofn_stripe_account_header(self):
        """The ``acct_`` id every request of this provider acts on (``None``: the platform)."""
        self.ensure_one()
        return self.sudo().ofn_stripe_account_id.stripe_account_id or None

    # ------------------------------------------------------------------ constraints
    @api.constrains("state", "ofn_stripe_account_id", "company_id")
    def _check_ofn_hub_account_can_charge(self):
        for provider in self.filtered("ofn_stripe_account_id"):
            account = provider.sudo().ofn_stripe_account_id
            if account.company_id != provider.company_id:
                raise ValidationError(
                    _("A hub's Stripe provider can only use that hub's own Stripe account.")
                )
            if provider.state == "test":
                raise ValidationError(
                    _(
                        "A hub's Stripe provider follows the platform's keys: set test or live "
                        "mode with the platform's keys, not on the provider."
                    )
                )
            if provider.state == "enabled" and not (
                account.state == "connected" and account.charges_enabled
            ):
                raise ValidationError(
                    _(
                        "%(hub)s cannot take card payments yet: its Stripe account must be "
                        "connected with charges enabled. Finish the onboarding on Stripe, then "
                        "refresh the status on the hub's Stripe tab.",
                        hub=provider.company_id.name,
                    )
                )

    def _check_required_if_provider(self):
        """The keys of hub and platform providers come from the environment, never from fields."""
        return super(
            PaymentProvider, self.filtered(lambda p: not p.ofn_uses_platform_keys())
        )._check_required_if_provider()

    # ------------------------------------------------------------------ account_payment hooks
    def _ensure_payment_method_line(self, allow_create=True):
        """Override of `account_payment` to make a hub provider's payment method line once,
        even when two first payments compute the provider's journal at once (no payment could
        be booked with two): the provider's row is updated first, so that a concurrent
        transaction doing the same waits, then collides and is replayed, and finds the line."""
        if self.id and self.sudo().ofn_stripe_account_id:
            self.env.cr.execute(
                "UPDATE payment_provider SET write_date = write_date WHERE id = %s", [self.id]
            )
        return super()._ensure_payment_method_line(allow_create=allow_create)

    # ------------------------------------------------------------------ payment_stripe hooks
    def _stripe_has_connected_account(self):
        self.ensure_one()
        return bool(self.ofn_stripe_account_id) or super()._stripe_has_connected_account()

    def _stripe_onboarding_is_ongoing(self):
        self.ensure_one()
        account = self.sudo().ofn_stripe_account_id
        if account:
            return not account.charges_enabled
        return super()._stripe_onboarding_is_ongoing()

    def _get_stripe_extra_request_headers(self):
        headers = super()._get_stripe_extra_request_headers()
        account = self.code == "stripe" and self.ofn_stripe_account_header()
        if account:
            headers["Stripe-Account"] = account
        return headers

    def _stripe_make_request(
        self, endpoint, payload=None, method="POST", offline=False, idempotency_key=None
    ):
        """Route the requests of hub and platform providers through the gateway: the platform key,
        ``OFN_STRIPE_API_BASE``, the ``Stripe-Account`` header, and payment_stripe's own API
        version (its code reads responses in that version's shape). Same contract as the
        original: 4xx errors raise a ``ValidationError`` (a ``StripeGatewayError``, whose ``kind``
        says what happened), or are returned as they are when ``offline``."""
        if not self.ofn_uses_platform_keys():
            return super()._stripe_make_request(
                endpoint,
                payload=payload,
                method=method,
                offline=offline,
                idempotency_key=idempotency_key,
            )
        self.ensure_one()
        path = "/v1/" + endpoint.lstrip("/")
        if method.upper() == "POST" and not idempotency_key:
            idempotency_key = self._ofn_idempotency_key(endpoint, payload)
        try:
            return self.env["ofn.stripe.gateway"].request(
                method,
                path,
                nest_form_params(payload or {}),
                api_version=stripe_const.API_VERSION,
                account=self.ofn_stripe_account_header(),
                idempotency_key=idempotency_key,
            )
        except StripeNotConfigured as error:
            raise ValidationError(str(error)) from error
        except StripeGatewayError as error:
            if (
                offline
                and error.json_body
                and 400 <= (error.http_status or 0) < 500
                and not error.account_unreachable  # not the card's fault: say what it is
                and not error.rate_limited  # nor a refusal: Stripe did nothing, ask again later
            ):
                return error.json_body
            _logger.info("Stripe refused %s %s: %s", method, path, error.code)
            raise error.copy_with(_("Stripe: %(reason)s", reason=error.reason)) from error

    def _ofn_idempotency_key(self, endpoint, payload):
        """payment_stripe sends no idempotency key for its online POSTs: the transaction making
        them names its record and attempt in the context (``ofn_stripe_idempotency``, a
        ``(purpose, record id, attempt)``, see ``payment.transaction``), to which the endpoint is
        added (one transaction creates a Customer, then an intent). A POST that no transaction
        names gets a key derived from its endpoint, account and payload: the same request sent
        again is answered with Stripe's first answer."""
        gateway = self.env["ofn.stripe.gateway"]
        endpoint = endpoint.strip("/").replace("/", "-")
        named = self.env.context.get("ofn_stripe_idempotency")
        if named:
            purpose, record_id, attempt = named
            return gateway.idempotency_key(f"{purpose}-{endpoint}", record_id, attempt)
        content = json.dumps(
            [endpoint, self.ofn_stripe_account_header(), payload or {}],
            sort_keys=True,
            default=str,
        )
        digest = hashlib.sha256(content.encode()).hexdigest()[:24]
        return gateway.idempotency_key(f"payment-stripe-{endpoint}", digest)

    def _stripe_get_inline_form_values(self, *args, **kwargs):
        """Stripe.js on a hub's checkout acts on the hub's account (``stripeAccount``)."""
        values = super()._stripe_get_inline_form_values(*args, **kwargs)
        account = self.ofn_stripe_account_header()
        if not account:
            return values
        values = json.loads(values)
        values["stripe_account"] = account
        return json.dumps(values)

    # ------------------------------------------------------------------ checkout
    @api.model
    def _get_compatible_providers(self, *args, **kwargs):
        """With Stripe Connect off for the instance, no hub provider is offered at checkout."""
        providers = super()._get_compatible_providers(*args, **kwargs)
        if not self.env["res.config.settings"].ofn_is_connect_enabled():
            providers = providers.filtered(lambda p: not p.ofn_stripe_account_id)
        return providers
