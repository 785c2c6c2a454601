"""The scores CSV (contract.md columns), read from what the recalculation stored (never
recomputed); the workbook's Scores sheet reuses its rows so both files always agree."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _

from core.frames import read_frames
from core.quarter import Quarter
from core.spreadsheet import safe_cell
from scoring import selectors

SCORE_COLUMNS = [
    "supplier_code", "supplier_name", "quarter", "methodology", "population", "spend_basis", "score", "grade",
    "rba", "environment", "minerals", "ecovadis", "esg_disclosure", "completeness", "flags",
]
SUBSCORES = ["rba", "environment", "minerals", "ecovadis", "esg_disclosure"]


class NoStoredScores(LookupError):
    """The quarter was never recalculated: there is nothing to export."""


# Quoted: what the csv module quotes (comma, quote, line breaks) and also ';' and tab, so a
# spreadsheet that splits on them keeps the cell whole; the value itself is unchanged.
_QUOTE_IF_ANY = frozenset(',"\r\n;\t')


def csv_line(cells) -> str:
    """One CSV line (``\n``-terminated) of already safe text cells (``safe_cell``)."""
    return ",".join(
        '"' + cell.replace('"', '""') + '"' if not _QUOTE_IF_ANY.isdisjoint(cell) else cell for cell in cells
    ) + "\n"


def _fixed(value: Decimal | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


def ensure_recalculated(quarter: Quarter, methodology=None) -> None:
    """Exports read stored results only: a quarter never recalculated (with ``methodology``,
    default its official version) cannot be exported."""
    if selectors.coverage_snapshot(quarter, methodology) is None:
        raise NoStoredScores(_("No stored scores for %(quarter)s: run recalculate_scores --quarter %(quarter)s first.")
                             % {"quarter": quarter})


# The scores sheet's reads (``core.frames.read_frames``): the stored row's fields by rank.
SCORE_SPEC = [
    ("rank", "int64"), ("supplier_code", "str"), ("supplier_name", "str"), ("quarter", "str"),
    ("methodology", "str"), ("population", "str"), ("spend_basis", "decimal"), ("score", "decimal"),
    ("grade", "str"), *((name, "decimal") for name in SUBSCORES), ("completeness", "decimal"), ("flags", "json"),
]
SCORE_FIELDS = ["rank", "supplier__code", "supplier__name", "quarter", "methodology__version", "population",
                "spend_basis", "score", "grade", *SUBSCORES, "completeness", "flags"]
BATCH_ROWS = 20_000


def score_rows(quarter: Quarter, methodology=None, *, batch_rows: int = BATCH_ROWS):
    """Rows of the scores sheet (contract.md column order), as text: the quarter's official
    results, or those of ``methodology``, by rank. Read through the columnar reader in
    batches of ``batch_rows`` (one query each); money and points stay exact ``Decimal``
    formatted with fixed places, as stored."""
    rows = selectors.version_scores(quarter, methodology).values_list(*SCORE_FIELDS)
    for frame in read_frames(rows, SCORE_SPEC, key="rank", batch_rows=batch_rows):
        full = (frame["population"] == "full").tolist()
        flags = [";".join(sorted(value)) for value in frame["flags"].tolist()]
        money = [_fixed(value, 2) for value in frame["spend_basis"].tolist()]
        score = [_fixed(value, 2) for value in frame["score"].tolist()]
        subscores = [[_fixed(value, 2) if is_full else "" for value, is_full in
                      zip(frame[name].tolist(), full, strict=True)] for name in SUBSCORES]
        completeness = [_fixed(value, 4) if is_full else "" for value, is_full in
                        zip(frame["completeness"].tolist(), full, strict=True)]
        yield from (list(row) for row in zip(
            frame["supplier_code"].tolist(), frame["supplier_name"].tolist(), frame["quarter"].tolist(),
            frame["methodology"].tolist(), frame["population"].tolist(), money, score, frame["grade"].tolist(),
            *subscores, completeness, flags, strict=True))


def write_scores_csv(quarter: Quarter, target, methodology=None) -> int:
    """Write the scores CSV (UTF-8, header first) to a path or text stream; returns rows
    written. The quarter's official results unless ``methodology`` names another version."""
    ensure_recalculated(quarter, methodology)
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            return write_scores_csv(quarter, handle, methodology)
    target.write(csv_line(SCORE_COLUMNS))
    count = 0
    for row in score_rows(quarter, methodology):
        target.write(csv_line([safe_cell(cell) for cell in row]))
        count += 1
    return count


def scores_csv_text(quarter: Quarter, methodology=None) -> str:
    """The scores CSV as one string (small quarters, tests)."""
    buffer = io.StringIO()
    write_scores_csv(quarter, buffer, methodology)
    return buffer.getvalue()

