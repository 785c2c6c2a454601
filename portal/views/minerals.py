"""Responsible minerals: on the supplier pages the latest CMRT/EMRT, its smelters with their
RMAP status, the smelters that keep it below 100 %, uploads (supplier self-service and
procurement), a report's page and the review of a supplier's submissions; for procurement the
queue of reports across suppliers and the smelter list with its import (upload → preview →
commit). docs/industry-files.md, docs/portal.md."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import roles
from core.quarter import Quarter
from core.review import DECISIONS
from disclosure.minerals import SmelterListImporter, minerals_report_import, minerals_report_review, smelter_list_at
from disclosure.models import InventoryState, Metal, MineralsReport, MineralsTemplate, RmapStatus, Smelter
from portal import selectors
from portal.access import can_act_for_supplier, procurement_required, role_required, supplier_for, writer_required
from portal.forms import MineralsReportForm, MineralsReviewForm, ReviewForm, apply_errors
from portal.views import upload_flow
from portal.views.common import BadQuery, back_to, bad_query_response, identifier_param, paginate, today
from suppliers.selectors import scope_to_user

SMELTER_SESSION_KEY = "smelter_list_pending"


@role_required
def supplier_minerals(request, code: str):
    supplier = supplier_for(request.user, code)
    can_upload = can_act_for_supplier(request.user, supplier)
    form = MineralsReportForm()
    if request.method == "POST":
        if not can_upload:
            raise PermissionDenied
        form = MineralsReportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = minerals_report_import(supplier=supplier, template=form.cleaned_data["template"],
                                                upload=form.cleaned_data["file"], actor=request.user,
                                                channel=f"portal:{form.cleaned_data['file'].name}"[:200])
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                report = result.report
                if report.state == InventoryState.SUBMITTED:
                    messages.success(request, _("%(template)s %(version)s dated %(date)s uploaded; it counts once "
                                                "procurement accepts it.") % {
                        "template": report.get_template_display(), "version": report.version,
                        "date": report.declaration_date.isoformat()})
                else:
                    messages.success(request, _("%(template)s %(version)s dated %(date)s imported.") % {
                        "template": report.get_template_display(), "version": report.version,
                        "date": report.declaration_date.isoformat()})
                return redirect("portal:supplier-minerals", code=supplier.code)
    day = today()
    return render(request, "portal/supplier_minerals.html", {
        "supplier": supplier, "form": form, "can_upload": can_upload, "today": day,
        "summaries": selectors.minerals_summary(supplier, day),
        "pending": supplier.minerals_reports.filter(state=InventoryState.SUBMITTED).order_by("-submitted_at"),
        "rejected": supplier.minerals_reports.filter(state=InventoryState.REJECTED).order_by("-submitted_at")[:5],
        "can_review": roles.can_write_master_data(request.user),
    }, status=400 if form.is_bound and form.errors else 200)


@require_POST
@writer_required
def minerals_review(request, code: str, pk: int, decision: str):
    supplier = supplier_for(request.user, code)
    report = get_object_or_404(supplier.minerals_reports, pk=pk)
    state = DECISIONS.get(decision)
    form = MineralsReviewForm(request.POST)
    form.is_valid()
    try:
        minerals_report_review(report=report, state=state or "", actor=request.user,
                               comment=form.cleaned_data.get("comment", ""))
    except ValidationError as exc:
        apply_errors(form, exc)
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Report accepted.") if state == InventoryState.ACCEPTED else _("Report rejected."))
    return back_to(request, "portal:supplier-minerals", supplier.code)


def status_day(report: MineralsReport) -> dt.date:
    """The day whose RMAP statuses a report's page shows: the end of the quarter of its
    declaration date (the first quarter whose score reads the report, scorecard.md section
    9), or today while that quarter is still open (no later status is known yet)."""
    return min(Quarter.containing(report.declaration_date).as_of, today())


def report_rows(report: MineralsReport, day: dt.date) -> list:
    """The report's smelter rows (``MineralsReportSmelter``, by row), each with
    ``list_status``: the RMAP status in force at ``day`` of the smelter the score reads for
    the row (``scoring.derived.minerals_rows``: ids normalised, a row without id matched by
    a unique name; ``disclosure.minerals.smelter_list_at``: the status in force at ``day``),
    "" when the row names no listed smelter or the list had no status for it then. Three
    queries."""
    import pandas as pd

    from scoring.derived import minerals_rows
    from scoring.inputs import MINERALS_ROW_COLUMNS, SMELTER_COLUMNS

    rows = list(report.smelters.order_by("row"))
    frame = pd.DataFrame([[getattr(row, name) for name in MINERALS_ROW_COLUMNS] for row in rows],
                         columns=MINERALS_ROW_COLUMNS)
    smelters = pd.DataFrame(list(smelter_list_at(day).values_list("smelter_id", "metal", "name", "status_at")),
                            columns=SMELTER_COLUMNS)
    read = minerals_rows(frame, smelters, Metal.values)
    statuses = {int(row): status for row, status in zip(read["row"], read["status"], strict=True)
                if isinstance(status, str)}
    for row in rows:
        row.list_status = statuses.get(row.row, "")
    return rows


@role_required
def minerals_report_detail(request, code: str, pk: int):
    """One report as read from the workbook: declaration, answers, every smelter row with the
    RMAP status of its smelter in force at the end of the quarter of the declaration date
    (``status_day``; the score's rule, ``report_rows``); accept/reject for procurement
    writers while submitted."""
    supplier = supplier_for(request.user, code)
    report = get_object_or_404(supplier.minerals_reports.select_related("submitted_by", "reviewed_by"), pk=pk)
    day = status_day(report)
    return render(request, "portal/minerals_report.html", {
        "supplier": supplier, "report": report, "rows": report_rows(report, day), "status_day": day,
        "status_quarter": str(Quarter.containing(report.declaration_date)),
        "can_review": roles.can_write_master_data(request.user) and report.state == InventoryState.SUBMITTED,
        "status_labels": dict(RmapStatus.choices),
    })


# --------------------------------------------------------------------------- procurement's queue


@procurement_required
def minerals_queue(request):
    """Minerals reports across suppliers, the submitted ones first by default (filters:
    state, template, supplier code). A fixed number of queries whatever the rows."""
    try:
        supplier = identifier_param(request, "supplier")
    except BadQuery as exc:
        return bad_query_response(exc)
    state = request.GET.get("state", InventoryState.SUBMITTED)
    template = request.GET.get("template", "")
    reports = scope_to_user(MineralsReport.objects.select_related("supplier", "submitted_by"), request.user,
                            "supplier").annotate(smelter_rows=Count("smelters"))
    if state in InventoryState.values:
        reports = reports.filter(state=state)
    else:
        state = ""
    if template in MineralsTemplate.values:
        reports = reports.filter(template=template)
    else:
        template = ""
    if supplier:
        reports = reports.filter(supplier__code=supplier)
    reports = reports.order_by("submitted_at", "id") if state == InventoryState.SUBMITTED else \
        reports.order_by("-submitted_at", "-id")
    return render(request, "portal/minerals_queue.html", {
        "page": paginate(request, reports), "state": state, "template": template, "supplier": supplier,
        "states": InventoryState.choices, "templates": MineralsTemplate.choices, "review_form": ReviewForm(),
    })


# --------------------------------------------------------------------------- the smelter list


class SmelterListUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Smelter list (CSV or XLSX)"),
                           help_text=gettext_lazy("Columns: smelter_id, metal, name, country, status, as_of "
                                                  "(optional)."))


@procurement_required
def smelter_list(request):
    """The RMI smelter list (filters metal, status, search) and, for procurement writers, its
    import: upload → dry-run preview of every row → commit (``SmelterListImporter``, the
    command's and the API's importer; the flow of ``portal.views.upload_flow``)."""
    can_import = roles.can_write_master_data(request.user)
    form = SmelterListUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "can_import": can_import}
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied
        if form.is_valid():
            upload_flow.preview(request, form=form, context=context, key=SMELTER_SESSION_KEY,
                                dry_run=lambda content, name: SmelterListImporter(actor=request.user).run(
                                    content, dry_run=True, filename=name))
    metal, status, query = request.GET.get("metal", ""), request.GET.get("status", ""), request.GET.get("q", "")
    smelters = Smelter.objects.order_by("metal", "smelter_id")
    if metal in Metal.values:
        smelters = smelters.filter(metal=metal)
    if status in RmapStatus.values:
        smelters = smelters.filter(status=status)
    if query.strip():
        smelters = smelters.filter(Q(smelter_id__icontains=query.strip()) | Q(name__icontains=query.strip()))
    context.update(page=paginate(request, smelters), metal=metal, status=status, q=query,
                   metals=Metal.choices, statuses=RmapStatus.choices)
    return render(request, "portal/smelter_list.html", context,
                  status=400 if form.is_bound and (form.errors or context.get("errors")) else 200)


@require_POST
@writer_required
def smelter_list_commit(request):
    """Commit the previewed list: validated again (the list may have moved since)."""
    outcome = upload_flow.commit(
        request, key=SMELTER_SESSION_KEY, back="portal:smelter-list",
        run=lambda item, content: SmelterListImporter(actor=request.user).run(content, filename=item["name"]))
    if isinstance(outcome, HttpResponse):
        return outcome
    item, result = outcome
    messages.success(request, _("%(name)s imported: %(created)s smelters created, %(updated)s updated, "
                                "%(unchanged)s unchanged. The statuses count from the next recalculation.")
                     % {"name": item["name"], "created": result.created, "updated": result.updated,
                        "unchanged": result.unchanged})
    return redirect("portal:smelter-list")
