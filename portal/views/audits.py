"""Audits: the two-year cycle per site, planned audits, audit pages, recording audits
and findings (procurement writers)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audits import dates, services
from audits import selectors as audit_selectors
from audits.models import Audit, AuditStatus
from portal import selectors
from portal.access import role_required, writer_required
from portal.forms import AuditForm, AuditScheduleForm, AuditStatusForm, FindingForm, apply_errors
from portal.views.common import error_text, paginate, today
from suppliers.models import Site
from suppliers.selectors import scope_to_user


@role_required
def audit_cycle(request):
    day = today()
    status = request.GET.get("status", "")
    status = status if status in dates.CYCLE_STATUSES else ""
    query = request.GET.get("q", "").strip()
    all_rows = selectors.cycle_rows(request.user, day, query=query)
    rows = [row for row in all_rows if row["status"] == status] if status else all_rows
    if status == dates.EXPIRING:
        rows.sort(key=lambda row: (row["valid_until"], row["site_code"]))
    page = paginate(request, rows, 50)
    return render(request, "portal/audit_cycle.html", {
        "page": page, "status": status, "query": query, "today": day,
        # Factory of Choice of the page's sites only: one query whatever the number of sites.
        "foc": audit_selectors.site_recognitions([int(row["site_id"]) for row in page.object_list], day),
        "counts": selectors.cycle_counts(all_rows), "statuses": dates.CYCLE_STATUSES,
    })


@role_required
def audit_planned(request):
    return render(request, "portal/audit_planned.html", {
        "page": paginate(request, selectors.planned_audits(request.user), 50), "today": today(),
    })


def _audit_for(user, ref: str) -> Audit:
    return get_object_or_404(scope_to_user(Audit.objects.select_related("site__supplier", "parent"), user,
                                           "site__supplier"), audit_ref=ref)


@role_required
def audit_detail(request, ref: str):
    audit = _audit_for(request.user, ref)
    findings = (audit.findings.select_related("provision", "corrective_action")
                .prefetch_related("corrective_action__transitions").order_by("severity", "finding_ref"))
    return render(request, "portal/audit_detail.html", {
        "audit": audit, "findings": paginate(request, findings, 50), "today": today(),
        "finding_form": FindingForm(initial={"opened_on": audit.conducted_on or today()}),
        "status_form": AuditStatusForm(initial={"status": audit.status}),
        "closure_audits": audit.closure_audits.all(),
    })


@writer_required
def audit_create(request):
    sites = scope_to_user(Site.objects.select_related("supplier"), request.user, "supplier")
    audits = scope_to_user(Audit.objects.all(), request.user, "site__supplier")
    form = AuditForm(request.POST or None, sites=sites, audits=audits,
                     initial={"site": request.GET.get("site", "")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        fields = {name: value for name, value in data.items()
                  if name not in ("site", "audit_type", "status", "audit_ref") and value not in (None, "")}
        try:
            audit = services.audit_create(site=data["site"], audit_type=data["audit_type"], status=data["status"],
                                          audit_ref=data.get("audit_ref", ""), actor=request.user, **fields)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Audit %(ref)s recorded.") % {"ref": audit.audit_ref})
            return redirect("portal:audit-detail", ref=audit.audit_ref)
    return render(request, "portal/audit_form.html", {"form": form},
                  status=400 if form.is_bound and form.errors else 200)


@require_POST
@writer_required
def finding_create(request, ref: str):
    audit = _audit_for(request.user, ref)
    form = FindingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            finding = services.finding_create(
                audit=audit, provision=data["provision_code"], severity=data["severity"],
                opened_on=data["opened_on"], description=data.get("description", ""),
                zero_tolerance=data.get("zero_tolerance"), sample_share=data.get("sample_share"),
                actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Finding %(ref)s recorded.") % {"ref": finding.finding_ref})
            return redirect("portal:audit-detail", ref=audit.audit_ref)
    findings = audit.findings.select_related("provision", "corrective_action").order_by("severity", "finding_ref")
    return render(request, "portal/audit_detail.html", {
        "audit": audit, "findings": paginate(request, findings, 50), "today": today(), "finding_form": form,
        "status_form": AuditStatusForm(initial={"status": audit.status}), "open_finding_form": True,
        "closure_audits": audit.closure_audits.all(),
    }, status=400)


@require_POST
@writer_required
def audit_status(request, ref: str):
    audit = _audit_for(request.user, ref)
    form = AuditStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the listed statuses."))
        return redirect("portal:audit-detail", ref=audit.audit_ref)
    try:
        services.audit_change_status(audit=audit, status=form.cleaned_data["status"], actor=request.user,
                                     note=form.cleaned_data.get("note", ""))
    except ValidationError as exc:
        messages.error(request, _("The status was not changed: %(why)s") % {
            "why": error_text(exc)})
    else:
        messages.success(request, _("Audit status changed."))
    return redirect("portal:audit-detail", ref=audit.audit_ref)


SCHEDULABLE = (AuditStatus.PLANNED, AuditStatus.SCHEDULED)


@writer_required
def audit_edit(request, ref: str):
    """Assign the firm and dates of a planned audit, and schedule it; or change them for a
    scheduled one. ``audits.services.audit_update`` / ``audit_schedule`` check and record."""
    audit = _audit_for(request.user, ref)
    if audit.status not in SCHEDULABLE:
        messages.error(request, _("Only a planned or scheduled audit can be scheduled or edited here."))
        return redirect("portal:audit-detail", ref=audit.audit_ref)
    form = AuditScheduleForm(request.POST or None, initial={
        name: getattr(audit, name) for name in AuditScheduleForm.base_fields})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # A scheduled audit stays scheduled: its dates change through audit_schedule too.
        schedule = "schedule" in request.POST or audit.status == AuditStatus.SCHEDULED
        if schedule and not (data.get("start_date") and data.get("conducted_on")):
            for name in ("start_date", "conducted_on"):
                if not data.get(name):
                    form.add_error(name, _("Give the start and end dates to schedule the audit."))
        else:
            try:
                audit = _save_schedule(audit, data, schedule=schedule, actor=request.user)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if schedule:
                    messages.success(request, _("Audit %(ref)s scheduled for %(start)s – %(end)s.") % {
                        "ref": audit.audit_ref, "start": audit.start_date.isoformat(),
                        "end": audit.conducted_on.isoformat()})
                else:
                    messages.success(request, _("Audit %(ref)s saved.") % {"ref": audit.audit_ref})
                return redirect("portal:audit-detail", ref=audit.audit_ref)
    return render(request, "portal/audit_schedule.html", {"audit": audit, "form": form},
                  status=400 if form.is_bound and form.errors else 200)


@transaction.atomic
def _save_schedule(audit: Audit, data: dict, *, schedule: bool, actor) -> Audit:
    names = ("audit_firm", "due_by") if schedule else ("audit_firm", "due_by", "start_date", "conducted_on")
    changed = {name: data[name] for name in names if data[name] != getattr(audit, name)}
    if changed:
        audit = services.audit_update(audit=audit, actor=actor, **changed)
    if schedule:
        audit = services.audit_schedule(audit=audit, actor=actor, start_date=data["start_date"],
                                        conducted_on=data["conducted_on"], audit_firm=data.get("audit_firm", ""))
    return audit
