"""The one place that talks to Stripe (ARCHITECTURE.md §3).

Our own calls go through the SDK's typed services (``client.v1.setup_intents.create(params=...)``)
with parameters typed by the SDK's ``stripe.params`` TypedDicts, generated from Stripe's spec of
the SDK's pinned API version: ``make lint`` type-checks them (mypy), so a parameter that version
does not know never reaches Stripe. Odoo's ``payment_stripe`` flows keep their own API version
(2019-05-16) and payloads, routed through :meth:`OfnStripeGateway.request`.
"""

import hashlib
import json
import logging
import threading
from typing import TYPE_CHECKING, Any

import stripe

from odoo import _, models

from .. import const
from ..exceptions import StripeGatewayError, StripeNotConfigured
from ..platform_settings import api_base, connect_base, get_setting
from ..utils import commit_unit_of_work

if TYPE_CHECKING:
    from stripe.params import (
        AccountCreateParams,
        AccountLinkCreateParams,
        BalanceTransactionListParams,
        CustomerCreateParams,
        CustomerPaymentMethodListParams,
        PaymentMethodAttachParams,
        PaymentMethodCreateParams,
        PayoutRetrieveParams,
        SetupIntentCreateParams,
    )

_logger = logging.getLogger(__name__)

# One client per process and platform key: its HTTP client keeps a session (a pool of kept-alive
# connections) per thread, so every call of a worker reuses the same few connections.
_CLIENTS: dict[tuple, stripe.StripeClient] = {}
_CLIENTS_LOCK = threading.Lock()

# Names that StripeClient.raw_request takes as options, not as parameters: a payload using one
# would silently lose it.
_RAW_REQUEST_RESERVED = frozenset(
    {"base", "usage", "api_key", "idempotency_key", "stripe_account", "stripe_version"}
    | {"stripe_context", "max_network_retries", "headers", "content_type"}
)

