"""Reads behind the report files: what the recalculation stored for a quarter (never
recomputed) and the audit register as of the report date. One query per table or per
batch of suppliers, whatever their number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from audits.models import Finding
from audits.selectors import open_at, with_overdue
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


def indicator_rows(quarter: Quarter, run: ScoreRun, *, chunk_size: int = 2000) -> Iterator[tuple]:
    """(supplier code, name, points JSON) of the full-scorecard suppliers, by rank."""
    return (run_scores(quarter, run).filter(population="full").order_by("rank")
            .values_list("supplier__code", "supplier__name", "points").iterator(chunk_size=chunk_size))


def qbr_rows(quarter: Quarter, run: ScoreRun, *, chunk_size: int = 5000) -> Iterator[tuple]:
    """(code, name, population, components, total, incomplete) of every supplier, by rank."""
    return (run_scores(quarter, run).order_by("rank")
            .values_list("supplier__code", "supplier__name", "population", "qbr_components",
                         "qbr_total", "qbr_incomplete").iterator(chunk_size=chunk_size))


def report_card_scores(quarter: Quarter, run: ScoreRun, supplier_ids: Iterable[int] | None = None,
                       *, chunk_size: int = 500) -> Iterator[QuarterlyScore]:
    """Stored scores of ``run`` (all or the given suppliers) by rank, with the supplier, streamed."""
    scores = run_scores(quarter, run).select_related("supplier").order_by("rank")
    if supplier_ids is not None:
        scores = scores.filter(supplier_id__in=list(supplier_ids))
    return scores.iterator(chunk_size=chunk_size)


def supplier_names() -> dict[str, str]:
    """Supplier code → name, for lists (coverage gaps) that store codes only."""
    return dict(Supplier.objects.values_list("code", "name"))


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


def findings_by_supplier(as_of: dt.date, supplier_ids: list[int]) -> dict[int, list[Finding]]:
    """Supplier id → its findings open at ``as_of`` with overdue flags (``open_findings``). One query."""
    grouped: dict[int, list[Finding]] = {}
    for finding in open_findings(as_of, supplier_ids):
        grouped.setdefault(finding.audit.site.supplier_id, []).append(finding)
    return grouped
