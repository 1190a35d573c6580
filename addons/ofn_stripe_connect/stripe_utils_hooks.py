"""payment_stripe's Stripe Connect hooks in ``payment_stripe.utils`` (module functions, so they are
wrapped here, once, at import): hub and platform providers read the platform's keys from the
environment instead of their fields. Other Stripe providers keep their own keys."""

from odoo.addons.payment_stripe import utils as stripe_utils

from .platform_settings import get_setting


def _uses_platform_keys(provider_sudo):
    # the model method exists only in databases where this addon is installed
    check = getattr(provider_sudo, "ofn_uses_platform_keys", None)
    return bool(check and check())


def _wrap(original, setting):
    if getattr(original, "_ofn_wrapped", False):
        return original

    def hook(provider_sudo):
        if _uses_platform_keys(provider_sudo):
            return get_setting(setting)
        return original(provider_sudo)

    hook._ofn_wrapped = True
    hook.__doc__ = original.__doc__
    return hook


stripe_utils.get_secret_key = _wrap(stripe_utils.get_secret_key, "OFN_STRIPE_SECRET_KEY")
stripe_utils.get_publishable_key = _wrap(
    stripe_utils.get_publishable_key, "OFN_STRIPE_PUBLISHABLE_KEY"
)
stripe_utils.get_webhook_secret = _wrap(
    stripe_utils.get_webhook_secret, "OFN_STRIPE_WEBHOOK_SECRET"
)
