"""Every door a file comes in by goes through the one checker (``core.uploads``): the
documents API, the portal's document upload, CAP evidence (API and portal) and the API
imports. Each hostile file is refused with its reason and nothing is stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import CapEvidence
from suppliers.models import Document, Supplier
from tests import files

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def hostile(limit_mb: int = 1) -> list[tuple[str, bytes, str]]:
    """(file name, content, what the refusal says); the oversize file is just over ``limit_mb``."""
    return [
        ("page.html", files.HTML, "not accepted"),
        ("page.csv", files.HTML, "HTML, SVG and XML"),
        ("logo.svg", files.SVG, "not accepted"),
        ("setup.exe", files.EXE, "not accepted"),
        ("scan.pdf", files.FAKE_PDF, "not a readable PDF"),
        ("big.pdf", files.PDF + b"0" * (limit_mb * MB), f"limit is {limit_mb} MB"),
        ("macro.xlsm", files.xlsm(), "Macro-enabled"),
        ("renamed.xlsx", files.vba_only(), "Macro-enabled"),
        ("old.xls", files.XLS, "Legacy Office"),
        ("bomb.xlsx", files.zip_bomb(), "zip bomb"),
    ]


def stored_files(settings, folder: str) -> list[str]:
    root = settings.MEDIA_ROOT / folder
    return sorted(path.name for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_documents_api(world, api_as, settings):
    settings.DOCUMENT_MAX_MB = 1
    client = api_as("supplier_user")
    for name, content, why in hostile():
        response = client.post("/api/v1/documents/", {"kind": "policy", "file": SimpleUploadedFile(name, content)},
                               format="multipart")
        assert response.status_code == 400, name
        assert why in response.json()["file"][0], (name, response.json())
    assert not Document.objects.exists() and stored_files(settings, "documents") == []
    good = client.post("/api/v1/documents/", {"kind": "policy", "file": SimpleUploadedFile("p.pdf", files.PDF)},
                       format="multipart")
    assert good.status_code == 201 and len(stored_files(settings, "documents")) == 1


def test_portal_document_upload(world, client_as, settings):
    settings.DOCUMENT_MAX_MB = 1
    client = client_as("supplier_user")
    for name, content, why in hostile():
        response = client.post("/suppliers/OWN-1/documents/",
                               {"kind": "policy", "file": SimpleUploadedFile(name, content)})
        assert response.status_code == 400, name
        assert why in " ".join(response.context["form"].errors["file"]), name
    assert not Document.objects.exists() and stored_files(settings, "documents") == []


def test_cap_evidence_api(world, api_as, settings):
    cap = world.own_finding.corrective_action
    client = api_as("supplier_user")
    url = f"/api/v1/corrective-actions/{cap.pk}/evidence/"
    settings.DOCUMENT_MAX_MB = 1
    for name, content, why in hostile():
        response = client.post(url, {"file": SimpleUploadedFile(name, content)}, format="multipart")
        assert response.status_code == 400, name
        assert why in response.json()["file"][0], (name, response.json())
    # The file of the report: 30 MB against the default 25 MB limit.
    del settings.DOCUMENT_MAX_MB
    response = client.post(url, {"file": SimpleUploadedFile("big.pdf", files.PDF + b"0" * (30 * MB))},
                           format="multipart")
    assert response.status_code == 400 and "limit is 25 MB" in response.json()["file"][0]
    assert not CapEvidence.objects.exists() and stored_files(settings, "cap-evidence") == []
    good = client.post(url, {"file": SimpleUploadedFile("roster.pdf", files.PDF)}, format="multipart")
    assert good.status_code == 201 and CapEvidence.objects.count() == 1


def test_cap_evidence_portal(world, client_as, settings):
    settings.DOCUMENT_MAX_MB = 1
    client = client_as("supplier_user")
    for name, content, why in hostile():
        response = client.post("/findings/F-OWN-1/cap/evidence/", {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 400, name
        assert why in " ".join(response.context["evidence_form"].errors["file"]), name
    assert not CapEvidence.objects.exists() and stored_files(settings, "cap-evidence") == []


def test_api_import(world, api_as, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    client = api_as("procurement_analyst")
    before = Supplier.objects.count()
    samples = hostile() + [("suppliers.pdf", files.PDF, "Upload CSV or XLSX")]
    for name, content, why in samples:
        response = client.post("/api/v1/suppliers/import/", {"file": SimpleUploadedFile(name, content)},
                               format="multipart")
        assert response.status_code == 400, name
        body = response.json()
        assert why in body["file"][0] and "nothing was written" in body["detail"], (name, body)
    assert Supplier.objects.count() == before
    good = files.xlsx([["code", "name", "country", "category"], ["NEW-1", "New Ltd", "CN", "production"]])
    response = client.post("/api/v1/suppliers/import/", {"file": SimpleUploadedFile("s.xlsx", good)},
                           format="multipart")
    assert response.status_code == 200, response.json()
    assert Supplier.objects.filter(code="NEW-1").exists()


def test_minerals_reports_api_and_portal(world, api_as, client_as, settings):
    from disclosure.models import MineralsReport

    settings.IMPORT_MAX_UPLOAD_MB = 1
    api = api_as("procurement_analyst")
    portal = client_as("supplier_user")
    code = Supplier.objects.get(code="OWN-1").code
    for name, content, why in hostile() + [("cmrt.pdf", files.PDF, "Upload CSV or XLSX")]:
        response = api.post("/api/v1/minerals-reports/", {"file": SimpleUploadedFile(name, content),
                                                          "template": "cmrt", "supplier_code": code},
                            format="multipart")
        assert response.status_code == 400, name
        assert why in response.json()["file"][0] and "nothing was written" in response.json()["detail"], name
        page = portal.post(f"/suppliers/{code}/minerals/", {"file": SimpleUploadedFile(name, content),
                                                           "template": "cmrt"})
        assert page.status_code == 400 and why.split("“")[0] in page.content.decode().replace("&#x27;", "'"), name
    assert MineralsReport.objects.count() == 0
