from odoo import models


class OfnWalletConsent(models.Model):
    _inherit = "ofn.wallet.consent"

    def write(self, vals):
        """A consent that becomes active fixes its customer's payments at risk at the hub: they
        are checked again at once (the hub's list shows what is still wrong)."""
        result = super().write(vals)
        if vals.get("state") == "active":
            self._ofn_check_payments_again()
        return result

    def _ofn_check_payments_again(self):
        at_risk = (
            self.env["ofn.standing.order.occurrence"]
            .sudo()
            .search(
                [
                    ("at_risk", "=", True),
                    ("company_id", "in", self.company_id.ids),
                    ("partner_id", "child_of", self.partner_id.ids),
                ]
            )
        )
        at_risk._pre_close_check(notify=False)
