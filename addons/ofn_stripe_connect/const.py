"""Constants of the platform's Stripe integration (DESIGN.md §3)."""

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

# States of a hub's connection to its Stripe account.
ACCOUNT_STATES = [
    ("connected", "Connected"),
    ("restricted", "Restricted"),
    ("revoked", "Revoked"),
]
