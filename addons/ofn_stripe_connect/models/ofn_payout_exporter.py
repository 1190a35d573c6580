from datetime import datetime, time, timedelta
from decimal import Decimal

from odoo import _, api, models
from odoo.exceptions import AccessError
from odoo.tools import float_repr

from .. import payout_export_files as files
from ..payout_export_files import AMOUNT, DATE, INTEGER, Column, Sheet


def money(amount, currency):
    """``amount`` (major units) as a ``Decimal`` with the currency's decimal places."""
    return Decimal(float_repr(amount, currency.decimal_places))


class OfnPayoutExporter(models.AbstractModel):
    """An adapter that owns no record: the accountant's file of a hub's payouts (XLSX with a
    sheet of payouts and a sheet of the balance transactions they settled: invoice, customer,
    gross, fees, net, totals per currency; or CSV of those transactions; the transactions' nets
    add up to the payouts' amounts), and the platform admins' file of the application fees
    earned on the hubs' charges, per hub and currency."""

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

    @api.model
    def export_application_fees(self, date_from, date_to, file_format):
        """The file of the platform's application fees on the charges made from ``date_from``
        to ``date_to`` (included), across all hubs (from the synced balance transactions).

        :param str file_format: ``xlsx`` or ``csv``
        :return: the file's content (bytes)
        :raise AccessError: the user is not a platform administrator
        """
        if not (self.env.su or self.env.user.has_group("base.group_system")):
            raise AccessError(_("Only platform administrators see the application fees."))
        sheet = self._application_fees_sheet(date_from, date_to)
        if file_format == "csv":
            return files.write_csv(sheet)
        return files.write_xlsx([sheet])

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
        lines = payouts.balance_line_ids.filter_settled().sorted(
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

    def _application_fees_sheet(self, date_from, date_to):
        groups = (
            self.env["ofn.stripe.balance.line"]
            .sudo()
            ._read_group(
                [
                    ("kind", "=", "charge"),
                    ("created_at", ">=", datetime.combine(date_from, time.min)),
                    ("created_at", "<", datetime.combine(date_to + timedelta(days=1), time.min)),
                ],
                groupby=["company_id", "currency_id"],
                aggregates=["__count", "amount:sum", "application_fee:sum"],
                order="company_id, currency_id",
            )
        )
        rows = [
            [company.name, currency.name, count, money(gross, currency), money(fees, currency)]
            for company, currency, count, gross, fees in groups
        ]
        columns = [
            Column(_("Hub"), width=30),
            Column(_("Currency"), width=9),
            Column(_("Charges"), INTEGER, 10),
            Column(_("Gross charged"), AMOUNT),
            Column(_("Application fees"), AMOUNT, 16),
        ]
        currencies = self.env["res.currency"].union(*(group[1] for group in groups))
        return self._sheet(_("Application fees"), columns, rows, currencies, currency_column=1)
