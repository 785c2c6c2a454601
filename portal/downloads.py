"""Sending a stored file as a download, for the portal pages and the API alike.

The original name may be in any script: it goes into ``Content-Disposition`` as an
RFC 5987 ``filename*`` (UTF-8, percent-encoded), after an ASCII ``filename`` for clients
that do not read ``filename*`` (RFC 6266, section 4.3).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from django.http import FileResponse, Http404


def ascii_fallback(name: str) -> str:
    """``name`` in printable ASCII: accents dropped, other characters as ``_``."""
    decomposed = unicodedata.normalize("NFKD", name)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\' else "_" for ch in kept)
    return text.strip() or "file"


def content_disposition(name: str) -> str:
    """``attachment`` with the file name; ASCII names as a plain quoted ``filename``."""
    fallback = ascii_fallback(name)
    if fallback == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(field, name: str, content_type: str) -> FileResponse:
    """Stream a ``FileField``'s file as an attachment named ``name``; 404 when the file
    is gone from storage. The browser must neither sniff nor run it."""
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
