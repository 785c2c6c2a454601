"""Responsible minerals on the supplier pages: the latest CMRT/EMRT, its smelters with their
RMAP status, the smelters that keep it below 100 %, uploads (supplier self-service and
procurement) and the review of a supplier's submissions (docs/industry-files.md)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import roles
from disclosure.minerals import minerals_report_import, minerals_report_review
from disclosure.models import InventoryState
from portal import selectors
from portal.access import can_act_for_supplier, role_required, supplier_for, writer_required
from portal.forms import MineralsReportForm, MineralsReviewForm, apply_errors
from portal.views.common import today


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
    state = {"accept": InventoryState.ACCEPTED, "reject": InventoryState.REJECTED}.get(decision)
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
    return redirect("portal:supplier-minerals", code=supplier.code)
