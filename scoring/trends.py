"""Portfolio trends over the last quarters (docs/scoring.md, "Portfolio trends"): per
quarter, from the official stored results only (never recomputed) and the audit register at
the quarter's last day. Queries do not grow with suppliers: one per table, plus one count of
overdue CAPs per quarter."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum

from audits.models import Finding, FindingStatus
from audits.selectors import overdue_conditions
from core.quarter import Quarter
from core.quarter import today as business_day
from scoring import serving
from scoring.models import QuarterlyScore

DEFAULT_QUARTERS = 8
CENT = Decimal("0.01")
GRADES = ("A", "B", "C", "D", "X")
METRICS = ("scorecard", "audit", "sbti", "ghg_disclosure", "foc")


@dataclass
class Trends:
    quarters: list[str]
    # Each table: rows of plain values, one row per quarter (oldest first) or per (quarter, key).
    coverage: list[dict] = field(default_factory=list)  # quarter, metric, share, target, met
    grades: list[dict] = field(default_factory=list)  # quarter, A…X counts, total
    categories: list[dict] = field(default_factory=list)  # quarter, category, suppliers, mean, spend-weighted mean
    populations: list[dict] = field(default_factory=list)  # quarter, full/tail suppliers and spend
    findings: list[dict] = field(default_factory=list)  # quarter, opened, closed, overdue CAPs at quarter end

    def tables(self) -> dict[str, list[dict]]:
        return {"coverage": self.coverage, "grades": self.grades, "categories": self.categories,
                "populations": self.populations, "findings": self.findings}


def _mean(total: Decimal | None, count: Decimal | int | None) -> Decimal | None:
    if total is None or not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(CENT, rounding=ROUND_HALF_UP)


def portfolio_trends(last: Quarter, quarters: int = DEFAULT_QUARTERS) -> Trends:
    """The ``quarters`` quarters ending with ``last``: coverage metrics against target, the
    grade distribution, the mean score per supplier category (plain and spend-weighted, 2
    decimals half up), the full/tail split (suppliers and spend basis), findings opened and
    closed in the quarter (withdrawn ones left out) and CAPs overdue at the quarter's last day
    (or today for the running quarter; ``audits.selectors.overdue_conditions``). A quarter
    without official results has empty score tables."""
    window = last.window(quarters)
    names = [str(quarter) for quarter in window]
    trends = Trends(quarters=names)
    official = QuarterlyScore.objects.filter(quarter__in=names, official=True).order_by()

    # The coverage digests stored at recalculation (``scoring.serving``): a quarter's metrics
    # without reading its document (every gap list, megabytes at 100,000 suppliers).
    for name in names:
        summary = serving.coverage_summary(name)
        rows = {row["name"]: row for row in (summary.payload["metrics"] if summary is not None else [])}
        for metric in METRICS:
            if metric in rows:
                data = rows[metric]
                trends.coverage.append({"quarter": name, "metric": metric, "share": Decimal(str(data["share"])),
                                        "target": Decimal(str(data["target"])), "met": bool(data["met"])})

    grade_counts = {(row["quarter"], row["grade"]): row["n"] for row in
                    official.values("quarter", "grade").annotate(n=Count("id"))}
    for name in names:
        row = {"quarter": name, **{grade: grade_counts.get((name, grade), 0) for grade in GRADES}}
        row["total"] = sum(row[grade] for grade in GRADES)
        trends.grades.append(row)

    weighted = ExpressionWrapper(F("score") * F("spend_basis"), output_field=DecimalField(max_digits=40,
                                                                                         decimal_places=4))
    for row in (official.values("quarter", "supplier__category")
                .annotate(n=Count("id"), total=Sum("score"), spend=Sum("spend_basis"), weighted=Sum(weighted))
                .order_by("quarter", "supplier__category")):
        trends.categories.append({
            "quarter": row["quarter"], "category": row["supplier__category"], "suppliers": row["n"],
            "mean_score": _mean(row["total"], row["n"]), "spend_weighted_mean_score": _mean(row["weighted"],
                                                                                            row["spend"])})

    split = {(row["quarter"], row["population"]): row for row in
             official.values("quarter", "population").annotate(n=Count("id"), spend=Sum("spend_basis"))}
    for name in names:
        full, tail = split.get((name, "full"), {}), split.get((name, "ecovadis_only"), {})
        trends.populations.append({
            "quarter": name, "full_suppliers": full.get("n", 0), "full_spend": full.get("spend") or Decimal(0),
            "ecovadis_only_suppliers": tail.get("n", 0), "ecovadis_only_spend": tail.get("spend") or Decimal(0)})

    findings = Finding.objects.exclude(status=FindingStatus.WITHDRAWN).order_by()
    counts = findings.aggregate(**{
        f"{kind}_{i}": Count("id", filter=Q(**{f"{kind}_on__gte": q.first_day, f"{kind}_on__lte": q.as_of}))
        for i, q in enumerate(window) for kind in ("opened", "closed")})
    today = business_day()
    for i, quarter in enumerate(window):
        as_of = min(quarter.as_of, today)
        overdue = findings.filter(overdue_conditions(as_of)["cap_overdue"]).count()
        trends.findings.append({"quarter": str(quarter), "opened": counts[f"opened_{i}"],
                                "closed": counts[f"closed_{i}"], "overdue_caps": overdue})
    return trends
