"""Read the platform's Stripe settings (ARCHITECTURE.md §3).

The environment wins; an ``[options]`` key of the same name in lower case in odoo.conf is the
fallback; then the documented default. Nothing here touches the database, and values are never
logged: callers that report on the configuration use :func:`settings_status`, which says only
whether each setting is present.
"""

import os

from odoo.tools import config as odoo_config

from .const import SECRET_SETTINGS, SETTING_DEFAULTS


def get_setting(name):
    """Return the value of the platform setting ``name`` (e.g. ``OFN_STRIPE_SECRET_KEY``), or its
    default (``None`` for keys) when neither the environment nor odoo.conf sets it.

    An empty value counts as unset, so ``OFN_STRIPE_SECRET_KEY=`` in a .env file switches the
    feature off instead of sending an empty key to Stripe.
    """
    if name not in SETTING_DEFAULTS:
        raise KeyError(f"Unknown platform setting {name!r}")
    value = os.environ.get(name) or odoo_config.get(name.lower()) or None
    if isinstance(value, str):
        value = value.strip() or None
    return value if value is not None else SETTING_DEFAULTS[name]


def has_setting(name):
    """Whether ``name`` is set explicitly (in the environment or odoo.conf), defaults aside."""
    return bool(
        os.environ.get(name, "").strip() or str(odoo_config.get(name.lower()) or "").strip()
    )


def settings_status():
    """Return ``{name: {"present": bool, "secret": bool}}`` for every platform setting: safe to show
    to an administrator, as it never contains a value."""
    return {
        name: {"present": has_setting(name), "secret": name in SECRET_SETTINGS}
        for name in SETTING_DEFAULTS
    }


def platform_livemode():
    """Whether the platform works in live mode: its secret key is a live one. Stripe's Account
    object carries no ``livemode``; the key (or an OAuth token response) says it."""
    return (get_setting("OFN_STRIPE_SECRET_KEY") or "").startswith(("sk_live_", "rk_live_"))


def api_base():
    """Base URL of the Stripe API (``OFN_STRIPE_API_BASE``), without a trailing slash."""
    return get_setting("OFN_STRIPE_API_BASE").rstrip("/")


def connect_base():
    """Base URL of Stripe Connect's OAuth pages (``OFN_STRIPE_CONNECT_BASE``), no trailing slash."""
    return get_setting("OFN_STRIPE_CONNECT_BASE").rstrip("/")
