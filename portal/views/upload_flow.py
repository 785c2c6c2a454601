"""The portal's upload → preview → commit flow of a list import (the third-party lists, the
smelter list; docs/industry-files.md): the upload is checked (``core.uploads.check_import``)
and dry-run by its importer, the bytes wait for the commit under a random token for this
session only (``portal.pending``), and the commit runs the importer again on them (the data
may have moved since the preview)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core import uploads
from core.importing import ImportFailed, ImportResult
from portal import pending


def preview(request, *, form, context: dict, key: str, dry_run: Callable[[bytes, str], ImportResult],
            details: dict | None = None, field_errors: dict[type[Exception], str] | None = None) -> bool:
    """Dry-run the valid ``form``'s ``file`` and keep it for the commit.

    ``dry_run(content, filename)`` runs the importer with ``dry_run=True``; ``details``
    (JSON-serialisable) are kept beside the file's name for the commit under session ``key``.
    On success ``context`` gets ``result`` (``ImportResult.as_dict()``), ``token`` and
    ``file_name`` and this returns True. Otherwise nothing is kept and this returns False: a
    refused upload is an error on ``file``, an exception of a class in ``field_errors`` an
    error on the field it names, a refused file (``ImportFailed``) ``context["errors"]``
    (its row errors), a storage that refuses to keep the file an error on ``file``."""
    upload = form.cleaned_data["file"]
    field_errors = field_errors or {}
    try:
        uploads.check_import(upload)
        upload.seek(0)
        content = upload.read()
        result = dry_run(content, upload.name)
        token = pending.remember(request, key, content, name=upload.name, **(details or {}))
    except uploads.UploadRefused as refused:
        form.add_error("file", str(refused))
    except tuple(field_errors) as exc:
        form.add_error(next(field for kind, field in field_errors.items() if isinstance(exc, kind)), str(exc))
    except ImportFailed as failure:
        context["errors"] = failure.errors
    except OSError:
        form.add_error("file", _("The file could not be kept for the commit; nothing was written. Try again later."))
    else:
        context.update(result=result.as_dict(), token=token, file_name=upload.name)
        return True
    return False


def commit(request, *, key: str, run: Callable[[dict, bytes], ImportResult],
           back: str) -> tuple[dict, ImportResult] | HttpResponse:
    """Commit the preview whose token the request posts: ``run(details, content)`` imports
    the kept bytes (``details``: the name and what ``preview`` kept). Returns (details,
    result); or, with an error message, a redirect to the URL name ``back`` when the preview
    expired or was already committed, or the file is refused now (nothing written)."""
    taken = pending.take(request, key, request.POST.get("token", ""))
    if taken is None:
        messages.error(request, _("That preview has expired or was already committed: upload the file again."))
        return redirect(back)
    item, content = taken
    try:
        result = run(item, content)
    except ImportFailed as failure:
        messages.error(request, _("The file was refused; nothing was written: %(errors)s")
                       % {"errors": "; ".join(str(error) for error in failure.errors[:5])})
        return redirect(back)
    return item, result
