"""Constants of the platform's Stripe integration (ARCHITECTURE.md §3): settings, connected
accounts, errors, webhooks, payouts."""

import re

# Platform settings, read from the environment first and from the odoo.conf [options] key of the
# same name in lower case second. Never stored in the database, shown in a form or logged.
SETTING_DEFAULTS = {
    "OFN_STRIPE_SECRET_KEY": None,
    "OFN_STRIPE_PUBLISHABLE_KEY": None,
    "OFN_STRIPE_CLIENT_ID": None,
    "OFN_STRIPE_WEBHOOK_SECRET": None,
    "OFN_STRIPE_API_BASE": "https://api.stripe.com",
    "OFN_STRIPE_CONNECT_BASE": "https://connect.stripe.com",
    "OFN_STRIPE_JS_URL": "https://js.stripe.com/v3/",
}

# The settings whose values are secrets: only their presence may ever be reported.
SECRET_SETTINGS = frozenset({"OFN_STRIPE_SECRET_KEY", "OFN_STRIPE_WEBHOOK_SECRET"})

# States of a hub's connection to its Stripe account: "onboarding" until Stripe enables charges,
# "revoked" once disconnected (by the hub, or by the account holder in Stripe).
ACCOUNT_STATES = [
    ("onboarding", "Onboarding"),
    ("connected", "Connected"),
    ("revoked", "Disconnected"),
]
ACCOUNT_TYPES = [("standard", "Standard"), ("express", "Express"), ("custom", "Custom")]
CONNECTION_METHODS = [("oauth", "OAuth (existing account)"), ("account_link", "Account Link")]

# The OAuth `state` expires after this many seconds; its signature's scope (odoo.tools.misc.hmac).
OAUTH_STATE_TTL_SECONDS = 15 * 60
OAUTH_STATE_SCOPE = "ofn_stripe_connect.oauth_state"

# ir.config_parameter keys (not secrets: switches and choices of the platform)
PARAM_CONNECT_ENABLED = "ofn_stripe_connect.enabled"
PARAM_ONBOARDING_ACCOUNT_TYPE = "ofn_stripe_connect.onboarding_account_type"
# What the last connection check found the platform account to be (shown on the settings page).
PARAM_PLATFORM_ACCOUNT = "ofn_stripe_connect.platform_account"

# Stripe SDK calls (ours) use the SDK's pinned API version; Odoo's payment_stripe flows keep theirs
# (payment_stripe.const.API_VERSION, 2019-05-16) wherever they are routed.
STRIPE_MAX_NETWORK_RETRIES = 2

# Objects per page of Stripe's list endpoints (100 is Stripe's maximum).
STRIPE_PAGE_SIZE = 100

# The kinds of StripeGatewayError (its ``kind``): what the caller does next depends on it.
ERROR_DECLINED = "declined"  # the card's bank (or Stripe's risk checks) refused the payment
ERROR_AUTHENTICATION_REQUIRED = "authentication_required"  # 3-D Secure needed: customer present
ERROR_ACCOUNT_UNREACHABLE = "account_unreachable"  # the platform may no longer act for the hub
ERROR_OUTCOME_UNKNOWN = "outcome_unknown"  # no answer (network, Stripe 5xx): ask again, same key
ERROR_RATE_LIMITED = "rate_limited"  # 429: nothing was done, ask again later
ERROR_REFUSED = "refused"  # any other refusal of the request (invalid, bad key, OAuth, signature)
ERROR_KINDS = frozenset(
    {
        ERROR_DECLINED,
        ERROR_AUTHENTICATION_REQUIRED,
        ERROR_ACCOUNT_UNREACHABLE,
        ERROR_OUTCOME_UNKNOWN,
        ERROR_RATE_LIMITED,
        ERROR_REFUSED,
    }
)

# Webhooks older than this (seconds) are refused (Stripe's default tolerance).
WEBHOOK_TOLERANCE_SECONDS = 300

# States of a received webhook event (ofn.stripe.event).
EVENT_STATES = [
    ("received", "Being processed"),
    ("processed", "Processed"),
    ("ignored", "Ignored"),
    ("failed", "Failed"),
]

# Anything looking like a Stripe key or secret, cut out of messages before they are shown or logged.
KEY_PATTERN = re.compile(r"\b(sk|rk|pk)_(test|live)_\w+|\b(whsec|rt|ac)_\w{6,}|\bca_\w{6,}")


# === PAYOUTS: sync, accounting and export (ARCHITECTURE.md §2: payout) === #

# Status of a payout on Stripe. "paid" is final once Stripe lists the transactions it settled.
PAYOUT_STATUSES = [
    ("pending", "Pending"),
    ("in_transit", "In transit"),
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("canceled", "Canceled"),
]
PAYOUT_FINAL_STATUSES = frozenset({"paid", "failed", "canceled"})
PAYOUT_METHODS = [("standard", "Standard"), ("instant", "Instant")]

# What a balance transaction is for the accountant, from Stripe's ``type``.
# fmt: off
BALANCE_LINE_KINDS = [
    ("charge", "Charge"), ("refund", "Refund"), ("application_fee", "Application fee"),
    ("stripe_fee", "Stripe fee"), ("adjustment", "Adjustment"), ("payout", "Payout"),
    ("other", "Other"),
]
# fmt: on
STRIPE_TYPE_TO_KIND = {
    **dict.fromkeys(["charge", "payment"], "charge"),
    **dict.fromkeys(["refund", "payment_refund", "payment_failure_refund"], "refund"),
    **dict.fromkeys(["application_fee", "application_fee_refund"], "application_fee"),
    **dict.fromkeys(["stripe_fee", "stripe_fx_fee", "tax_fee"], "stripe_fee"),
    **dict.fromkeys(["adjustment", "reserve_transaction", "reserved_funds"], "adjustment"),
    **dict.fromkeys(["payout", "payout_cancel", "payout_failure"], "payout"),
}
# Kinds that come from a customer's payment: an Odoo payment.transaction should exist for them.
MATCHABLE_KINDS = frozenset({"charge", "refund"})

MATCH_STATES = [
    ("matched", "Matched"),
    ("unmatched", "Unmatched"),
    ("not_applicable", "No customer payment"),
]

# The ``fee_details`` type of the platform's share of a charge; every other fee type is Stripe's.
APPLICATION_FEE_DETAIL = "application_fee"

# The parts of a balance transaction that become bank statement lines.
STATEMENT_PARTS = [
    ("gross", "Gross amount"),
    ("stripe_fee", "Stripe fee"),
    ("application_fee", "Application fee"),
]

# The hub's Stripe bank journal (account.journal codes have at most 5 characters).
JOURNAL_NAME = "Stripe"
JOURNAL_CODE = "STRP"

# A payout that failed or was canceled is told to the hub's managers; one synced long after it
# failed (the first sync of an account) is not news any more.
PAYOUT_FAILED_STATUSES = frozenset({"failed", "canceled"})
PAYOUT_FAILURE_NOTICE_DAYS = 30

# The longest period an accountant's export may cover, and the export's file formats.
EXPORT_MAX_YEARS = 1
EXPORT_FORMATS = [("xlsx", "Excel (XLSX)"), ("csv", "CSV")]
