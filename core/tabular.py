"""Reading an uploaded table: UTF-8 (with or without BOM) or GB18030 CSV, or XLSX (first
sheet), recognised by content, never by the file name.

What is read how (docs/imports.md, "Files from Excel, WPS and other tools"):

- CSV: UTF-8 with or without BOM; otherwise GB18030 only when charset-normalizer names a
  GB-family encoding as its best guess (a trial decode that happens to succeed is not
  evidence). Windows-1252, Big5, Shift-JIS, UTF-16 and files mixing UTF-8 with another
  encoding are refused with one message (``ENCODING_REFUSAL``). Excel's ``sep=,`` first line
  sets the delimiter; line numbers stay physical (that line is line 1).
- XLSX: the first sheet's XML is streamed row by row; its ``<dimension>`` tag is never read, so
  a stale one hides nothing and one claiming the whole sheet costs nothing. Each cell is read
  with its type and number format: percent formats give a ``PercentCell`` (``0.85`` with ``0%``
  is 85%), zero-padded formats such as ``00000`` give the displayed text (``00007``), error
  values give an ``ErrorCell``, formulas give their cached result (an empty cached text is an
  empty cell) and a formula without a cached result gives an ``UncomputedFormula``; booleans
  read ``true``/``false`` and dates ISO ``YYYY-MM-DD``.

Every cell is text (``str``); the special XLSX cells are ``str`` subclasses carrying what the
import framework needs to accept or refuse them per column (core/importing.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import warnings
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "hz"})

ENCODING_REFUSAL = (
    "the file is not UTF-8 (nor GB18030) text; in Excel choose File > Save As > "
    "\"CSV UTF-8 (Comma delimited) (*.csv)\" (WPS: Save As > \"CSV UTF-8\") and import that file"
)
FORMULA_WITHOUT_VALUE = "formula without a computed value: open and save the file in Excel"
_SEP_LINE = re.compile(r'^"?sep=(.)"?\s*$', re.IGNORECASE)


class UnreadableFile(ValueError):
    """The file as a whole cannot be read as a table."""


class SpecialCell(str):
    """An XLSX cell that is not plain text. Its text is what Excel displays; the import
    framework resolves it per column kind before any parser sees it."""


class PercentCell(SpecialCell):
    """A number shown with a percent format: ``percent`` is the displayed percentage
    (0.85 formatted ``0%`` → ``Decimal("85")``); the text is ``"85%"``."""

    percent: Decimal

    def __new__(cls, percent: Decimal):
        cell = super().__new__(cls, f"{_plain(percent)}%")
        cell.percent = percent
        return cell


class DisplayedNumber(SpecialCell):
    """A whole number whose format pads or decorates it (``00000`` shows 7 as ``00007``,
    ``"SUP-"000`` as ``SUP-007``): the text is what Excel shows, read by code and text columns;
    ``number`` is the plain number, read by number columns."""

    number: str

    def __new__(cls, shown: str, number: str):
        cell = super().__new__(cls, shown)
        cell.number = number
        return cell


class ErrorCell(SpecialCell):
    """An Excel error value (``#N/A``, ``#REF!``, ``#VALUE!``, ``#DIV/0!``, ``#NAME?``,
    ``#NUM!``, ``#NULL!``): always a row error naming it."""

    @property
    def message(self) -> str:
        return f"the cell holds the Excel error {self}; correct the formula or type the value"


class UncomputedFormula(SpecialCell):
    """A formula saved without its computed value (a workbook written by a script). The
    text is the formula, for messages only: it is never stored."""

    message = FORMULA_WITHOUT_VALUE


@dataclass(frozen=True)
class Table:
    header: list[str]  # header cells as written, stripped (matching is the importer's job)
    # (line number in the file, header = 1; cells as text, stripped)
    rows: list[tuple[int, list[str]]]
    header_line: int = 1


def read_table(source) -> Table:
    """``source``: a path, bytes, or a binary file object (e.g. an uploaded file).

    Returns the header and the non-blank rows with their physical line numbers, or raises
    ``UnreadableFile`` (one file-level message) for anything that is not a readable table."""
    data = _read_bytes(source)
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    if data.startswith(OLE_MAGIC):
        raise UnreadableFile("legacy .xls workbooks are not supported: save the sheet as XLSX or CSV")
    return _read_csv(decode_text(data))


def _read_bytes(source) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    if hasattr(source, "seek"):
        source.seek(0)
    return source.read()


# --------------------------------------------------------------------------- encodings
def decode_text(data: bytes) -> str:
    """UTF-8 (BOM optional) or, on a detector's word, GB18030; anything else raises
    ``UnreadableFile(ENCODING_REFUSAL)``. A false refusal is acceptable, a wrong decode is not."""
    return _decode(data)[0]


def _decode(data: bytes) -> tuple[str, str]:
    """``decode_text``'s text and the encoding it read: ``"utf-8-sig"``, ``"utf-8"`` or
    ``"gb18030"`` (the fast CSV reader hands pyarrow the bytes as they are unless GB18030)."""
    if data.startswith(UTF8_BOM):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise UnreadableFile(ENCODING_REFUSAL) from None  # UTF-8 mixed with another encoding
    head = data[:4096]
    if data.startswith(UTF16_BOMS) or head.count(b"\x00") * 4 >= len(head):
        raise UnreadableFile(ENCODING_REFUSAL)  # UTF-16 "Unicode Text"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _has_utf8_lines(data):
        raise UnreadableFile(ENCODING_REFUSAL)  # some lines UTF-8, others not: mixed
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding.lower().replace("-", "").replace("_", "") not in GB_FAMILY:
        raise UnreadableFile(ENCODING_REFUSAL)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise UnreadableFile(ENCODING_REFUSAL) from None


def _has_utf8_lines(data: bytes) -> bool:
    """True when some line holding non-ASCII bytes is valid UTF-8 although the file as a whole
    is not: a file mixing UTF-8 with another encoding. A GBK line passes as UTF-8 only by
    chance (every one of its characters would have to); such a file is refused, which is the
    safe side: a false refusal, never a wrong decode."""
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


# --------------------------------------------------------------------------- CSV
def _read_csv(text: str) -> Table:
    first_line, records = _csv_records(text)
    return _table(list(records), first_line=first_line)


def _csv_records(text: str):
    """(the header's line number, the (line, stripped cells) of every row, streamed)."""
    delimiter, offset = ",", 0
    first_end = text.find("\n")
    first = text[: first_end if first_end >= 0 else len(text)]
    match = _SEP_LINE.match(first.strip())
    if match:
        delimiter, offset = match.group(1), 1
        text = text[first_end + 1:] if first_end >= 0 else ""
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    except TypeError as exc:
        raise UnreadableFile(f"row 1: '{first.strip()}' does not name a usable separator") from exc

    def records():
        line_after_previous = 0
        try:
            for cells in reader:
                start_line = line_after_previous + 1
                line_after_previous = reader.line_num
                yield start_line + offset, [cell.strip() for cell in cells]
        except csv.Error as exc:
            raise UnreadableFile(f"row {reader.line_num + offset}: the CSV cannot be parsed ({exc})") from exc

    return 1 + offset, records()


# --------------------------------------------------------------------------- XLSX
def _read_xlsx(data: bytes) -> Table:
    return _table(list(_xlsx_stream(data)))


def _xlsx_stream(data: bytes):
    """The (row number, cells) of the first sheet, streamed; ``UnreadableFile`` for a refused
    package or a damaged workbook (raised when the stream is read)."""
    from openpyxl import load_workbook

    from core.uploads import UploadRefused, check_ooxml_package

    # Before anything inflates the package: a real workbook, no macros, no zip bomb (every
    # reader of an XLSX, command line or upload, goes through this one check).
    try:
        kind = check_ooxml_package(data)
    except UploadRefused as exc:
        raise UnreadableFile(str(exc)) from exc
    if kind != "xlsx":
        raise UnreadableFile("the file is a Word document, not an XLSX workbook")

    with warnings.catch_warnings():
        # openpyxl warns about styles it drops and dates out of range (read as #VALUE!, an
        # error cell): the import reports what matters, per cell.
        warnings.simplefilter("ignore", UserWarning)
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged zip
            raise UnreadableFile(f"the XLSX workbook cannot be opened ({exc})") from exc
        try:
            sheets = workbook.worksheets
            if not sheets or not hasattr(sheets[0], "_worksheet_path"):
                raise UnreadableFile("the XLSX workbook has no worksheet as its first sheet")
            yield from _xlsx_records(workbook, sheets[0])
        except UnreadableFile:
            raise
        except Exception as exc:  # damaged sheet XML, styles or shared strings
            raise UnreadableFile(f"the first sheet of the XLSX workbook cannot be read ({exc})") from exc
        finally:
            workbook.close()


class _StreamingSheetParser(WorkSheetParser):
    """openpyxl's sheet parser for the import reader (see ``_xlsx_records``)."""

    def parse_row(self, row):
        """openpyxl's row parsing, minus what costs on sheets formatted down to row
        1,048,576: row formats are not kept and a cell without content (no value, formula
        or inline string) is skipped without being decoded."""
        number = row.get("r")
        if number is None:
            self.row_counter += 1
        elif number.isdigit():
            self.row_counter = int(number)
        else:
            return super().parse_row(row)
        self.col_counter = 0
        if row.find("*/*") is None:  # no cell holds a value, formula or inline string
            return self.row_counter, []
        cells, skipped = [], None
        for element in row:
            if len(element):
                if skipped is not None and element.get("r") is None:
                    self.col_counter = coordinate_to_tuple(skipped)[1]
                skipped = None
                cells.append(self.parse_cell(element))
            else:
                coordinate = element.get("r")
                if coordinate is None:
                    if skipped is not None:
                        self.col_counter = coordinate_to_tuple(skipped)[1]
                        skipped = None
                    self.col_counter += 1
                else:
                    skipped = coordinate
        return self.row_counter, cells

    def parse_cell(self, element):
        cell = super().parse_cell(element)  # data_only: the value is the cached result
        formula = element.find(FORMULA_TAG)
        if formula is not None:
            cached = element.find(VALUE_TAG)
            empty_text = cell["data_type"] in ("s", "str", "inlineStr")
            if cached is None or (not cached.text and not empty_text):
                cell["data_type"], cell["value"] = "uncomputed", "=" + (formula.text or "")
        return cell


def _xlsx_records(workbook, sheet):
    """(row number, cells) for every row of the sheet XML holding a value, streamed; the
    ``<dimension>`` tag is not consulted."""
    formats = _NumberFormats(workbook)
    with workbook._archive.open(sheet._worksheet_path) as source:
        parser = _StreamingSheetParser(source, workbook.shared_strings, data_only=True, epoch=workbook.epoch,
                        date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats)
        for number, cells in _sheet_rows(parser, source):
            texts: dict[int, str] = {}
            for cell in cells:
                text = _xlsx_cell(cell, formats)
                if text:
                    texts[cell["column"]] = text
            if texts:
                row = [""] * max(texts)
                for column, text in texts.items():
                    row[column - 1] = text
                yield number, row


def _sheet_rows(parser, source):
    """(row number, cell dicts) of every ``<row>`` of the sheet XML, streamed: lxml hands over
    only the row elements (nothing else of the sheet is needed), each freed once read."""
    from lxml import etree
    from openpyxl.worksheet._reader import ROW_TAG

    for _, element in etree.iterparse(source, events=("end",), tag=ROW_TAG, resolve_entities=False,
                                      no_network=True, huge_tree=True):
        yield parser.parse_row(element)
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]


