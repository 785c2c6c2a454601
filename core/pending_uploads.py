"""Uploads waiting between a dry-run preview and its commit (the portal's import previews:
third-party lists, the smelter list; docs/industry-files.md, "Previews waiting for a commit").

A previewed file is kept in the default storage under ``imports/pending/`` with a name that
reveals nothing and starts with the moment it was stored (``<unix seconds>-<random>.bin``), so
its age is known from the name on any storage. A preview nobody commits is *abandoned*:
``sweep`` deletes every pending file older than ``MAX_AGE`` (24 hours). It runs on each new
upload (``save``) and hourly from beat (``core.sweep_pending_uploads``). A commit of a swept
preview finds nothing (``read`` returns ``None``) and the portal asks for the file again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

PENDING_DIR = "imports/pending"
MAX_AGE = dt.timedelta(hours=24)

log = logging.getLogger(__name__)


def save(content: bytes) -> str:
    """Store ``content`` for a later commit and return its storage name. Sweeps abandoned
    previews first. Raises ``OSError`` when the storage refuses the write."""
    sweep()
    stamp = int(timezone.now().timestamp())
    return default_storage.save(f"{PENDING_DIR}/{stamp}-{uuid.uuid4().hex}.bin", ContentFile(content))


def read(name: str) -> bytes | None:
    """The stored bytes, or ``None`` when the preview is gone (swept, committed) or ``name``
    is not a pending upload's name."""
    if not _is_pending_name(name):
        return None
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def discard(name: str) -> None:
    """Delete a pending upload (after its commit); a missing one is fine."""
    if _is_pending_name(name):
        default_storage.delete(name)


def stored_at(name: str) -> dt.datetime | None:
    """When ``name`` was stored: from its name, else (older names) the storage's modification
    time; ``None`` when neither is known."""
    stamp = name.rsplit("/", 1)[-1].split("-", 1)[0]
    if stamp.isdigit():
        return dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
    try:
        return default_storage.get_modified_time(f"{PENDING_DIR}/{name.rsplit('/', 1)[-1]}")
    except (NotImplementedError, OSError):
        return None


def sweep(*, max_age: dt.timedelta = MAX_AGE) -> int:
    """Delete every pending upload stored more than ``max_age`` ago (by ``timezone.now()``);
    returns how many were deleted. A missing folder is an empty one."""
    try:
        _dirs, names = default_storage.listdir(PENDING_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    limit = timezone.now() - max_age
    deleted = 0
    for name in names:
        when = stored_at(name)
        if when is not None and when < limit:
            try:
                default_storage.delete(f"{PENDING_DIR}/{name}")
            except OSError:
                log.exception("could not delete the abandoned preview %s", name)
                continue
            deleted += 1
    return deleted


def _is_pending_name(name: str) -> bool:
    return (isinstance(name, str) and name.startswith(f"{PENDING_DIR}/") and ".." not in name
            and "/" not in name[len(PENDING_DIR) + 1:])
