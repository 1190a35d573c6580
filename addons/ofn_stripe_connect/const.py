"""Constants of the platform's Stripe integration (ARCHITECTURE.md §3)."""

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

# The OAuth `state` expires after this many seconds.
OAUTH_STATE_TTL_SECONDS = 15 * 60

# ir.config_parameter keys (not secrets: switches and choices of the platform)
PARAM_CONNECT_ENABLED = "ofn_stripe_connect.enabled"
PARAM_ONBOARDING_ACCOUNT_TYPE = "ofn_stripe_connect.onboarding_account_type"

# Stripe SDK calls (ours) use the SDK's pinned API version; Odoo's payment_stripe flows keep theirs
# (payment_stripe.const.API_VERSION, 2019-05-16) wherever they are routed.
STRIPE_MAX_NETWORK_RETRIES = 2


# Webhooks older than this (seconds) are refused (Stripe's default tolerance).
WEBHOOK_TOLERANCE_SECONDS = 300

# Anything looking like a Stripe key or secret, cut out of messages before they are shown or logged.
KEY_PATTERN = re.compile(r"\b(sk|rk|pk)_(test|live)_\w+|\b(whsec|rt|ac)_\w{6,}|\bca_\w{6,}")
