"""The ``documents`` endpoint for every role: scoped lists, 404 for another supplier's
document, uploads checked by content like the portal's, downloads under the original name."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from core import roles
from suppliers.models import Document
from tests import clock
from tests.history import changes
from tests.portal.conftest import PDF_BYTES, PNG_BYTES

pytestmark = pytest.mark.django_db

READERS = [roles.PROCUREMENT_ADMIN, roles.PROCUREMENT_ANALYST, roles.VIEWER]
WRITERS = [roles.PROCUREMENT_ADMIN, roles.PROCUREMENT_ANALYST]


def stored(supplier, *, kind="policy", title="Policy", name="policy.pdf", expires_on=None, content=PDF_BYTES):
    document = Document(supplier=supplier, kind=kind, title=title, original_name=name,
                        content_type="application/pdf", size=len(content), expires_on=expires_on)
    document.file.save("x.pdf", ContentFile(content), save=True)
    return document


@pytest.fixture
def documents(own_supplier, other_supplier):
    today = clock.today()
    return {
        "own_cert": stored(own_supplier, kind="iso_14001", title="ISO 14001", name="ISO 14001 证书.pdf",
                           expires_on=today + dt.timedelta(days=30)),
        "own_policy": stored(own_supplier),
        "other_cert": stored(other_supplier, kind="iso_9001", title="ISO 9001",
                             expires_on=today + dt.timedelta(days=400)),
    }


def ids(response):
    assert response.status_code == 200, response.content[:300]
    return sorted(row["id"] for row in response.json()["results"])


def upload(client, **fields):
    expires_on = (clock.today() + dt.timedelta(days=365)).isoformat()
    data = {"kind": "iso_14001", "title": "ISO 14001", "expires_on": expires_on,
            "file": SimpleUploadedFile("ISO 14001 证书.pdf", PDF_BYTES, content_type="application/pdf")}
    data.update(fields)
    return client.post("/api/v1/documents/", data, format="multipart")


def stored_files(settings):
    root = settings.MEDIA_ROOT / "documents"
    return sorted(path.name for path in root.rglob("*") if path.is_file()) if root.exists() else []


# --------------------------------------------------------------------------- reading


def test_anonymous_and_roleless_users_are_refused(api_as, documents):
    assert api_as(None).get("/api/v1/documents/").status_code in (401, 403)
    assert api_as("no_role").get("/api/v1/documents/").status_code == 403
    assert api_as("no_role").get(f"/api/v1/documents/{documents['own_cert'].pk}/download/").status_code == 403


@pytest.mark.parametrize("role", READERS)
def test_procurement_roles_list_every_document(api_as, documents, role):
    assert ids(api_as(role).get("/api/v1/documents/")) == sorted(d.pk for d in documents.values())


def test_supplier_user_sees_only_its_own_documents_and_404_for_others(api_as, documents):
    client = api_as(roles.SUPPLIER_USER)
    own, other = documents["own_cert"], documents["other_cert"]
    assert ids(client.get("/api/v1/documents/")) == sorted([own.pk, documents["own_policy"].pk])
    row = client.get(f"/api/v1/documents/{own.pk}/").json()
    assert row["supplier_code"] == "OWN-1" and row["original_name"] == "ISO 14001 证书.pdf"
    assert row["is_certificate"] is True and "file" not in row
    assert row["download_url"].endswith(f"/api/v1/documents/{own.pk}/download/")
    assert client.get(f"/api/v1/documents/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/documents/{other.pk}/download/").status_code == 404
    assert client.get("/api/v1/documents/?supplier=OTHER-1").json()["count"] == 0
    assert client.get("/api/v1/documents/?search=ISO 9001").json()["count"] == 0


def test_filters_supplier_kind_and_expiring_before(api_as, documents):
    client = api_as(roles.VIEWER)
    soon = (clock.today() + dt.timedelta(days=90)).isoformat()
    assert ids(client.get("/api/v1/documents/?supplier=OTHER-1")) == [documents["other_cert"].pk]
    assert ids(client.get("/api/v1/documents/?kind=policy")) == [documents["own_policy"].pk]
    assert ids(client.get(f"/api/v1/documents/?expires_before={soon}")) == [documents["own_cert"].pk]
    assert ids(client.get("/api/v1/documents/?certificate=true")) == sorted(
        [documents["own_cert"].pk, documents["other_cert"].pk])
    assert client.get("/api/v1/documents/?expires_before=soon").status_code == 400


@pytest.mark.parametrize("role", [*READERS, roles.SUPPLIER_USER])
def test_download_streams_the_file_under_its_original_name(api_as, documents, role):
    response = api_as(role).get(f"/api/v1/documents/{documents['own_cert'].pk}/download/",
                                HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('ISO 14001 证书.pdf', safe='')}" in disposition
    assert 'filename="ISO 14001 __.pdf"' in disposition  # the ASCII fallback
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_of_a_missing_file_is_404(api_as, documents):
    document = documents["own_policy"]
    document.file.storage.delete(document.file.name)
    assert api_as(roles.VIEWER).get(f"/api/v1/documents/{document.pk}/download/").status_code == 404


# --------------------------------------------------------------------------- uploading


def test_supplier_user_uploads_for_its_own_supplier(api_as, own_supplier, role_users):
    response = upload(api_as(roles.SUPPLIER_USER))
    assert response.status_code == 201, response.json()
    document = Document.objects.get()
    assert response.json()["id"] == document.pk
    assert document.supplier == own_supplier  # no supplier_code: its own supplier
    assert document.original_name == "ISO 14001 证书.pdf" and document.content_type == "application/pdf"
    assert document.file.name.startswith(f"documents/{own_supplier.pk}/") and "证书" not in document.file.name
    assert document.uploaded_by == role_users[roles.SUPPLIER_USER]
    [created] = changes(Document, document.pk)
    assert (created["action"], created["user"], created["channel"]) == ("created", roles.SUPPLIER_USER, "api")
    assert upload(api_as(roles.SUPPLIER_USER), supplier_code="OWN-1").status_code == 201


def test_supplier_user_naming_another_supplier_gets_a_field_error(api_as, other_supplier, settings):
    client = api_as(roles.SUPPLIER_USER)
    for code in ("OTHER-1", "NO-SUCH"):  # the same answer: no existence leak
        response = upload(client, supplier_code=code)
        assert response.status_code == 400
        assert list(response.json()) == ["supplier_code"]
    assert not Document.objects.exists() and stored_files(settings) == []


@pytest.mark.parametrize("role", WRITERS)
def test_procurement_writers_upload_for_any_supplier(api_as, other_supplier, role):
    response = upload(api_as(role), supplier_code="OTHER-1", kind="cmrt", expires_on="",
                      file=SimpleUploadedFile("logo.png", PNG_BYTES))
    assert response.status_code == 201, response.json()
    assert Document.objects.get().supplier == other_supplier
    assert response.json()["content_type"] == "image/png"


def test_procurement_must_name_the_supplier(api_as, own_supplier):
    response = upload(api_as(roles.PROCUREMENT_ANALYST))
    assert response.status_code == 400 and "supplier_code" in response.json()


@pytest.mark.parametrize("role", [roles.VIEWER, "no_role"])
def test_viewers_and_roleless_users_cannot_upload(api_as, own_supplier, role, settings):
    assert upload(api_as(role), supplier_code="OWN-1").status_code == 403
    assert not Document.objects.exists() and stored_files(settings) == []


@pytest.mark.parametrize(("name", "content", "why"), [
    ("cert.pdf", b"MZ\x90\x00 executable", "not accepted"),
    ("cert.exe", PDF_BYTES, "rename it"),
    ("notes.txt", b"", "empty"),
])
def test_bad_file_is_a_field_error_and_nothing_is_stored(api_as, own_supplier, settings, name, content, why):
    response = upload(api_as(roles.SUPPLIER_USER), file=SimpleUploadedFile(name, content))
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["file"] and why in errors["file"][0]
    assert not Document.objects.exists() and stored_files(settings) == []


def test_size_limit_and_certificate_expiry(api_as, own_supplier, settings):
    settings.DOCUMENT_MAX_MB = 1
    client = api_as(roles.SUPPLIER_USER)
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (1024 * 1024 + 1))
    response = upload(client, file=big)
    assert response.status_code == 400 and "limit is 1 MB" in response.json()["file"][0]
    response = upload(client, expires_on="")
    assert response.status_code == 400 and list(response.json()) == ["expires_on"]
    assert not Document.objects.exists() and stored_files(settings) == []


def test_documents_cannot_be_changed_or_deleted(api_as, documents):
    url = f"/api/v1/documents/{documents['own_policy'].pk}/"
    assert api_as(roles.PROCUREMENT_ADMIN).patch(url, {"title": "x"}).status_code == 405
    assert api_as(roles.PROCUREMENT_ADMIN).delete(url).status_code == 405


def test_endpoint_is_in_the_openapi_schema(api_as):
    response = api_as(roles.VIEWER).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/documents/{id}/download/" in response.content
