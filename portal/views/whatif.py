"""What-if: preview a methodology version on a quarter and compare two versions' results
side by side (grade migration, population and gate changes, largest changes and their
drivers, coverage), then publish and make it official from there."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import jobs, roles
from core.quarter import Quarter
from portal.access import admin_required, procurement_required
from portal.chartdata import comparison_charts
from portal.forms import PreviewForm
from portal.progress import run_started_message
from portal.selectors import coverage_metrics
from scoring import comparison, services
from scoring.models import Methodology, QuarterOfficial
from scoring.selectors import NoPublishedMethodology, quarter_versions, scored_quarters


def _quarter(request) -> str | None:
    quarter = request.GET.get("quarter") or request.POST.get("quarter") or ""
    try:
        return str(Quarter.parse(quarter))
    except ValueError:
        quarters = scored_quarters()
        return quarters[0] if quarters else None


@procurement_required
def compare(request):
    """``?quarter=&base=&other=``: base defaults to the official version, other to the
    newest other version with results; ``?cell=A,B`` lists the suppliers of one matrix cell."""
    quarter = _quarter(request)
    versions = quarter_versions(Quarter.parse(quarter)) if quarter else []
    by_version = {snapshot.methodology.version: snapshot for snapshot in versions}
    official = QuarterOfficial.objects.filter(quarter=quarter).select_related("methodology").first()
    base = by_version.get(request.GET.get("base", "")) or (by_version.get(official.methodology.version)
                                                           if official else None)
    others = [snapshot for snapshot in versions if base is None or snapshot.methodology_id != base.methodology_id]
    other = by_version.get(request.GET.get("other", "")) or (others[0] if others else None)
    result, cell, cell_rows, metrics = None, None, [], None
    if base is not None and other is not None and base.methodology_id != other.methodology_id:
        result, metrics = comparison.stored_page(Quarter.parse(quarter), base.methodology, other.methodology)
        if "," in request.GET.get("cell", ""):
            cell = request.GET["cell"].split(",", 1)
            cell_rows = comparison.migration_suppliers(Quarter.parse(quarter), base.methodology, other.methodology,
                                                       *cell)
    # The stored comparison's metric rows; the snapshot's JSON only when there is nothing to compare.
    coverage = [(snapshot, metrics[snapshot.methodology.version] if metrics is not None else
                 coverage_metrics(snapshot)) for snapshot in (base, other) if snapshot is not None]
    return render(request, "portal/methodology_compare.html", {
        "quarter": quarter, "quarters": scored_quarters(), "versions": versions, "base": base, "other": other,
        "official": official, "result": result, "cell": cell, "cell_rows": cell_rows,
        "coverage": coverage, "chart_specs": comparison_charts(result, coverage) if result else [],
        "preview_form": PreviewForm(initial={"quarter": quarter}),
        "matrix_rows": [(g1, list(zip(result.grades, counts, strict=True)))
                        for g1, counts in zip(result.grades, result.matrix, strict=True)] if result else [],
    })


@require_POST
@procurement_required
def preview(request):
    """Start a preview run of a version on a quarter (writers); never touches official results."""
    if not roles.can_write_master_data(request.user):
        raise PermissionDenied
    form = PreviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("portal:methodology-compare")
    if (wait := jobs.start_wait(request.user)) is not None:
        messages.error(request, _("You have started many jobs in the last minute; try again in %(seconds)s "
                                  "seconds.") % {"seconds": wait})
        return redirect("portal:methodology-compare")
    try:
        with transaction.atomic():
            run = services.score_run_enqueue(quarter=form.cleaned_data["quarter"],
                                             methodology=form.cleaned_data["methodology"], actor=request.user,
                                             trigger="portal", preview=True)
    except (services.RecalculationRefused, ValidationError) as exc:
        messages.error(request, str(exc.messages[0] if isinstance(exc, ValidationError) else exc))
        return redirect("portal:methodology-compare")
    run_started_message(request, run, _("Preview of %(version)s on %(quarter)s started; the official results stay as "
                                    "they are.") % {"version": run.methodology.version, "quarter": run.quarter})
    return redirect("portal:run-detail", pk=run.pk)


@require_POST
@admin_required
def publish(request):
    """Publish a draft (when it is one) and make it official for the quarter through an
    official recalculation (the preview's results are replaced by the official run's)."""
    methodology = Methodology.objects.filter(version=request.POST.get("version", "")).first()
    quarter = _quarter(request)
    back = reverse("portal:methodology-compare") + f"?quarter={quarter or ''}"
    if methodology is None or quarter is None:
        messages.error(request, _("Choose a version and a quarter."))
        return redirect(back)
    try:
        if not methodology.is_published:
            services.methodology_publish(methodology=methodology, actor=request.user)
        with transaction.atomic():
            run = services.score_run_enqueue(quarter=Quarter.parse(quarter), methodology=methodology,
                                             actor=request.user, trigger="portal")
    except (services.MethodologyNotPublishable, services.RecalculationRefused, NoPublishedMethodology,
            ValidationError) as exc:
        messages.error(request, _("Not published: %(why)s") % {"why": exc})
        return redirect(back)
    messages.success(request, _("Methodology %(version)s published; the recalculation of %(quarter)s makes it "
                                "official.") % {"version": methodology.version, "quarter": quarter})
    return redirect("portal:run-detail", pk=run.pk)
