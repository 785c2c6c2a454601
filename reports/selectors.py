"""Reads behind the report files: what the recalculation stored for a quarter (never
recomputed) and the audit register as of the report date. One query per table or per
batch of suppliers, whatever their number."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from audits.models import Finding
from audits.selectors import open_at, with_overdue, working_due
from core.frames import read_frame, read_frames
from core.quarter import Quarter
from core.quarter import today as business_day
from disclosure import selectors as disclosure_selectors
from reports.scores_csv import NoStoredScores
from scoring.models import CoverageSnapshot, QuarterlyScore, ScoreRun
from suppliers.models import Supplier
from suppliers.spend import MissingFxRates


class ScoresReplaced(RuntimeError):
    """A recalculation replaced the quarter's results while a file was being written."""


def producing_run(quarter: Quarter) -> ScoreRun:
    """The run whose stored results are the quarter's official scores (a run replaces a
    (quarter, version)'s rows as a whole, so every row names the same run)."""
    run_id = (QuarterlyScore.objects.filter(quarter=str(quarter), official=True).order_by()
              .values_list("run_id", flat=True).first())
    if run_id is None:
        raise NoStoredScores(_("No stored scores for %(quarter)s: the quarter has not been recalculated yet.")
                             % {"quarter": quarter})
    return ScoreRun.objects.select_related("methodology").get(pk=run_id)


def ensure_still_current(quarter: Quarter, run: ScoreRun) -> None:
    """Raise ``ScoresReplaced`` when another run's results replaced ``run``'s as the official
    ones meanwhile."""
    official = QuarterlyScore.objects.filter(quarter=str(quarter), official=True)
    if official.exclude(run_id=run.pk).exists() or not official.filter(run_id=run.pk).exists():
        raise ScoresReplaced(_("The scores of %(quarter)s were recalculated while the report was written "
                               "(it started from run %(run)s): start the export again.")
                             % {"quarter": quarter, "run": run.pk})


def run_scores(quarter: Quarter, run: ScoreRun) -> QuerySet[QuarterlyScore]:
    """The quarter's stored scores written by ``run``."""
    return QuarterlyScore.objects.filter(quarter=str(quarter), run_id=run.pk)


def coverage_for(quarter: Quarter, run: ScoreRun) -> dict:
    """The coverage JSON the run stored (empty when a later run of the quarter wrote it)."""
    snapshot = CoverageSnapshot.objects.filter(quarter=str(quarter), run_id=run.pk).first()
    return snapshot.data if snapshot else {}


def emissions_estimate(quarter: Quarter) -> tuple[dict | None, str]:
    """The section 11 estimate of Q for the workbook: the one stored after Q's latest
    successful recalculation (``disclosure.selectors.stored_emissions_estimate``), else
    computed now by the same function (``disclosure.selectors.emissions_estimate``).
    Returns (report, "") or (None, why) when Q's FX rates are missing."""
    stored = disclosure_selectors.stored_emissions_estimate(quarter)
    if stored is not None:
        return stored[0], ""
    try:
        return disclosure_selectors.emissions_estimate(quarter), ""
    except MissingFxRates as exc:
        return None, str(exc)


def register_as_of(quarter: Quarter, today: dt.date | None = None) -> dt.date:
    """The date the audit register (audits, findings, overdue flags) is read at: the
    quarter's last day, or today while the quarter is still running."""
    return min(quarter.as_of, today or business_day())


@dataclass
class QuarterTotals:
    suppliers: int = 0
    spend: Decimal = Decimal(0)
    by_population: dict[str, dict] = field(default_factory=dict)  # {population: {"suppliers", "spend"}}
    by_grade: dict[str, dict[str, int]] = field(default_factory=dict)  # {grade: {population: count}}


def quarter_totals(quarter: Quarter, run: ScoreRun) -> QuarterTotals:
    """Supplier counts and spend by population and grade: one aggregate query."""
    totals = QuarterTotals()
    rows = (run_scores(quarter, run).order_by().values("population", "grade")
            .annotate(n=Count("id"), spend=Sum("spend_basis")))
    for row in rows:
        spend = row["spend"] or Decimal(0)
        totals.suppliers += row["n"]
        totals.spend += spend
        population = totals.by_population.setdefault(row["population"], {"suppliers": 0, "spend": Decimal(0)})
        population["suppliers"] += row["n"]
        population["spend"] += spend
        totals.by_grade.setdefault(row["grade"], {})[row["population"]] = row["n"]
    return totals


