from datetime import datetime, time, timedelta

from odoo import _, api, models
from odoo.exceptions import AccessError

from .. import payout_export_files as files
from ..payout_export_files import AMOUNT, INTEGER, Column, Sheet
from .ofn_payout_exporter import money


class OfnApplicationFeeReport(models.AbstractModel):
    """The platform's application fees earned on the hubs' charges, per hub and currency, for the
    platform admins (across all hubs, from the synced balance transactions)."""

    _name = "ofn.application.fee.report"
    _description = "Application fees earned across hubs"

    @api.model
    def export(self, date_from, date_to, file_format):
        """The file of the fees on charges made from ``date_from`` to ``date_to`` (included).

        :return: the file's content (bytes)
        :raise AccessError: the user is not a platform administrator
        """
        if not (self.env.su or self.env.user.has_group("base.group_system")):
            raise AccessError(_("Only platform administrators see the application fees."))
        sheet = self._sheet(date_from, date_to)
        if file_format == "csv":
            return files.write_csv(sheet)
        return files.write_xlsx([sheet])

    def _sheet(self, date_from, date_to):
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
            [
                company.name,
                currency.name,
                count,
                money(gross, currency),
                money(fees, currency),
            ]
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
        return Sheet(
            title=_("Application fees"),
            columns=columns,
            rows=rows,
            currency_column=1,
            decimals={currency.name: currency.decimal_places for currency in currencies},
            total_label=_("Total"),
        )
