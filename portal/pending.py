"""A previewed upload waiting for its commit, for one session only: the bytes in
``core.pending_uploads`` (swept when abandoned), what the commit needs in the session under a
random token. Used by the third-party list and smelter list imports."""

from __future__ import annotations

import uuid

from core import pending_uploads


def remember(request, key: str, content: bytes, **details) -> str:
    """Store ``content`` and ``details`` (JSON-serialisable) for this session; returns the
    token the preview page posts back. Raises ``OSError`` when the storage refuses."""
    token = uuid.uuid4().hex
    stored = pending_uploads.save(content)
    pending = request.session.get(key, {})
    pending[token] = {"stored": stored, **details}
    request.session[key] = pending
    return token


def take(request, key: str, token: str) -> tuple[dict, bytes] | None:
    """The details and bytes of this session's preview ``token``, forgotten in the session
    and deleted from the storage; ``None`` when it expired, was swept or already committed."""
    pending = request.session.get(key, {})
    item = pending.pop(token or "", None)
    request.session[key] = pending
    if item is None:
        return None
    content = pending_uploads.read(item.get("stored", ""))
    pending_uploads.discard(item.get("stored", ""))
    if content is None:
        return None
    return item, content
