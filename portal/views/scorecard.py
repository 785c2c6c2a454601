"""Scorecard administration: methodology versions (view, draft, weights, diff, publish),
recalculations (start, watch) and the review of supplier-submitted values."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError as ApiValidationError

from core import jobs, roles
from core.review import DECISIONS
from portal import exports, list_columns, selectors
from portal.access import admin_required, procurement_required, writer_required
from portal.forms import DraftForm, ReviewForm, RunForm, SettingsForm, WeightsForm, apply_errors, source_field_name
from portal.indicators import display_value
from portal.progress import job_state, run_started_message
from portal.views.common import (
    BadQuery,
    as_django_error,
    back_to,
    bad_query_response,
    error_text,
    identifier_param,
    paginate,
    review_and_return,
    selected_ids,
)
from scoring import methodology_drafts, services
from scoring.models import (
    ACTIVE_RUN_STATUSES,
    IndicatorValue,
    Methodology,
    MethodologyIndicator,
    ScoreRun,
    ValueState,
)
from scoring.selectors import NoPublishedMethodology
from suppliers.selectors import scope_to_user


@procurement_required
def methodology_list(request):
    versions = Methodology.objects.select_related("based_on").order_by("-created_at", "-id")
    return render(request, "portal/methodology_list.html", {
        "page": paginate(request, versions), "draft_form": DraftForm(initial={"based_on": _latest_version()}),
    })


def _latest_version():
    try:
        from scoring.selectors import current_methodology

        return current_methodology().version
    except NoPublishedMethodology:
        return None


@procurement_required
def methodology_detail(request, version: str):
    methodology = get_object_or_404(Methodology, version=version)
    rows = list(methodology.indicators.select_related("indicator").order_by("indicator__code"))
    total = sum(row.weight for row in rows)
    other = request.GET.get("other", "")
    diff = None
    other_methodology = Methodology.objects.filter(version=other).first() if other else None
    if other_methodology is not None:
        diff = methodology_drafts.readable_diff(other_methodology, methodology)
    editable = not methodology.is_published
    return render(request, "portal/methodology_detail.html", {
        "methodology": methodology, "rows": rows, "total": total, "diff": diff, "other": other_methodology,
        "settings_form": SettingsForm(initial=SettingsForm.initial_for(methodology)) if editable else None,
        "versions": Methodology.objects.exclude(pk=methodology.pk).order_by("-created_at"),
        "weights_form": WeightsForm(rows=rows) if not methodology.is_published else None,
        "changes": selectors.change_history(request.user, Methodology, id=methodology.pk),
        "weight_changes": selectors.change_history(request.user, MethodologyIndicator, methodology_id=methodology.pk),
    })


@require_POST
@admin_required
def methodology_draft(request):
    form = DraftForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            draft = methodology_drafts.draft_create(version=data["version"], based_on=data["based_on"],
                                               description=data.get("description", ""), actor=request.user)
        except ApiValidationError as exc:
            apply_errors(form, as_django_error(exc))
        else:
            messages.success(request, _("Draft %(version)s created.") % {"version": draft.version})
            return redirect("portal:methodology-detail", version=draft.version)
    versions = Methodology.objects.select_related("based_on").order_by("-created_at", "-id")
    return render(request, "portal/methodology_list.html", {"page": paginate(request, versions),
                                                            "draft_form": form}, status=400)


@require_POST
@admin_required
def methodology_weights(request, version: str):
    methodology = get_object_or_404(Methodology, version=version)
    rows = list(methodology.indicators.select_related("indicator").order_by("indicator__code"))
    form = WeightsForm(request.POST, rows=rows)
    if form.is_valid():
        changes = []
        for row in rows:
            code = row.indicator.code
            change = {"code": code}
            if form.cleaned_data[code] != row.weight:
                change["weight"] = form.cleaned_data[code]
            source = form.cleaned_data.get(source_field_name(code))
            if source and source != methodology_drafts.effective_source(row):
                change["source"] = source
            if len(change) > 1:
                changes.append(change)
        try:
            if changes:
                methodology_drafts.weights_set(methodology=methodology, changes=changes, actor=request.user)
        except ApiValidationError as exc:
            apply_errors(form, as_django_error(exc))
        else:
            total = form.cleaned_data["total"]
            if total == 100:
                messages.success(request, _("Weights saved; they sum to 100."))
            else:
                messages.warning(request, _("Weights saved; they sum to %(total)s and must sum to 100 before "
                                            "publishing.") % {"total": total})
            return redirect("portal:methodology-detail", version=version)
    return render(request, "portal/methodology_detail.html", {
        "methodology": methodology, "rows": rows, "total": sum(row.weight for row in rows), "weights_form": form,
        "versions": Methodology.objects.exclude(pk=methodology.pk),
    }, status=400)


@require_POST
@admin_required
def methodology_settings(request, version: str):
    """A draft's settings (coverage target, grade bands, QBR weights, audit validity,
    expiring horizon), validated by ``methodology_drafts.settings_set``."""
    methodology = get_object_or_404(Methodology, version=version)
    form = SettingsForm(request.POST)
    if form.is_valid():
        try:
            methodology_drafts.settings_set(methodology=methodology, actor=request.user, **form.changes())
        except ValidationError as exc:
            messages.error(request, _("Settings not saved: %(why)s") % {
                "why": "; ".join(f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items())})
        else:
            messages.success(request, _("Settings saved."))
    else:
        messages.error(request, _("Settings not saved: %(why)s") % {
            "why": "; ".join(f"{form.fields[name].label if name in form.fields else name}: {' '.join(errors)}"
                             for name, errors in form.errors.items())})
    return redirect("portal:methodology-detail", version=version)


@require_POST
@admin_required
def methodology_publish(request, version: str):
    methodology = get_object_or_404(Methodology, version=version)
    try:
        services.methodology_publish(methodology=methodology, actor=request.user)
    except services.MethodologyNotPublishable as exc:
        messages.error(request, _("Not published: %(why)s") % {"why": exc})
    else:
        messages.success(request, _("Methodology %(version)s published; new recalculations use it.")
                         % {"version": version})
    return redirect("portal:methodology-detail", version=version)


# --------------------------------------------------------------------------- recalculations


@procurement_required
def run_list(request):
    form = RunForm(initial={"quarter": request.GET.get("quarter") or (selectors.scored_quarters() or [""])[0]})
    if request.method == "POST":
        if not roles.can_write_master_data(request.user):
            raise PermissionDenied
        form = RunForm(request.POST)
        if form.is_valid() and (wait := jobs.start_wait(request.user)) is not None:
            form.add_error(None, _("You have started many jobs in the last minute; try again in %(seconds)s "
                                   "seconds.") % {"seconds": wait})
            return render(request, "portal/run_list.html", {"form": form, "page": paginate(request, selectors.runs())},
                          status=429, headers={"Retry-After": str(wait)})
        if form.is_valid():
            try:
                with transaction.atomic():
                    run = services.score_run_enqueue(quarter=form.cleaned_data["quarter"],
                                                     methodology=form.cleaned_data.get("methodology"),
                                                     actor=request.user, trigger="portal")
            except (services.RecalculationRefused, NoPublishedMethodology) as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                if run.reused:
                    messages.info(request, _("A recalculation of %(quarter)s is already %(status)s; showing it.")
                                  % {"quarter": run.quarter, "status": run.get_status_display().lower()})
                else:
                    run_started_message(request, run, _("Recalculation of %(quarter)s started.") % {
                        "quarter": run.quarter})
                return redirect("portal:run-detail", pk=run.pk)
    return render(request, "portal/run_list.html", {
        "form": form, "page": paginate(request, selectors.runs()),
    }, status=400 if form.is_bound and form.errors else 200)


def _run_payload(run: ScoreRun) -> dict:
    """The run page's JSON: ``portal.progress.job_state`` and the run's facts."""
    return {"id": run.pk, "quarter": run.quarter, **job_state(run), "duration_seconds": run.duration_seconds,
            "counts": run.counts, "error": run.error,
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "scores_url": reverse("portal:supplier-list") + f"?quarter={run.quarter}&sort=spend"}


@procurement_required
def run_detail(request, pk: int):
    run = get_object_or_404(ScoreRun.objects.select_related("methodology"), pk=pk)
    return render(request, "portal/run_detail.html", {"run": run, "active": run.status in ACTIVE_RUN_STATUSES,
                                                      "state": job_state(run),
                                                      "can_manage": roles.is_admin(request.user)})


@require_POST
@admin_required
def run_cancel(request, pk: int):
    """An administrator stops a queued or running recalculation (recorded); the quarter is free."""
    run = get_object_or_404(ScoreRun, pk=pk)
    if services.score_run_cancel(run=run, actor=request.user, reason=request.POST.get("reason", "")):
        messages.success(request, _("Recalculation %(id)s cancelled.") % {"id": run.pk})
    else:
        messages.error(request, _("Recalculation %(id)s had already finished.") % {"id": run.pk})
    return redirect("portal:run-detail", pk=run.pk)


@require_POST
@admin_required
def run_retry(request, pk: int):
    """An administrator queues a failed or cancelled recalculation again (recorded)."""
    run = get_object_or_404(ScoreRun, pk=pk)
    try:
        retried = services.score_run_retry(run=run, actor=request.user)
    except services.RecalculationRefused as exc:
        messages.error(request, str(exc))
    else:
        if retried:
            messages.success(request, _("Recalculation %(id)s queued again.") % {"id": run.pk})
        else:
            messages.error(request, _("Only a failed or cancelled recalculation can be retried."))
    return redirect("portal:run-detail", pk=run.pk)


@procurement_required
def run_status(request, pk: int):
    """The run's state as JSON (``_run_payload``): the run page and the run list poll it
    until the run has finished. Procurement only, like the page."""
    run = get_object_or_404(ScoreRun.objects.select_related("methodology"), pk=pk)
    return JsonResponse(_run_payload(run))


# --------------------------------------------------------------------------- value review


def _queue_values(request):
    """(values, supplier code): the values awaiting the user's review as the queue's filter in
    the query string narrows them (``?supplier=``, "" when absent), lazy; the page, its export
    and the bulk action's "every value matching the filter" read this one filter. Raises
    ``BadQuery`` for a supplier code that is not one."""
    supplier = identifier_param(request, "supplier")
    values = selectors.values_awaiting_review(request.user)
    if supplier:
        values = values.filter(supplier__code=supplier)
    return values, supplier


@procurement_required
def value_queue(request):
    try:
        values, supplier = _queue_values(request)
    except BadQuery as exc:
        return bad_query_response(exc)
    if exports.wanted(request):
        return exports.export_response(request, "values-to-review", list_columns.VALUE_QUEUE_COLUMNS, values)
    return render(request, "portal/value_queue.html", {
        "page": paginate(request, values), "supplier": supplier, "review_form": ReviewForm(),
        "bulk_limit": services.BULK_REVIEW_LIMIT,
    })


@require_POST
@writer_required
def value_review_bulk(request):
    """Accept or reject the ticked values (``selected``), or every value matching the
    queue's filter (``scope=all``, the filter in the query string and the count the page
    showed in ``count``), in one step through ``scoring.services.values_review``:
    all or nothing."""
    state = DECISIONS.get(request.POST.get("decision"))
    comment = request.POST.get("comment", "").strip()
    try:
        ids = _bulk_value_ids(request)
        if state is None:
            raise ValidationError(_("Choose accept or reject."))
        values = services.values_review(value_ids=ids, state=state, actor=request.user, comment=comment)
    except BadQuery as exc:
        messages.error(request, str(exc))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        text = (ngettext("Accepted %(count)d value; it counts from the next recalculation.",
                         "Accepted %(count)d values; they count from the next recalculation.", len(values))
                if state == ValueState.ACCEPTED else
                ngettext("Rejected %(count)d value; the supplier is told why.",
                         "Rejected %(count)d values; the suppliers are told why.", len(values)))
        messages.success(request, text % {"count": len(values)})
    return back_to(request, "portal:value-queue")


def _bulk_value_ids(request) -> list[int]:
    if request.POST.get("scope") != "all":
        ids = selected_ids(request)
        if ids is None:
            raise BadQuery(_("The selection is not a list of values; reload the page."))
        return ids
    values, _supplier = _queue_values(request)
    ids = list(values.values_list("pk", flat=True)[:services.BULK_REVIEW_LIMIT + 1])
    if len(ids) <= services.BULK_REVIEW_LIMIT and request.POST.get("count", "") != str(len(ids)):
        raise BadQuery(_("The queue changed since the page was loaded (%(count)d values match now); nothing was "
                         "reviewed. Reload the page and check the selection.") % {"count": len(ids)})
    return ids


@require_POST
@writer_required
def value_review(request, pk: int, decision: str):
    value = get_object_or_404(scope_to_user(IndicatorValue.objects.select_related("supplier", "indicator"),
                                            request.user, "supplier"), pk=pk)
    what = {"code": value.indicator.code, "value": display_value(value.value, value.indicator.code),
            "supplier": value.supplier.code}
    return review_and_return(
        request, decision, lambda **kw: services.value_review(value=value, **kw),
        accepted=_("Accepted %(code)s = %(value)s for %(supplier)s; it counts from the next recalculation.") % what,
        rejected=_("Rejected %(code)s = %(value)s for %(supplier)s.") % what, fallback="portal:value-queue")
