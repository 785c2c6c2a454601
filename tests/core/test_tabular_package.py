"""The import reader checks an XLSX package before inflating it (core.uploads.check_ooxml_package)."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from core.tabular import UnreadableFile, read_table


def _workbook_bytes() -> bytes:
    book = Workbook()
    book.active.append(["code", "name"])
    book.active.append(["SUP-001", "Acme"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with_member(data: bytes, name: str, payload: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, payload)
    return out.getvalue()


def test_plain_workbook_is_read():
    table = read_table(_workbook_bytes())
    assert table.header == ["code", "name"]
    assert [cells for _, cells in table.rows] == [["SUP-001", "Acme"]]


def test_zip_bomb_member_is_refused_before_parsing():
    bomb = _with_member(_workbook_bytes(), "xl/media/padding.bin", b"\0" * (50 * 1024 * 1024))
    assert len(bomb) < 1024 * 1024
    with pytest.raises(UnreadableFile, match="(?i)inflate|compress|zip"):
        read_table(bomb)


def test_macro_workbook_is_refused():
    with pytest.raises(UnreadableFile, match="(?i)macro"):
        read_table(_with_member(_workbook_bytes(), "xl/vbaProject.bin", b"macro"))


def test_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(UnreadableFile):
        read_table(out.getvalue())