# What a caller that commits before Stripe is asked has read and keeps across the commit: the
# settings it acts with (the hub, its account and provider, the customer, the payment method),
# which the answer is processed with. A payment, an invoice or an order may be changed by
# someone else meanwhile (a webhook, the customer): those are read again.
_SETTINGS_KEPT_DURING_CALL = frozenset(
    {"res.company", "res.partner", "res.users", "res.currency", "ofn.stripe.account"}
    | {"payment.provider", "payment.method", "payment.token", "account.journal"}
)


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
    """An adapter that owns no record: the platform key (from the environment), one shared
    ``stripe.StripeClient`` per process and key, the SDK's pinned API version, network retries,
    the ``Stripe-Account`` header when acting for a hub, an idempotency key on every POST that
    creates something; Stripe's typed errors become :class:`StripeGatewayError` with a message
    fit for a user, never containing a key.

    Every verb returns plain ``dict``s (the JSON Stripe sent)."""

    _name = "ofn.stripe.gateway"
    _description = "Stripe gateway"

    # === CONFIGURATION === #

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

    def _client(self) -> stripe.StripeClient:
        """The process's client for the current key and addresses (made once, thread-safe)."""
        key = self._secret_key()
        client_id = get_setting("OFN_STRIPE_CLIENT_ID")
        api, connect = api_base(), connect_base()
        identity = (hashlib.sha256(key.encode()).hexdigest(), client_id, api, connect)
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(identity)
            if client is None:
                client = stripe.StripeClient(
                    key,
                    client_id=client_id,
                    base_addresses={"api": api, "connect": connect},
                    max_network_retries=const.STRIPE_MAX_NETWORK_RETRIES,
                )
                _CLIENTS[identity] = client
        return client

    def idempotency_key(self, purpose, record_id, attempt=1):
        """The idempotency key of a POST that creates something: ``<purpose>-<record
        id>-<attempt>``, then this database's id (two databases on the same Stripe account, a
        production and its restored copy, never share a key). The same business record and
        attempt always give the same key, so a retry after a lost answer or a rolled back
        transaction gets Stripe's first answer instead of a second object.

        :param str purpose: what the POST creates, e.g. ``consent``, ``wallet-card``
        :param int|str record_id: the business record's id
        :param int attempt: the record's attempt number (a new attempt, a new object)
        """
        database = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return f"{purpose}-{record_id}-{attempt}-{database[:8]}"

    def next_attempt_key(self, purpose, record, counter):
        """Count one more attempt on ``record`` (its integer field ``counter``) and return that
        attempt's idempotency key. The count is written in the caller's transaction: if it rolls
        back after Stripe answered, the retry counts the same attempt again and gets Stripe's
        first answer; once committed, the next attempt makes a new object."""
        record = record.sudo()
        record[counter] += 1
        return self.idempotency_key(purpose, record.id, record[counter])

    def _call(self, what, operation, *, account=None, idempotency_key=None):
        """Run ``operation(services, options)`` on the shared client; return its result as a
        plain dict.

        :param str what: the call, for logs and errors (e.g. ``POST /v1/setup_intents``)
        :param operation: takes the client's ``v1`` services and the request options
        """
        options: Any = {}
        if account:
            options["stripe_account"] = account
        if idempotency_key:
            options["idempotency_key"] = idempotency_key
        with _translate_errors(self.env, what):
            result = operation(self._client().v1, options)
        return result.to_dict()

    # === ACCOUNTS === #

    def retrieve_platform_account(self):
        return self._call("GET /v1/account", lambda v1, o: v1.accounts.retrieve_current(options=o))

    def retrieve_account(self, account_id):
        return self._call(
            "GET /v1/accounts/{account}",
            lambda v1, o: v1.accounts.retrieve(account_id, options=o),
        )

    def create_account(self, params: "AccountCreateParams", *, idempotency_key):
        return self._call(
            "POST /v1/accounts",
            lambda v1, o: v1.accounts.create(params=params, options=o),
            idempotency_key=idempotency_key,
        )

    def create_account_link(self, params: "AccountLinkCreateParams", *, idempotency_key):
        return self._call(
            "POST /v1/account_links",
            lambda v1, o: v1.account_links.create(params=params, options=o),
            idempotency_key=idempotency_key,
        )

    # === CUSTOMERS AND CARDS === #

    def create_customer(self, params: "CustomerCreateParams", *, idempotency_key, account=None):
        return self._call(
            "POST /v1/customers",
            lambda v1, o: v1.customers.create(params=params, options=o),
            account=account,
            idempotency_key=idempotency_key,
        )

    def create_setup_intent(
        self, params: "SetupIntentCreateParams", *, idempotency_key, account=None
    ):
        return self._call(
            "POST /v1/setup_intents",
            lambda v1, o: v1.setup_intents.create(params=params, options=o),
            account=account,
            idempotency_key=idempotency_key,
        )

    def retrieve_setup_intent(self, intent_id, *, account=None):
        return self._call(
            "GET /v1/setup_intents/{intent}",
            lambda v1, o: v1.setup_intents.retrieve(intent_id, options=o),
            account=account,
        )

    def retrieve_payment_method(self, method_id, *, account=None):
        return self._call(
            "GET /v1/payment_methods/{payment_method}",
            lambda v1, o: v1.payment_methods.retrieve(method_id, options=o),
            account=account,
        )

    def create_payment_method(
        self, params: "PaymentMethodCreateParams", *, account, idempotency_key
    ):
        """With ``customer`` and ``payment_method`` of the platform: clones a platform card to
        the connected ``account``."""
        return self._call(
            "POST /v1/payment_methods",
            lambda v1, o: v1.payment_methods.create(params=params, options=o),
            account=account,
            idempotency_key=idempotency_key,
        )

    def attach_payment_method(
        self, method_id, params: "PaymentMethodAttachParams", *, account, idempotency_key
    ):
        return self._call(
            "POST /v1/payment_methods/{payment_method}/attach",
            lambda v1, o: v1.payment_methods.attach(method_id, params=params, options=o),
            account=account,
            idempotency_key=idempotency_key,
        )

    def detach_payment_method(self, method_id, *, account=None):
        return self._call(
            "POST /v1/payment_methods/{payment_method}/detach",
            lambda v1, o: v1.payment_methods.detach(method_id, options=o),
            account=account,
        )

    def list_customer_payment_methods(
        self, customer, params: "CustomerPaymentMethodListParams", *, account
    ):
        return self._call(
            "GET /v1/customers/{customer}/payment_methods",
            lambda v1, o: v1.customers.payment_methods.list(customer, params=params, options=o),
            account=account,
        )

    # === PAYOUTS === #

    def retrieve_payout(self, payout_id, params: "PayoutRetrieveParams", *, account):
        return self._call(
            "GET /v1/payouts/{payout}",
            lambda v1, o: v1.payouts.retrieve(payout_id, params=params, options=o),
            account=account,
        )

    def list_balance_transactions(self, params: "BalanceTransactionListParams", *, account):
        return self._call(
            "GET /v1/balance_transactions",
            lambda v1, o: v1.balance_transactions.list(params=params, options=o),
            account=account,
        )

    def retrieve_charge(self, charge_id, *, account):
        return self._call(
            "GET /v1/charges/{charge}",
            lambda v1, o: v1.charges.retrieve(charge_id, options=o),
            account=account,
        )

    # === PAYMENT_STRIPE'S OWN FLOWS === #

    def request(
        self, method, path, params=None, *, api_version, account=None, idempotency_key=None
    ):
        """A request of Odoo's ``payment_stripe`` (checkout, tokenization, refunds, captures),
        in its own API version and payload shape, as a plain ``dict``.

        :param str method: ``get``, ``post`` or ``delete``
        :param str path: e.g. ``/v1/payment_intents``
        :param dict params: the request's parameters (nested dicts and lists are form-encoded as
            Stripe expects)
        :param str api_version: the version the payload and the caller's reading of the answer
            are written for (``payment_stripe.const.API_VERSION``)
        :param str account: the hub's ``acct_`` id: sends ``Stripe-Account`` (a direct call on the
            connected account); ``None`` acts on the platform account
        :param str idempotency_key: required for every POST (see :meth:`idempotency_key`)
        :raise StripeGatewayError: on any error from Stripe or the network
        """
        method = method.lower()
        params = dict(params or {})
        if method == "post" and not idempotency_key:
            raise ValueError(f"POST {path} needs an idempotency key")
        reserved = _RAW_REQUEST_RESERVED.intersection(params)
        if reserved:
            raise ValueError(f"{path}: the SDK would not send the parameters {sorted(reserved)}")
        options = {"stripe_version": api_version}
        if account:
            options["stripe_account"] = account
        if idempotency_key and method == "post":
            options["idempotency_key"] = idempotency_key
        self._release_transaction()
        with _translate_errors(self.env, f"{method.upper()} {path}"):
            response = self._client().raw_request(method, path, **params, **options)
        return json.loads(response.body)

    def _release_transaction(self):
        """A caller that asks for it (context ``ofn_stripe_commit_before_call``: a charge job)
        holds no lock and no open transaction while Stripe is asked: what it wrote is committed
        first (inside a test's transaction, which nothing may commit, it is only flushed). The
        settings it read stay known: Stripe's answer is processed with them, not read again."""
        if self.env.context.get("ofn_stripe_commit_before_call"):
            commit_unit_of_work(self.env, keep=_SETTINGS_KEPT_DURING_CALL)

    # === OAUTH (CONNECT) === #

    def oauth_authorize_url(self, redirect_uri, state):
        """The URL of Stripe's OAuth page where a hub manager connects a Standard account."""
        with _translate_errors(self.env, "/oauth/authorize"):
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
        with _translate_errors(self.env, "/oauth/token"):
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
        with _translate_errors(self.env, "/oauth/deauthorize"):
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


