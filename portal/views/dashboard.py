"""Home and the procurement dashboard of a quarter."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import roles
from core.quarter import Quarter
from portal import charts, exports, list_columns, selectors
from portal.access import procurement_required, role_required
from portal.emissions_panel import emissions_panel
from portal.templatetags.portal_tags import METRIC_LABELS
from portal.views.common import paginate, today
from scoring import serving
from scoring.selectors import UnknownMethodology, coverage_snapshot, results_methodology
from suppliers.selectors import visible_suppliers

DASHBOARD_ROWS = 10
SHORT_SEVERITY = {"priority": gettext_lazy("Priority"), "major": gettext_lazy("Major"),
                  "minor": gettext_lazy("Minor"), "risk": gettext_lazy("Risk"), "ofi": gettext_lazy("OFI")}


@role_required
def home(request):
    """Procurement lands on the dashboard, a supplier user on its own supplier page."""
    if roles.is_procurement(request.user):
        return redirect("portal:dashboard")
    supplier = visible_suppliers(request.user).first()
    if supplier is None:
        return render(request, "portal/no_supplier.html", status=403)
    return redirect("portal:supplier-detail", code=supplier.code)


def _quarter_context(request):
    """(quarters, quarter, coverage digest, coverage snapshot): the official version's, or
    ``?methodology=``'s (a version that is not official is read from its snapshot)."""
    quarters = selectors.scored_quarters()
    quarter = selectors.pick_quarter(request.GET.get("quarter"), quarters)
    version = request.GET.get("methodology") or None
    try:
        methodology = results_methodology(None, version) if version else None
    except UnknownMethodology:
        raise Http404("no such methodology version") from None
    snapshot = coverage_snapshot(Quarter.parse(quarter), methodology) if quarter else None
    if version and quarter and snapshot is None:
        raise Http404("no results of this methodology version for the quarter")
    if snapshot is not None and not snapshot.official:
        return quarters, quarter, serving.snapshot_digest(snapshot), snapshot
    return quarters, quarter, selectors.coverage_digest(quarter), snapshot


@procurement_required
def dashboard(request):
    """The quarter's coverage and grades from the digest stored at recalculation, the open
    findings and the audit cycle from the day's stored summaries: a constant number of
    queries whatever the number of suppliers and sites."""
    quarters, quarter, digest, snapshot = _quarter_context(request)
    day = today()
    metrics = digest["metrics"] if digest else []
    coverage_chart = charts.coverage_bars(
        _("Coverage metrics against their targets"),
        [(str(METRIC_LABELS.get(m["name"], m["name"])), m["share"], m["target"], m["met"]) for m in metrics],
        met_text=_("met"), missed_text=_("missed"),
    ) if metrics else None
    grades = digest["grades"] if digest else []
    grade_chart = charts.bar_chart(
        _("Suppliers by grade"),
        [charts.Bar(g["grade"], g["total"], charts.GRADE_COLOURS.get(g["grade"], "#607d8b")) for g in grades],
    ) if grades else None
    findings = selectors.open_findings_summary(request.user, day)
    severity_chart = charts.bar_chart(
        _("Open findings by severity"),
        [charts.Bar(str(SHORT_SEVERITY.get(value, label)), count, charts.SEVERITY_COLOURS.get(value, "#607d8b"))
         for value, label, count in findings["by_severity"]],
    ) if findings["total"] else None
    gaps = selectors.digest_gap_rows(digest, "audit")
    gap_count = next((m["gaps"] for m in metrics if m["name"] == "audit"), 0)
    flagged = selectors.termination_review_suppliers(request.user)
    cycle = selectors.cycle_summary(day)
    documents = selectors.expiring_documents(request.user, day)
    return render(request, "portal/dashboard.html", {
        "quarters": quarters, "quarter": quarter, "snapshot": snapshot, "metrics": metrics,
        "coverage_chart": coverage_chart, "grades": grades, "grade_chart": grade_chart,
        "findings": findings, "severity_chart": severity_chart,
        "gaps": gaps[:DASHBOARD_ROWS], "gap_count": gap_count,
        "flagged": flagged[:DASHBOARD_ROWS], "flagged_count": flagged.count(),
        "reviews": selectors.open_termination_reviews(request.user),
        "expiring": cycle["expiring"][:DASHBOARD_ROWS], "expiring_count": cycle["expiring_count"],
        "documents": documents[:DASHBOARD_ROWS], "document_count": documents.count(), "today": day,
        "emissions": emissions_panel(quarter),
    })


@procurement_required
def coverage_gaps(request, metric: str):
    if metric not in selectors.METRICS:
        raise Http404
    # The official results' gap list (``selectors.gap_list``) under the official coverage
    # digest: both from the version the quarter's pages show.
    quarters = selectors.scored_quarters()
    quarter = selectors.pick_quarter(request.GET.get("quarter"), quarters)
    digest = selectors.coverage_digest(quarter)
    metric_row = next((m for m in (digest["metrics"] if digest else []) if m["name"] == metric), None)
    gaps = selectors.gap_list(quarter, metric)
    if exports.wanted(request):
        return exports.export_response(request, f"coverage-gaps-{metric}-{quarter or 'none'}",
                                       list_columns.COVERAGE_GAP_COLUMNS, gaps)
    return render(request, "portal/coverage_gaps.html", {
        "quarters": quarters, "quarter": quarter, "metric": metric, "metric_row": metric_row,
        "page": paginate(request, gaps, 50), "metrics": selectors.METRICS,
    })
