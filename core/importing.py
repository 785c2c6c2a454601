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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.db import transaction

from core.history import history_context, record_bulk_history
from core.parsers import CellError
from core.tabular import Table, UnreadableFile, read_table

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
    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda error: (error.row, error.column))
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = True
    default: Any = None


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

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "dry_run": self.dry_run, **self.extra}

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

    # -- entry point -----------------------------------------------------------------
    def run(self, source, *, dry_run: bool = False, filename: str = "") -> ImportResult:
        try:
            table = read_table(source)
        except UnreadableFile as exc:
            raise ImportFailed([RowError(1, "-", str(exc))]) from exc
        errors: list[RowError] = []
        rows = self.parse(table, errors)
        # Rows whose cells parsed are still checked against each other and the database,
        # so one run reports every problem of the file.
        bad_lines = {error.row for error in errors}
        clean = [row for row in rows if row.line not in bad_lines]
        if rows and not any(error.row == 1 for error in errors):
            self.check_duplicates(clean, errors)
            self.resolve(clean, errors)
        if errors:
            raise ImportFailed(errors)
        # Every row written is recorded (core/history.py) with the channel "import:<file name>".
        if not filename and isinstance(source, str | PurePath):
            filename = PurePath(source).name
        with transaction.atomic(), history_context(channel=f"import:{filename or self.name}", user=self.actor,
                                                   reason=self.name):
            result = self.write(rows, dry_run=dry_run)
            result.dry_run = dry_run
            if dry_run:
                transaction.set_rollback(True)
        return result

    # -- parsing ---------------------------------------------------------------------
    def parse(self, table: Table, errors: list[RowError]) -> list[ParsedRow]:
        positions = self._header_positions(table.header, errors)
        if errors:
            return []
        parsed: list[ParsedRow] = []
        for line, cells in table.rows:
            values: dict[str, Any] = {}
            for column in self.columns:
                index = positions.get(column.name)
                text = cells[index].strip() if index is not None and index < len(cells) else ""
                if text == "":
                    if column.required:
                        errors.append(RowError(line, column.name, "a value is required"))
                    values[column.name] = NOT_GIVEN
                    continue
                try:
                    values[column.name] = column.parse(text)
                except CellError as exc:
                    errors.append(RowError(line, column.name, str(exc)))
            self.check_row(line, values, errors)
            parsed.append(ParsedRow(line, values))
        if not parsed and not errors:
            errors.append(RowError(2, "-", "the file has a header but no data rows"))
        return parsed

    def _header_positions(self, header: list[str], errors: list[RowError]) -> dict[str, int]:
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            separator = "';'" if ";" in header[0] else "a tab"
            errors.append(RowError(1, "-", f"the header is one column separated by {separator}: "
                                           "save the file as comma-separated CSV"))
            return {}
        positions: dict[str, int] = {}
        for index, name in enumerate(header):
            if name in positions:
                errors.append(RowError(1, name, "the column appears twice in the header"))
            elif name:
                positions[name] = index
        for column in self.columns:
            if column.required and column.name not in positions:
                errors.append(RowError(1, column.name, "required column is missing from the header"))
        return positions

    def check_row(self, line: int, values: dict[str, Any], errors: list[RowError]) -> None:
        """Hook for checks across the cells of one row (e.g. SAQ needs a risk band)."""

    def check_duplicates(self, rows: list[ParsedRow], errors: list[RowError]) -> None:
        first_seen: dict[tuple, int] = {}
        for row in rows:
            key = self.natural_key(row)
            if key in first_seen:
                errors.append(RowError(row.line, self.key[-1],
                                       f"duplicate of row {first_seen[key]} ({', '.join(map(str, key))})"))
            else:
                first_seen[key] = row.line

    def natural_key(self, row: ParsedRow) -> tuple:
        return tuple(_key_part(row.values[name]) for name in self.key)

    # -- subclass hooks ----------------------------------------------------------------
    def resolve(self, rows: list[ParsedRow], errors: list[RowError]) -> None:
        """Resolve references (codes to ids) in bulk and run checks against the database."""

    def write(self, rows: list[ParsedRow], *, dry_run: bool) -> ImportResult:
        raise NotImplementedError


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
