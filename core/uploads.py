"""The one check every uploaded file goes through: documents, CAP evidence and imports.

Checked by content, never by the name or the browser's claim, in this order, each step
cheap before the next reads more:

1. **size** from ``UploadedFile.size`` before a byte is read (Django has already streamed a
   large body to a temporary file, not to memory): ``DOCUMENT_MAX_MB`` for documents and
   evidence, ``IMPORT_MAX_UPLOAD_MB`` for imports;
2. **type** from the first bytes with ``filetype`` against an allow-list; text has no magic
   number and is accepted for ``.csv``/``.txt`` names when it decodes (UTF-8 or GB18030),
   holds no NUL byte and is not markup (HTML, SVG, XML);
3. **structure** where it is cheap: a PDF must open with ``pypdf`` (a file that merely
   starts with ``%PDF`` is refused); a zip must be a real OOXML package (XLSX or DOCX), not
   macro-enabled (no ``vbaProject.bin``, no ``macroEnabled`` content type) and no zip bomb
   (``check_ooxml_package``: sizes read from the central directory, nothing inflated);
4. the name's **extension** must fit the content.

Pure functions over bytes and file objects; ``UploadRefused`` carries the reason in the
user's language. No domain model is known here. ``store_file`` is the one door that writes
an accepted upload to storage: a full or read-only media directory is ``StorageUnavailable``
(503), with no partial file left behind.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
import zipfile
import zlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import DomainError

MB = 1024 * 1024
# Zip-bomb guard (issue: a 311 KB XLSX inflating to 300 MB). A 1,000,000-row XLSX inflates
# to a few hundred MB at ratios of 10-30:1, far inside both caps.
ZIP_MAX_TOTAL = 1024 * MB
ZIP_MAX_RATIO = 200
# Below this inflated size a member cannot hurt, whatever its ratio (empty and tiny parts
# of real workbooks compress far beyond 200:1).
ZIP_RATIO_FLOOR = 1 * MB
ZIP_MAX_MEMBERS = 10_000
_CONTENT_TYPES = "[Content_Types].xml"
_CONTENT_TYPES_MAX = 1 * MB

_SAMPLE = 64 * 1024


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
XLSX = FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
DOCX = FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
CSV = FileKind("csv", "text/csv", (".csv",))
TEXT = FileKind("text", "text/plain", (".txt",))
DOCUMENT_KINDS = (PDF, PNG, JPEG, XLSX, DOCX, CSV, TEXT)
IMPORT_KINDS = (CSV, XLSX)
ALLOWED_EXTENSIONS = tuple(ext for kind in DOCUMENT_KINDS for ext in kind.extensions)
_BY_MIME = {"application/pdf": PDF, "image/png": PNG, "image/jpeg": JPEG}


def document_max_bytes() -> int:
    """The size limit of documents and CAP evidence: setting ``DOCUMENT_MAX_MB`` (default 25)."""
    return int(getattr(settings, "DOCUMENT_MAX_MB", 25)) * MB


def import_max_bytes() -> int:
    """The size limit of an import file: setting ``IMPORT_MAX_UPLOAD_MB`` (default 200)."""
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_MB", 200)) * MB


def check_document(upload) -> FileKind:
    """A document or a piece of CAP evidence: PDF, PNG, JPEG, XLSX, DOCX, CSV or text, at
    most ``DOCUMENT_MAX_MB``. Raises ``UploadRefused``."""
    return check_upload(upload, kinds=DOCUMENT_KINDS, limit=document_max_bytes())


def check_import(upload) -> FileKind:
    """An import file: CSV or XLSX, at most ``IMPORT_MAX_UPLOAD_MB``. Raises ``UploadRefused``."""
    return check_upload(upload, kinds=IMPORT_KINDS, limit=import_max_bytes())


def check_upload(upload, *, kinds: tuple[FileKind, ...] = DOCUMENT_KINDS, limit: int | None = None) -> FileKind:
    """Validate a Django ``UploadedFile`` (anything with ``name``, ``size``, ``read``,
    ``seek``): size, content against ``kinds``, structure, then the name's extension.
    Returns the kind; raises ``UploadRefused``. The file is left at position 0."""
    limit = document_max_bytes() if limit is None else limit
    size = upload.size
    if size is not None and size > limit:
        raise UploadRefused(_("The file is %(size)s MB; the limit is %(limit)s MB.")
                            % {"size": f"{size / MB:.1f}", "limit": limit // MB})
    if not size:
        raise UploadRefused(_("The file is empty."))
    extension = os.path.splitext(upload.name or "")[1].lower()
    upload.seek(0)
    head = upload.read(_SAMPLE)
    upload.seek(0)
    try:
        kind = _sniff(head, upload, extension)
        if kind is not None and kind not in kinds:
            kind = None
        if kind is None:
            raise UploadRefused(_refused_type(kinds))
        if extension not in kind.extensions:
            raise UploadRefused(_("The file's content is %(kind)s but its name ends in “%(ext)s”; rename it to "
                                  "%(expected)s.") % {"kind": kind.key.upper(), "ext": extension or _("nothing"),
                                                      "expected": kind.extensions[0]})
    finally:
        upload.seek(0)
    return kind


def _refused_type(kinds: tuple[FileKind, ...]) -> str:
    if kinds == DOCUMENT_KINDS:
        return _("This type of file is not accepted. Upload a PDF, PNG, JPEG, XLSX, DOCX, CSV or plain-text file.")
    if kinds == IMPORT_KINDS:
        return _("This type of file is not accepted. Upload CSV or XLSX.")
    return _("This type of file is not accepted. Upload %(kinds)s.") % {
        "kinds": ", ".join(kind.key.upper() for kind in kinds)}


def _sniff(head: bytes, stream, extension: str) -> FileKind | None:
    guess = filetype.guess(head)
    mime = guess.mime if guess is not None else None
    if mime == "application/pdf":
        _check_pdf(stream)
        return PDF
    if mime in _BY_MIME:
        return _BY_MIME[mime]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadRefused(_("Legacy Office files (.xls, .doc) are not accepted: save the file as XLSX or DOCX."))
    if head.startswith(b"PK\x03\x04"):
        return {"xlsx": XLSX, "docx": DOCX}[check_ooxml_package(stream)]
    if guess is not None:
        return None  # an executable, an archive, an image we do not take...
    if extension in CSV.extensions + TEXT.extensions and _is_text(head):
        if _is_markup(head):
            raise UploadRefused(_("HTML, SVG and XML files are not accepted."))
        return CSV if extension in CSV.extensions else TEXT
    return None


def _check_pdf(stream) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    stream.seek(0)
    # pypdf logs every repair it attempts on a broken file; the refusal says enough.
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(stream)
        if len(reader.pages) < 1:
            raise UploadRefused(_("The PDF has no pages."))
    except UploadRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError) as exc:
        raise UploadRefused(_("The file starts like a PDF but is not a readable PDF document.")) from exc
    finally:
        logger.setLevel(level)
        stream.seek(0)


def check_ooxml_package(data_or_file) -> str:
    """Check a zip before anything parses it: a real OOXML package (``[Content_Types].xml``
    and an ``xl/`` or ``word/`` part), not macro-enabled, and no zip bomb.

    ``data_or_file``: bytes, a path or a seekable binary file. Only the central directory
    (the declared sizes) and ``[Content_Types].xml`` are read; nothing else is inflated.
    Python's zip reader never inflates a member beyond its declared size, so the caps hold
    when a parser streams the package afterwards. Returns ``"xlsx"`` or ``"docx"``; raises
    ``UploadRefused`` when the package is not acceptable: members inflating beyond
    ``ZIP_MAX_TOTAL`` (1 GB) in total, any member over ``ZIP_MAX_RATIO`` (200:1) once it
    inflates beyond ``ZIP_RATIO_FLOOR``, a ``vbaProject.bin`` or a macro-enabled content
    type (``.xlsm``, ``.docm``), or no OOXML structure at all.
    """
    if isinstance(data_or_file, bytes | bytearray):
        stream = io.BytesIO(data_or_file)
    elif isinstance(data_or_file, str | os.PathLike):
        with open(data_or_file, "rb") as handle:
            return check_ooxml_package(handle)
    else:
        stream = data_or_file
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            _check_zip_sizes(members)
            names = {member.filename for member in members}
            if _CONTENT_TYPES not in names:
                raise UploadRefused(_("The file is a zip archive, not an Office document."))
            if any(name.rsplit("/", 1)[-1].lower() == "vbaproject.bin" for name in names):
                raise UploadRefused(_("Macro-enabled workbooks and documents (.xlsm, .docm) are not accepted: "
                                      "save the file as XLSX or DOCX."))
            if archive.getinfo(_CONTENT_TYPES).file_size > _CONTENT_TYPES_MAX:
                raise UploadRefused(_("The Office document's structure is not valid."))
            content_types = archive.read(_CONTENT_TYPES)
    except UploadRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError,
            NotImplementedError) as exc:
        raise UploadRefused(_("The file is damaged: it is not a readable zip package.")) from exc
    finally:
        stream.seek(0)
    if b"macroenabled" in content_types.lower():
        raise UploadRefused(_("Macro-enabled workbooks and documents (.xlsm, .docm) are not accepted: "
                              "save the file as XLSX or DOCX."))
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    if any(name.startswith("word/") for name in names):
        return "docx"
    raise UploadRefused(_("The file is a zip archive, not an XLSX or DOCX document."))


def _check_zip_sizes(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > ZIP_MAX_MEMBERS:
        raise UploadRefused(_("The package holds %(n)s parts; at most %(max)s are accepted.")
                            % {"n": len(members), "max": ZIP_MAX_MEMBERS})
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > ZIP_RATIO_FLOOR and member.file_size > ZIP_MAX_RATIO * max(member.compress_size, 1):
            raise UploadRefused(_("The package's part “%(name)s” inflates %(ratio)s times its size (at most "
                                  "%(max)s:1 is accepted): the file looks like a zip bomb.")
                                % {"name": member.filename[:100],
                                   "ratio": member.file_size // max(member.compress_size, 1), "max": ZIP_MAX_RATIO})
    if total > ZIP_MAX_TOTAL:
        raise UploadRefused(_("The package inflates to %(size)s MB (at most %(max)s MB is accepted): the file "
                              "looks like a zip bomb.") % {"size": total // MB, "max": ZIP_MAX_TOTAL // MB})


def _is_text(sample: bytes) -> bool:
    if b"\x00" in sample:
        return False
    if sample.startswith(b"\xef\xbb\xbf"):
        sample = sample[3:]
    for encoding in ("utf-8", "gb18030"):
        # The sample may end inside a multi-byte character: drop at most 3 bytes.
        for cut in range(4):
            try:
                sample[: len(sample) - cut].decode(encoding)
                return True
            except UnicodeDecodeError:
                continue
    return False


def _is_markup(sample: bytes) -> bool:
    """HTML, SVG or XML: what a browser would render or run, whatever the name says."""
    start = sample.removeprefix(b"\xef\xbb\xbf").lstrip()[:512].lower()
    return start.startswith(b"<") or any(tag in start for tag in (b"<html", b"<svg", b"<script", b"<!doctype"))


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


class StorageUnavailable(DomainError):
    """The storage refused to write an accepted upload (disk full, read-only, no
    permission): the API answers 503, the portal shows it as a form error."""

    status_code = 503


def store_file(field_file, name: str, content) -> None:
    """Write ``content`` (a Django ``File``) to ``field_file``'s storage under ``name``
    (passed through the field's ``upload_to``) and set it on the field file, without saving
    the model instance.

    An ``OSError`` from the storage (``ENOSPC``, ``EROFS``, ``EACCES``…) removes whatever part
    of the file was written and raises ``StorageUnavailable`` with "the file could not be
    stored: <reason>; nothing was saved. Try again later."; called inside the service's
    transaction, nothing of the request is then committed (docs/reliability.md).
    """
    storage, field = field_file.storage, field_file.field
    target = storage.get_available_name(field.generate_filename(field_file.instance, name),
                                        max_length=field.max_length)
    try:
        # As ``FieldFile.save(save=False)`` does, with the name known before the write.
        field_file.name = storage.save(target, content, max_length=field.max_length)
    except OSError as exc:
        _remove_partial(storage, target)
        reason = exc.strerror or str(exc)
        raise StorageUnavailable(
            _("the file could not be stored: %(reason)s; nothing was saved. Try again later.") % {"reason": reason}
        ) from exc
    setattr(field_file.instance, field.attname, field_file.name)
    field_file._committed = True


def _remove_partial(storage, name: str) -> None:
    try:
        if storage.exists(name):
            storage.delete(name)
    except OSError:
        logging.getLogger(__name__).exception("could not remove the partial upload %s", name)
