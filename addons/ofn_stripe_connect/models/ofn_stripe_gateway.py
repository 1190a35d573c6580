"""The one place that talks to Stripe (DESIGN.md §3)."""

import json
import logging

import stripe

from odoo import _, models

from .. import const
from ..exceptions import StripeGatewayError, StripeNotConfigured
from ..platform_settings import api_base, connect_base, get_setting

_logger = logging.getLogger(__name__)


class _StripeLogFilter(logging.Filter):
    """The SDK's debug logs dump request and response bodies (a hub's OAuth tokens, card
    details): they are dropped, and anything key-like left in other records is cut out."""

    def filter(self, record):
        message = record.getMessage()
        if "API response body" in message or "Post details" in message:
            return False
        if const.KEY_PATTERN.search(message):
            record.msg, record.args = const.KEY_PATTERN.sub("[redacted]", message), ()
        return True


logging.getLogger("stripe").addFilter(_StripeLogFilter())


class OfnStripeGateway(models.AbstractModel):
    """Builds a ``stripe.StripeClient`` per call with the platform key (from the environment), the
    SDK's pinned API version, network retries, the ``Stripe-Account`` header when acting for a hub
    and an idempotency key on every POST that moves money; maps Stripe's typed errors to
    :class:`StripeGatewayError` with a message fit for a user, never containing a key."""

    _name = "ofn.stripe.gateway"
    _description = "Stripe gateway"

    # ------------------------------------------------------------------ configuration
    def _secret_key(self):
        key = get_setting("OFN_STRIPE_SECRET_KEY")
        if not key:
            raise StripeNotConfigured(
                _(
                    "Stripe is not configured on this platform: the environment variable "
                    "OFN_STRIPE_SECRET_KEY is missing. Ask the platform administrator."
                )
            )
        return key

    def _client(self):
        return stripe.StripeClient(
            self._secret_key(),
            client_id=get_setting("OFN_STRIPE_CLIENT_ID"),
            base_addresses={"api": api_base(), "connect": connect_base()},
            max_network_retries=const.STRIPE_MAX_NETWORK_RETRIES,
        )

    # ------------------------------------------------------------------ public verbs
    def request(
        self,
        method,
        path,
        params=None,
        *,
        account=None,
        idempotency_key=None,
        api_version=None,
    ):
        """Call the Stripe API and return the response as a plain ``dict``.

        :param str method: ``get``, ``post`` or ``delete``
        :param str path: e.g. ``/v1/payment_intents``
        :param dict params: the request's parameters (nested dicts and lists are form-encoded as
            Stripe expects)
        :param str account: the hub's ``acct_`` id: sends ``Stripe-Account`` (a direct call on the
            connected account); ``None`` acts on the platform account
        :param str idempotency_key: required for the POSTs of ``const.MONEY_MOVING_PATHS``
        :param str api_version: another API version than the SDK's pinned one (Odoo's
            ``payment_stripe`` flows keep ``2019-05-16``)
        :raise StripeGatewayError: on any error from Stripe or the network
        """
        method = method.lower()
        if method == "post" and not idempotency_key and _moves_money(path):
            raise ValueError(f"POST {path} moves money: it needs an idempotency key")
        options = {}
        if account:
            options["stripe_account"] = account
        if idempotency_key and method == "post":
            options["idempotency_key"] = idempotency_key
        if api_version:
            options["stripe_version"] = api_version
        with _translate_errors(path):
            response = self._client().raw_request(method, path, **(params or {}), **options)
        return json.loads(response.body)

    def oauth_authorize_url(self, redirect_uri, state):
        """The URL of Stripe's OAuth page where a hub manager connects a Standard account."""
        with _translate_errors("/oauth/authorize"):
            return self._client().oauth.authorize_url(
                {
                    "response_type": "code",
                    "scope": "read_write",
                    "redirect_uri": redirect_uri,
                    "state": state,
                }
            )

    def oauth_token(self, code):
        """Exchange an OAuth ``code`` for the connected account; returns the token response
        (``stripe_user_id``, ``livemode``...). The tokens themselves are never stored: the platform
        key acts for the account through ``Stripe-Account``."""
        with _translate_errors("/oauth/token"):
            response = (
                self._client()
                .oauth.token({"grant_type": "authorization_code", "code": code})
                .to_dict()
            )
        return {
            "stripe_user_id": response["stripe_user_id"],
            "livemode": bool(response.get("livemode")),
            "scope": response.get("scope"),
        }

    def oauth_deauthorize(self, account):
        """Revoke the platform's access to the connected account ``account``."""
        with _translate_errors("/oauth/deauthorize"):
            self._client().oauth.deauthorize(
                {
                    "client_id": get_setting("OFN_STRIPE_CLIENT_ID"),
                    "stripe_user_id": account,
                }
            )

    def construct_event(self, payload, signature_header):
        """Verify a webhook's signature and age; returns the event as a ``dict``.

        :raise StripeNotConfigured: without ``OFN_STRIPE_WEBHOOK_SECRET``
        :raise StripeGatewayError: forged, malformed or stale payload
        """
        secret = get_setting("OFN_STRIPE_WEBHOOK_SECRET")
        if not secret:
            raise StripeNotConfigured(
                _("Stripe webhooks are refused: OFN_STRIPE_WEBHOOK_SECRET is not configured.")
            )
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"),
                signature_header or "",
                secret,
                const.WEBHOOK_TOLERANCE_SECONDS,
            )
            return json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as error:
            raise StripeGatewayError(
                _("Invalid Stripe webhook: %(reason)s", reason=_safe_message(error)),
                code="invalid_signature",
            ) from error


def _moves_money(path):
    return any(path.startswith(prefix) for prefix in const.MONEY_MOVING_PATHS)


class _translate_errors:
    """Context manager turning the SDK's exceptions into :class:`StripeGatewayError`."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, exc_type, error, traceback):
        if error is None or isinstance(error, StripeGatewayError | StripeNotConfigured):
            return False
        if isinstance(error, stripe.StripeError):
            gateway_error = StripeGatewayError.from_stripe_error(error, _user_message(error))
            _logger.info(
                "Stripe refused %s: %s (%s)", self.path, gateway_error.code, error.http_status
            )
            raise gateway_error from error
        return False


def _safe_message(error):
    """Stripe's own message, with anything that looks like a key cut out."""
    text = str(getattr(error, "user_message", None) or error) or error.__class__.__name__
    return const.KEY_PATTERN.sub("[redacted]", text)


def _user_message(error):
    if isinstance(error, stripe.CardError):
        return _safe_message(error)
    if isinstance(error, stripe.AuthenticationError):
        return _(
            "Stripe refused the platform's API key (OFN_STRIPE_SECRET_KEY). "
            "Ask the platform administrator to check it."
        )
    if isinstance(error, stripe.PermissionError):
        return _(
            "The platform can no longer act for this Stripe account: it was disconnected or "
            "its access revoked. Connect the hub's Stripe account again."
        )
    if isinstance(error, stripe.RateLimitError):
        return _("Stripe is receiving too many requests right now. Try again in a minute.")
    if isinstance(error, stripe.APIConnectionError):
        return _("Stripe could not be reached. Check the network and try again.")
    if isinstance(error, stripe.oauth_error.OAuthError):
        return _("Stripe refused the connection: %(reason)s", reason=_safe_message(error))
    return _("Stripe answered: %(reason)s", reason=_safe_message(error))
