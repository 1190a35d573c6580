from odoo import _, fields, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        """A customer with active standing orders is archived only when the user says so
        (context ``ofn_archive_standing_orders``): their orders would silently stop."""
        if vals.get("active") is False and not self.env.context.get("ofn_archive_standing_orders"):
            orders = (
                self.env["ofn.standing.order"]
                .sudo()
                .search([("partner_id", "in", self.ids), ("status", "=", "active")])
            )
            if orders:
                raise UserError(
                    _(
                        "%(customers)s still have active standing orders (%(count)s). Pause or "
                        "cancel them first, or archive while saying so.",
                        customers=", ".join(orders.partner_id.mapped("name")),
                        count=len(orders),
                    )
                )
        return super().write(vals)

    def _increase_rank(self, field, n=1):
        """Override of `account`: while the engine posts a batch of invoices (context
        ``ofn_defer_ranks``, see `account.move._post`) the steps are gathered, to be made at
        once."""
        ranks = self.env.context.get("ofn_defer_ranks") and self.env.cr.cache.get("ofn_ranks")
        if ranks is None:
            return super()._increase_rank(field, n)
        for partner_id in self.ids:
            ranks[field][partner_id] += n
        return None

    def _ofn_delivery_addresses(self):
        """Where a customer's standing orders may be delivered: their own address or one of
        their delivery addresses."""
        self.ensure_one()
        return self | self.child_ids.filtered(lambda a: a.type == "delivery" and a.active)

    def ofn_cards_expiring_before_use(self):
        """The wallet cards that expire before the next charge of one of the customer's active
        standing orders paid by card: the nearest cycle close whose hub's consent uses the card.

        Override of `ofn_customer_wallet`."""
        expiring = super().ofn_cards_expiring_before_use()
        customer = self.commercial_partner_id.sudo()
        occurrences = (
            self.env["ofn.standing.order.occurrence"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", customer.id),
                    ("standing_order_id.status", "=", "active"),
                    ("standing_order_id.payment_mode", "=", "card"),
                    ("state", "in", ("planned", "placed")),
                    ("cycle_id.closes_at", ">", fields.Datetime.now()),
                ]
            )
        )
        for occurrence in occurrences.sorted(lambda o: o.cycle_id.closes_at):
            hub, when = occurrence.company_id, occurrence.cycle_id.closes_at
            consent = customer.ofn_consent_for(hub)
            card = consent.card_id
            if (
                consent.state == "active"
                and card not in expiring
                and card.ofn_card_expires_before(when)
            ):
                expiring[card] = (when, hub)
        return expiring
