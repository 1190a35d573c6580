from odoo import models

from ..platform_settings import get_setting


class IrQweb(models.AbstractModel):
    """Templates see ``ofn_stripe_js_url`` (where pages load Stripe.js from) and the platform's
    ``ofn_stripe_publishable_key`` (public by design) (ARCHITECTURE.md §3)."""

    _inherit = "ir.qweb"

    def _prepare_environment(self, values):
        # OFN_STRIPE_JS_URL: Stripe's own script, or the sandbox's shim in tests and the demo
        values.setdefault("ofn_stripe_js_url", get_setting("OFN_STRIPE_JS_URL"))
        values.setdefault("ofn_stripe_publishable_key", get_setting("OFN_STRIPE_PUBLISHABLE_KEY"))
        return super()._prepare_environment(values)