def _tuples(frames, columns: list[str]) -> Iterator[tuple]:
    """The rows of typed frames as tuples of Python values (``tolist``: int, bool, Decimal,
    date, decoded JSON, None), ``columns`` in order."""
    for frame in frames:
        yield from zip(*(frame[name].tolist() for name in columns), strict=True)


# The points column is read as its stored JSON text (PostgreSQL) and decoded one row at a
# time as the sheet is written; the ORM (SQLite) gives it decoded already.
INDICATOR_SPEC = [("rank", "int64"), ("code", "str"), ("name", "str"), ("points", "object")]


def indicator_rows(quarter: Quarter, run: ScoreRun, *, batch_rows: int = 10_000) -> Iterator[tuple]:
    """(supplier code, name, points JSON decoded) of the full-scorecard suppliers, by rank.
    Read through the columnar reader in batches of ``batch_rows`` (one query each)."""
    rows = (run_scores(quarter, run).filter(population="full")
            .values_list("rank", "supplier__code", "supplier__name", "points"))
    for code, name, points in _tuples(read_frames(rows, INDICATOR_SPEC, key="rank", batch_rows=batch_rows),
                                      ["code", "name", "points"]):
        yield code, name, json.loads(points) if isinstance(points, str) else points


QBR_SPEC = [("rank", "int64"), ("code", "str"), ("name", "str"), ("population", "str"), ("components", "json"),
            ("total", "decimal"), ("incomplete", "bool")]


def qbr_rows(quarter: Quarter, run: ScoreRun, *, batch_rows: int = 10_000) -> Iterator[tuple]:
    """(code, name, population, components, total, incomplete) of every supplier, by rank:
    ``components`` the stored JSON decoded, ``total`` an exact ``Decimal`` or None,
    ``incomplete`` a bool. Read through the columnar reader in batches of ``batch_rows``."""
    rows = (run_scores(quarter, run).values_list("rank", "supplier__code", "supplier__name", "population",
                                                 "qbr_components", "qbr_total", "qbr_incomplete"))
    return _tuples(read_frames(rows, QBR_SPEC, key="rank", batch_rows=batch_rows),
                   ["code", "name", "population", "components", "total", "incomplete"])


def report_card_scores(quarter: Quarter, run: ScoreRun, supplier_ids: Iterable[int] | None = None,
                       *, chunk_size: int = 500) -> Iterator[QuarterlyScore]:
    """Stored scores of ``run`` (all or the given suppliers) by rank, with the supplier, streamed."""
    scores = run_scores(quarter, run).select_related("supplier").order_by("rank")
    if supplier_ids is not None:
        scores = scores.filter(supplier_id__in=list(supplier_ids))
    return scores.iterator(chunk_size=chunk_size)


def supplier_directory() -> pd.DataFrame:
    """Every supplier's ``id`` (int64), ``code`` and ``name`` (str): one query through the
    columnar reader. The workbook reads it once for all its sheets (``supplier_names``,
    ``supplier_labels``)."""
    return read_frame(Supplier.objects.order_by().values_list("pk", "code", "name"),
                      [("id", "int64"), ("code", "str"), ("name", "str")])


def supplier_names(directory: pd.DataFrame | None = None) -> dict[str, str]:
    """Supplier code → name, for lists (coverage gaps) that store codes only, from
    ``directory`` (``supplier_directory``; read when not given: one query)."""
    frame = supplier_directory() if directory is None else directory
    return dict(zip(frame["code"].tolist(), frame["name"].tolist(), strict=True))


def supplier_labels(directory: pd.DataFrame | None = None) -> dict[int, tuple[str, str]]:
    """Supplier id → (code, name), for rows that carry ids (the Movers sheet), from
    ``directory`` (``supplier_directory``; read when not given: one query)."""
    frame = supplier_directory() if directory is None else directory
    return dict(zip(frame["id"].tolist(), zip(frame["code"].tolist(), frame["name"].tolist(), strict=True),
                    strict=True))


