from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..const import (
    DEFAULT_CHARGE_RETRIES,
    DEFAULT_CHARGE_RETRY_DELAY_HOURS,
    DEFAULT_PRE_CLOSE_CHECK_HOURS,
)


class ResCompany(models.Model):
    """A hub's retry policy for the card payments of its standing orders."""

    _inherit = "res.company"

    ofn_charge_retries = fields.Integer(
        string="Payment retries",
        default=DEFAULT_CHARGE_RETRIES,
        help="How many times a failed card payment of a standing order is tried again.",
    )
    ofn_charge_retry_delay_hours = fields.Integer(
        string="Hours between retries", default=DEFAULT_CHARGE_RETRY_DELAY_HOURS
    )
    ofn_pre_close_check_hours = fields.Integer(
        string="Check payments before the close (hours)",
        default=DEFAULT_PRE_CLOSE_CHECK_HOURS,
        help="How many hours before an order cycle closes the card payments of its standing "
        "orders are checked: the customers whose payment would fail (a card expiring, deleted "
        "or no longer allowed) are asked to fix it, the hub's managers get the list. 0: no "
        "check.",
    )

    ofn_subscription_approval = fields.Boolean(
        string="Approve new standing orders",
        help="A standing order a customer starts on a schedule's subscription page waits for "
        "the approval of the hub's staff; nothing is placed or charged before.",
    )

    @api.constrains(
        "ofn_charge_retries", "ofn_charge_retry_delay_hours", "ofn_pre_close_check_hours"
    )
    def _check_ofn_retry_policy(self):
        for hub in self:
            if hub.ofn_charge_retries < 0 or hub.ofn_charge_retries > 10:
                raise ValidationError(_("Retry a failed payment between 0 and 10 times."))
            if hub.ofn_charge_retry_delay_hours < 1:
                raise ValidationError(_("Wait at least one hour between two payment attempts."))
            if hub.ofn_pre_close_check_hours < 0 or hub.ofn_pre_close_check_hours > 24 * 14:
                raise ValidationError(
                    _("Check the payments between 0 hours and two weeks before the close.")
                )

    def _ofn_check_standing_order_staff(self):
        """Raise unless the current user is staff of each of these hubs (its managers, the
        platform's admins), who act on their standing orders.

        :raise AccessError: the user may not act for one of the hubs
        """
        for hub in self:
            if not hub.ofn_user_manages_stripe():
                raise AccessError(
                    _("Only %(hub)s's managers can act on its standing orders.", hub=hub.name)
                )

    def _ofn_takes_cards(self):
        """Whether the hub's Stripe account is connected, with its payment provider enabled:
        the one test of the charge, the check before the close, the customer's payment and the
        subscription page."""
        self.ensure_one()
        account = self.sudo().ofn_stripe_account_id
        return bool(
            account
            and account.state == "connected"
            and account.provider_id
            and account.provider_id.state != "disabled"
        )

    def _ofn_warehouse(self):
        """The hub's warehouse, which its orders ship from. Odoo makes one only for the first
        company of a database: a hub without one gets it now, named after the hub."""
        self.ensure_one()
        Warehouse = self.env["stock.warehouse"].sudo()
        warehouse = Warehouse.search([("company_id", "=", self.id)], limit=1)
        if not warehouse:
            code = "".join(ch for ch in self.name.upper() if ch.isalnum())[:5] or "HUB"
            warehouse = Warehouse.create({"name": self.name, "code": code, "company_id": self.id})
        return warehouse