class _translate_errors:
    """Context manager turning the SDK's exceptions into :class:`StripeGatewayError`, told in
    the language of ``env`` (the reader's: the job's, the request's)."""

    def __init__(self, env, path):
        self.env = env
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, exc_type, error, traceback):
        if error is None or isinstance(error, StripeGatewayError | StripeNotConfigured):
            return False
        if isinstance(error, stripe.StripeError):
            gateway_error = StripeGatewayError.from_stripe_error(
                error, _user_message(self.env, error)
            )
            _logger.info(
                "Stripe refused %s: %s (%s)", self.path, gateway_error.code, error.http_status
            )
            raise gateway_error from error
        return False


def _safe_message(error):
    """Stripe's own message, with anything that looks like a key cut out."""
    text = str(getattr(error, "user_message", None) or error) or error.__class__.__name__
    return const.KEY_PATTERN.sub("[redacted]", text)


def _user_message(env, error):
    """The refusal in ``env``'s language (no record here: ``_()`` would find no language)."""
    if isinstance(error, stripe.CardError):
        return _safe_message(error)
    if isinstance(error, stripe.AuthenticationError):
        return env._(
            "Stripe refused the platform's API key (OFN_STRIPE_SECRET_KEY). "
            "Ask the platform administrator to check it."
        )
    if isinstance(error, stripe.PermissionError):
        return env._(
            "The platform can no longer act for this Stripe account: it was disconnected or "
            "its access revoked. Connect the hub's Stripe account again."
        )
    if isinstance(error, stripe.RateLimitError):
        return env._("Stripe is receiving too many requests right now. Try again in a minute.")
    if isinstance(error, stripe.APIConnectionError):
        return env._("Stripe could not be reached. Check the network and try again.")
    if isinstance(error, stripe.oauth_error.OAuthError):
        return env._("Stripe refused the connection: %(reason)s", reason=_safe_message(error))
    return env._("Stripe answered: %(reason)s", reason=_safe_message(error))
