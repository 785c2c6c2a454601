"""Onboarding screening of candidate suppliers: the supplier answers the questionnaire
with evidence, procurement gives a verdict per item and decides."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import roles
from core.quarter import today as business_day
from portal import exports, list_columns, selectors
from portal.access import can_act_for_supplier, procurement_required, role_required, supplier_for
from portal.forms import (
    ScreeningAnswersForm,
    ScreeningConditionMetForm,
    ScreeningDecisionForm,
    ScreeningReturnForm,
    ScreeningReviewForm,
    apply_errors,
)
from portal.views.common import error_text, paginate
from suppliers import screening as services
from suppliers.models import ScreeningCondition, ScreeningStatus, SupplierStatus
from suppliers.services import supplier_status_change


@procurement_required
def screening_board(request):
    if exports.wanted(request):
        return exports.export_response(request, "screening", list_columns.SCREENING_COLUMNS,
                                       selectors.screenings_board(request.user), prepare=_with_latest)
    page = paginate(request, selectors.screenings_board(request.user))
    latest = selectors.latest_screenings([supplier.pk for supplier in page.object_list])
    return render(request, "portal/screening_board.html", {
        "page": page, "rows": [(supplier, latest.get(supplier.pk)) for supplier in page.object_list],
    })


def _with_latest(suppliers: list) -> list[tuple]:
    """Each candidate with its latest screening (one query for the chunk)."""
    latest = selectors.latest_screenings([supplier.pk for supplier in suppliers])
    return [(supplier, latest.get(supplier.pk)) for supplier in suppliers]


def _forms(supplier, screening, **bound):
    items = list(screening.items.select_related("evidence")) if screening else []
    documents = supplier.documents.order_by("-uploaded_at")
    return {
        "answers_form": bound.get("answers_form") or ScreeningAnswersForm(items=items, documents=documents),
        "review_form": bound.get("review_form") or ScreeningReviewForm(items=items),
        "decision_form": bound.get("decision_form") or ScreeningDecisionForm(),
        "return_form": bound.get("return_form") or ScreeningReturnForm(),
        "items": items,
    }


@role_required
def screening_detail(request, code: str, status: int = 200, **bound):
    supplier = supplier_for(request.user, code)
    screening = services.latest_screening(supplier)
    day = business_day()
    context = {
        "supplier": supplier, "screening": screening, "can_act": can_act_for_supplier(request.user, supplier),
        "is_writer": roles.can_write_master_data(request.user),
        "can_open": (roles.can_write_master_data(request.user) and supplier.status == SupplierStatus.CANDIDATE
                     and (screening is None or screening.status == ScreeningStatus.DECIDED)),
        "history": supplier.screenings.all()[:10],
        # (condition, overdue today): the rule is the model's (ScreeningCondition.is_overdue)
        "conditions": ([(condition, condition.is_overdue(day)) for condition in screening.condition_items.all()]
                       if screening else []),
        "separation_error": (services.separation_error(screening, request.user)
                             if screening and screening.status == ScreeningStatus.SUBMITTED else None),
        "can_activate": (roles.can_write_master_data(request.user) and supplier.status == SupplierStatus.CANDIDATE
                         and screening is not None and screening.allows_activation),
        "met_form": bound.get("met_form") or ScreeningConditionMetForm(),
        **_forms(supplier, screening, **bound),
    }
    return render(request, "portal/screening_detail.html", context, status=status)


@require_POST
@role_required
def screening_action(request, code: str, action: str):
    supplier = supplier_for(request.user, code)
    if action == "open":
        return _screening_open(request, supplier)
    screening = services.latest_screening(supplier)
    if screening is None:
        raise Http404
    if action in ("answer", "submit"):
        return _screening_answer(request, supplier, screening, submit=action == "submit")
    if not roles.can_write_master_data(request.user):
        raise PermissionDenied
    handler = {"review": _screening_review, "return": _screening_return, "decide": _screening_decide,
               "activate": _screening_activate, "condition-met": _screening_condition_met}.get(action)
    if handler is None:
        raise Http404
    return handler(request, supplier.code, screening)


def _screening_open(request, supplier):
    if not roles.can_write_master_data(request.user):
        raise PermissionDenied
    try:
        services.screening_open(supplier=supplier, actor=request.user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Questionnaire opened; the supplier can answer it now."))
    return redirect("portal:screening-detail", code=supplier.code)


def _screening_answer(request, supplier, screening, *, submit: bool):
    code = supplier.code
    if not can_act_for_supplier(request.user, supplier):
        raise PermissionDenied
    items = list(screening.items.all())
    form = ScreeningAnswersForm(request.POST, items=items, documents=supplier.documents.all())
    if not form.is_valid():
        return screening_detail(request, code, status=400, answers_form=form)
    try:
        services.screening_answer(screening=screening, answers=form.answers(), actor=request.user)
        if submit:
            services.screening_submit(screening=screening, actor=request.user)
    except ValidationError as exc:
        apply_errors(form, exc)
        return screening_detail(request, code, status=400, answers_form=form)
    messages.success(request, _("Questionnaire submitted for review.") if submit
                     else _("Answers saved; submit the questionnaire when it is complete."))
    return redirect("portal:screening-detail", code=code)


def _screening_review(request, code: str, screening):
    form = ScreeningReviewForm(request.POST, items=list(screening.items.all()))
    if form.is_valid():
        try:
            services.screening_review(screening=screening, verdicts=form.verdicts(), actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Verdicts saved."))
            return redirect("portal:screening-detail", code=code)
    return screening_detail(request, code, status=400, review_form=form)


def _screening_return(request, code: str, screening):
    form = ScreeningReturnForm(request.POST)
    if form.is_valid():
        try:
            services.screening_return(screening=screening, actor=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Questionnaire returned to the supplier."))
            return redirect("portal:screening-detail", code=code)
    return screening_detail(request, code, status=400, return_form=form)


def _screening_decide(request, code: str, screening):
    form = ScreeningDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.screening_decide(screening=screening, decision=data["decision"], actor=request.user,
                                      comment=data.get("comment", ""), conditions=form.conditions())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("portal:screening-detail", code=code)
    return screening_detail(request, code, status=400, decision_form=form)


def _screening_activate(request, code: str, screening):
    """Activate the candidate right after an activating decision (the same status rule as
    the supplier page: ``suppliers.services.supplier_status_change``)."""
    reason = _("Activated after the onboarding screening (%(decision)s).") % {
        "decision": screening.get_decision_display()}
    try:
        supplier_status_change(supplier=screening.supplier, status=SupplierStatus.ACTIVE, actor=request.user,
                               reason=reason)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("portal:screening-detail", code=code)
    messages.success(request, _("The supplier is active."))
    return redirect("portal:supplier-detail", code=code)


def _screening_condition_met(request, code: str, screening):
    try:
        condition = screening.condition_items.get(pk=int(request.POST.get("condition", "")))
    except (ValueError, ScreeningCondition.DoesNotExist):
        raise Http404 from None
    form = ScreeningConditionMetForm(request.POST)
    if form.is_valid():
        try:
            services.screening_condition_met(condition=condition, actor=request.user,
                                             met_on=form.cleaned_data.get("met_on"),
                                             note=form.cleaned_data.get("note", ""))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Condition recorded as met."))
            return redirect("portal:screening-detail", code=code)
    return screening_detail(request, code, status=400, met_form=form)