class _NumberFormats:
    """Style id → number format code, as Excel shows it."""

    def __init__(self, workbook):
        from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

        self._styles, self._custom = workbook._cell_styles, workbook._number_formats
        self._builtin, self._builtin_size = BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
        self._cache: dict[int, str] = {}

    def __call__(self, style_id) -> str:
        style_id = int(style_id or 0)
        if style_id not in self._cache:
            try:
                format_id = self._styles[style_id].numFmtId
                if format_id < self._builtin_size:
                    code = self._builtin.get(format_id, "General")
                else:
                    code = self._custom[format_id - self._builtin_size]
            except (IndexError, KeyError, TypeError):
                code = "General"
            self._cache[style_id] = code
        return self._cache[style_id]


_QUOTED = re.compile(r'"[^"]*"|\\.')


def _xlsx_cell(cell: dict, formats: _NumberFormats) -> str:
    value, kind = cell["value"], cell["data_type"]
    if kind == "uncomputed":
        return UncomputedFormula(value)
    if value is None:
        return ""
    if kind == "e":
        return ErrorCell(str(value).strip())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0, 0) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, int | float):
        return _number_text(value, formats(cell["style_id"]))
    return str(value).strip()


def _number_text(value: int | float, number_format: str) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ErrorCell("#NUM!")
    # Excel stores numbers as doubles; the shortest repr is the text that was typed.
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    code = _QUOTED.sub("", number_format.split(";")[0])
    if "%" in code:
        return PercentCell(exact * 100)
    match = _CODE_FORMAT.fullmatch(number_format.split(";")[0].strip())
    if match and exact == exact.to_integral_value() and exact >= 0:
        # "00000" shows 7 as 00007, '"SUP-"000' as SUP-007: a code column reads what is shown.
        prefix, zeros, suffix = (_LITERAL.sub(_unquote, part) for part in match.groups())
        shown = f"{prefix}{_plain(exact).zfill(len(zeros))}{suffix}"
        if shown != _plain(exact):
            return DisplayedNumber(shown, _plain(exact))
    return _plain(exact)


