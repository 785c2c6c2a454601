"""Supplier list, supplier page (scorecard, history, sites, spend, audits, documents),
status changes, and the indicator values a supplier reports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from audits import selectors as audit_selectors
from core import roles, uploads
from disclosure import selectors as disclosure_selectors
from portal import charts, exports, list_columns, selectors
from portal.access import can_act_for_supplier, role_required, supplier_for, writer_required
from portal.forms import IndicatorValueForm, OwnerForm, StatusChangeForm, apply_errors
from portal.views.common import back_to, error_text, paginate, selected_ids, today, uploaded_evidence
from scoring import services as scoring_services
from scoring.models import ValueState
from suppliers import screening as supplier_screening
from suppliers import services as supplier_services
from suppliers.models import Supplier, SupplierCategory, SupplierStatus
from suppliers.selectors import status_changes_for

GRADE_BANDS = (("A", 85), ("B", 70), ("C", 50))
FLAGS = ("termination_review", "no_valid_audit", "audit_expiring", "open_priority_finding", "low_completeness",
         "no_ecovadis")


@role_required
def supplier_list(request):
    quarters = selectors.scored_quarters()
    quarter = selectors.pick_quarter(request.GET.get("quarter"), quarters)
    get = request.GET
    filters = {name: get.get(name, "").strip() for name in
               ("query", "country", "category", "status", "grade", "population", "flag")}
    filters["query"] = get.get("q", "").strip()
    filters["mine"] = "1" if get.get("mine") == "1" and roles.is_procurement(request.user) else ""
    rows = selectors.supplier_rows(request.user, quarter, sort=get.get("sort", "code"), **filters)
    if exports.wanted(request):
        return exports.export_response(request, "suppliers", list_columns.supplier_columns(request.user), rows)
    return render(request, "portal/supplier_list.html", {
        "page": paginate(request, rows, 50, count=selectors.supplier_count(request.user, quarter, **filters)),
        "quarters": quarters, "quarter": quarter, "filters": filters,
        "countries": selectors.supplier_countries(request.user), "categories": SupplierCategory.choices,
        "statuses": SupplierStatus.choices, "grades": "ABCDX", "flags": FLAGS,
        "filtered": any(filters.values()),
        "owner_form": OwnerForm() if roles.can_write_master_data(request.user) else None,
    })


@require_POST
@writer_required
def suppliers_bulk_owner(request):
    """The supplier list's "assign owner" for the selected suppliers, with an optional
    reason (``suppliers.services.suppliers_set_owner``; all or nothing)."""
    form = OwnerForm(request.POST)
    ids = selected_ids(request)
    try:
        if ids is None:
            raise ValidationError(_("The selection is not a list of suppliers; reload the page."))
        if not form.is_valid():
            raise ValidationError(_("Choose an analyst or administrator as the owner."))
        owner = form.cleaned_data["owner"]
        changed = supplier_services.suppliers_set_owner(supplier_ids=ids, owner=owner, actor=request.user,
                                                        reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        names = {"count": len(changed), "owner": owner.get_username() if owner else _("nobody")}
        messages.success(request, ngettext("Owner of %(count)d supplier set to %(owner)s.",
                                           "Owner of %(count)d suppliers set to %(owner)s.", len(changed)) % names)
    return back_to(request, "portal:supplier-list")


@role_required
def supplier_detail(request, code: str):
    supplier = supplier_for(request.user, code)
    day = today()
    scores = selectors.stored_scores(supplier)  # one query for the quarters, the card and the history
    quarters = [score.quarter for score in reversed(scores)]
    quarter = selectors.pick_quarter(request.GET.get("quarter"), quarters)
    quarter = quarter if quarter in quarters else (quarters[0] if quarters else None)
    card = selectors.scorecard(supplier, quarter, scores) if quarter else None
    change = selectors.score_change(supplier, quarter, scores, card.params) if card else None
    history = selectors.history(supplier, scores)
    history_chart = charts.line_chart(
        _("Score by quarter"), [(entry["quarter"], float(entry["score"])) for entry in history], y_max=100,
        bands=GRADE_BANDS,
    ) if history else None
    # The buyer's spend is internal: a supplier user sees neither it nor its rank.
    internal = roles.sees_internal_data(request.user)
    spend = selectors.spend_in_base(supplier, settings.BASE_CURRENCY) if internal else []
    spend_chart = charts.line_chart(
        _("Spend by quarter (%(currency)s)") % {"currency": settings.BASE_CURRENCY},
        [(entry["quarter"], float(entry["base"]) if entry["complete"] else None) for entry in spend],
        value_format=charts.compact_number,
    ) if spend else None
    cycle = selectors.supplier_cycle(supplier, day)
    sites = list(supplier.sites.order_by("code"))
    foc = audit_selectors.site_recognitions([site.pk for site in sites], day)
    training = disclosure_selectors.training_status(supplier.pk, day)
    documents = supplier.documents.all()
    screening = supplier_screening.latest_screening(supplier)
    is_procurement = roles.is_procurement(request.user)
    reviews = selectors.termination_reviews(supplier) if is_procurement or supplier.termination_review else []
    return render(request, "portal/supplier_detail.html", {
        "supplier": supplier, "quarters": quarters, "quarter": quarter, "card": card, "change": change,
        "history": history, "history_chart": history_chart, "spend": spend, "spend_chart": spend_chart,
        "base_currency": settings.BASE_CURRENCY,
        "sites": [(site, cycle.get(site.pk)) for site in sites], "foc": foc,
        "training": training if training.persons else None,
        "audits": paginate(request, selectors.supplier_audits(supplier), 10, "audits_page"),
        "documents": paginate(request, documents, 10, "documents_page"),
        "open_findings": selectors.board_findings(request.user, day, supplier=supplier.code).count(),
        "status_changes": status_changes_for(request.user, supplier, limit=10), "internal": internal,
        "changes": selectors.change_history(request.user, Supplier, id=supplier.pk),
        "status_form": StatusChangeForm(initial={"status": supplier.status}),
        "screening": screening, "activation_error": (supplier_screening.activation_error(supplier)
                                                     if supplier.status == SupplierStatus.CANDIDATE else None),
        "can_act": can_act_for_supplier(request.user, supplier),
        "open_review": next((review for review in reviews if review.is_open), None),
        # Who decided and why is procurement's business, not the supplier's.
        "termination_decision": next((review for review in reviews if not review.is_open), None)
        if is_procurement else None,
        "today": day, "minerals": selectors.minerals_summary(supplier, day),
    })


@require_POST
@writer_required
def supplier_status(request, code: str):
    supplier = supplier_for(request.user, code)
    form = StatusChangeForm(request.POST)
    if form.is_valid():
        try:
            supplier_services.supplier_status_change(supplier=supplier, status=form.cleaned_data["status"],
                                            actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Status changed to %(status)s.") % {
                "status": supplier.get_status_display()})
            return redirect("portal:supplier-detail", code=supplier.code)
    return render(request, "portal/supplier_status.html", {"supplier": supplier, "form": form}, status=400)


@require_POST
@writer_required
def supplier_owner(request, code: str):
    """Set or clear the supplier's owner (category manager), recorded with the reason."""
    supplier = supplier_for(request.user, code)
    form = OwnerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an analyst or administrator as the owner."))
        return redirect("portal:supplier-detail", code=supplier.code)
    try:
        supplier_services.supplier_set_owner(supplier=supplier, owner=form.cleaned_data["owner"],
                                             actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        owner = form.cleaned_data["owner"]
        messages.success(request, _("Owner set to %(owner)s.") % {"owner": owner.get_username()} if owner
                         else _("The supplier has no owner now."))
    return redirect("portal:supplier-detail", code=supplier.code)


@role_required
def supplier_values(request, code: str):
    """The supplier's reported values with their review outcome, and the form to submit one."""
    supplier = supplier_for(request.user, code)
    can_submit = can_act_for_supplier(request.user, supplier)
    documents = supplier.documents.order_by("-uploaded_at")
    form = IndicatorValueForm(documents=documents)
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied
        form = IndicatorValueForm(request.POST, request.FILES, documents=documents)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    evidence = ""
                    if data.get("evidence_file"):
                        evidence = uploaded_evidence(
                            supplier, data["evidence_file"], actor=request.user,
                            title=_("Evidence for %(code)s %(quarter)s") % {"code": data["indicator"].code,
                                                                             "quarter": data["quarter"]})
                    elif data.get("evidence_document"):
                        evidence = f"document:{data['evidence_document'].pk}"
                    elif data.get("evidence_link"):
                        evidence = data["evidence_link"]
                    value = scoring_services.indicator_value_submit(
                        supplier=supplier, quarter=data["quarter"], indicator=data["indicator"], value=data["value"],
                        source=data.get("source", ""), evidence_ref=evidence, actor=request.user)
            except ValidationError as exc:
                apply_errors(form, exc)
            except uploads.StorageUnavailable as exc:
                form.add_error("evidence_file", str(exc))
            else:
                if value.state == ValueState.SUBMITTED:
                    messages.success(request, _("Value submitted. It counts once procurement accepts it."))
                else:
                    messages.success(request, _("Value recorded and accepted."))
                return redirect("portal:supplier-values", code=supplier.code)
    values = selectors.supplier_values(supplier)
    state = request.GET.get("state", "")
    if state in ValueState.values:
        values = values.filter(state=state)
    return render(request, "portal/supplier_values.html", {
        "supplier": supplier, "form": form, "can_submit": can_submit, "page": paginate(request, values),
        "state": state, "states": ValueState.choices, "is_supplier": roles.is_supplier_user(request.user),
    }, status=400 if form.is_bound and form.errors else 200)
