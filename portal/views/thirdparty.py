"""Portal pages of the third-party lists (docs/industry-files.md): upload an EcoVadis, CDP or
SBTi list → preview of the dry run (matched, to review, unmatched, refused) → commit; and the
match review queue where procurement confirms or rejects uncertain matches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import roles, uploads
from core.errors import DomainError
from portal import exports, list_columns
from portal.access import can_act_for_supplier, procurement_required, role_required, supplier_for, writer_required
from portal.forms import EvidenceFileMixin, apply_errors
from portal.views import upload_flow
from portal.views.common import error_text, paginate, uploaded_evidence
from scoring import thirdparty
from scoring.methodology import CDP_GRADES
from scoring.models import EcoVadisMedal, MatchReview, MatchReviewStatus, ThirdPartyList, ValueState
from suppliers.models import Supplier

SESSION_KEY = "thirdparty_pending"


class ThirdPartyUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("List"), choices=ThirdPartyList.choices)
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))
    as_of = forms.DateField(label=gettext_lazy("Downloaded on (CDP, SBTi: the values' quarter)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    mapping = forms.CharField(
        label=gettext_lazy("Column mapping (one COLUMN=Header per line, only where the file differs)"),
        required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_mapping(self):
        mapping = {}
        for line in self.cleaned_data["mapping"].splitlines():
            if not line.strip():
                continue
            column, separator, header = line.partition("=")
            if not separator or not column.strip() or not header.strip():
                raise ValidationError(_("Write each line as COLUMN=Header, e.g. overall=Global Score."))
            mapping[column.strip()] = header.strip()
        return mapping


def _importer(request, kind, mapping, as_of):
    return thirdparty.IMPORTERS[kind](actor=request.user, mapping=mapping, as_of=as_of)


@writer_required
def thirdparty_import(request):
    """Upload and dry run: the preview of every row; the file waits (under a random name, for
    this session only) for the commit (``portal.views.upload_flow``)."""
    form = ThirdPartyUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "mappings": thirdparty.DEFAULT_MAPPINGS}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if upload_flow.preview(
                request, form=form, context=context, key=SESSION_KEY,
                dry_run=lambda content, name: _importer(request, data["kind"], data["mapping"], data["as_of"]).run(
                    content, dry_run=True, filename=name),
                details={"kind": data["kind"], "mapping": data["mapping"],
                         "as_of": data["as_of"].isoformat() if data["as_of"] else ""},
                field_errors={DomainError: "mapping"}):
            context["kind_label"] = ThirdPartyList(data["kind"]).label
    return render(request, "portal/thirdparty_import.html", context)


def _run_kept(request, item: dict, content: bytes):
    as_of = dt.date.fromisoformat(item["as_of"]) if item["as_of"] else None
    return _importer(request, item["kind"], item["mapping"], as_of).run(content, filename=item["name"])


@require_POST
@writer_required
def thirdparty_commit(request):
    """Commit the previewed file: validated again (the data may have moved since the preview)."""
    outcome = upload_flow.commit(request, key=SESSION_KEY, run=lambda item, content: _run_kept(request, item, content),
                                 back="portal:thirdparty-import")
    if isinstance(outcome, HttpResponse):
        return outcome
    item, result = outcome
    counts = result.as_dict()
    messages.success(request, _("%(name)s imported: %(matched)s matched (%(created)s values created, %(updated)s "
                                "updated), %(to_review)s to review, %(unmatched)s unmatched, %(refused)s refused.")
                     % {"name": item["name"], **counts})
    if counts["to_review"]:
        return redirect("portal:match-reviews")
    return redirect("portal:thirdparty-import")


class ConfirmForm(forms.Form):
    supplier_code = forms.CharField(label=gettext_lazy("Supplier code"), max_length=50)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False)


class RejectForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Reason"))


@procurement_required
def match_reviews(request):
    status = request.GET.get("status") or MatchReviewStatus.PENDING
    if status not in MatchReviewStatus.values:
        status = MatchReviewStatus.PENDING
    reviews = MatchReview.objects.filter(status=status).select_related("supplier").order_by("-created_at", "-id")
    if exports.wanted(request):
        return exports.export_response(request, f"match-reviews-{status}", list_columns.MATCH_REVIEW_COLUMNS, reviews)
    return render(request, "portal/match_reviews.html", {
        "page": paginate(request, reviews), "status": status, "statuses": MatchReviewStatus.choices,
    })


@require_POST
@writer_required
def match_review_decide(request, pk: int, decision: str):
    review = get_object_or_404(MatchReview, pk=pk)
    try:
        if decision == "confirm":
            form = ConfirmForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose the supplier."))
            supplier = Supplier.objects.filter(code=form.cleaned_data["supplier_code"].strip()).first()
            if supplier is None:
                raise ValidationError(_("Unknown supplier code."))
            thirdparty.match_review_confirm(review=review, supplier=supplier, actor=request.user,
                                            comment=form.cleaned_data["comment"])
            messages.success(request, _("Row %(line)s (%(name)s) confirmed as %(code)s; its values are applied.")
                             % {"line": review.line, "name": review.company_name, "code": supplier.code})
        elif decision == "reject":
            thirdparty.match_review_reject(review=review, actor=request.user, comment=request.POST.get("comment", ""))
            messages.success(request, _("Row %(line)s (%(name)s) rejected; nothing was written.")
                             % {"line": review.line, "name": review.company_name})
        else:
            raise ValidationError(_("Choose confirm or reject."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("portal:match-reviews")


# --------------------------------------------------------------------------- a supplier's own rating

RATING_INDICATORS = {ThirdPartyList.ECOVADIS: list(thirdparty.ECOVADIS_INDICATORS.values()),
                     ThirdPartyList.CDP: ["ENV-03"], ThirdPartyList.SBTI: ["ENV-04"]}


class _RatingForm(EvidenceFileMixin, forms.Form):
    evidence_file = forms.FileField(label=gettext_lazy("Evidence (the scorecard, score letter or dashboard page)"),
                                    required=False)



def _score_field(label, required=False):
    return forms.DecimalField(label=label, required=required, min_value=0, max_value=100, decimal_places=2)


class EcoVadisRatingForm(_RatingForm):
    published_on = forms.DateField(label=gettext_lazy("Publication date"),
                                   widget=forms.DateInput(attrs={"type": "date"}))
    medal = forms.ChoiceField(label=gettext_lazy("Medal"), choices=EcoVadisMedal.choices, initial=EcoVadisMedal.NONE)
    overall = _score_field(gettext_lazy("Overall score"), required=True)
    environment = _score_field(gettext_lazy("Environment"))
    labor_human_rights = _score_field(gettext_lazy("Labor & Human Rights"))
    ethics = _score_field(gettext_lazy("Ethics"))
    sustainable_procurement = _score_field(gettext_lazy("Sustainable Procurement"))
    field_order = ["published_on", "medal", "overall", "environment", "labor_human_rights", "ethics",
                   "sustainable_procurement", "evidence_file"]


class CdpRatingForm(_RatingForm):
    score = forms.ChoiceField(label=gettext_lazy("CDP climate change score"),
                              choices=[(grade, grade) for grade in CDP_GRADES])
    year = forms.IntegerField(label=gettext_lazy("Disclosure year"), required=False, min_value=2000)
    field_order = ["score", "year", "evidence_file"]


class SbtiRatingForm(_RatingForm):
    near_term_status = forms.ChoiceField(label=gettext_lazy("Near-term target status"), required=False, choices=[
        ("", gettext_lazy("— none —")), ("targets set", gettext_lazy("Targets set")),
        ("committed", gettext_lazy("Committed")), ("commitment removed", gettext_lazy("Commitment removed"))])
    long_term_status = forms.ChoiceField(label=gettext_lazy("Long-term (net-zero) target status"), required=False,
                                         choices=[("", gettext_lazy("— none —")),
                                                  ("targets set", gettext_lazy("Targets set")),
                                                  ("committed", gettext_lazy("Committed"))])
    net_zero_committed = forms.BooleanField(label=gettext_lazy("Net-zero committed"), required=False)
    field_order = ["near_term_status", "long_term_status", "net_zero_committed", "evidence_file"]


RATING_FORMS = {ThirdPartyList.ECOVADIS: EcoVadisRatingForm, ThirdPartyList.CDP: CdpRatingForm,
                ThirdPartyList.SBTI: SbtiRatingForm}


def _rating_fields(data: dict) -> dict:
    fields = {name: value for name, value in data.items() if name != "evidence_file"}
    for name, value in fields.items():
        if isinstance(value, Decimal):
            fields[name] = format(value.normalize(), "f")
    return fields


@role_required
def supplier_ratings(request, code: str):
    """A supplier's own EcoVadis scorecard, CDP score or SBTi status: the supplier's users (and
    procurement writers) enter it with its evidence; ``scoring.thirdparty.supplier_rating_submit``
    records the values (a supplier's count once procurement accepts them in the value review)."""
    supplier = supplier_for(request.user, code)
    can_submit = can_act_for_supplier(request.user, supplier)
    forms_by_kind = {kind: form_class(prefix=kind) for kind, form_class in RATING_FORMS.items()}
    kind = request.POST.get("kind", "")
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied
        if kind not in RATING_FORMS:
            return HttpResponseBadRequest("kind: choose ecovadis, cdp or sbti")
        form = forms_by_kind[kind] = RATING_FORMS[kind](request.POST, request.FILES, prefix=kind)
        if form.is_valid() and _submit_rating(request, supplier, kind, form):
            return redirect("portal:supplier-ratings", code=supplier.code)
    values = (supplier.indicator_values.filter(indicator__code__in=[c for codes in RATING_INDICATORS.values()
                                                                     for c in codes])
              .select_related("indicator").order_by("-submitted_at", "-id"))
    return render(request, "portal/supplier_ratings.html", {
        "supplier": supplier, "can_submit": can_submit, "page": paginate(request, values),
        "rating_forms": [(k, ThirdPartyList(k).label, forms_by_kind[k]) for k in RATING_FORMS],
        "is_supplier": roles.is_supplier_user(request.user),
    }, status=400 if request.method == "POST" else 200)


def _submit_rating(request, supplier, kind, form) -> bool:
    data = form.cleaned_data
    try:
        with transaction.atomic():
            evidence = ""
            if data.get("evidence_file"):
                evidence = uploaded_evidence(supplier, data["evidence_file"], actor=request.user,
                                             title=_("%(list)s evidence") % {"list": ThirdPartyList(kind).label})
            written = thirdparty.supplier_rating_submit(supplier=supplier, kind=kind, fields=_rating_fields(data),
                                                        actor=request.user, evidence_ref=evidence)
    except ValidationError as exc:
        apply_errors(form, exc)
        return False
    except uploads.StorageUnavailable as exc:
        form.add_error("evidence_file", str(exc))
        return False
    codes = ", ".join(f"{value.indicator.code} = {value.value}" for value in written)
    if written and written[0].state == ValueState.SUBMITTED:
        messages.success(request, _("Submitted %(values)s. They count once procurement accepts them.")
                         % {"values": codes})
    else:
        messages.success(request, _("Recorded and accepted: %(values)s.") % {"values": codes})
    return True
