"""Content sniffing of uploads (pure functions)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal import uploads
from tests.portal.conftest import PDF_BYTES, PNG_BYTES


def office_zip(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("a.pdf", PDF_BYTES, "pdf"),
    ("a.png", PNG_BYTES, "png"),
    ("a.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "jpeg"),
    ("cmrt.xlsx", office_zip("xl"), "xlsx"),
    ("policy.docx", office_zip("word"), "docx"),
    ("data.csv", "供应商,分数\nA,1\n".encode(), "csv"),
    ("data.csv", "供应商,分数\n".encode("gb18030"), "csv"),
    ("notes.txt", b"\xef\xbb\xbfplain text", "text"),
])
def test_accepted_kinds(name, content, kind):
    assert uploads.check_upload(SimpleUploadedFile(name, content)).key == kind


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("virus.pdf", b"MZ\x90\x00\x03", "not accepted"),
    ("page.html", b"<html><script>alert(1)</script>", "not accepted"),
    ("archive.zip", b"PK\x03\x04" + b"\x00" * 30, "not accepted"),
    ("binary.csv", b"a,b\x00\x01", "not accepted"),
    ("report.png", PDF_BYTES, "rename it to .pdf"),
    ("empty.pdf", b"", "empty"),
])
def test_refused_files_say_why(name, content, reason):
    with pytest.raises(uploads.UploadRefused, match=reason):
        uploads.check_upload(SimpleUploadedFile(name, content))


def test_plain_zip_is_not_an_office_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.exe", "MZ")
    assert uploads.sniff(buffer.getvalue(), io.BytesIO(buffer.getvalue()), ".xlsx") is None


def test_size_limit_comes_from_the_setting(settings):
    settings.DOCUMENT_MAX_MB = 1
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (1024 * 1024))
    with pytest.raises(uploads.UploadRefused, match="limit is 1 MB"):
        uploads.check_upload(big)


def test_default_limit_is_25_mb(settings):
    if hasattr(settings, "DOCUMENT_MAX_MB"):
        del settings.DOCUMENT_MAX_MB
    assert uploads.max_bytes() == 25 * 1024 * 1024


def test_display_name_keeps_any_script_and_drops_paths():
    assert uploads.display_name("C:\\Users\\王\\ISO 14001 证书.pdf") == "ISO 14001 证书.pdf"
    assert uploads.display_name("../../etc/passwd") == "passwd"
    assert uploads.display_name("a\x00b\nc.pdf") == "abc.pdf"
    assert len(uploads.display_name("x" * 300 + ".pdf")) == 200


def test_stored_name_is_generated():
    name = uploads.stored_name(uploads.PDF)
    assert name.endswith(".pdf") and len(name) == 36 and "/" not in name
