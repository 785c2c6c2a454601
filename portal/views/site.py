"""Files browsers ask for at fixed addresses: ``/favicon.ico``."""

from __future__ import annotations

from functools import cache

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

FAVICON = "portal/favicon.ico"


@cache
def _favicon_bytes() -> bytes | None:
    found = finders.find(FAVICON)
    if found:
        with open(found, "rb") as handle:
            return handle.read()
    if staticfiles_storage.exists(FAVICON):  # collected (production)
        with staticfiles_storage.open(FAVICON) as handle:
            return handle.read()
    return None


@require_GET
def favicon(request):
    """The portal's icon at the address browsers try first (pages also link it)."""
    content = _favicon_bytes()
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