def score_trends(supplier_ids: list[int], quarter: Quarter, quarters: int = 8) -> dict[int, list[tuple]]:
    """Stored (quarter, score, grade) of the last ``quarters`` quarters ending with
    ``quarter``, oldest first, per supplier. One query for the whole batch."""
    window = [str(q) for q in quarter.window(quarters)]
    trends: dict[int, list[tuple]] = {}
    rows = (QuarterlyScore.objects.filter(supplier_id__in=supplier_ids, quarter__in=window, official=True)
            .order_by("quarter")
            .values_list("supplier_id", "quarter", "score", "grade"))
    for supplier_id, quarter_text, score, grade in rows:
        trends.setdefault(supplier_id, []).append((quarter_text, score, grade))
    return trends


def open_findings(as_of: dt.date, supplier_ids: list[int] | None = None) -> QuerySet[Finding]:
    """Findings open at ``as_of`` (opened on or before, not closed by then) with their
    site, supplier, provision and CAP, by supplier code and correction due date; each
    carries ``cap_overdue`` / ``correction_overdue`` at ``as_of`` (``audits.selectors.with_overdue``)."""
    findings = (Finding.objects.filter(open_at(as_of))
                .select_related("audit__site__supplier", "provision", "corrective_action")
                .order_by("audit__site__supplier__code", "correction_due_on", "finding_ref"))
    if supplier_ids is not None:
        findings = findings.filter(audit__site__supplier_id__in=supplier_ids)
    return with_overdue(findings, as_of)


# The Findings sheet's columns (``open_finding_rows``), with their reader kinds.
FINDING_ROW_SPEC = [
    ("id", "int64"), ("supplier_code", "str"), ("supplier_name", "str"), ("site_code", "str"), ("audit_ref", "str"),
    ("finding_ref", "str"), ("provision", "str"), ("severity", "str"), ("zero_tolerance", "bool"),
    ("opened_on", "date"), ("cap_due_working", "date"), ("cap_state", "object"), ("cap_overdue", "bool_or_none"),
    ("correction_due_working", "date"), ("correction_overdue", "bool_or_none"), ("cap_owner", "object"),
    ("planned_completion", "date"), ("description", "str"),
]
FINDING_ROW_FIELDS = [
    "id", "audit__site__supplier__code", "audit__site__supplier__name", "audit__site__code", "audit__audit_ref",
    "finding_ref", "provision__code", "severity", "zero_tolerance", "opened_on", "cap_due_working",
    "corrective_action__state", "cap_overdue", "correction_due_working", "correction_overdue",
    "corrective_action__owner", "corrective_action__planned_completion", "description",
]


def open_finding_rows(as_of: dt.date, *, batch_rows: int = 5000) -> Iterator[dict]:
    """The findings of ``open_findings(as_of)`` (same filter, order and overdue flags) as
    plain rows, ``FINDING_ROW_SPEC``'s names as keys: dates ``datetime.date`` or None,
    flags bool (None where SQL gives NULL), the working due dates (an extension's, else as
    given: ``audits.selectors.working_due``), ``cap_state``/``cap_owner``/
    ``planned_completion`` None for a finding without a CAP. Read through the columnar reader:
    the ordered ids first (one query), then the rows in batches of ``batch_rows`` ids."""
    findings = open_findings(as_of)
    ids = read_frame(findings.values_list("id"), [("id", "int64")])["id"].tolist()
    names = [name for name, _ in FINDING_ROW_SPEC]
    for start in range(0, len(ids), batch_rows):
        batch = ids[start:start + batch_rows]
        findings_batch = with_overdue(Finding.objects.filter(id__in=batch), as_of).annotate(
            cap_due_working=working_due("cap_due_on"), correction_due_working=working_due("correction_due_on"))
        frame = read_frame(findings_batch.order_by().values_list(*FINDING_ROW_FIELDS), FINDING_ROW_SPEC)
        by_id = {row[0]: row for row in zip(*(frame[name].tolist() for name in names), strict=True)}
        for finding_id in batch:
            yield dict(zip(names, by_id[finding_id], strict=True))


def findings_by_supplier(as_of: dt.date, supplier_ids: list[int]) -> dict[int, list[Finding]]:
    """Supplier id → its findings open at ``as_of`` with overdue flags (``open_findings``). One query."""
    grouped: dict[int, list[Finding]] = {}
    for finding in open_findings(as_of, supplier_ids):
        grouped.setdefault(finding.audit.site.supplier_id, []).append(finding)
    return grouped
