import math

from markupsafe import Markup

from odoo import Command, _, api, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, float_round

from .ofn_occurrence_lock import lock_before_closing


class OfnPlacedOrderEditor(models.AbstractModel):
    """Changes the quantities of the order placed for a customer's standing order in a cycle,
    until the cycle closes (OFN's "edit this order cycle's order" on the customer's page): each
    line of the quotation gets a new quantity, 0 removes it; nothing is ever added. The
    occurrence is locked first (``lock_before_closing``) so that the change cannot cross the
    confirmation job; the hub finds what changed in the order's chatter. The caller has checked
    that the customer owns the occurrence; the change runs as superuser, on that order's lines
    only."""

    _name = "ofn.placed.order.editor"
    _description = "Change the quantities of a standing order's placed order"

    @api.model
    def set_quantities(self, occurrence, quantities):
        """``quantities``: {line id: new quantity}, ids and quantities as numbers or as the
        text a form sends. Every value is checked before anything changes. Returns the changes
        made, one sentence each (empty: nothing to change)."""
        occurrence = lock_before_closing(occurrence, ("placed",))
        order = occurrence.sale_order_id
        if order.state not in ("draft", "sent"):
            raise UserError(
                _(
                    "%(hub)s already confirmed your order %(order)s: please contact them.",
                    hub=order.company_id.name,
                    order=order.name,
                )
            )
        lines = self._customer_lines(order)
        wanted = self._parse(lines, quantities)
        commands, changes = [], []
        for line, quantity in wanted.items():
            rounding = line.product_uom.rounding
            if float_compare(quantity, line.product_uom_qty, precision_rounding=rounding) == 0:
                continue
            name = line.product_id.display_name
            if float_is_zero(quantity, precision_rounding=rounding):
                commands.append(Command.delete(line.id))
                changes.append(_("%(product)s removed", product=name))
            else:
                commands.append(Command.update(line.id, {"product_uom_qty": quantity}))
                changes.append(
                    _(
                        "%(product)s: %(old)s → %(new)s",
                        product=name,
                        old=_number(line.product_uom_qty),
                        new=_number(quantity),
                    )
                )
        removed = {command[1] for command in commands if command[0] == Command.DELETE}
        if commands and not lines.filtered(lambda line: line.id not in removed):
            raise UserError(
                _("Your order would be empty: skip this cycle instead of removing every line.")
            )
        if not commands:
            return []
        order.with_company(order.company_id).write({"order_line": commands})
        order.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (
                _("The customer changed the quantities of this order:"),
                Markup().join(Markup("<li>%s</li>") % change for change in changes),
            ),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        occurrence.env.flush_all()  # as superuser: the hub's records are not the customer's
        return changes

    @api.model
    def _customer_lines(self, order):
        """The lines the customer may change: the products ordered, not the hub's sections,
        notes, down payments or delivery charges."""
        return order.order_line.filtered(
            lambda line: (
                line.product_id
                and not line.display_type
                and not line.is_downpayment
                and not getattr(line, "is_delivery", False)
            )
        )

    @api.model
    def _parse(self, lines, quantities):
        """{line: quantity} from the customer's input; refuses unknown lines and quantities
        that are not numbers of at least 0."""
        by_id = {line.id: line for line in lines}
        wanted = {}
        for key, value in quantities.items():
            try:
                line = by_id.get(int(key))
            except (TypeError, ValueError):
                line = None
            if not line:
                raise UserError(_("Only the quantities of your order's own lines can be changed."))
            try:
                quantity = float(str(value).strip().replace(",", "."))
            except ValueError:
                quantity = None
            if quantity is None or not math.isfinite(quantity) or quantity < 0:
                raise UserError(
                    _(
                        "“%(value)s” is not a quantity for %(product)s: enter a number, 0 or "
                        "more (0 removes the product).",
                        value=value,
                        product=line.product_id.display_name,
                    )
                )
            wanted[line] = float_round(quantity, precision_rounding=line.product_uom.rounding)
        return wanted


def _number(quantity):
    """A quantity as people write it: 2, not 2.0."""
    return f"{quantity:g}"
