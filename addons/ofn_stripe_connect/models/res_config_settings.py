from odoo import _, api, fields, models

from .. import const
from ..exceptions import StripeGatewayError, StripeNotConfigured
from ..platform_settings import get_setting, platform_livemode, settings_status


class ResConfigSettings(models.TransientModel):
    """The platform's Stripe panel (system administrators): which settings are present (never
    their values), the platform account, test or live mode, the Connect switch."""

    _inherit = "res.config.settings"

    ofn_connect_enabled = fields.Boolean(
        string="Stripe Connect for hubs", config_parameter=const.PARAM_CONNECT_ENABLED
    )
    ofn_onboarding_account_type = fields.Selection(
        [("express", "Express"), ("standard", "Standard")],
        string="New hub accounts",
        config_parameter=const.PARAM_ONBOARDING_ACCOUNT_TYPE,
        default="express",
        help="Type of the Stripe account created for a hub that has none (Account Links).",
    )
    ofn_has_secret_key = fields.Boolean(compute="_compute_ofn_presence")
    ofn_has_publishable_key = fields.Boolean(compute="_compute_ofn_presence")
    ofn_has_client_id = fields.Boolean(compute="_compute_ofn_presence")
    ofn_has_webhook_secret = fields.Boolean(compute="_compute_ofn_presence")
    ofn_stripe_mode = fields.Char(string="Stripe mode", compute="_compute_ofn_presence")
    ofn_platform_account = fields.Char(string="Platform account", compute="_compute_ofn_presence")

    def _compute_ofn_presence(self):
        status = settings_status()
        key = get_setting("OFN_STRIPE_SECRET_KEY")
        mode = _("Live") if platform_livemode() else _("Test")
        for settings in self:
            settings.ofn_has_secret_key = status["OFN_STRIPE_SECRET_KEY"]["present"]
            settings.ofn_has_publishable_key = status["OFN_STRIPE_PUBLISHABLE_KEY"]["present"]
            settings.ofn_has_client_id = status["OFN_STRIPE_CLIENT_ID"]["present"]
            settings.ofn_has_webhook_secret = status["OFN_STRIPE_WEBHOOK_SECRET"]["present"]
            settings.ofn_stripe_mode = mode if key else _("Not configured")
            settings.ofn_platform_account = (
                self.env["ir.config_parameter"].sudo().get_param(const.PARAM_PLATFORM_ACCOUNT)
            )

    @api.model
    def ofn_is_connect_enabled(self):
        """Stripe Connect is on for the instance: switched on, and the platform key is present."""
        switched_on = self.env["ir.config_parameter"].sudo().get_param(const.PARAM_CONNECT_ENABLED)
        return bool(switched_on) and bool(get_setting("OFN_STRIPE_SECRET_KEY"))

    def action_ofn_check_connection(self):
        """Retrieve the platform account with the platform key and say how it went."""
        self.ensure_one()
        try:
            account = self.env["ofn.stripe.gateway"].retrieve_platform_account()
        except (StripeGatewayError, StripeNotConfigured) as error:
            return _notification(_("Stripe connection failed"), error.args[0], "danger")
        name = (
            ((account.get("settings") or {}).get("dashboard") or {}).get("display_name")
            or (account.get("business_profile") or {}).get("name")
            or account.get("email")
            or ""
        )
        label = f"{name} ({account['id']})" if name else account["id"]
        self.env["ir.config_parameter"].sudo().set_param(const.PARAM_PLATFORM_ACCOUNT, label)
        mode = _("live") if platform_livemode() else _("test")
        return _notification(
            _("Stripe connection works"),
            _("Platform account %(account)s, %(mode)s mode.", account=label, mode=mode),
            "success",
        )


def _notification(title, message, kind):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "title": title,
            "message": message,
            "type": kind,
            "sticky": kind == "danger",
            "next": {"type": "ir.actions.client", "tag": "soft_reload"},
        },
    }
