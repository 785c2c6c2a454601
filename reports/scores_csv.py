"""The scores CSV (contract.md columns), read from what the recalculation stored (never
recomputed); the workbook's Scores sheet reuses its rows so both files always agree."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

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


def _fixed(value: Decimal | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


def ensure_recalculated(quarter: Quarter) -> None:
    """Exports read stored results only: a quarter never recalculated cannot be exported."""
    if selectors.coverage_snapshot(quarter) is None:
        raise NoStoredScores(f"no stored scores for {quarter}: run recalculate_scores --quarter {quarter} first")


def score_rows(quarter: Quarter):
    """Rows of the scores sheet (contract.md column order), as text."""
    for score in selectors.stored_scores(quarter).iterator(chunk_size=5000):
        full = score.population == "full"
        yield [
            score.supplier.code, score.supplier.name, score.quarter, score.methodology.version, score.population,
            _fixed(score.spend_basis, 2), _fixed(score.score, 2), score.grade,
            *[_fixed(getattr(score, name), 2) if full else "" for name in SUBSCORES],
            _fixed(score.completeness, 4) if full else "",
            ";".join(sorted(score.flags)),
        ]


def write_scores_csv(quarter: Quarter, target) -> int:
    """Write the scores CSV (UTF-8, header first) to a path or text stream; returns rows written."""
    ensure_recalculated(quarter)
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            return write_scores_csv(quarter, handle)
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(SCORE_COLUMNS)
    count = 0
    for row in score_rows(quarter):
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


def scores_csv_text(quarter: Quarter) -> str:
    """The scores CSV as one string (small quarters, tests)."""
    buffer = io.StringIO()
    write_scores_csv(quarter, buffer)
    return buffer.getvalue()

