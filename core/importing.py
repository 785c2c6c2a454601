"""Validate-then-commit imports (contract.md).

Every import is a subclass of ``Importer``: it declares its columns and natural key,
resolves references in bulk, and says how to write. The base class guarantees the
contract: every row is checked first; one bad row means nothing is written and every
error is reported as ``row N, column C: message``; re-importing the same file changes
nothing; the result counts created, updated and unchanged rows.

An empty cell in an optional column means "not given": a new row takes the default and
an existing row keeps its current value. Imports never erase data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.db import transaction

from core.history import history_context, record_bulk_history
from core.jobs import hold_exclusive
from core.parsers import CellError
from core.quarter import pinned_today
from core.tabular import (
    DisplayedNumber,
    ErrorCell,
    PercentCell,
    SpecialCell,
    Table,
    UncomputedFormula,
    UnreadableFile,
    read_table,
)

NOT_GIVEN = object()


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportFailed(Exception):
    def __init__(self, errors: list[RowError], warnings: list[str] | None = None):
        self.errors = sorted(errors, key=lambda error: (error.row, error.column))
        self.warnings = list(warnings or [])
        super().__init__("\n".join(str(error) for error in self.errors))


class Kind:
    """What a column holds, which decides how a typed XLSX cell is read into it
    (docs/imports.md, "Files from Excel, WPS and other tools")."""

    CODE = "code"        # identifiers: codes, references, quarter, currency, country
    TEXT = "text"        # free text (names, descriptions)
    PERCENT = "percent"  # 0–100: a percent-formatted cell is its displayed percentage
    AMOUNT = "amount"    # amounts, rates, tCO2e: a percent-formatted cell is refused
    DATE = "date"
    BOOL = "bool"
    CHOICE = "choice"    # one of a fixed list of words or numbers
    VALUE = "value"      # an indicator value: a percent cell is passed on, its indicator decides


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = True
    default: Any = None
    kind: str = Kind.TEXT


def cell_text(cell: str, kind: str) -> str:
    """The text a parser sees for ``cell`` in a column of ``kind``; raises ``CellError`` for
    an Excel error value, a formula without a computed value, or a percentage in an amount
    column. Plain text cells (every CSV cell) are returned as they are."""
    if type(cell) is str or not isinstance(cell, SpecialCell):
        return cell
    if isinstance(cell, ErrorCell | UncomputedFormula):
        raise CellError(cell.message)
    if isinstance(cell, PercentCell):
        if kind == Kind.PERCENT:
            return str(cell)[:-1]
        if kind == Kind.VALUE:
            return cell  # scoring.values.canonical_value knows whether the indicator is a percentage
        if kind == Kind.AMOUNT:
            raise CellError(f"the cell is formatted as a percentage ({cell}); this column takes an amount or "
                            "rate, not a percentage: format the cells as Number")
    if isinstance(cell, DisplayedNumber) and kind not in (Kind.CODE, Kind.TEXT):
        return cell.number
    return str(cell)


# Header spellings that are not the column but mean it: reported as "did you mean ...?" (never
# mapped silently). Keys and values are normalised header names.
HEADER_SYNONYMS = {
    "due_date": "due_on", "due": "due_on", "deadline": "due_on", "correction_due": "due_on",
    "closed": "closed_on", "close_date": "closed_on", "closed_date": "closed_on", "closing_date": "closed_on",
    "closure_date": "closed_on", "date_closed": "closed_on",
    "opened": "opened_on", "open_date": "opened_on", "opened_date": "opened_on", "opening_date": "opened_on",
    "date_opened": "opened_on",
    "audit_date": "conducted_on", "conducted": "conducted_on", "conducted_date": "conducted_on",
    "date_of_audit": "conducted_on",
    "zt": "zero_tolerance", "zero_tolerance_flag": "zero_tolerance",
    "supplier": "supplier_code", "supplier_id": "supplier_code", "supplier_no": "supplier_code",
    "supplier_number": "supplier_code", "vendor": "supplier_code", "vendor_code": "supplier_code",
    "vendor_id": "supplier_code",
    "site": "site_code", "site_id": "site_code", "facility": "site_code", "facility_code": "site_code",
    "audit": "audit_ref", "audit_id": "audit_ref", "audit_number": "audit_ref", "audit_code": "audit_ref",
    "finding": "finding_ref", "finding_id": "finding_ref", "finding_code": "finding_ref",
    "provision": "provision_code", "clause": "provision_code",
    "indicator": "indicator_code", "indicator_id": "indicator_code", "kpi": "indicator_code",
    "period": "quarter", "fiscal_quarter": "quarter",
    "spend": "amount", "spend_amount": "amount",
    "ccy": "currency", "currency_code": "currency",
    "rate": "rate_to_base", "fx_rate": "rate_to_base", "exchange_rate": "rate_to_base",
    "country_code": "country",
}
_HEADER_SEPARATORS = re.compile(r"[\s\-_]+")


def normalize_header(name: str) -> str:
    """``' Zero-Tolerance '``, ``'zero tolerance'`` and ``'Zero_Tolerance'`` are all
    ``'zero_tolerance'``: NFKC, lower case, runs of spaces, hyphens and underscores → one
    underscore, none at the ends."""
    text = unicodedata.normalize("NFKC", name).replace("\ufeff", "").replace("\u200b", "").lower()
    return _HEADER_SEPARATORS.sub("_", text).strip("_")


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


@dataclass
class ParsedRow:
    line: int
    values: dict[str, Any]  # parsed values; optional empty cells hold NOT_GIVEN


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    extra: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # e.g. columns the import ignored

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "dry_run": self.dry_run, **self.extra, "warnings": list(self.warnings)}

    def summary(self) -> str:
        prefix = "dry run, nothing written: would have " if self.dry_run else ""
        return f"{prefix}created {self.created}, updated {self.updated}, unchanged {self.unchanged}"


class Importer:
    """Subclasses set ``name``, ``columns``, ``key`` and implement ``resolve`` and ``write``."""

    name: str = ""
    columns: tuple[Column, ...] = ()
    key: tuple[str, ...] = ()

    def __init__(self, *, actor=None):
        self.actor = actor
        self.warnings: list[str] = []  # file-level notes of the last run (ignored columns)

    # -- entry point -----------------------------------------------------------------
    def run(self, source, *, dry_run: bool = False, filename: str = "") -> ImportResult:
        # Two imports of one kind run one after the other, each validated against what the
        # other committed (docs/reliability.md, "Concurrent imports").
        with transaction.atomic():
            hold_exclusive(f"import:{self.name or type(self).__name__}")
            return self._run(source, dry_run=dry_run, filename=filename)

    def _run(self, source, *, dry_run: bool, filename: str) -> ImportResult:
        """The one path of every import: read, check every row, then write, all in one
        transaction (nothing written when a row is refused; a dry run is rolled back). How a
        file is read, checked and written is ``_read``, ``_check`` and ``_write``."""
        self.warnings = []
        try:
            table = self._read(source)
        except UnreadableFile as exc:
            raise ImportFailed([unreadable_file(exc)]) from exc
        # Every row written is recorded (core/history.py) with the channel "import:<file name>".
        if not filename and isinstance(source, str | PurePath):
            filename = PurePath(source).name
        with transaction.atomic(), history_context(channel=f"import:{filename or self.name}", user=self.actor,
                                                   reason=self.name):
            errors: list[RowError] = []
            try:
                checked = self._check(table, errors)
            except UnreadableFile as exc:  # met while streaming: a damaged sheet, a broken quote
                raise ImportFailed([unreadable_file(exc)], self.warnings) from exc
            if errors:
                raise ImportFailed(errors, self.warnings)
            result = self._write(checked, dry_run=dry_run)
            result.dry_run = dry_run
            result.warnings = self.warnings
            if dry_run:
                transaction.set_rollback(True)
        return result

    def _read(self, source) -> Table:
        return read_table(source)

    def _check(self, table: Table, errors: list[RowError]) -> list[ParsedRow]:
        """Every row parsed and checked (``errors`` gets each refusal); the rows to write."""
        rows = self.parse(table, errors)
        # Rows whose cells parsed are still checked against each other and the database,
        # so one run reports every problem of the file.
        bad_lines = {error.row for error in errors}
        clean = [row for row in rows if row.line not in bad_lines]
        if rows and not any(error.row == table.header_line for error in errors):
            self.check_duplicates(clean, errors)
            self.resolve(clean, errors)
        return rows

    def _write(self, rows: list[ParsedRow], *, dry_run: bool) -> ImportResult:
        return self.write(rows, dry_run=dry_run)

    # -- parsing ---------------------------------------------------------------------
    def parse(self, table: Table, errors: list[RowError]) -> list[ParsedRow]:
        positions = self._header_positions(table.header, errors, line=table.header_line)
        if errors:
            return []
        with pinned_today():  # every row judged against the same day (contract.md, plausible dates)
            return self._parse_rows(table, positions, errors)

    def _parse_rows(self, table: Table, positions: dict[str, int], errors: list[RowError]) -> list[ParsedRow]:
        parsed: list[ParsedRow] = []
        for line, cells in table.rows:
            values: dict[str, Any] = {}
            for column in self.columns:
                index = positions.get(column.name)
                text = cells[index] if index is not None and index < len(cells) else ""
                if text == "":
                    if column.required:
                        errors.append(RowError(line, column.name, "a value is required"))
                    values[column.name] = NOT_GIVEN
                    continue
                try:
                    if type(text) is not str:
                        text = cell_text(text, column.kind)
                    values[column.name] = column.parse(text)
                except CellError as exc:
                    errors.append(RowError(line, column.name, str(exc)))
            self.check_row(line, values, errors)
            parsed.append(ParsedRow(line, values))
        if not parsed and not errors:
            errors.append(no_data_rows(table.header_line))
        return parsed

    def _header_positions(self, header: list[str], errors: list[RowError], *, line: int = 1) -> dict[str, int]:
        """Column name → index. Headers match after ``normalize_header``; a column given
        twice or a near miss of a known column (edit distance ≤ 2, or ``HEADER_SYNONYMS``)
        is an error; any other unknown column is a warning (``self.warnings``)."""
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            separator = "';'" if ";" in header[0] else "a tab"
            errors.append(RowError(line, "-", f"the header is one column separated by {separator}: "
                                              "save the file as comma-separated CSV"))
            return {}
        known = {column.name for column in self.columns}
        positions: dict[str, int] = {}
        unknown: list[tuple[int, str, str]] = []
        for index, written in enumerate(header):
            name = normalize_header(written)
            if not name:
                continue
            if name in positions or any(name == other for _, _, other in unknown):
                errors.append(RowError(line, written, "the column appears twice in the header"))
            elif name in known:
                positions[name] = index
            else:
                unknown.append((index, written, name))
        meant: set[str] = set()
        ignored = []
        for _, written, name in unknown:
            target = self._near_miss(name, known - set(positions))
            if target:
                meant.add(target)
                errors.append(RowError(line, written, f"unknown column; did you mean {target}?"))
            else:
                ignored.append(written)
        if ignored:
            self.warnings.append(
                f"row {line}: ignored column(s) not read by {self.name or 'this import'}: {', '.join(ignored)}")
        for column in self.columns:
            if column.required and column.name not in positions and column.name not in meant:
                errors.append(RowError(line, column.name, "required column is missing from the header"))
        return positions

    @staticmethod
    def _near_miss(name: str, candidates: set[str]) -> str | None:
        synonym = HEADER_SYNONYMS.get(name)
        if synonym in candidates:
            return synonym
        if len(name) < 4:
            return None
        distances = sorted((_edit_distance(name, candidate), candidate) for candidate in candidates)
        return distances[0][1] if distances and distances[0][0] <= 2 else None

    def check_row(self, line: int, values: dict[str, Any], errors: list[RowError]) -> None:
        """Hook for checks across the cells of one row (e.g. SAQ needs a risk band)."""

    def check_duplicates(self, rows: list[ParsedRow], errors: list[RowError]) -> None:
        first_seen: dict[tuple, int] = {}
        for row in rows:
            key = self.natural_key(row)
            if key in first_seen:
                errors.append(duplicate_row(row.line, self.key[-1], first_seen[key], key))
            else:
                first_seen[key] = row.line

    def natural_key(self, row: ParsedRow) -> tuple:
        return tuple(_key_part(row.values[name]) for name in self.key)

    # -- subclass hooks ----------------------------------------------------------------
    def resolve(self, rows: list[ParsedRow], errors: list[RowError]) -> None:
        """Resolve references (codes to ids) in bulk and run checks against the database."""

    def write(self, rows: list[ParsedRow], *, dry_run: bool) -> ImportResult:
        raise NotImplementedError


def unreadable_file(exc: UnreadableFile) -> RowError:
    return RowError(1, "-", str(exc))


def no_data_rows(header_line: int) -> RowError:
    return RowError(header_line + 1, "-", "the file has a header but no data rows")


def duplicate_row(line: int, column: str, first: int, key: tuple) -> RowError:
    """Row ``line`` repeats the natural key ``key`` of row ``first``; reported on ``column``
    (the key's last column)."""
    return RowError(line, column, f"duplicate of row {first} ({', '.join(map(str, key))})")


def _key_part(value):
    return str(value) if not isinstance(value, str | int) else value


def given(value, fallback=None):
    return fallback if value is NOT_GIVEN else value


def upsert(model, *, rows: Iterable[tuple[tuple, dict]], existing: dict[tuple, Any],
           create: Callable[[tuple, dict], Any], dry_run: bool,
           batch_size: int = 2000) -> tuple[ImportResult, list, list[tuple[Any, dict]]]:
    """Generic bulk upsert.

    ``rows``: (natural key, {field: value or NOT_GIVEN}); ``existing``: natural key →
    model instance. NOT_GIVEN fields keep the stored value. Returns the result, the created
    instances and (instance, {field: (old, new)}) for every updated instance. Created and
    updated rows are recorded in the model's history (``record_bulk_history``).
    """
    result = ImportResult()
    to_create, to_update, changes = [], [], []
    update_fields: set[str] = set()
    for key, values in rows:
        instance = existing.get(key)
        if instance is None:
            to_create.append(create(key, values))
            continue
        changed = {}
        for name, value in values.items():
            if value is NOT_GIVEN:
                continue
            old = getattr(instance, name)
            if old != value:
                changed[name] = (old, value)
                setattr(instance, name, value)
        if changed:
            to_update.append(instance)
            changes.append((instance, changed))
            update_fields.update(changed)
        else:
            result.unchanged += 1
    result.created = len(to_create)
    result.updated = len(to_update)
    if not dry_run:
        model.objects.bulk_create(to_create, batch_size=batch_size)
        if to_update:
            model.objects.bulk_update(to_update, sorted(update_fields), batch_size=500)
        record_bulk_history(model, to_create)
        record_bulk_history(model, to_update, updated=True)
    return result, to_create, changes


class ColumnarImporter(Importer):
    """An import read, checked and written column by column, in batches (#13).

    Same contract and messages as ``Importer`` (``run``, row errors, warnings, all or nothing,
    counts), for imports whose columns need no cross-cell checks (``check_row``) and whose rows
    map onto one model (``target``, a ``core.bulk_upsert.CopyTarget``): over the whole file,
    codes are resolved in SQL and duplicate keys found in memory (``Staging.duplicates``), and
    ``core.bulk_upsert.Staging`` writes. Reading, checking and writing go through the one
    ``Importer._run``: this class overrides ``_read``, ``_check`` and ``_write``.

    A plain CSV is parsed by pyarrow (``core.tabular.read_columns``); other CSVs and XLSX come
    from the row reader in batches. Each column is checked at once: a cell matching the parser's
    ``accepts`` pattern is taken as written, every other distinct spelling is handed to the
    parser once (quarters, currencies) or cell by cell (what the pattern did not accept), so
    the message is the parser's own. Python memory holds one batch (about 100,000 rows) and
    the file's natural keys (about 30 bytes a row).

    For now it serves imports whose columns are all required (``CopyTarget.fields``) and hold
    codes, text, quarters or amounts (``str`` of the parsed value is what the database reads);
    an import with optional columns, ``check_row`` checks or indicator values stays on
    ``Importer`` and the shared ``upsert``.
    """

    target = None  # core.bulk_upsert.CopyTarget

    def _read(self, source):
        from core.tabular import read_columns

        return read_columns(source)

    def _check(self, table, errors: list[RowError]):
        """The file's clean rows staged (``core.bulk_upsert.Staging``), duplicates and unknown
        codes found over the whole file; the staging, or ``None`` when the header is refused."""
        from core.bulk_upsert import Staging
        from core.tabular import RestartWithRows

        positions = self._header_positions(table.header, errors, line=table.header_line)
        if errors:
            return None
        staging = Staging(self.target, [column.name for column in self.columns])
        try:
            read = self._stage(table.batches(), positions, staging, errors)
        except RestartWithRows:
            errors.clear()
            staging.clear()
            read = self._stage(table.row_batches(), positions, staging, errors)
        if not read:
            errors.append(no_data_rows(table.header_line))
        if staging.rows:
            last = self.key[-1]
            errors += [duplicate_row(line, last, first, key) for line, first, key in staging.duplicates()]
            errors += [RowError(line, column, message) for line, column, message in staging.unresolved()]
        return staging

    def _write(self, staging, *, dry_run: bool) -> ImportResult:
        created, updated, unchanged = staging.upsert()
        staging.drop()
        return ImportResult(created=created, updated=updated, unchanged=unchanged)

    def _stage(self, batches, positions: dict[str, int], staging, errors: list[RowError]) -> int:
        import numpy as np
        import pyarrow.compute as pc

        read = 0
        with pinned_today():  # every row judged against the same day (contract.md, plausible dates)
            for batch in batches:
                read += len(batch.lines)
                bad = np.zeros(len(batch.lines), dtype=bool)
                values = {column.name: self._check_column(column, batch, positions, bad, errors)
                          for column in self.columns}
                if bad.any():
                    keep = ~bad
                    staging.add(batch.lines[keep], {name: pc.filter(array, keep) for name, array in values.items()})
                else:
                    staging.add(batch.lines, values)
        return read

    @staticmethod
    def _check_column(column: Column, batch, positions, bad, errors: list[RowError]):
        """The column's values as text for the database (pyarrow strings; null: not given or
        refused); marks refused rows in ``bad`` and reports each as a ``RowError``."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        lines = batch.lines
        index = positions.get(column.name)
        if index is None:
            cells = pa.array([""] * len(lines), pa.string())
        elif isinstance(batch.cells[index], list):  # from the row reader: XLSX cells carry their type
            cells = _typed_cells(column, batch.cells[index], lines, bad, errors)
        else:
            cells = batch.cells[index]
        empty = pc.equal(cells, "").fill_null(False).to_numpy(zero_copy_only=False)
        if column.required:
            for row in np.flatnonzero(empty):
                errors.append(RowError(int(lines[row]), column.name, "a value is required"))
                bad[row] = True
        todo = ~empty & ~pc.is_null(cells).to_numpy(zero_copy_only=False)
        given_cells = pc.if_else(pa.array(todo), cells, pa.scalar(None, pa.string()))
        if getattr(column.parse, "accepts", None) is not None:
            return _parse_unaccepted(column, given_cells, todo, lines, bad, errors)
        return _parse_distinct(column, given_cells, todo, lines, bad, errors)


def _typed_cells(column: Column, cells: list, lines, bad, errors: list[RowError]):
    """Cells of the row reader as text (``cell_text``); a refused special cell is null."""
    import pyarrow as pa

    texts = []
    for row, cell in enumerate(cells):
        if type(cell) is not str and cell != "":
            try:
                cell = str(cell_text(cell, column.kind))
            except CellError as exc:
                errors.append(RowError(int(lines[row]), column.name, str(exc)))
                bad[row] = True
                cell = None
        texts.append(cell)
    return pa.array(texts, pa.string())


def _parse_unaccepted(column: Column, cells, todo, lines, bad, errors: list[RowError]):
    """Cells matching the parser's ``accepts`` pattern are taken as written; the parser reads
    every other one (and names what is wrong with it)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    accepted = pc.match_substring_regex(cells, column.parse.accepts).fill_null(False).to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(todo & ~accepted)
    if not len(rest):
        return cells
    texts = cells.to_pylist()
    for row in rest:
        try:
            texts[row] = _db_text(column.parse(texts[row]))
        except CellError as exc:
            errors.append(RowError(int(lines[row]), column.name, str(exc)))
            bad[row] = True
            texts[row] = None
    return pa.array(texts, pa.string())


def _parse_distinct(column: Column, cells, todo, lines, bad, errors: list[RowError]):
    """Few distinct spellings (quarters, currencies, choices): each parsed once."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = cells.dictionary_encode()
    parsed, refused = [], []
    for text in encoded.dictionary.to_pylist():
        try:
            parsed.append(_db_text(column.parse(text)))
            refused.append(None)
        except CellError as exc:
            parsed.append(None)
            refused.append(str(exc))
    if any(message is not None for message in refused):
        indices = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False)
        for row in np.flatnonzero(todo):
            message = refused[indices[row]]
            if message is not None:
                errors.append(RowError(int(lines[row]), column.name, message))
                bad[row] = True
    return pc.take(pa.array(parsed, pa.string()), encoded.indices)


def _db_text(value) -> str:
    """A parsed value as the text the database reads (``Quarter`` → ``2026-Q3``, ``Decimal`` as written)."""
    return str(value)
