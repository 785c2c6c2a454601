"""The one upload checker (``core.uploads``): pure functions over bytes and files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from core import uploads
from tests import files

PDF_BYTES, PNG_BYTES = files.PDF, files.PNG


def office_zip(folder: str) -> bytes:
    return files.package({"[Content_Types].xml": "<Types/>", f"{folder}/document.xml": "<x/>"})


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
    ("virus.pdf", files.EXE, "not accepted"),
    ("page.html", files.HTML, "not accepted"),
    ("page.csv", files.HTML, "HTML, SVG and XML"),
    ("logo.svg", files.SVG, "not accepted"),
    ("logo.txt", files.SVG, "HTML, SVG and XML"),
    ("scan.pdf", files.FAKE_PDF, "not a readable PDF"),
    ("old.xls", files.XLS, "Legacy Office"),
    ("macro.xlsm", files.xlsm(), "Macro-enabled"),
    ("macro.xlsx", files.xlsm(), "Macro-enabled"),
    ("renamed.xlsx", files.vba_only(), "Macro-enabled"),
    ("archive.zip", b"PK\x03\x04" + b"\x00" * 30, "not a readable zip"),
    ("binary.csv", b"a,b\x00\x01", "not accepted"),
    ("report.png", PDF_BYTES, "rename it to .pdf"),
    ("empty.pdf", b"", "empty"),
])
def test_refused_files_say_why(name, content, reason):
    with pytest.raises(uploads.UploadRefused, match=reason):
        uploads.check_upload(SimpleUploadedFile(name, content))


def test_plain_zip_is_not_an_office_file():
    with pytest.raises(uploads.UploadRefused, match="zip archive, not an Office document"):
        uploads.check_upload(SimpleUploadedFile("a.xlsx", files.package({"evil.exe": "MZ"})))


def test_size_limit_comes_from_the_setting(settings):
    settings.DOCUMENT_MAX_MB = 1
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (1024 * 1024))
    with pytest.raises(uploads.UploadRefused, match="limit is 1 MB"):
        uploads.check_upload(big)


def test_default_limit_is_25_mb(settings):
    if hasattr(settings, "DOCUMENT_MAX_MB"):
        del settings.DOCUMENT_MAX_MB
    assert uploads.document_max_bytes() == 25 * 1024 * 1024


def test_display_name_keeps_any_script_and_drops_paths():
    assert uploads.display_name("C:\\Users\\王\\ISO 14001 证书.pdf") == "ISO 14001 证书.pdf"
    assert uploads.display_name("../../etc/passwd") == "passwd"
    assert uploads.display_name("a\x00b\nc.pdf") == "abc.pdf"
    assert len(uploads.display_name("x" * 300 + ".pdf")) == 200


def test_stored_name_is_generated():
    name = uploads.stored_name(uploads.PDF)
    assert name.endswith(".pdf") and len(name) == 36 and "/" not in name


def test_a_zip_bomb_is_refused_from_the_central_directory():
    bomb = files.zip_bomb(inflated_mb=50)
    assert len(bomb) < 200 * 1024  # ~50 kB that inflate to 50 MB
    with pytest.raises(uploads.UploadRefused, match="zip bomb"):
        uploads.check_upload(SimpleUploadedFile("spend.xlsx", bomb), kinds=uploads.IMPORT_KINDS)
    with pytest.raises(uploads.UploadRefused, match="zip bomb"):
        uploads.check_ooxml_package(bomb)


def test_the_total_inflated_size_is_capped(monkeypatch):
    monkeypatch.setattr(uploads, "ZIP_MAX_TOTAL", 2 * uploads.MB)
    members = {"[Content_Types].xml": files.XLSX_CONTENT_TYPES}
    members.update({f"xl/worksheets/sheet{n}.xml": bytes(range(256)) * 4096 for n in range(3)})  # 1 MB each
    with pytest.raises(uploads.UploadRefused, match="inflates to 3 MB"):
        uploads.check_ooxml_package(files.package(members, compression=zipfile.ZIP_STORED))


def test_check_ooxml_package_takes_bytes_paths_and_files(tmp_path):
    data = files.xlsx()
    path = tmp_path / "a.xlsx"
    path.write_bytes(data)
    stream = io.BytesIO(data)
    assert uploads.check_ooxml_package(data) == "xlsx"
    assert uploads.check_ooxml_package(path) == "xlsx"
    assert uploads.check_ooxml_package(stream) == "xlsx" and stream.tell() == 0


def test_a_large_real_workbook_passes_the_caps():
    """Many rows of realistic cells compress far below 200:1 (a 1,000,000-row sheet is the
    same text repeated: its ratio does not grow with the row count)."""
    rows = [[f"SUP-{n:05d}", "2026-Q3", "CNY", f"{n * 1234.5:.2f}"] for n in range(20_000)]
    data = files.xlsx(rows)
    assert uploads.check_upload(SimpleUploadedFile("spend.xlsx", data), kinds=uploads.IMPORT_KINDS) == uploads.XLSX


def test_import_kinds_are_csv_and_xlsx_with_the_import_limit(settings):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    assert uploads.check_import(SimpleUploadedFile("a.csv", b"code,name\nA,B\n")) == uploads.CSV
    with pytest.raises(uploads.UploadRefused, match="Upload CSV or XLSX"):
        uploads.check_import(SimpleUploadedFile("a.pdf", PDF_BYTES))
    with pytest.raises(uploads.UploadRefused, match="limit is 1 MB"):
        uploads.check_import(SimpleUploadedFile("a.csv", b"a,b\n" * (300 * 1024)))


REAL_WORLD = Path(settings.BASE_DIR).parent / "shared" / "cases" / "real-world"


@pytest.mark.skipif(not REAL_WORLD.is_dir(), reason="shared real-world cases not laid beside the clone")
def test_real_world_workbooks_pass():
    workbooks = sorted(REAL_WORLD.glob("*.xlsx"))
    assert workbooks
    for path in workbooks:
        assert uploads.check_ooxml_package(path) == "xlsx", path.name


class _Unreadable:
    """An upload that fails the test if anything reads it."""

    name = "huge.pdf"
    size = 30 * 1024 * 1024

    def read(self, *args):
        raise AssertionError("the checker read an oversize file")

    def seek(self, *args):
        raise AssertionError("the checker touched an oversize file")


def test_the_size_is_refused_before_a_byte_is_read():
    with pytest.raises(uploads.UploadRefused, match="The file is 30.0 MB; the limit is 25 MB"):
        uploads.check_document(_Unreadable())
