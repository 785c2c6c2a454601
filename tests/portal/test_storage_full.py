"""A full or read-only media directory: every upload door answers a clear error (API 503
JSON, a form error in the portal), leaves no partial file and writes no row
(``core.uploads.store_file``, docs/reliability.md)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import CapEvidence
from scoring.models import IndicatorValue
from suppliers.models import Document
from tests import files

pytestmark = pytest.mark.django_db

MESSAGE = "the file could not be stored: No space left on device; nothing was saved. Try again later."


@pytest.fixture
def disk_full(monkeypatch):
    """The storage writes part of the file, then the disk is full."""
    real_save = FileSystemStorage._save

    def _save(self, name, content):
        written = real_save(self, name, SimpleUploadedFile(name, b"%PDF-partial"))
        assert Path(self.path(written)).read_bytes() == b"%PDF-partial"
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", _save)


def media_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(path) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_documents_api(world, api_as, settings, disk_full):
    response = api_as("supplier_user").post(
        "/api/v1/documents/", {"kind": "policy", "file": SimpleUploadedFile("p.pdf", files.PDF)}, format="multipart")
    assert response.status_code == 503
    assert response.json() == {"detail": MESSAGE}
    assert not Document.objects.exists() and media_files(settings) == []


def test_portal_document_upload(world, client_as, settings, disk_full):
    response = client_as("supplier_user").post(
        "/suppliers/OWN-1/documents/", {"kind": "policy", "file": SimpleUploadedFile("p.pdf", files.PDF)})
    assert response.status_code == 400
    assert response.context["form"].errors == {"file": [MESSAGE]}
    assert not Document.objects.exists() and media_files(settings) == []


def test_cap_evidence_api(world, api_as, settings, disk_full):
    cap = world.own_finding.corrective_action
    response = api_as("supplier_user").post(f"/api/v1/corrective-actions/{cap.pk}/evidence/",
                                            {"file": SimpleUploadedFile("roster.pdf", files.PDF)}, format="multipart")
    assert response.status_code == 503
    assert response.json() == {"detail": MESSAGE}
    assert not CapEvidence.objects.exists() and media_files(settings) == []


def test_cap_evidence_portal(world, client_as, settings, disk_full):
    response = client_as("supplier_user").post("/findings/F-OWN-1/cap/evidence/",
                                               {"file": SimpleUploadedFile("roster.pdf", files.PDF)})
    assert response.status_code == 400
    assert response.context["evidence_form"].errors["file"] == [MESSAGE]
    assert not CapEvidence.objects.exists() and media_files(settings) == []


def test_uploads_work_again_once_the_disk_has_room(world, api_as, settings):
    response = api_as("supplier_user").post(
        "/api/v1/documents/", {"kind": "policy", "file": SimpleUploadedFile("p.pdf", files.PDF)}, format="multipart")
    assert response.status_code == 201
    assert len(media_files(settings)) == 1
    cap = world.own_finding.corrective_action
    response = api_as("supplier_user").post(f"/api/v1/corrective-actions/{cap.pk}/evidence/",
                                            {"file": SimpleUploadedFile("roster.pdf", files.PDF)}, format="multipart")
    assert response.status_code == 201 and CapEvidence.objects.get().file.read() == files.PDF


def test_portal_value_with_its_evidence_file(world, client_as, settings, disk_full):
    before = IndicatorValue.objects.count()
    response = client_as("supplier_user").post("/suppliers/OWN-1/values/", {
        "quarter": "2026-Q3", "indicator": "ENV-01", "value": "yes",
        "evidence_file": SimpleUploadedFile("evidence.pdf", files.PDF)})
    assert response.context["form"].errors == {"evidence_file": [MESSAGE]}
    assert IndicatorValue.objects.count() == before
    assert not Document.objects.exists() and media_files(settings) == []
