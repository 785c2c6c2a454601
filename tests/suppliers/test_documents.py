"""Supplier document rules (``suppliers.documents``): who uploads for whom, and a
document's supplier never changes after upload, whatever the path (admin included)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core import roles
from suppliers.documents import document_upload
from suppliers.models import Document
from tests import files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(supplier, user, **kwargs):
    return document_upload(supplier=supplier, kind=kwargs.pop("kind", "policy"), actor=user,
                           upload=SimpleUploadedFile("p.pdf", files.PDF), **kwargs)


def test_a_supplier_user_uploads_only_for_its_own_supplier(own_supplier, other_supplier, role_users):
    user = role_users[roles.SUPPLIER_USER]
    with pytest.raises(PermissionDenied):
        upload(other_supplier, user)
    with pytest.raises(PermissionDenied):
        upload(own_supplier, role_users[roles.VIEWER])
    with pytest.raises(ValidationError) as refused:
        upload(own_supplier, user, kind="malware")
    assert list(refused.value.message_dict) == ["kind"]
    assert not Document.objects.exists()
    assert upload(own_supplier, user).supplier == own_supplier
    assert upload(other_supplier, role_users[roles.PROCUREMENT_ANALYST]).supplier == other_supplier


def test_a_documents_supplier_never_changes(own_supplier, other_supplier, role_users, client):
    document = upload(own_supplier, role_users[roles.SUPPLIER_USER])
    document.supplier = other_supplier
    with pytest.raises(ValidationError):
        document.save()
    with pytest.raises(ValidationError):
        document.full_clean()
    admin = role_users[roles.PROCUREMENT_ADMIN]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    response = client.post(f"/admin/suppliers/document/{document.pk}/change/", {
        "supplier": other_supplier.pk, "kind": "policy", "title": "moved", "original_name": "p.pdf",
        "content_type": "application/pdf", "size": 10})
    assert response.status_code == 403  # documents are read-only in the admin (docs/security.md)
    assert Document.objects.get(pk=document.pk).supplier_id == own_supplier.pk
