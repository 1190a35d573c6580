from odoo import _, api, fields, models

from .ofn_occurrence_runner import CYCLE_CLOSES_AT


class OfnCycleConfirmer(models.AbstractModel):
    """Confirms the orders of closed cycles (OFN's SubscriptionConfirmJob): each placed
    occurrence, in its own unit of work, has its order confirmed, invoiced and posted, the
    customer's credit applied, and the rest charged to the customer's card for the hub (or left
    to pay on invoice). One summary per hub follows each run."""

    _name = "ofn.cycle.confirmer"
    _description = "Confirm, invoice and charge the orders of closed order cycles"

    @api.model
    def confirm(self, commit=False):
        """Returns the occurrences confirmed or charged by this run."""
        stuck: list = []
        confirmed = self.env["ofn.occurrence.runner"].run(
            """o.state = 'placed' AND EXISTS (SELECT 1 FROM ofn_order_cycle c
                                                WHERE c.id = o.cycle_id AND c.closes_at <= %s)""",
            [fields.Datetime.now()],
            f"{CYCLE_CLOSES_AT}, o.id",
            self._confirm_one,
            commit=commit,
            on_error=lambda occurrence, error: self._stuck(occurrence, error, stuck),
        )
        charged = self.env["ofn.occurrence.charger"].charge_due("confirmed", commit=commit)
        handled = confirmed | charged | self.env["ofn.standing.order.occurrence"].browse(stuck)
        self.env["ofn.hub.summary"].send("confirmation", handled)
        return handled

    def _stuck(self, occurrence, error, stuck):
        """The order could not be confirmed or invoiced (it stays placed and is tried again by
        every run): the hub is told once, and it is listed under the payment problems."""
        if occurrence.needs_attention:
            return
        occurrence.write(
            {
                "needs_attention": True,
                "failure_reason": "error",
                "failure_message": _("Could not be confirmed: %(error)s", error=str(error))[:500],
            }
        )
        stuck.append(occurrence.id)

    def _confirm_one(self, occurrence):
        order = occurrence.sale_order_id.with_company(occurrence.company_id)
        if not order or order.state == "cancel":
            occurrence.write({"state": "cancelled", "next_charge_at": False})
            return
        if order.state in ("draft", "sent"):
            if not order.warehouse_id:  # placed before the hub had a warehouse
                order.warehouse_id = self.env["ofn.cycle.placer"]._hub_warehouse(order.company_id)
            order.action_confirm()
        invoice = order.invoice_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.state != "cancel"
        )[:1]
        if not invoice:
            invoice = order._create_invoices(final=True)
        if invoice.state == "draft":
            # credit is applied below, on its own, so that what is left is charged to the card
            invoice.with_context(ofn_no_credit_apply=True).action_post()
        self.env["ofn.credit.applier"].apply(invoice)
        currency = invoice.currency_id
        values = {
            "invoice_id": invoice.id,
            "state": "confirmed",
            "needs_attention": False,  # a failure of an earlier run is over
            "failure_reason": False,
            "failure_message": False,
        }
        card = occurrence.standing_order_id.payment_mode == "card"
        if currency.is_zero(invoice.amount_residual):
            values["state"] = "paid"
        elif card:
            values["next_charge_at"] = fields.Datetime.now()
        occurrence.write(values)
        if values["state"] == "paid":
            self.env["ofn.occurrence.charger"]._tell_paid(occurrence)
        elif not card:
            self.env["ofn.customer.notifier"].notify(
                order,
                _("Your invoice from %(hub)s", hub=order.company_id.name),
                [
                    _(
                        "Your order %(order)s is confirmed. Invoice %(invoice)s of %(amount)s is "
                        "to be paid as agreed with %(hub)s.",
                        order=order.name,
                        invoice=invoice.name,
                        amount=invoice.currency_id.format(invoice.amount_residual),
                        hub=order.company_id.name,
                    )
                ],
                link=invoice.get_portal_url(),
                link_label=_("View my invoice"),
            )

    @api.model
    def _cron_confirm(self):
        self.confirm(commit=True)
