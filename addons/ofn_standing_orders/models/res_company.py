from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..const import DEFAULT_CHARGE_RETRIES, DEFAULT_CHARGE_RETRY_DELAY_HOURS


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

    @api.constrains("ofn_charge_retries", "ofn_charge_retry_delay_hours")
    def _check_ofn_retry_policy(self):
        for hub in self:
            if hub.ofn_charge_retries < 0 or hub.ofn_charge_retries > 10:
                raise ValidationError(_("Retry a failed payment between 0 and 10 times."))
            if hub.ofn_charge_retry_delay_hours < 1:
                raise ValidationError(_("Wait at least one hour between two payment attempts."))
