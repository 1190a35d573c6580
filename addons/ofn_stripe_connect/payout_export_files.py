"""XLSX and CSV files of the accountants' exports: pure writers of tables, no Odoo inside.

A table is a :class:`Sheet`: its columns (label, kind, width) and rows of Python values (``str``,
``datetime.date``, ``decimal.Decimal`` amounts in major units, ``int``). Amount columns are totalled
per currency in the XLSX (``SUMIFS`` formulas whose computed value is stored too, so readers that
do not calculate see it).
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

TEXT, DATE, AMOUNT, INTEGER = "text", "date", "amount", "integer"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT
    width: int = 14


@dataclass
class Sheet:
    title: str
    columns: list
    rows: list
    # index of the column holding each row's currency code (totals are per currency)
    currency_column: int | None = None
    # decimal places of each currency code, for the amounts' number format
    decimals: dict = field(default_factory=dict)
    total_label: str = "Total"


def write_xlsx(sheets):
    """An XLSX workbook (bytes) with one formatted worksheet per :class:`Sheet`."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _Formats(workbook)
    for sheet in sheets:
        _write_sheet(workbook.add_worksheet(sheet.title[:31]), sheet, formats)
    workbook.close()
    return buffer.getvalue()


def write_csv(sheet):
    """A CSV file (UTF-8 bytes) of ``sheet``: one header row, then the rows; ISO dates, amounts
    as plain decimals (``1234.50``), no totals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.label for column in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _csv_value(value):
    if value is None or value is False:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class _Formats:
    def __init__(self, workbook):
        self.workbook = workbook
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "text_wrap": True}
        )
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.total_label = workbook.add_format({"bold": True, "top": 1})
        self._amounts = {}

    def amount(self, decimals, total=False):
        key = (decimals, total)
        if key not in self._amounts:
            number = "#,##0" + ("." + "0" * decimals if decimals else "")
            spec = {"num_format": number}
            if total:
                spec.update(bold=True, top=1)
            self._amounts[key] = self.workbook.add_format(spec)
        return self._amounts[key]


def _write_sheet(worksheet, sheet, formats):
    for col, column in enumerate(sheet.columns):
        worksheet.set_column(col, col, column.width)
        worksheet.write_string(0, col, column.label, formats.header)
    worksheet.freeze_panes(1, 0)
    for index, row in enumerate(sheet.rows, start=1):
        decimals = _row_decimals(sheet, row)
        for col, (column, value) in enumerate(zip(sheet.columns, row, strict=True)):
            if value is None or value is False or value == "":
                worksheet.write_blank(index, col, None)
            elif column.kind == DATE:
                worksheet.write_datetime(index, col, value, formats.date)
            elif column.kind == AMOUNT:
                worksheet.write_number(index, col, float(value), formats.amount(decimals))
            elif column.kind == INTEGER:
                worksheet.write_number(index, col, value)
            else:
                worksheet.write_string(index, col, str(value))
    last = len(sheet.rows)
    if last:
        worksheet.autofilter(0, 0, last, len(sheet.columns) - 1)
    _write_totals(worksheet, sheet, formats, first_total_row=last + 1)


def _row_decimals(sheet, row):
    if sheet.currency_column is None:
        return 2
    return sheet.decimals.get(row[sheet.currency_column], 2)


def _write_totals(worksheet, sheet, formats, first_total_row):
    """One total row per currency (or one row without a currency column), under the data."""
    currencies = (
        sorted({row[sheet.currency_column] for row in sheet.rows})
        if sheet.currency_column is not None
        else [None]
    )
    last = len(sheet.rows)
    for offset, currency in enumerate(currencies):
        row_index = first_total_row + offset
        label = f"{sheet.total_label} {currency}" if currency else sheet.total_label
        worksheet.write_string(row_index, 0, label, formats.total_label)
        if currency:
            worksheet.write_string(row_index, sheet.currency_column, currency, formats.total_label)
        decimals = sheet.decimals.get(currency, 2)
        for col, column in enumerate(sheet.columns):
            if column.kind != AMOUNT:
                continue
            value = sum(
                (
                    row[col]
                    for row in sheet.rows
                    if currency is None or row[sheet.currency_column] == currency
                ),
                Decimal(0),
            )
            worksheet.write_formula(
                row_index,
                col,
                _total_formula(col, last, sheet.currency_column, currency),
                formats.amount(decimals, total=True),
                float(value),
            )


def _total_formula(col, last, currency_col, currency):
    values = _range(col, last)
    if currency is None:
        return f"=SUM({values})" if last else "=0"
    if not last:
        return "=0"
    return f'=SUMIFS({values},{_range(currency_col, last)},"{currency}")'


def _range(col, last):
    letter = xl_col_to_name(col)
    return f"{letter}2:{letter}{last + 1}"
