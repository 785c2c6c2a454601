"""Portfolio trends as files: one CSV per table, or one XLSX workbook with a sheet per table
(``scoring.trends.portfolio_trends``; the numbers are the stored quarters' numbers)."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook

from core.spreadsheet import safe_cell
from reports.scores_csv import csv_line
from scoring.trends import Trends

TABLES = ("coverage", "grades", "categories", "populations", "findings")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def trends_csv(trends: Trends, table: str) -> str:
    """One table as CSV text (UTF-8, header first; the column names are the API's keys).
    ``KeyError`` for an unknown table."""
    rows = trends.tables()[table]
    columns = list(rows[0]) if rows else ["quarter"]
    return csv_line(columns) + "".join(csv_line([safe_cell(_cell(row[c])) for c in columns]) for row in rows)


def trends_xlsx(trends: Trends) -> bytes:
    """Every table in one workbook, a sheet each, numbers as numbers."""
    workbook = Workbook(write_only=True)
    for table in TABLES:
        sheet = workbook.create_sheet(table)
        rows = trends.tables()[table]
        columns = list(rows[0]) if rows else ["quarter"]
        sheet.append(columns)
        for row in rows:
            sheet.append([float(row[c]) if isinstance(row[c], Decimal) else
                          (safe_cell(row[c]) if isinstance(row[c], str) else row[c]) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
