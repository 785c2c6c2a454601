"""Audits: the two-year cycle per site, planned audits, audit pages, recording audits
and findings (procurement writers)."""

from __future__ import annotations

import calendar
import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from audits import dates, planning, services
from audits import selectors as audit_selectors
from audits.models import UPCOMING_STATUSES, Audit, AuditStatus
from portal import exports, list_columns, selectors
from portal.access import role_required, writer_required
from portal.forms import (
    AuditForm,
    AuditPlanGapsForm,
    AuditScheduleForm,
    AuditStatusForm,
    FindingForm,
    apply_errors,
)
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
    if exports.wanted(request):
        return exports.export_response(request, "audit-cycle", list_columns.AUDIT_CYCLE_COLUMNS, rows,
                                       prepare=lambda chunk: _with_recognitions(chunk, day))
    page = paginate(request, rows, 50)
    return render(request, "portal/audit_cycle.html", {
        "page": page, "status": status, "query": query, "today": day,
        # Factory of Choice of the page's sites only: one query whatever the number of sites.
        "foc": audit_selectors.site_recognitions([int(row["site_id"]) for row in page.object_list], day),
        "counts": selectors.cycle_counts(all_rows), "statuses": dates.CYCLE_STATUSES,
    })


def _with_recognitions(rows: list[dict], day: dt.date) -> list[tuple]:
    """Each cycle row with its site's Factory of Choice at ``day`` (one query for the chunk)."""
    foc = audit_selectors.site_recognitions([int(row["site_id"]) for row in rows], day)
    return [(row, foc.get(int(row["site_id"]))) for row in rows]


PLANNED_FILTERS = ("country", "firm", "supplier", "status")


def _month(text: str, day: dt.date) -> dt.date:
    """The first day of the month ``YYYY-MM`` (default: ``day``'s month; anything unreadable too)."""
    try:
        year, month = (int(part) for part in text.split("-"))
        first = dt.date(year, month, 1)
    except (TypeError, ValueError):
        return day.replace(day=1)
    return first if dt.date(2000, 1, 1) <= first <= dt.date(day.year + 10, 12, 1) else day.replace(day=1)


@role_required
def audit_planned(request):
    """Audits still to take place, as a list or a month calendar (``?view=calendar&month=YYYY-MM``),
    filtered by country/region, audit firm, supplier and status; overdue plans said in words."""
    day = today()
    filters = {name: request.GET.get(name, "").strip() for name in PLANNED_FILTERS}
    audits = planning.with_plan_overdue(selectors.planned_audits(request.user, **filters), day)
    if exports.wanted(request):  # the filtered audits, whether the page shows a list or a month
        return exports.export_response(request, "planned-audits", list_columns.PLANNED_AUDIT_COLUMNS, audits)
    view = "calendar" if request.GET.get("view") == "calendar" else "list"
    context = {"today": day, "filters": filters, "view": view, "statuses": UPCOMING_STATUSES,
               "countries": selectors.planned_audit_countries(request.user),
               "firms": planning.approved_firm_names(), "query": request.GET.urlencode()}
    if view == "calendar":
        first = _month(request.GET.get("month", ""), day)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        shown = list(audits.filter(planned_on__gte=weeks[0][0], planned_on__lte=weeks[-1][-1]))
        by_day: dict[dt.date, list] = {}
        for audit in shown:
            by_day.setdefault(audit.planned_on, []).append(audit)
        context.update({
            "month": first, "weeks": [[(d, d.month == first.month, by_day.get(d, [])) for d in week] for week in weeks],
            "previous_month": (first - dt.timedelta(days=1)).strftime("%Y-%m"),
            "next_month": (last + dt.timedelta(days=1)).strftime("%Y-%m"),
            "undated": audits.filter(planned_on__isnull=True)[:50],
            "in_month": sum(1 for a in shown if first <= a.planned_on <= last),
        })
    else:
        context["page"] = paginate(request, audits, 50)
    return render(request, "portal/audit_planned.html", context)


@writer_required
def audit_plan_gaps(request):
    """"Plan audits for all gaps": the sites never audited or whose audit stops being valid
    before a chosen date, biggest spend first, each with a firm and a due date that can be
    changed before saving (``audits.services.audits_plan`` with ``choices``)."""
    day = today()
    form = AuditPlanGapsForm(request.GET or None, initial={"until": day + dt.timedelta(days=180)})
    until = form.cleaned_data["until"] if form.is_bound and form.is_valid() else day + dt.timedelta(days=180)
    proposals = planning.plan_proposals(day, until=until)
    rows = proposals.head(PLAN_GAPS_ROWS).to_dict("records")
    errors = []
    if request.method == "POST":
        choices = {}
        for row in rows:
            key = str(row["site_id"])
            if request.POST.get(f"pick-{key}") != "1":
                continue
            due_text = request.POST.get(f"due-{key}", "").strip()
            try:
                due_by = dt.date.fromisoformat(due_text) if due_text else row["next_due"]
            except ValueError:
                errors.append(_("%(site)s: the due date %(text)s is not a date (YYYY-MM-DD).") % {
                    "site": row["site_code"], "text": due_text})
                continue
            choices[row["site_id"]] = {"due_by": due_by, "audit_firm": request.POST.get(f"firm-{key}", "").strip()}
            row.update(picked=True, due_by_text=due_text, firm_text=choices[row["site_id"]]["audit_firm"])
        if not choices and not errors:
            errors.append(_("Tick at least one site to plan."))
        if not errors:
            try:
                planned = services.audits_plan(as_of=day, until=until, actor=request.user, choices=choices)
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(request, ngettext("%(n)s audit planned.", "%(n)s audits planned.", len(planned))
                                 % {"n": len(planned)})
                return redirect("portal:audit-planned")
    return render(request, "portal/audit_plan_gaps.html", {
        "form": form, "until": until, "rows": rows, "total": len(proposals), "errors": errors,
        "firms": planning.approved_firm_names(), "today": day,
    }, status=400 if errors else 200)


PLAN_GAPS_ROWS = 200


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
        "plan_overdue": planning.plan_overdue(audit, today()),
        "schedule_warnings": planning.schedule_warnings(audit) if audit.status in UPCOMING_STATUSES else [],
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
            for warning in planning.schedule_warnings(audit):
                messages.warning(request, warning)
            return redirect("portal:audit-detail", ref=audit.audit_ref)
    return render(request, "portal/audit_form.html", {"form": form, "firms": planning.approved_firm_names()},
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
                for warning in planning.schedule_warnings(audit):
                    messages.warning(request, warning)
                return redirect("portal:audit-detail", ref=audit.audit_ref)
    return render(request, "portal/audit_schedule.html", {
        "audit": audit, "form": form, "warnings": planning.schedule_warnings(audit),
        "firms": planning.approved_firm_names(),
        "plan_overdue": planning.plan_overdue(audit, today())}, status=400 if form.is_bound and form.errors else 200)


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
