"""Readers of the Responsible Minerals Initiative's templates as suppliers fill them in:
CMRT 6.01–6.5 and EMRT 1.1–2.1 (docs/industry-files.md, ../shared/docs/domain.md).

Pure functions over a workbook (openpyxl, read-only, cached values): no database. The file
has passed ``core.uploads.check_ooxml_package`` before it is opened here (no .xls, no macro
workbook, no zip bomb). Every refusal is a ``TemplateRefused`` naming the sheet and cell.

Structure read (domain.md, "The RMI templates as suppliers send them"):

- ``Declaration!J3``: the revision stamp ("Revision 6.5"); the version is its first number.
- Declaration values in column D: company name D8, declaration scope D9; the declaration
  date (Effective Date; "Date of Completion" in older templates) in D22, in D26 for EMRT 2.x
  (the contact block moves down 4 rows below the minerals selection of rows 12–13).
- Answers: every row below the date whose column C names a metal gives (question, metal,
  answer D), the question being the nearest text above in column B; rows with a question in
  B and an answer in D but no metal are company-level answers (metal "").
- ``Smelter List``: header row 4, data from row 5, columns A typed id, B metal, C look-up,
  D smelter name, E country, F Smelter Identification, G source of the id. Rows whose seven
  cells are all empty are skipped wherever they lie.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from disclosure.models import Metal
from disclosure.rmi_constants import CMRT, EMRT

SUPPORTED = {CMRT: (Decimal("6.01"), Decimal("6.5")), EMRT: (Decimal("1.1"), Decimal("2.1"))}
TEMPLATE_NAMES = {CMRT: "CMRT", EMRT: "EMRT"}
DECLARATION = "Declaration"
SMELTER_LIST = "Smelter List"
VERSION_CELL = "J3"
HEADER_ROW = 4
FIRST_ROW = 5
PRODUCT_LIST = "Product List"
MINE_LIST = "Mine List"
_LIST_HEADER_ROWS = 12  # the header of the Product List / Mine List lies in the first rows
_LIST_COLUMNS = 12
MAX_LISTED_ROWS = 2000  # rows kept from the Product List / Mine List
_VERSION_RE = re.compile(r"(\d+)\.(\d+)")
_ANSWER_ROWS = 120  # the declaration's questions end well before this many rows below the date
_DATE_FORMATS = ("%d-%b-%Y", "%d-%B-%Y", "%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%Y/%m/%d", "%d-%b-%y", "%b %d, %Y",
                 "%B %d, %Y", "%d.%m.%Y")


class TemplateRefused(ValueError):
    """The workbook is not a supported RMI template; the message names the sheet and cell."""


@dataclass(frozen=True)
class SmelterRow:
    row: int
    metal: str
    smelter_id_input: str
    smelter_lookup: str
    smelter_name: str
    country: str
    smelter_identification: str
    id_source: str


@dataclass
class Report:
    template: str
    version: str
    company_name: str
    declaration_scope: str
    declaration_date: dt.date
    answers: list[dict] = field(default_factory=list)
    smelters: list[SmelterRow] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    mines: list[dict] = field(default_factory=list)


def date_cell(template: str, version: Decimal) -> str:
    """The declaration date's cell: D22, or D26 in EMRT 2.x."""
    return "D26" if template == EMRT and version >= 2 else "D22"


def read_report(source, template: str, *, today: dt.date) -> Report:
    """Read a CMRT (``template="cmrt"``) or EMRT (``"emrt"``) from a path or binary file.

    Raises ``TemplateRefused``: no ``Declaration`` or ``Smelter List`` sheet, a Smelter List
    header that is not the template's (B4 "Metal"), a version in ``Declaration!J3`` outside
    6.01–6.5 (CMRT) or 1.1–2.1 (EMRT), a declaration without a date, a date that is not a
    date or lies after ``today`` or before 2000."""
    from openpyxl import load_workbook

    name = TEMPLATE_NAMES[template]
    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken package
        raise TemplateRefused(f"the file is not a readable XLSX workbook, so not an RMI {name}") from exc
    try:
        for sheet in (DECLARATION, SMELTER_LIST):
            if sheet not in book.sheetnames:
                raise TemplateRefused(f"the workbook has no '{sheet}' sheet: it is not an RMI {name}")
        declaration = _cells(book[DECLARATION], max_row=22 + 4 + _ANSWER_ROWS, max_col=10)
        version_text = _text(declaration.get((3, 10)))
        version = _version(version_text, template)
        header = _text(_cells(book[SMELTER_LIST], max_row=HEADER_ROW, max_col=7).get((HEADER_ROW, 2)))
        if not header.lower().startswith("metal"):
            raise TemplateRefused(f"'{SMELTER_LIST}'!B{HEADER_ROW} is '{header}', not 'Metal': the smelter list is "
                                  f"not laid out as in the RMI {name}")
        cell = date_cell(template, version)
        date_row = int(cell[1:])
        report = Report(
            template=template, version=_version_label(version),
            company_name=_text(declaration.get((8, 4)))[:255],
            declaration_scope=_text(declaration.get((9, 4)))[:255],
            declaration_date=_declaration_date(declaration.get((date_row, 4)), cell, today),
            answers=_answers(declaration, date_row),
        )
        report.smelters = _smelter_rows(book[SMELTER_LIST])
        report.products = _listed_rows(book, PRODUCT_LIST, ("product",))
        if template == EMRT:
            report.mines = _listed_rows(book, MINE_LIST, ("mine",))
        return report
    finally:
        book.close()


