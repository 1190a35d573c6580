from odoo import _, api, models


class OfnCreditAdjuster(models.AbstractModel):
    """Hub staff give a customer credit, or take some back, by hand and say why. The
    counterpart is the hub's customer credit adjustments account."""

    _name = "ofn.credit.adjuster"
    _description = "Customer credit adjustment by hub staff"

    @api.model
    def adjust(self, partner, hub, amount, reason, allow_negative=False):
        """Credits (``amount`` > 0) or debits (``amount`` < 0) ``partner`` at ``hub`` with the
        caller's rights; a debit below zero needs ``allow_negative``. Returns the new
        ``ofn.wallet.transaction``."""
        kind = "manual_credit" if amount > 0 else "manual_debit"
        label = _("Customer credit adjusted by %(hub)s: %(reason)s", hub=hub.name, reason=reason)
        entry = self.env["ofn.credit.bookkeeper"].book(
            partner, hub, amount, hub._ofn_credit_adjustment_account(), label
        )
        return self.env["ofn.credit.ledger"].post(
            partner,
            hub,
            amount,
            kind,
            reason=reason,
            allow_negative=allow_negative,
            entry_move_id=entry.id,
        )