# A number format that only pads an integer with zeros, between literal texts: 00000, "SUP-"000.
_CODE_FORMAT = re.compile(r'((?:"[^"]*"|\\.)*)(0+)((?:"[^"]*"|\\.)*)')
_LITERAL = re.compile(r'"([^"]*)"|\\(.)')


def _unquote(match: re.Match) -> str:
    return match.group(1) if match.group(1) is not None else match.group(2)


def _plain(value: Decimal) -> str:
    """Decimal text without exponent or trailing zeros: 85.00 → "85", 1E+15 → "1000000000000000"."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


# --------------------------------------------------------------------------- both
def _stream_table(records, *, first_line: int = 1):
    """``_table`` without holding the rows: (header line, header, the non-blank rows after it)."""
    records = ((number, cells) for number, cells in records if any(cells))
    first = next(records, None)
    if first is None:
        raise UnreadableFile("the file has no header row")
    header_line, header = first
    if header_line != first_line:
        raise UnreadableFile(f"row {first_line}: the first line must be the header")
    return header_line, [str(name).strip() for name in header], records


def _table(records: list[tuple[int, list[str]]], *, first_line: int = 1) -> Table:
    header_line, header, rows = _stream_table(records, first_line=first_line)
    return Table(header=header, rows=list(rows), header_line=header_line)


# --------------------------------------------------------------------------- columns, in batches
# What ``str.strip()`` removes: the cells of the column reader are trimmed exactly as the row reader's.
PYTHON_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                     "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
BATCH_ROWS = 100_000
CSV_BLOCK_BYTES = 4 << 20  # ~100,000 rows of a spend file per batch


@dataclass
class ColumnBatch:
    """Consecutive data rows of a table, column by column.

    ``lines``: the physical line number of each row (numpy int64). ``cells``: one entry per
    header column, each a pyarrow string array (CSV, already stripped) or a list of cells
    (XLSX and the row reader's fallback: ``str`` or the ``SpecialCell`` subclasses, stripped,
    ``""`` for a missing cell). Blank rows are not in a batch."""

    lines: Any
    cells: list


class RestartWithRows(Exception):
    """The fast CSV reader met something only the row reader reads exactly (a ragged row):
    the caller starts again with ``ColumnTable.row_batches()``."""


@dataclass
class ColumnTable:
    """A table read column-wise, in batches of bounded size (``read_columns``)."""

    header: list[str]
    header_line: int
    _data: bytes
    _fast: tuple | None  # (body bytes, delimiter, first data line) when pyarrow reads the CSV
    _rows: Any = None  # the row reader's remaining rows (XLSX, other CSVs), streamed

    def batches(self):
        """Every batch of the file; may raise ``RestartWithRows`` (then use ``row_batches``)."""
        if self._fast is None:
            yield from self.row_batches()
            return
        yield from _arrow_batches(*self._fast, len(self.header))

    def row_batches(self, size: int | None = None):
        """The rows of the row reader (every CSV quirk and XLSX), streamed in batches."""
        import numpy as np

        size = size or BATCH_ROWS
        rows = self._rows
        if rows is None:  # the fast CSV reader gave up: read the text again, row by row
            first_line, records = _csv_records(decode_text(self._data))
            _, _, rows = _stream_table(records, first_line=first_line)
        self._rows = None
        width = len(self.header)
        while chunk := list(islice(rows, size)):
            lines = np.fromiter((line for line, _ in chunk), dtype=np.int64, count=len(chunk))
            cells = [[row[index] if index < len(row) else "" for _, row in chunk] for index in range(width)]
            yield ColumnBatch(lines, cells)


def read_columns(source) -> ColumnTable:
    """``source`` as ``read_table`` takes it, read column by column in batches.

    A plain CSV (no quote character, no lone carriage return: what Excel, WPS and most exports
    write) is parsed by pyarrow; any other CSV and every XLSX go through ``read_table`` and are
    handed over in batches. Line numbers, trimming, blank rows, the ``sep=`` line and every
    ``UnreadableFile`` message are those of ``read_table``."""
    data = _read_bytes(source)
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if data.startswith(OLE_MAGIC):
        return read_table(data)  # raises the refusal
    if data.startswith(XLSX_MAGIC):
        header_line, header, rows = _stream_table(_xlsx_stream(data))
        return ColumnTable(header, header_line, data, None, rows)
    text, encoding = _decode(data)
    fast = _plain_csv(text)
    if fast is None:
        first_line, records = _csv_records(text)
        header_line, header, rows = _stream_table(records, first_line=first_line)
        return ColumnTable(header, header_line, data, None, rows)
    header, header_line, delimiter, body_start = fast
    prefix = len(text[:body_start].encode("utf-8"))
    if encoding == "utf-8-sig":
        body = data[len(UTF8_BOM) + prefix:]
    elif encoding == "utf-8":
        body = data[prefix:]
    else:  # GB18030, decoded: pyarrow reads UTF-8
        body = text.encode("utf-8")[prefix:]
    return ColumnTable(header, header_line, data, (body, delimiter, header_line + 1))


def _plain_csv(text: str):
    """(header, header line, delimiter, offset of the first data row) when pyarrow reads ``text``
    exactly as ``_read_csv`` would, else ``None``."""
    if '"' in text or ("\r" in text and text.count("\r") != text.count("\r\n")):
        return None
    delimiter, header_line, start = ",", 1, 0
    end = text.find("\n")
    first = text[: end if end >= 0 else len(text)]
    match = _SEP_LINE.match(first.strip())
    if match:
        delimiter, header_line, start = match.group(1), 2, (end + 1 if end >= 0 else len(text))
        end = text.find("\n", start)
    if delimiter in "\r\n" or end < 0:
        return None
    header = [cell.strip() for cell in text[start:end].rstrip("\r").split(delimiter)]
    if not any(header):
        return None  # a blank first line: read_table names the problem
    return header, header_line, delimiter, end + 1


def _arrow_batches(body: bytes, delimiter: str, first_line: int, width: int):
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    if not body.strip(b"\r\n"):
        return
    names = [f"c{index}" for index in range(width)]
    try:
        reader = pa_csv.open_csv(
            pa.BufferReader(body),
            read_options=pa_csv.ReadOptions(column_names=names, block_size=CSV_BLOCK_BYTES),
            # Blank lines are kept (as rows of empty cells) so that row i is on line first_line + i.
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
        line = first_line
        for batch in reader:
            count = batch.num_rows
            lines = np.arange(line, line + count, dtype=np.int64)
            line += count
            cells = [pc.utf8_trim(column, characters=PYTHON_WHITESPACE) for column in batch.columns]
            blank = pc.equal(cells[0], "")
            for column in cells[1:]:
                blank = pc.and_(blank, pc.equal(column, ""))
            if pc.any(blank).as_py():
                keep = pc.invert(blank)
                lines = lines[keep.to_numpy(zero_copy_only=False)]
                cells = [pc.filter(column, keep) for column in cells]
            if len(lines):
                yield ColumnBatch(lines, cells)
    except pa.ArrowInvalid as exc:  # a ragged row: the row reader knows what to say
        raise RestartWithRows(str(exc)) from exc
