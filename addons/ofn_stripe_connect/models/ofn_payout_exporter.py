from decimal import Decimal

from odoo import _, api, models
from odoo.tools import float_repr

from .. import payout_export_files as files
from ..payout_export_files import AMOUNT, DATE, INTEGER, Column, Sheet

FORMATS = [("xlsx", "Excel (XLSX)"), ("csv", "CSV")]


def money(amount, currency):
    """``amount`` (major units) as a ``Decimal`` with the currency's decimal places."""
    return Decimal(float_repr(amount, currency.decimal_places))


class OfnPayoutExporter(models.AbstractModel):
    """The accountant's file of a hub's payouts: XLSX with a sheet of payouts and a sheet of the
    balance transactions they settled (invoice, customer, gross, fees, net; totals per currency),
    or CSV of those transactions. The transactions' nets add up to the payouts' amounts."""

    _name = "ofn.payout.exporter"
    _description = "Export Stripe payouts for accountants"

    @api.model
    def export(self, payouts, file_format):
        """The file of ``payouts`` (``ofn.stripe.payout``, read with the user's rights).

        :param str file_format: ``xlsx`` or ``csv``
        :return: the file's content (bytes)
        """
        lines = self._lines_sheet(payouts)
        if file_format == "csv":
            return files.write_csv(lines)
        return files.write_xlsx([self._payouts_sheet(payouts), lines])

    def _payouts_sheet(self, payouts):
        statuses = dict(payouts._fields["status"]._description_selection(self.env))
        methods = dict(payouts._fields["method"]._description_selection(self.env))
        rows = [
            [
                payout.stripe_payout_id,
                payout.arrival_date,
                statuses.get(payout.status, ""),
                methods.get(payout.method, ""),
                f"**** {payout.destination_last4}" if payout.destination_last4 else "",
                payout.currency_id.name,
                money(payout.amount, payout.currency_id),
                money(payout.gross_total, payout.currency_id),
                money(payout.fee_total, payout.currency_id),
                money(payout.net_total, payout.currency_id),
                payout.line_count,
                payout.statement_id.name or "",
            ]
            for payout in payouts.sorted(lambda p: (p.arrival_date, p.id))
        ]
        columns = [
            Column(_("Payout"), width=30),
            Column(_("Arrival date"), DATE, 12),
            Column(_("Status")),
            Column(_("Method")),
            Column(_("Bank account")),
            Column(_("Currency"), width=9),
            Column(_("Amount"), AMOUNT),
            Column(_("Gross"), AMOUNT),
            Column(_("Fees"), AMOUNT),
            Column(_("Net"), AMOUNT),
            Column(_("Transactions"), INTEGER, 12),
            Column(_("Bank statement"), width=40),
        ]
        return self._sheet(_("Payouts"), columns, rows, payouts.currency_id, currency_column=5)

    def _lines_sheet(self, payouts):
        kinds = dict(
            self.env["ofn.stripe.balance.line"]._fields["kind"]._description_selection(self.env)
        )
        lines = payouts.balance_line_ids._settled().sorted(
            lambda line: (line.payout_id.arrival_date, line.payout_id.id, line.created_at, line.id)
        )
        rows = [
            [
                line.payout_id.stripe_payout_id,
                line.created_at.date(),
                line.available_on,
                kinds.get(line.kind, line.stripe_type),
                line.description or "",
                line.stripe_balance_transaction_id,
                line.stripe_source_id or "",
                ", ".join(line.invoice_ids.mapped("name")),
                line.partner_id.display_name or "",
                line.currency_id.name,
                money(line.amount, line.currency_id),
                money(line.stripe_fee, line.currency_id),
                money(line.application_fee, line.currency_id),
                money(line.fee, line.currency_id),
                money(line.net, line.currency_id),
            ]
            for line in lines
        ]
        columns = [
            Column(_("Payout"), width=30),
            Column(_("Date"), DATE, 12),
            Column(_("Available on"), DATE, 12),
            Column(_("Type")),
            Column(_("Description"), width=30),
            Column(_("Stripe transaction"), width=30),
            Column(_("Source"), width=30),
            Column(_("Invoice"), width=20),
            Column(_("Customer"), width=25),
            Column(_("Currency"), width=9),
            Column(_("Gross"), AMOUNT),
            Column(_("Stripe fee"), AMOUNT),
            Column(_("Application fee"), AMOUNT),
            Column(_("Fees"), AMOUNT),
            Column(_("Net"), AMOUNT),
        ]
        return self._sheet(_("Transactions"), columns, rows, lines.currency_id, currency_column=9)

    def _sheet(self, title, columns, rows, currencies, currency_column):
        return Sheet(
            title=title,
            columns=columns,
            rows=rows,
            currency_column=currency_column,
            decimals={currency.name: currency.decimal_places for currency in currencies},
            total_label=_("Total"),
        )
