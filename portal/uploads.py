"""Checking an uploaded file by its content, never by the name or the browser's claim.

Pure functions over bytes and file objects: the allow-list of kinds (PDF, PNG, JPEG,
XLSX, DOCX, CSV/plain text), the size limit and a safe stored name.
"""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _


class UploadRefused(ValueError):
    """The file is not acceptable; the message says why in the user's language."""


@dataclass(frozen=True)
class FileKind:
    key: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileKind("pdf", "application/pdf", (".pdf",))
PNG = FileKind("png", "image/png", (".png",))
JPEG = FileKind("jpeg", "image/jpeg", (".jpg", ".jpeg"))
XLSX = FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx", ".xlsm"))
DOCX = FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
CSV = FileKind("csv", "text/csv", (".csv",))
TEXT = FileKind("text", "text/plain", (".txt",))
KINDS = (PDF, PNG, JPEG, XLSX, DOCX, CSV, TEXT)
ALLOWED_EXTENSIONS = tuple(ext for kind in KINDS for ext in kind.extensions)

_TEXT_SAMPLE = 64 * 1024


def max_bytes() -> int:
    """The size limit: setting ``DOCUMENT_MAX_MB`` (default 25 MB)."""
    return int(getattr(settings, "DOCUMENT_MAX_MB", 25)) * 1024 * 1024


def sniff(head: bytes, stream=None, extension: str = "") -> FileKind | None:
    """The kind of a file from its first bytes (``head``); ``stream`` (seekable) lets a
    zip be opened to tell XLSX from DOCX from any other zip. Text has no magic number:
    it is accepted for ``.csv``/``.txt`` names when it decodes as UTF-8 or GB18030 and
    holds no NUL byte."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(stream if stream is not None else io.BytesIO(head))
    if extension in CSV.extensions + TEXT.extensions and _is_text(head):
        return CSV if extension in CSV.extensions else TEXT
    return None


def _office_kind(stream) -> FileKind | None:
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        stream.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if any(name.startswith("xl/") for name in names):
        return XLSX
    if any(name.startswith("word/") for name in names):
        return DOCX
    return None


def _is_text(sample: bytes) -> bool:
    if b"\x00" in sample:
        return False
    if sample.startswith(b"\xef\xbb\xbf"):
        sample = sample[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            # The sample may end inside a multi-byte character: drop at most 3 bytes.
            for cut in range(4):
                try:
                    sample[: len(sample) - cut].decode(encoding)
                    return True
                except UnicodeDecodeError:
                    if cut == 3:
                        raise
        except UnicodeDecodeError:
            continue
    return False


def check_upload(upload) -> FileKind:
    """Validate a Django ``UploadedFile``: size, then content against the allow-list, then
    that the name's extension fits the content. Raises ``UploadRefused``."""
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise UploadRefused(_("The file is %(size)s MB; the limit is %(limit)s MB.")
                            % {"size": f"{upload.size / 1024 / 1024:.1f}", "limit": limit // (1024 * 1024)})
    if not upload.size:
        raise UploadRefused(_("The file is empty."))
    extension = os.path.splitext(upload.name or "")[1].lower()
    upload.seek(0)
    head = upload.read(_TEXT_SAMPLE)
    upload.seek(0)
    kind = sniff(head, upload, extension)
    if kind is None:
        raise UploadRefused(_("This type of file is not accepted. Upload a PDF, PNG, JPEG, XLSX, DOCX, CSV or "
                              "plain-text file."))
    if extension not in kind.extensions:
        raise UploadRefused(_("The file's content is %(kind)s but its name ends in “%(ext)s”; rename it to "
                              "%(expected)s.") % {"kind": kind.key.upper(), "ext": extension or _("nothing"),
                                                  "expected": kind.extensions[0]})
    return kind


def display_name(name: str) -> str:
    """The original file name for display and download: the last path part, control
    characters removed, at most 200 characters (any script kept)."""
    base = os.path.basename((name or "").replace("\\", "/"))
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip() or "file"
    if len(cleaned) > 200:
        stem, ext = os.path.splitext(cleaned)
        cleaned = stem[: 200 - len(ext)] + ext
    return cleaned


def stored_name(kind: FileKind) -> str:
    """A generated name that reveals nothing and cannot escape the upload folder."""
    return f"{uuid.uuid4().hex}{kind.extensions[0]}"
