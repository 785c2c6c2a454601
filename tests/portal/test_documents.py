"""Document uploads: checked by content and size, stored under a generated name, shown
with who/when, served only to users who may see the supplier; expiring certificates."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.core.files.uploadedfile import SimpleUploadedFile

from suppliers.models import Document
from tests import clock
from tests.history import changes
from tests.portal.conftest import PDF_BYTES


def upload(client, code="OWN-1", **fields):
    expires_on = (clock.today() + dt.timedelta(days=365)).isoformat()
    data = {"kind": "iso_14001", "title": "ISO 14001", "expires_on": expires_on,
            "file": SimpleUploadedFile("ISO 14001 证书.pdf", PDF_BYTES, content_type="application/pdf")}
    data.update(fields)
    return client.post(f"/suppliers/{code}/documents/", data)


def test_supplier_uploads_a_certificate(world, client_as):
    response = upload(client_as("supplier_user"))
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.original_name == "ISO 14001 证书.pdf"
    assert document.content_type == "application/pdf"
    assert document.file.name.startswith(f"documents/{world.own.pk}/")
    assert "证书" not in document.file.name and document.file.name.endswith(".pdf")
    assert document.uploaded_by_label == "supplier_user"
    assert [row["action"] for row in changes(Document, document.pk)] == ["created"]
    page = client_as("supplier_user").get("/suppliers/OWN-1/documents/").content.decode()
    assert "ISO 14001 证书.pdf" in page and "supplier_user" in page


def test_download_keeps_the_original_name(world, client_as):
    upload(client_as("supplier_user"))
    document = Document.objects.get()
    response = client_as("supplier_user").get(f"/documents/{document.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert quote("ISO 14001 证书.pdf") in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_refused_upload_keeps_the_other_fields_and_says_why(world, client_as):
    bad = SimpleUploadedFile("cert.pdf", b"MZ\x90 executable", content_type="application/pdf")
    response = upload(client_as("supplier_user"), file=bad, title="我的证书")
    assert response.status_code == 400
    form = response.context["form"]
    assert "not accepted" in form.errors["file"][0]
    assert form["title"].value() == "我的证书"
    assert not Document.objects.exists()


def test_certificate_needs_its_expiry_date(world, client_as):
    response = upload(client_as("supplier_user"), expires_on="")
    assert response.status_code == 400
    assert response.context["form"].errors["expires_on"]


def test_size_limit(world, client_as, settings):
    settings.DOCUMENT_MAX_MB = 1
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (1024 * 1024 + 1))
    response = upload(client_as("supplier_user"), file=big)
    assert response.status_code == 400
    assert "limit is 1 MB" in response.context["form"].errors["file"][0]


def test_viewer_cannot_upload(world, client_as):
    assert upload(client_as("viewer")).status_code == 403


def test_supplier_cannot_upload_for_another_supplier(world, client_as):
    assert upload(client_as("supplier_user"), code="OTHER-1").status_code == 404


def test_expiring_certificates_are_listed_for_supplier_and_procurement(world, client_as):
    soon = (world.today + dt.timedelta(days=30)).isoformat()
    later = (world.today + dt.timedelta(days=400)).isoformat()
    upload(client_as("supplier_user"), expires_on=soon, title="Soon")
    upload(client_as("procurement_analyst"), code="OTHER-1", expires_on=later, title="Later")
    procurement = client_as("viewer").get("/documents/expiring/")
    assert [d.title for d in procurement.context["page"].object_list] == ["Soon"]
    assert [d.title for d in client_as("viewer").get("/dashboard/").context["documents"]] == ["Soon"]
    mine = client_as("supplier_user").get("/suppliers/OWN-1/documents/")
    assert [d.title for d in mine.context["expiring"]] == ["Soon"]
    wide = client_as("viewer").get("/documents/expiring/?days=500")
    assert [d.title for d in wide.context["page"].object_list] == ["Soon", "Later"]
