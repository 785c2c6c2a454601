"""Quarterly report files, read from what the recalculation stored (never recomputed)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

from core.quarter import Quarter
from scoring import selectors

SCORE_COLUMNS = [
    "supplier_code", "supplier_name", "quarter", "methodology", "population", "spend_basis", "score", "grade",
    "rba", "environment", "minerals", "ecovadis", "esg_disclosure", "completeness", "flags",
]
SUBSCORES = ["rba", "environment", "minerals", "ecovadis", "esg_disclosure"]
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


class NoStoredScores(LookupError):
    pass


def safe_cell(value) -> str:
    """Cells that a spreadsheet would run as a formula get a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(_DANGEROUS_START) and not _NUMBER_RE.match(text):
        return "'" + text
    return text


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
    buffer = io.StringIO()
    write_scores_csv(quarter, buffer)
    return buffer.getvalue()


def write_workbook(quarter: Quarter, path) -> int:
    """XLSX in constant-memory (write-only) mode: Summary, Scores, Coverage gaps."""
    from openpyxl import Workbook

    ensure_recalculated(quarter)
    snapshot = selectors.coverage_snapshot(quarter)
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("Summary")
    scores = workbook.create_sheet("Scores")
    scores.freeze_panes = "A2"
    scores.append(SCORE_COLUMNS)
    count = 0
    for row in score_rows(quarter):
        scores.append([_xlsx_value(cell) for cell in row])
        count += 1
    if count:
        scores.auto_filter.ref = f"A1:O{count + 1}"
    data = snapshot.data if snapshot else {}
    summary.append(["Quarter", str(quarter)])
    summary.append(["Methodology", data.get("methodology", "")])
    summary.append(["Run", data.get("run", "")])
    summary.append(["Base currency", data.get("base_currency", "")])
    summary.append(["Total spend", data.get("total_spend", "")])
    summary.append(["Suppliers scored", count])
    summary.append([])
    summary.append(["Metric", "Share", "Target", "Met"])
    for name, metric in data.get("metrics", {}).items():
        summary.append([name, metric["share"], metric["target"], "met" if metric["met"] else "missed"])
    gaps = workbook.create_sheet("Coverage gaps")
    gaps.append(["metric", "supplier", "spend", "cumulative_share"])
    for name, metric in data.get("metrics", {}).items():
        for gap in metric["gaps"]:
            gaps.append([name, safe_cell(gap["supplier"]), gap["spend"], gap["cumulative_share"]])
    workbook.save(path)
    return count


def _xlsx_value(cell: str):
    """Numbers as numbers; text protected against formula injection."""
    if cell != "" and _NUMBER_RE.match(cell):
        return Decimal(cell)
    return safe_cell(cell)


def write_report_cards_pdf(quarter: Quarter, path) -> int:
    raise NoStoredScores("PDF report cards are not available in this version: use --format xlsx or csv")
