import math
import uuid

from markupsafe import Markup

from odoo import Command, _, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, float_round


class SaleOrder(models.Model):
    """The order placed for a standing order in a cycle: until the cycle closes, the customer
    may change its quantities (OFN's "edit this order cycle's order"); nothing is ever added."""

    _inherit = "sale.order"

    ofn_occurrence_ids = fields.One2many(
        "ofn.standing.order.occurrence", "sale_order_id", string="Standing order cycle"
    )

    def message_post(self, **kwargs):
        """Override of `mail`: no second "paid" note on the engine's orders (see
        `account.move._invoice_paid_hook`)."""
        if self.env.context.get("ofn_invoice_paid_hook"):
            return self.env["mail.message"]
        return super().message_post(**kwargs)

    def _prepare_invoice(self):
        """Override of `sale`: the engine's invoices get their portal link's token when they
        are made, in their ``create``; Odoo writes it on each invoice on its own, then checks
        and synchronizes the whole entry again, when its link is first e-mailed."""
        values = super()._prepare_invoice()
        if self.env.context.get("ofn_engine"):
            values["access_token"] = str(uuid.uuid4())
        return values

    def _ofn_check_still_a_quotation(self):
        if self.state not in ("draft", "sent", "cancel"):
            raise UserError(
                _(
                    "%(hub)s already confirmed your order %(order)s: please contact them.",
                    hub=self.company_id.name,
                    order=self.name,
                )
            )

    def _ofn_customer_lines(self):
        """The lines the customer may change: the products ordered, not the hub's sections,
        notes, down payments or delivery charges."""
        return self.order_line.filtered(
            lambda line: (
                line.product_id
                and not line.display_type
                and not line.is_downpayment
                and not getattr(line, "is_delivery", False)
            )
        )

    def _ofn_set_customer_quantities(self, quantities):
        """``quantities``: {line id: new quantity}, ids and quantities as numbers or as the
        text a form sends; 0 removes the line. Every value is checked before anything changes;
        the hub finds what changed in the order's chatter. Returns the changes made, one
        sentence each (empty: nothing to change)."""
        self.ensure_one()
        lines = self._ofn_customer_lines()
        commands, changes = [], []
        for line, quantity in self._ofn_parse_quantities(lines, quantities).items():
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
        self.with_company(self.company_id).write({"order_line": commands})
        self.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (
                _("The customer changed the quantities of this order:"),
                Markup().join(Markup("<li>%s</li>") % change for change in changes),
            ),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        return changes

    def _ofn_parse_quantities(self, lines, quantities):
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
