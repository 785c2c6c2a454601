"""CSV and XLSX exports of the portal's list pages, with the page's filters and sort.

A list declares its columns once (``Column``: a translated header, how to read the value
from a row, and its kind) in ``portal.list_columns``; its view computes the filtered rows
once and either renders the page or, when the query string carries ``format=csv`` or
``format=xlsx``, returns ``export_response`` over all those rows (every page, not only
the one shown). The view's decorator is the export's permission, and the rows are the
page's own queryset, already scoped to the user.

Shapes of the file (docs/portal.md, "Exports"):

- CSV: UTF-8 with a byte order mark (Excel opens Chinese text correctly), comma
  separated, one header row in the user's language; dates ``YYYY-MM-DD`` and times
  ``YYYY-MM-DDTHH:MM`` in the server's time zone (a moment in a date column is its local
  day, as on the pages), numbers as plain decimals (shares as fractions 0–1), empty cells
  for no value.
- XLSX: one sheet, the same header row; dates and times as Excel dates (formatted
  ``yyyy-mm-dd``), numbers as numbers (shares formatted as percentages).
- Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
  tab or CR, and not a plain number) gets a leading apostrophe in both formats
  (``core.spreadsheet.safe_cell``).
- Bulk: rows are read in chunks of ``CHUNK`` from one query (``QuerySet.iterator``); a
  list whose columns need related rows reads them once per chunk (``prepare``). The CSV is
  streamed; the XLSX is written row by row (openpyxl's write-only mode) to a spooled
  temporary file.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.quarter import today
from core.spreadsheet import safe_cell
from portal.downloads import content_disposition

TEXT, NUMBER, SHARE, DATE, DATETIME = "text", "number", "share", "date", "datetime"
FORMATS = ("csv", "xlsx")
CHUNK = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """One column of a list: ``header`` (a lazy translated string), ``value(row)`` (the
    cell: text, a number, a date or datetime, or ``None`` for empty) and ``kind``
    (``TEXT``, ``NUMBER``, ``SHARE`` a fraction 0–1, ``DATE``, ``DATETIME``). A ``NUMBER``
    cell given as text that is not a number is written as text."""

    header: Any
    value: Callable[[Any], Any]
    kind: str = TEXT


def wanted(request) -> bool:
    """Whether the request asks for an export (``?format=`` present, whatever its value)."""
    return "format" in request.GET


def export_response(request, name: str, columns: Iterable[Column], rows: Iterable,
                    *, prepare: Callable[[list], list] | None = None):
    """The list ``rows`` as ``?format=csv`` or ``xlsx``, named ``<name>-<YYYY-MM-DD>.<format>``
    (the business day). ``rows``: a queryset (read with ``iterator``), an object with
    ``export_rows()`` (a paginated sequence that reads itself in bulk) or any iterable.
    ``prepare(chunk) -> chunk`` may add what the columns read (one query per chunk).
    An unknown format answers 400."""
    fmt = request.GET.get("format", "")
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("format: choose csv or xlsx."))
    columns = list(columns)
    headers = [str(column.header) for column in columns]
    filename = f"{name}-{today().isoformat()}.{fmt}"
    chunks = _chunks(rows, prepare)
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(headers, columns, chunks, translation.get_language()),
                                         content_type="text/csv; charset=utf-8")
    else:
        response = FileResponse(_xlsx_file(name, headers, columns, chunks), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _chunks(rows, prepare) -> Iterator[list]:
    if isinstance(rows, QuerySet):
        iterator = rows.iterator(chunk_size=CHUNK)
    elif hasattr(rows, "export_rows"):
        iterator = iter(rows.export_rows())
    else:
        iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield prepare(chunk) if prepare else chunk


def _empty(value) -> bool:
    """No value: ``None``, "", or a float NaN (pandas' missing number)."""
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _number(value):
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return value


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def cell_value(value, kind: str):
    """One cell as both formats start from it: ``None`` (empty), a number (``NUMBER`` and
    ``SHARE``, text parsed to ``Decimal``; a bool stays text), a date (a datetime in a
    ``DATE`` column reduced to its day in the server's time zone, the day the pages show:
    ``TIME_ZONE``), a naive datetime in the server's time zone, or formula-safe text
    (``core.spreadsheet.safe_cell``). The XLSX writes it as it is."""
    if _empty(value):
        return None
    if kind in (NUMBER, SHARE) and not isinstance(value, bool):
        number = _number(value)
        if number is not None:
            return number
    if isinstance(value, dt.datetime) and kind == DATE:
        return _local(value).date()
    if isinstance(value, dt.datetime):
        return _local(value)
    if isinstance(value, dt.date):
        return value
    return safe_cell(value)


def csv_cell(value, kind: str) -> str:
    """One CSV cell (the module docstring gives the shapes): ``cell_value`` as text."""
    value = cell_value(value, kind)
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _Echo:
    def write(self, value):
        return value


def _csv_lines(headers, columns, chunks, language) -> Iterator[str]:
    writer = csv.writer(_Echo())
    with translation.override(language):
        yield "\ufeff" + writer.writerow([safe_cell(header) for header in headers])
        for chunk in chunks:
            yield "".join(writer.writerow([csv_cell(column.value(row), column.kind) for column in columns])
                          for row in chunk)


_FORMATS = {DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm", SHARE: "0.00%"}


def _xlsx_cell(sheet, value, kind: str, cell_class):
    """A plain value, or a cell with its number format (dates, times, shares)."""
    if isinstance(value, dt.datetime):
        number_format = _FORMATS[DATETIME]
    elif isinstance(value, dt.date):
        number_format = _FORMATS[DATE]
    elif kind == SHARE and value is not None and not isinstance(value, str):
        number_format = _FORMATS[SHARE]
    else:
        return value
    cell = cell_class(sheet, value=value)
    cell.number_format = number_format
    return cell


def _xlsx_file(name, headers, columns, chunks):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name[:31])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=safe_cell(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for chunk in chunks:
        for row in chunk:
            sheet.append([_xlsx_cell(sheet, cell_value(column.value(row), column.kind), column.kind, WriteOnlyCell)
                          for column in columns])
    handle = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 (the response closes it)
    workbook.save(handle)
    handle.seek(0)
    return handle