def _cells(sheet, *, max_row: int, max_col: int) -> dict[tuple[int, int], object]:
    cells = {}
    for r, values in enumerate(sheet.iter_rows(min_row=1, max_row=max_row, max_col=max_col, values_only=True),
                               start=1):
        for c, value in enumerate(values, start=1):
            if value is not None and value != "":
                cells[(r, c)] = value
    return cells


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _version(text: str, template: str) -> Decimal:
    name = TEMPLATE_NAMES[template]
    match = _VERSION_RE.search(text)
    if not match:
        raise TemplateRefused(f"'{DECLARATION}'!{VERSION_CELL} holds no template revision ('{text}'): the file is "
                              f"not an RMI {name}")
    try:
        version = Decimal(f"{match.group(1)}.{match.group(2)}")
    except InvalidOperation as exc:  # pragma: no cover - the pattern only matches digits
        raise TemplateRefused(f"'{DECLARATION}'!{VERSION_CELL}: '{text}' is not a revision") from exc
    low, high = SUPPORTED[template]
    if not low <= version <= high:
        raise TemplateRefused(f"'{DECLARATION}'!{VERSION_CELL}: {name} version {match.group(0)} is not supported "
                              f"(supported: {name} {_version_label(low)}–{_version_label(high)})")
    return version


def _version_label(version: Decimal) -> str:
    text = format(version, "f")
    return text if "." in text else f"{text}.0"


def _declaration_date(value, cell: str, today: dt.date) -> dt.date:
    where = f"'{DECLARATION}'!{cell}"
    if value is None or _text(value) == "":
        raise TemplateRefused(f"{where}: the declaration has no date (Effective Date); fill it in and send the file "
                              "again")
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        day = _parse_date_text(_text(value), where)
    if day < dt.date(2000, 1, 1):
        raise TemplateRefused(f"{where}: the declaration date {day.isoformat()} is before 2000-01-01")
    if day > today:
        raise TemplateRefused(f"{where}: the declaration date {day.isoformat()} is after today ({today.isoformat()})")
    return day


def _parse_date_text(text: str, where: str) -> dt.date:
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise TemplateRefused(f"{where}: '{text}' is not a date (write it as 07-Feb-2024 or 2024-02-07)")


def _metal_word(value) -> str:
    return _text(value).strip().lower()


_METAL_WORDS = frozenset(Metal.values)  # the metals of the smelter list (disclosure.models.Metal)


def _answers(cells: dict, date_row: int) -> list[dict]:
    answers = []
    question = ""
    for r in range(date_row + 1, date_row + 1 + _ANSWER_ROWS):
        label = _text(cells.get((r, 2)))
        if label:
            question = label[:500]
        metal = _metal_word(cells.get((r, 3)))
        answer = _text(cells.get((r, 4)))
        if not answer:
            continue
        if metal in _METAL_WORDS:
            answers.append({"question": question, "metal": metal, "answer": answer[:500]})
        elif label:
            answers.append({"question": question, "metal": "", "answer": answer[:500]})
    return answers


def _listed_rows(book, name: str, words: tuple[str, ...]) -> list[dict]:
    """The rows of the CMRT's Product List or the EMRT's Mine List, kept as written: the header
    row is the first of the sheet's first rows with at least two texts, one naming ``words``
    ("Manufacturer's Product Number", "Mine Name"); each non-blank row below is
    ``{"row": N, "cells": {header: text}}`` (first 12 columns, at most ``MAX_LISTED_ROWS``
    rows). Optional sheets: a missing sheet or no such header gives ``[]``, never a refusal."""
    if name not in book.sheetnames:
        return []
    sheet = book[name]
    header, header_row = None, 0
    for r, values in enumerate(sheet.iter_rows(min_row=1, max_row=_LIST_HEADER_ROWS, max_col=_LIST_COLUMNS,
                                               values_only=True), start=1):
        texts = [_text(v) for v in values]
        if sum(1 for t in texts if t) >= 2 and any(w in t.lower() for t in texts for w in words):
            header, header_row = texts, r
            break
    if header is None:
        return []
    rows = []
    for r, values in enumerate(sheet.iter_rows(min_row=header_row + 1, max_col=_LIST_COLUMNS, values_only=True),
                               start=header_row + 1):
        cells = {label[:100]: _text(value)[:255] for label, value in zip(header, values, strict=False)
                 if label and _text(value)}
        if cells:
            rows.append({"row": r, "cells": cells})
            if len(rows) >= MAX_LISTED_ROWS:
                break
    return rows


def _smelter_rows(sheet) -> list[SmelterRow]:
    rows = []
    for r, values in enumerate(sheet.iter_rows(min_row=FIRST_ROW, max_col=7, values_only=True), start=FIRST_ROW):
        texts = [_text(v) for v in values] + [""] * (7 - len(values))
        if not any(texts):
            continue
        typed, metal, lookup, name, country, identification, source = texts[:7]
        rows.append(SmelterRow(
            row=r, metal=metal[:50], smelter_id_input=typed.upper()[:50], smelter_lookup=lookup[:255],
            smelter_name=name[:255], country=country[:100], smelter_identification=identification.upper()[:50],
            id_source=source[:255]))
    return rows
