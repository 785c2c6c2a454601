"""The findings board and one finding's corrective action plan (CAP) workflow:
the supplier writes and submits the plan, procurement approves it or requests changes,
the supplier reports it implemented, procurement verifies it closed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from audits import reminders, services
from audits.models import Audit, AuditType, CapState, CorrectiveAction, Finding, FindingStatus, Severity
from core import roles, uploads
from portal import exports, list_columns, selectors
from portal.access import can_act_for_supplier, role_required, writer_required
from portal.forms import (
    CapForm,
    CapRejectForm,
    CapVerifyForm,
    EvidenceForm,
    FindingDueDatesForm,
    FindingExtendForm,
    NoteForm,
    apply_errors,
)
from portal.views.common import (
    BadQuery,
    back_to,
    bad_query_response,
    error_text,
    identifier_param,
    paginate,
    selected_ids,
    today,
)
from suppliers.selectors import scope_to_user

OVERDUE_CHOICES = (("any", "any"), ("cap", "cap"), ("correction", "correction"))


@role_required
def findings_board(request):
    get = request.GET
    try:
        supplier = identifier_param(request, "supplier")
    except BadQuery as exc:
        return bad_query_response(exc)
    filters = {
        "severity": get.get("severity", "") if get.get("severity") in Severity.values else "",
        "status": get.get("status", "open") if get.get("status", "open") in (*FindingStatus.values, "all") else "open",
        "overdue": get.get("overdue", "") if get.get("overdue") in ("any", "cap", "correction") else "",
        "cap_state": get.get("cap_state", "") if get.get("cap_state") in CapState.values else "",
        "supplier": supplier,
        "query": get.get("q", "").strip(),
        "mine": "1" if get.get("mine") == "1" and roles.is_procurement(request.user) else "",
    }
    query_filters = dict(filters, status="" if filters["status"] == "all" else filters["status"])
    findings = selectors.findings_board(request.user, today(), sort=get.get("sort", "due"), **query_filters)
    if exports.wanted(request):
        return exports.export_response(request, "findings", list_columns.finding_columns(today()), findings)
    return render(request, "portal/findings_board.html", {
        "page": paginate(request, findings, 50), "filters": filters, "severities": Severity.choices,
        "cap_states": CapState.choices, "today": today(), "extend_form": FindingExtendForm(),
    })


def _bulk_selection(request) -> list[int]:
    ids = selected_ids(request)
    if ids is None:
        raise ValidationError(_("The selection is not a list of findings; reload the page."))
    return ids


@require_POST
@writer_required
def findings_bulk_remind(request):
    """The board's "send reminders" for the selected findings whose CAP is overdue
    (``audits.reminders.cap_reminders_send``; all or nothing)."""
    try:
        created = reminders.cap_reminders_send(finding_ids=_bulk_selection(request), actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        if created:
            messages.success(request, ngettext("Sent %(count)d reminder.", "Sent %(count)d reminders.", created)
                             % {"count": created})
        else:
            messages.info(request, _("Everyone concerned was already reminded today; nothing new was sent."))
    return back_to(request, "portal:findings-board")


@require_POST
@writer_required
def findings_bulk_extend(request):
    """The board's "extend due date" for the selected findings, with a reason
    (``audits.services.findings_extend_due``; all or nothing)."""
    form = FindingExtendForm(request.POST)
    try:
        ids = _bulk_selection(request)
        if not form.is_valid():
            raise ValidationError([str(message) for errors in form.errors.values() for message in errors])
        data = form.cleaned_data
        extended = services.findings_extend_due(finding_ids=ids, deadline=data["deadline"], due_on=data["due_on"],
                                                reason=data["reason"], actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, ngettext("Extended the due date of %(count)d finding to %(date)s.",
                                           "Extended the due date of %(count)d findings to %(date)s.", len(extended))
                         % {"count": len(extended), "date": data["due_on"].isoformat()})
    return back_to(request, "portal:findings-board")


def _finding(request, ref: str):
    finding = selectors.finding_for(request.user, ref, today())
    if finding is None:
        raise Http404
    return finding


def _page(request, finding, *, cap_form=None, reject_form=None, verify_form=None, evidence_form=None, due_form=None,
          status=200):
    cap = getattr(finding, "corrective_action", None)
    can_act = can_act_for_supplier(request.user, finding.audit.site.supplier)
    editable = finding.is_open and (cap is None or cap.is_editable)
    if cap_form is None:
        cap_form = CapForm(initial={name: getattr(cap, name) for name in CapForm.base_fields} if cap else None)
    return render(request, "portal/finding_detail.html", {
        "finding": finding, "cap": cap, "supplier": finding.audit.site.supplier,
        "transitions": cap.transitions.all() if cap else [], "evidence": cap.evidence.all() if cap else [],
        "can_act": can_act, "is_writer": roles.can_write_master_data(request.user),
        "is_supplier": roles.is_supplier_user(request.user), "editable": editable and can_act,
        "cap_form": cap_form, "reject_form": reject_form or CapRejectForm(), "note_form": NoteForm(),
        "verify_form": verify_form or CapVerifyForm(), "evidence_form": evidence_form or EvidenceForm(),
        "due_form": due_form or FindingDueDatesForm(initial={"cap_due_on": finding.cap_due_on,
                                                             "correction_due_on": finding.correction_due_on}),
        "today": today(),
        "changes": selectors.change_history(request.user, Finding, id=finding.pk),
        "cap_changes": selectors.change_history(request.user, CorrectiveAction, id=cap.pk) if cap else None,
    }, status=status)


@role_required
def finding_detail(request, ref: str):
    return _page(request, _finding(request, ref))


@require_POST
@writer_required
def finding_due_dates(request, ref: str):
    """Procurement moves a finding's CAP and correction due dates, saying why; the
    reminders sent for the old dates are cancelled by ``audits.services.finding_update``."""
    finding = _finding(request, ref)
    form = FindingDueDatesForm(request.POST, opened_on=finding.opened_on)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.finding_update(finding=finding, actor=request.user, reason=data["reason"],
                                    cap_due_on=data.get("cap_due_on"),
                                    correction_due_on=data.get("correction_due_on"))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Due dates of %(ref)s saved.") % {"ref": finding.finding_ref})
            return redirect("portal:finding-detail", ref=finding.finding_ref)
    return _page(request, finding, due_form=form, status=400)


SUPPLIER_ACTIONS = {"save", "submit", "implement", "evidence"}
PROCUREMENT_ACTIONS = {"approve", "reject", "verify"}


@require_POST
@role_required
def cap_action(request, ref: str, action: str):
    """One POST per workflow step; the audits services check the transition and the role."""
    finding = _finding(request, ref)
    if action in SUPPLIER_ACTIONS:
        if not can_act_for_supplier(request.user, finding.audit.site.supplier):
            raise PermissionDenied
    elif action in PROCUREMENT_ACTIONS:
        if not roles.can_write_master_data(request.user):
            raise PermissionDenied
    else:
        raise Http404
    cap = getattr(finding, "corrective_action", None) or services.cap_for_finding(finding)
    handler = ACTIONS[action]
    try:
        result = handler(request, finding, cap)
    except ValidationError as exc:
        form_name, form = getattr(exc, "portal_form", (None, None))
        if form is None:
            messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms)
                           if hasattr(exc, "error_dict") else " ".join(exc.messages))
            return redirect("portal:finding-detail", ref=finding.finding_ref)
        apply_errors(form, exc)
        return _page(request, _finding(request, ref), status=400, **{form_name: form})
    if result is not None:
        return result
    return redirect("portal:finding-detail", ref=finding.finding_ref)


def _with_form(form_name, form, call):
    """Run a service; on refusal attach the form so the page re-renders with the errors."""
    try:
        return call()
    except ValidationError as exc:
        exc.portal_form = (form_name, form)
        raise


def _invalid(form_name, form):
    error = ValidationError({})
    error.error_dict = {}
    error.portal_form = (form_name, form)
    return error


def _save(request, finding, cap):
    form = CapForm(request.POST)
    if not form.is_valid():
        raise _invalid("cap_form", form)
    fields = dict(form.cleaned_data.items())
    _with_form("cap_form", form, lambda: services.cap_update(cap=cap, actor=request.user, **fields))
    if "submit" in request.POST:
        _with_form("cap_form", form, lambda: services.cap_submit(cap=cap, actor=request.user))
        messages.success(request, _("Corrective action plan submitted for review."))
    else:
        messages.success(request, _("Corrective action plan saved (not submitted yet)."))


def _submit(request, finding, cap):
    services.cap_submit(cap=cap, actor=request.user, note=request.POST.get("note", ""))
    messages.success(request, _("Corrective action plan submitted for review."))


def _implement(request, finding, cap):
    services.cap_implement(cap=cap, actor=request.user, note=request.POST.get("note", ""))
    messages.success(request, _("Reported as implemented; procurement will verify it."))


def _evidence(request, finding, cap):
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        raise _invalid("evidence_form", form)
    try:
        _with_form("evidence_form", form, lambda: services.cap_add_evidence(
            cap=cap, actor=request.user, file=form.cleaned_data["file"],
            description=form.cleaned_data.get("description", "")))
    except uploads.StorageUnavailable as exc:  # a full or read-only disk: shown on the form
        error = ValidationError({"file": str(exc)})
        error.portal_form = ("evidence_form", form)
        raise error from exc
    messages.success(request, _("Evidence attached."))


def _approve(request, finding, cap):
    services.cap_approve(cap=cap, actor=request.user, note=request.POST.get("note", ""))
    messages.success(request, _("Corrective action plan approved."))


def _reject(request, finding, cap):
    form = CapRejectForm(request.POST)
    if not form.is_valid():
        raise _invalid("reject_form", form)
    _with_form("reject_form", form, lambda: services.cap_reject(cap=cap, actor=request.user,
                                                                reason=form.cleaned_data["reason"]))
    messages.success(request, _("Changes requested from the supplier."))


def _verify(request, finding, cap):
    form = CapVerifyForm(request.POST)
    if not form.is_valid():
        raise _invalid("verify_form", form)
    data = form.cleaned_data
    closure = None
    if data.get("closure_audit"):
        closure = (scope_to_user(Audit.objects.filter(audit_type=AuditType.VAP_CLOSURE), request.user,
                                 "site__supplier").filter(audit_ref=data["closure_audit"].strip()).first())
        if closure is None:
            form.add_error("closure_audit", _("No closure audit with this reference."))
            raise _invalid("verify_form", form)
    _with_form("verify_form", form, lambda: services.cap_verify(
        cap=cap, actor=request.user, closed_on=data.get("closed_on"), closure_audit=closure,
        note=data.get("note", "")))
    messages.success(request, _("Verified; the finding is closed."))


ACTIONS = {"save": _save, "submit": _submit, "implement": _implement, "evidence": _evidence, "approve": _approve,
           "reject": _reject, "verify": _verify}
