"""Supplier documents: list and upload, download (scoped), expiring certificates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from audits.models import CapEvidence
from core import uploads
from core.uploads import display_name
from portal import exports, list_columns, selectors
from portal.access import can_act_for_supplier, role_required, supplier_for
from portal.downloads import file_response
from portal.forms import DocumentForm, apply_errors
from portal.views.common import paginate, today
from suppliers.documents import document_upload
from suppliers.models import Document, DocumentKind
from suppliers.selectors import scope_to_user


@role_required
def supplier_documents(request, code: str):
    supplier = supplier_for(request.user, code)
    can_upload = can_act_for_supplier(request.user, supplier)
    form = DocumentForm()
    if request.method == "POST":
        if not can_upload:
            raise PermissionDenied
        form = DocumentForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                document = document_upload(
                    supplier=supplier, kind=data["kind"], title=data.get("title", ""), upload=data["file"],
                    expires_on=data.get("expires_on"), actor=request.user)
            except ValidationError as exc:
                apply_errors(form, exc)
            except uploads.StorageUnavailable as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(request, _("“%(name)s” uploaded.") % {"name": document.original_name})
                return redirect("portal:supplier-documents", code=supplier.code)
    documents = supplier.documents.all()
    kind = request.GET.get("kind", "")
    if kind in DocumentKind.values:
        documents = documents.filter(kind=kind)
    day = today()
    return render(request, "portal/supplier_documents.html", {
        "supplier": supplier, "form": form, "can_upload": can_upload, "page": paginate(request, documents),
        "kind": kind, "kinds": DocumentKind.choices, "today": day,
        "expiring": selectors.expiring_documents(request.user, day).filter(supplier=supplier),
    }, status=400 if form.is_bound and form.errors else 200)


@role_required
def document_download(request, pk: int):
    """Serve a document to a user who may see its supplier; anyone else gets 404."""
    document = get_object_or_404(scope_to_user(Document.objects.all(), request.user, "supplier"), pk=pk)
    return file_response(document.file, document.original_name, document.content_type)


@role_required
def cap_evidence_download(request, pk: int):
    evidence = get_object_or_404(
        scope_to_user(CapEvidence.objects.all(), request.user, "corrective_action__finding__audit__site__supplier"),
        pk=pk)
    return file_response(evidence.file, display_name(evidence.file.name), "application/octet-stream")


@role_required
def expiring_documents(request):
    day = today()
    days = request.GET.get("days", "90")
    days = int(days) if days.isdigit() and int(days) <= 3650 else 90
    documents = selectors.expiring_documents(request.user, day, days)
    if exports.wanted(request):
        return exports.export_response(request, "expiring-certificates",
                                       list_columns.expiring_document_columns(day), documents)
    return render(request, "portal/expiring_documents.html", {
        "page": paginate(request, documents), "days": days, "today": day,
    })
