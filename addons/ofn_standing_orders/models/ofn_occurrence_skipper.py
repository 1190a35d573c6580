from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .ofn_occurrence_lock import lock_before_closing

# what a customer may skip: a cycle not placed yet, one found empty, or a quotation placed
SKIPPABLE_STATES = ("planned", "empty", "placed")


class OfnOccurrenceSkipper(models.AbstractModel):
    """Skips one cycle of a customer's standing order, or takes a skipped cycle back, until the
    cycle closes (OFN's "skip this order cycle"). A quotation already placed for the cycle is
    cancelled; taking the cycle back places a fresh one at once when the cycle is open. The
    occurrence is locked first (``lock_before_closing``) so that neither act can cross the
    placement or confirmation jobs. The caller has checked that the customer owns the
    occurrence (the portal reads it with the customer's rights); the acts run as superuser."""

    _name = "ofn.occurrence.skipper"
    _description = "Skip or take back a cycle of a standing order"

    @api.model
    def skip(self, occurrence):
        """The customer does not want this cycle's order. Returns the occurrence (skipped).

        A skipped occurrence keeps the link to the quotation it cancelled: the hub sees which
        order was withdrawn; the link is dropped when the cycle is taken back, since a new
        quotation is placed then from the standing order as it is."""
        occurrence = lock_before_closing(occurrence, SKIPPABLE_STATES)
        order = occurrence.sale_order_id
        if occurrence.state == "placed" and order.state != "cancel":
            if order.state not in ("draft", "sent"):
                raise UserError(
                    _(
                        "%(hub)s already confirmed your order %(order)s: please contact them.",
                        hub=order.company_id.name,
                        order=order.name,
                    )
                )
            order.with_company(order.company_id).with_context(
                disable_cancel_warning=True
            ).action_cancel()
            order.message_post(
                body=Markup("<p>%s</p>")
                % _("The customer skipped this order cycle: the order is cancelled."),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        occurrence.write({"state": "skipped"})
        occurrence.env.flush_all()  # as superuser: the hub's records are not the customer's
        return occurrence

    @api.model
    def unskip(self, occurrence):
        """The customer wants this cycle's order after all. Returns the occurrence: placed at
        once when the cycle is open and the standing order active, else planned (the placement
        job places it when the cycle opens)."""
        occurrence = lock_before_closing(occurrence, ("skipped",))
        standing = occurrence.standing_order_id
        if standing.status not in ("active", "paused"):
            raise UserError(_("This standing order is cancelled: its cycles cannot be taken back."))
        occurrence.write({"state": "planned", "sale_order_id": False, "change_note": False})
        cycle = occurrence.cycle_id
        if standing.status == "active" and cycle.opens_at <= fields.Datetime.now():
            # the row is locked by this transaction: the placement job (SKIP LOCKED) leaves it
            self.env["ofn.cycle.placer"].sudo()._place_one(occurrence)
        occurrence.env.flush_all()  # as superuser: the hub's records are not the customer's
        return occurrence
