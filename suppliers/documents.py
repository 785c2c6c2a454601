"""Supplier documents: who may upload what for which supplier, and the one upload path.

The byte-level check (size, type by content, structure) is ``core.uploads``; the rules
here are the supplier domain's: a document belongs to one supplier for good (enforced by
``Document.save``), a supplier user uploads only for its own supplier, a certificate has
an expiry date, and evidence named by a value or a questionnaire is the same supplier's
document.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from core import uploads
from core.history import actor_fields, stamp
from suppliers.models import CERTIFICATE_KINDS, Document, DocumentKind, Supplier
from suppliers.selectors import can_act_for_supplier
from suppliers.services import ensure_supplier_user_may_submit

DOCUMENT_REF_PREFIX = "document:"


@transaction.atomic
def document_upload(*, supplier: Supplier, kind: str, title: str = "", upload, actor,
                    expires_on: dt.date | None = None) -> Document:
    """Store an uploaded file (a Django ``UploadedFile``) for ``supplier``.

    Rules: the actor may act for the supplier (procurement writers for any, a supplier
    user for its own; else ``PermissionDenied``); ``kind`` is a ``DocumentKind``; a
    certificate needs ``expires_on``; the file passes ``core.uploads.check_document``
    (size before reading, type by content, structure). Errors come as one
    ``ValidationError`` keyed by field (``kind``, ``expires_on``, ``file``); nothing is
    stored then. A storage that cannot write (disk full, read-only) raises
    ``core.uploads.StorageUnavailable`` (503) and nothing is stored either. The file is
    saved under a generated name; the original name is kept for display only. Recorded in the change log.
    """
    if not can_act_for_supplier(actor, supplier):
        raise PermissionDenied(_("Your role does not allow uploading documents for this supplier."))
    ensure_supplier_user_may_submit(actor=actor, supplier=supplier)  # a terminated supplier's users read only
    errors = {}
    if kind not in DocumentKind.values:
        errors["kind"] = _("Choose one of the document kinds.")
    if kind in CERTIFICATE_KINDS and expires_on is None:
        errors["expires_on"] = _("A certificate needs its expiry date.")
    try:
        file_kind = uploads.check_document(upload)
    except uploads.UploadRefused as exc:
        errors["file"] = str(exc)
    if errors:
        raise ValidationError(errors)
    who = actor_fields(actor)
    original = uploads.display_name(upload.name)
    document = Document(supplier=supplier, kind=kind, title=(title or original)[:200], original_name=original,
                        content_type=file_kind.content_type, size=upload.size, expires_on=expires_on,
                        uploaded_by=who["actor"], uploaded_by_label=who["actor_label"])
    uploads.store_file(document.file, uploads.stored_name(file_kind), File(upload))  # full disk: 503, nothing saved
    stamp(document, actor=actor).save()
    return document


def evidence_document_error(evidence_ref: str, supplier_id: int) -> str | None:
    """Why ``evidence_ref`` cannot stand as evidence for the supplier, or None.

    A reference ``document:<id>`` must name a document of the same supplier (another
    supplier's document and an unknown id get the same answer: no existence leak); any
    other reference (a link, free text) is not a document and passes. One query.
    """
    if not evidence_ref.startswith(DOCUMENT_REF_PREFIX):
        return None
    number = evidence_ref.removeprefix(DOCUMENT_REF_PREFIX)
    if number.isdigit() and Document.objects.filter(pk=int(number), supplier_id=supplier_id).exists():
        return None
    return _("No such document of this supplier.")
