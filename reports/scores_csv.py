"""The scores CSV (contract.md columns), read from what the recalculation stored (never
recomputed); the workbook's Scores sheet reuses its rows so both files always agree."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _

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


def score_rows(quarter: Quarter, methodology=None):
    """Rows of the scores sheet (contract.md column order), as text: the quarter's official
    results, or those of ``methodology``."""
    for score in selectors.stored_scores(quarter, methodology).iterator(chunk_size=5000):
        full = score.population == "full"
        yield [
            score.supplier.code, score.supplier.name, score.quarter, score.methodology.version, score.population,
            _fixed(score.spend_basis, 2), _fixed(score.score, 2), score.grade,
            *[_fixed(getattr(score, name), 2) if full else "" for name in SUBSCORES],
            _fixed(score.completeness, 4) if full else "",
            ";".join(sorted(score.flags)),
        ]


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

