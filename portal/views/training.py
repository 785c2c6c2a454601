"""Supplier self-service for training and GHG inventories (issue #14): who of the supplier's
staff still needs which course, completions registered with a certificate, a year's
inventory submitted with evidence; and procurement's review of both (submitted → accepted
or rejected with a comment, like indicator values).

Person references are personal data: these pages are for procurement roles and the
supplier's own users only (``supplier_for`` answers 404 for another supplier's)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import roles, uploads
from disclosure import selectors, services, sessions
from disclosure.models import EmissionInventory, InventoryState, TrainingSession, TrainingSubmission
from portal.access import can_act_for_supplier, procurement_required, role_required, supplier_for, writer_required
from portal.forms import InventoryForm, ReviewForm, SessionForm, TrainingCompletionForm, apply_errors, course_title
from portal.views.common import (
    BadQuery,
    bad_query_response,
    error_text,
    identifier_param,
    paginate,
    review_and_return,
    today,
)
from suppliers.selectors import scope_to_user, visible_suppliers


def _submitted_message(state: str) -> str:
    if state == InventoryState.SUBMITTED:
        return _("Submitted. It counts once procurement accepts it.")
    return _("Recorded and accepted.")


@role_required
def supplier_training(request, code: str):
    """Who of the supplier's staff is trained today and who is missing which required course;
    the form to register a completion; the completions submitted and their review."""
    supplier = supplier_for(request.user, code)
    can_submit = can_act_for_supplier(request.user, supplier)
    form = TrainingCompletionForm()
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied
        form = TrainingCompletionForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                submission = services.training_completion_submit(
                    supplier=supplier, person_ref=data["person_ref"], course=data["course"],
                    completed_on=data["completed_on"], score=data.get("score"), certificate=data["certificate"],
                    actor=request.user)
            except ValidationError as exc:
                apply_errors(form, exc)
            except uploads.StorageUnavailable as exc:
                form.add_error("certificate", str(exc))
            else:
                messages.success(request, _submitted_message(submission.state))
                return redirect("portal:supplier-training", code=supplier.code)
    status = selectors.training_status(supplier.pk, today())
    if request.GET.get("format") == "csv":
        return _training_csv(request, supplier, status)
    submissions = (TrainingSubmission.objects.filter(person__supplier=supplier)
                   .select_related("person", "course", "certificate"))
    return render(request, "portal/supplier_training.html", {
        "supplier": supplier, "status": status, "form": form, "can_submit": can_submit,
        "submissions": paginate(request, submissions, 20, "submissions_page"),
        "persons": paginate(request, status.persons, 50, "persons_page"),
        "is_supplier": roles.is_supplier_user(request.user),
    }, status=400 if form.is_bound and form.errors else 200)


def _training_csv(request, supplier, status):
    """The supplier's own export of its training status (person references included): for
    the supplier's users only; procurement's exports never carry person references."""
    if not roles.is_supplier_user(request.user):
        raise PermissionDenied
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="training-{supplier.code}-{status.day}.csv"'
    writer = csv.writer(response)
    writer.writerow(["person_ref", "is_esg_staff", "active", "trained", "course_code", "course_title", "status",
                     "completed_on"])
    for row in status.persons:
        for course in row.courses:
            writer.writerow([row.person.person_ref, str(row.person.is_esg_staff).lower(),
                             str(row.person.active).lower(), str(row.trained).lower(), course.course.code,
                             course_title(course.course), course.status,
                             course.completed_on.isoformat() if course.completed_on else ""])
    return response


@role_required
def supplier_emissions(request, code: str):
    """The supplier's yearly GHG inventories with their review, and the form to submit one."""
    supplier = supplier_for(request.user, code)
    can_submit = can_act_for_supplier(request.user, supplier)
    form = InventoryForm()
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied
        form = InventoryForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                inventory = services.inventory_submit(supplier=supplier, year=data.pop("year"), figures=data,
                                                      evidence=data.pop("evidence"), actor=request.user)
            except ValidationError as exc:
                apply_errors(form, exc)
            except uploads.StorageUnavailable as exc:
                form.add_error("evidence", str(exc))
            else:
                messages.success(request, _submitted_message(inventory.state))
                return redirect("portal:supplier-emissions", code=supplier.code)
    inventories = supplier.emission_inventories.select_related("evidence").order_by("-year")
    return render(request, "portal/supplier_emissions.html", {
        "supplier": supplier, "form": form, "can_submit": can_submit,
        "page": paginate(request, inventories, 20), "is_supplier": roles.is_supplier_user(request.user),
    }, status=400 if form.is_bound and form.errors else 200)


