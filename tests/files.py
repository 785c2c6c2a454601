"""Upload samples built in memory: a real PDF, office packages, and the hostile files the
upload checker must refuse (HTML, SVG, executables, a fake PDF, a macro workbook, a zip bomb)."""

from __future__ import annotations

import io
import zipfile

from pypdf import PdfWriter


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF = _pdf()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
# The start of a Windows PE executable (DOS header with its "MZ" magic number).
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200
FAKE_PDF = b"%PDF-1.7\n" + EXE
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512

XLSX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/></Types>')
XLSM_CONTENT_TYPES = XLSX_CONTENT_TYPES.replace(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml")


def package(members: dict[str, bytes | str], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx(rows: list[list[str]] | None = None) -> bytes:
    """A real workbook written by openpyxl."""
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows or [["a", "b"], ["1", "2"]]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsm() -> bytes:
    """A macro-enabled workbook: the macro content type and a VBA project."""
    return package({"[Content_Types].xml": XLSM_CONTENT_TYPES, "xl/workbook.xml": "<workbook/>",
                    "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 64})


def vba_only() -> bytes:
    """An ordinary content type but a VBA project inside (renamed .xlsm)."""
    return package({"[Content_Types].xml": XLSX_CONTENT_TYPES, "xl/workbook.xml": "<workbook/>",
                    "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 64})


def zip_bomb(inflated_mb: int = 50) -> bytes:
    """An XLSX-shaped package whose sheet inflates ~1000:1 (a run of one character)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", XLSX_CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b"0" * (1024 * 1024)
            for _ in range(inflated_mb):
                sheet.write(chunk)
    return buffer.getvalue()
