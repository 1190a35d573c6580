import base64
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .payout_common import OfnPayoutCase


@tagged("post_install", "-at_install")
class TestPayoutExport(OfnPayoutCase):
    """The accountant's XLSX and CSV of a hub's payouts, and the admins' application fees."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.accountant, cls.account = cls._setup_hub_books("Hilltop", "ht_acc")
        cls._month_of_sales(cls.account)
        cls.account.sync_payouts()
        cls.payout = cls.account.payout_ids
        cls.today = cls.payout.arrival_date
        cls.Wizard = cls.env["ofn.payout.export.wizard"]

    def _export(self, user=None, **values):
        wizard = self.Wizard.with_user(user or self.accountant).create(
            {
                "company_id": self.hub.id,
                "date_from": self.today - timedelta(days=30),
                "date_to": self.today,
                **values,
            }
        )
        action = wizard.action_export()
        self.assertIn(f"/{wizard.id}/file_data/", action["url"])
        return wizard, base64.b64decode(wizard.file_data)

    def test_xlsx_totals_equal_the_payout(self):
        wizard, content = self._export(file_format="xlsx")
        self.assertTrue(wizard.file_name.startswith("stripe-payouts-hilltop-"))
        self.assertTrue(wizard.file_name.endswith(".xlsx"))
        book = openpyxl.load_workbook(io.BytesIO(content), data_only=True)
        self.assertEqual(book.sheetnames, ["Payouts", "Transactions"])

        payouts = _table(book["Payouts"])
        self.assertEqual(len(payouts["rows"]), 1)
        row = payouts["rows"][0]
        self.assertEqual(row["Payout"], self.payout.stripe_payout_id)
        self.assertEqual(row["Arrival date"].date(), self.payout.arrival_date)
        self.assertEqual(row["Bank account"], "**** 6789")
        self.assertEqual(payouts["totals"]["EUR"]["Amount"], self.payout.amount)
        self.assertAlmostEqual(payouts["totals"]["EUR"]["Net"], self.payout.amount, places=2)

        lines = _table(book["Transactions"])
        self.assertEqual(len(lines["rows"]), 4, "3 charges and a refund, not the payout itself")
        by_invoice = {(row["Invoice"], row["Type"]): row for row in lines["rows"]}
        first = by_invoice[self.invoice_1.name, "Charge"]
        self.assertEqual(first["Customer"], "Alice Martin")
        self.assertEqual(
            (first["Gross"], first["Stripe fee"], first["Application fee"], first["Net"]),
            (40.0, 1.46, 2.0, 36.54),
        )
        refund = by_invoice[self.invoice_2.name, "Refund"]
        self.assertEqual((refund["Gross"], refund["Net"]), (-5.0, -5.0))
        self.assertNotIn((self.invoice_3.name, "Charge"), by_invoice, "not in this payout")
        totals = lines["totals"]["EUR"]
        self.assertAlmostEqual(totals["Net"], self.payout.amount, places=2)
        self.assertAlmostEqual(totals["Gross"] - totals["Fees"], totals["Net"], places=2)
        self.assertAlmostEqual(totals["Stripe fee"] + totals["Application fee"], totals["Fees"])
        self.assertEqual(
            book["Transactions"].cell(row=len(lines["rows"]) + 2, column=15).value,
            totals["Net"],
        )

    def test_csv_parses(self):
        wizard, content = self._export(file_format="csv", payout_ids=[(6, 0, self.payout.ids)])
        self.assertTrue(wizard.file_name.endswith(".csv"))
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
        self.assertEqual(len(rows), 4)
        self.assertEqual(
            list(rows[0])[:3], ["Payout", "Date", "Available on"], "one header row first"
        )
        for row in rows:
            self.assertEqual(row["Currency"], "EUR")
            self.assertRegex(row["Net"], r"^-?\d+\.\d{2}$")
        settled = self.payout.balance_line_ids.filter_settled()
        self.assertEqual(
            {date.fromisoformat(row["Date"]) for row in rows},
            {line.created_at.date() for line in settled},
        )
        self.assertEqual(
            sum(Decimal(row["Net"]) for row in rows),
            Decimal(str(self.stripe_payout.amount)) / 100,
        )
        customers = {row["Customer"] for row in rows}
        self.assertEqual(customers, {"Alice Martin", "Bruno Petit", ""})

    def test_bad_period_gives_a_clear_error_and_no_file(self):
        with self.assertRaisesRegex(ValidationError, "starts .* after it ends"):
            self._export(date_from=self.today, date_to=self.today - timedelta(days=1))
        with self.assertRaisesRegex(ValidationError, "longer than a year"):
            self._export(date_from=self.today - timedelta(days=400), date_to=self.today)
        wizard = self.Wizard.with_user(self.accountant).create(
            {
                "company_id": self.hub.id,
                "date_from": self.today - timedelta(days=60),
                "date_to": self.today - timedelta(days=31),
                "payout_ids": [(6, 0, self.payout.ids)],
            }
        )
        with self.assertRaisesRegex(UserError, self.payout.stripe_payout_id):
            wizard.action_export()
        self.assertFalse(wizard.file_data)
        wizard.payout_ids = False
        with self.assertRaisesRegex(UserError, "no payout"):
            wizard.action_export()
        self.assertFalse(wizard.file_data)

    def test_admins_get_application_fees_across_hubs(self):
        _wizard, content = self._export(
            user=self.env.ref("base.user_admin"), report="application_fees", file_format="csv"
        )
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
        ours = [row for row in rows if row["Hub"] == "Hilltop"]
        self.assertEqual(len(ours), 1)
        self.assertEqual(ours[0]["Charges"], "4")
        self.assertEqual(ours[0]["Application fees"], "4.25")  # 2.00 + 1.00 + 0.50 + 0.75
        self.assertEqual(ours[0]["Gross charged"], "90.00")

        _wizard, content = self._export(
            user=self.env.ref("base.user_admin"), report="application_fees"
        )
        sheet = openpyxl.load_workbook(io.BytesIO(content), data_only=True)["Application fees"]
        table = _table(sheet)
        self.assertAlmostEqual(table["totals"]["EUR"]["Application fees"], 4.25)

        with self.assertRaises(AccessError):
            self._export(report="application_fees")


def _table(sheet):
    """A worksheet as ``{'rows': [{header: value}], 'totals': {currency: {header: value}}}``."""
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    rows, totals = [], {}
    for row in values[1:]:
        record = dict(zip(header, row, strict=True))
        label = str(record[header[0]] or "")
        if label.startswith("Total "):
            totals[label.removeprefix("Total ")] = record
        else:
            rows.append(record)
    return {"rows": rows, "totals": totals}
