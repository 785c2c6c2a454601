"""Reading an uploaded table: UTF-8 (with or without BOM) or GB18030 CSV, or XLSX (first
sheet), recognised by content, never by the file name."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


class UnreadableFile(ValueError):
    """The file as a whole cannot be read as a table."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    # (line number in the file, header = 1; cells as text, stripped)
    rows: list[tuple[int, list[str]]]


def read_table(source) -> Table:
    """``source``: a path, bytes, or a binary file object (e.g. an uploaded file)."""
    data = _read_bytes(source)
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    if data.startswith(OLE_MAGIC):
        raise UnreadableFile("legacy .xls workbooks are not supported: save the sheet as XLSX or CSV")
    return _read_csv(_decode(data))


def _read_bytes(source) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    if hasattr(source, "seek"):
        source.seek(0)
    return source.read()


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("the file is neither UTF-8 nor GB18030 text, nor an XLSX workbook") from exc


def _read_csv(text: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    line_after_previous = 0
    try:
        for cells in reader:
            start_line = line_after_previous + 1
            line_after_previous = reader.line_num
            records.append((start_line, [cell.strip() for cell in cells]))
    except csv.Error as exc:
        raise UnreadableFile(f"row {reader.line_num}: the CSV cannot be parsed ({exc})") from exc
    return _table(records)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged zip
        raise UnreadableFile(f"the XLSX workbook cannot be opened ({exc})") from exc
    try:
        sheet = workbook.worksheets[0]
        records = [
            (number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()
    if _has_formulas(data):
        _show_uncomputed_formulas(data, records)
    return _table(records)


def _has_formulas(data: bytes) -> bool:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = sorted(name for name in archive.namelist() if name.startswith("xl/worksheets/sheet"))
        return bool(sheets) and b"<f" in archive.read(sheets[0])


def _show_uncomputed_formulas(data: bytes, records: list[tuple[int, list[str]]]) -> None:
    """A formula saved without its computed value (a workbook written by a script) reads as
    an empty cell: put the formula text there instead, so validation names it rather than
    treating the cell as empty."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        formulas = workbook.worksheets[0].iter_rows(values_only=True)
        for (_, cells), raw in zip(records, formulas, strict=False):
            for index, value in enumerate(raw):
                if index < len(cells) and cells[index] == "" and isinstance(value, str) and value.startswith("="):
                    cells[index] = value
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores numbers as doubles; the shortest repr is the text that was typed.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _table(records: list[tuple[int, list[str]]]) -> Table:
    records = [(number, cells) for number, cells in records if any(cells)]
    if not records:
        raise UnreadableFile("the file has no header row")
    header_line, header = records[0]
    if header_line != 1:
        raise UnreadableFile("row 1: the first line must be the header")
    return Table(header=[name.strip().lower() for name in header], rows=records[1:])
