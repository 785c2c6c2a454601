"""Portal pages of the third-party lists (docs/industry-files.md): upload an EcoVadis, CDP or
SBTi list → preview of the dry run (matched, to review, unmatched, refused) → commit; and the
match review queue where procurement confirms or rejects uncertain matches."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import uploads
from core.errors import DomainError
from core.importing import ImportFailed
from portal import exports, list_columns
from portal.access import procurement_required, writer_required
from portal.views.common import error_text, paginate
from scoring import thirdparty
from scoring.models import MatchReview, MatchReviewStatus, ThirdPartyList
from suppliers.models import Supplier

SESSION_KEY = "thirdparty_pending"
PENDING_DIR = "imports/pending"


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
    this session only) for the commit."""
    form = ThirdPartyUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form, "mappings": thirdparty.DEFAULT_MAPPINGS}
    if request.method == "POST" and form.is_valid():
        upload, data = form.cleaned_data["file"], form.cleaned_data
        try:
            uploads.check_import(upload)
            upload.seek(0)
            content = upload.read()
            result = _importer(request, data["kind"], data["mapping"], data["as_of"]).run(
                content, dry_run=True, filename=upload.name)
        except uploads.UploadRefused as refused:
            form.add_error("file", str(refused))
        except DomainError as exc:
            form.add_error("mapping", str(exc))
        except ImportFailed as failure:
            context["errors"] = failure.errors
        else:
            token = uuid.uuid4().hex
            stored = default_storage.save(f"{PENDING_DIR}/{token}.bin", ContentFile(content))
            pending = request.session.get(SESSION_KEY, {})
            pending[token] = {"stored": stored, "kind": data["kind"], "name": upload.name,
                              "mapping": data["mapping"],
                              "as_of": data["as_of"].isoformat() if data["as_of"] else ""}
            request.session[SESSION_KEY] = pending
            context.update(result=result.as_dict(), token=token, kind_label=ThirdPartyList(data["kind"]).label,
                           file_name=upload.name)
    return render(request, "portal/thirdparty_import.html", context)


@require_POST
@writer_required
def thirdparty_commit(request):
    """Commit the previewed file: validated again (the data may have moved since the preview)."""
    import datetime as dt

    pending = request.session.get(SESSION_KEY, {})
    item = pending.pop(request.POST.get("token", ""), None)
    request.session[SESSION_KEY] = pending
    if item is None:
        messages.error(request, _("That preview has expired or was already committed: upload the file again."))
        return redirect("portal:thirdparty-import")
    try:
        with default_storage.open(item["stored"], "rb") as handle:
            content = handle.read()
        as_of = dt.date.fromisoformat(item["as_of"]) if item["as_of"] else None
        result = _importer(request, item["kind"], item["mapping"], as_of).run(content, filename=item["name"])
    except ImportFailed as failure:
        messages.error(request, _("The file was refused; nothing was written: %(errors)s")
                       % {"errors": "; ".join(str(error) for error in failure.errors[:5])})
        return redirect("portal:thirdparty-import")
    finally:
        default_storage.delete(item["stored"])
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