@procurement_required
def submission_queue(request):
    """Completions and inventories suppliers submitted, waiting for review."""
    try:
        supplier = identifier_param(request, "supplier")
    except BadQuery as exc:
        return bad_query_response(exc)
    completions = scope_to_user(TrainingSubmission.objects.filter(state=InventoryState.SUBMITTED)
                                .select_related("person__supplier", "course", "certificate")
                                .order_by("submitted_at", "id"), request.user, "person__supplier")
    inventories = scope_to_user(EmissionInventory.objects.filter(state=InventoryState.SUBMITTED)
                                .select_related("supplier", "evidence").order_by("submitted_at", "id"),
                                request.user, "supplier")
    if supplier:
        completions = completions.filter(person__supplier__code=supplier)
        inventories = inventories.filter(supplier__code=supplier)
    return render(request, "portal/submission_queue.html", {
        "completions": paginate(request, completions, 25, "completions_page"),
        "inventories": paginate(request, inventories, 25, "inventories_page"),
        "supplier": supplier, "review_form": ReviewForm(),
    })


def _review(request, review, label: str, decision: str):
    return review_and_return(request, decision, review, accepted=_("Accepted %(item)s.") % {"item": label},
                             rejected=_("Rejected %(item)s.") % {"item": label}, fallback="portal:submission-queue")


@require_POST
@writer_required
def training_review(request, pk: int, decision: str):
    submission = get_object_or_404(scope_to_user(TrainingSubmission.objects.select_related("person__supplier",
                                                                                           "course"),
                                                 request.user, "person__supplier"), pk=pk)
    label = _("the completion of %(course)s by %(person)s") % {"course": submission.course.code,
                                                                 "person": submission.person.person_ref}
    return _review(request, lambda **kw: services.training_submission_review(submission=submission, **kw), label,
                   decision)


@require_POST
@writer_required
def inventory_review(request, pk: int, decision: str):
    inventory = get_object_or_404(scope_to_user(EmissionInventory.objects.select_related("supplier"),
                                                request.user, "supplier"), pk=pk)
    label = _("the %(year)s inventory of %(supplier)s") % {"year": inventory.year, "supplier": inventory.supplier.code}
    return _review(request, lambda **kw: services.inventory_review(inventory=inventory, **kw), label,
                   decision)


# --------------------------------------------------------------------------- sessions and the yearly report


@procurement_required
def session_list(request):
    """Webinars and sessions, newest first, with their attendance counts; writers add one."""
    form = SessionForm(request.POST or None)
    if request.method == "POST":
        if not roles.can_write_master_data(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = sessions.session_create(code=data["code"], held_on=data["held_on"], topic=data["topic"],
                                                  course=data["course"], actor=request.user)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Session %(code)s added.") % {"code": session.code})
                return redirect("portal:session-detail", code=session.code)
    rows = (TrainingSession.objects.select_related("course")
            .annotate(attendees=Count("attendances"), suppliers=Count("attendances__person__supplier", distinct=True))
            .order_by("-held_on", "code"))
    return render(request, "portal/session_list.html", {"page": paginate(request, rows, 50), "form": form},
                  status=400 if form.is_bound and form.errors else 200)


@procurement_required
def session_detail(request, code: str):
    """A session's attendees by supplier; writers tick one supplier's persons (``?supplier=``)."""
    session = get_object_or_404(TrainingSession.objects.select_related("course"), code=code)
    try:
        supplier_code = identifier_param(request, "supplier")
    except BadQuery as exc:
        return bad_query_response(exc)
    supplier = get_object_or_404(visible_suppliers(request.user), code=supplier_code) if supplier_code else None
    error = None
    if request.method == "POST":
        if not roles.can_write_master_data(request.user) or supplier is None:
            raise PermissionDenied
        try:
            attended = [int(value) for value in request.POST.getlist("attended")]
        except ValueError:
            attended = [-1]
        try:
            added, removed = sessions.set_attendance(
                session=session, supplier=supplier, attended=attended,
                new_refs=request.POST.get("new_refs", "").splitlines(), actor=request.user)
        except ValidationError as exc:
            error = error_text(exc)
        else:
            messages.success(request, _("Attendance saved: %(added)s added, %(removed)s removed.") % {
                "added": added, "removed": removed})
            return redirect(f"{request.path}?supplier={supplier.code}")
    attendances = (session.attendances.select_related("person__supplier")
                   .order_by("person__supplier__code", "person__person_ref"))
    persons = ticked = None
    if supplier is not None:
        persons = supplier.training_persons.order_by("person_ref")
        ticked = set(attendances.filter(person__supplier=supplier).values_list("person_id", flat=True))
    return render(request, "portal/session_detail.html", {
        "session": session, "page": paginate(request, attendances, 100), "supplier": supplier,
        "persons": persons, "ticked": ticked, "error": error, "attendance_error": sessions.attendance_error(session),
    }, status=400 if error else 200)


@procurement_required
def training_report(request):
    """Per year: sessions, attendees, suppliers that attended or completed a course."""
    return render(request, "portal/training_report.html", {"rows": sessions.yearly_report()})
