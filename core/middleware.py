"""Request guards that apply to every URL before any view runs: a control character in the
address answers 400; a database that cannot be reached answers 503 with a clear message,
never a raw 500.

Django closes a broken connection at the end of the request (``CONN_HEALTH_CHECKS``
checks a reused one before the next), so the next request reconnects by itself."""

from __future__ import annotations

import logging
import re

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MESSAGE = "the database is unavailable; nothing was saved by this request. Try again in a minute."

# C0 controls (NUL, TAB, CR, LF included) and DEL. No path segment or query parameter of the
# product (codes, references, quarters, filters, search) may hold one: contract.md.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_MESSAGE = "The address contains a control character (such as NUL or a line break); remove it."


def has_control_character(text: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(text))


class RejectControlCharactersMiddleware:
    """A control character in the path or the query string answers 400 for every role
    (PostgreSQL refuses NUL in text: without this, a lookup by ``/suppliers/%00/`` fails
    with a server error)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = [text for key, values in request.GET.lists() for text in (key, *values)]
        if has_control_character(request.path_info) or any(has_control_character(text) for text in query):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": CONTROL_MESSAGE}, status=400)
            return HttpResponseBadRequest(CONTROL_MESSAGE)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Turns a connection-level database error (``OperationalError``, ``InterfaceError``)
    into 503 + ``Retry-After``: JSON ``{"detail": ...}`` under ``/api/``, plain text elsewhere.
    The request's transaction (if any) was rolled back, so nothing partial remains."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable during %s %s: %s", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = HttpResponse(MESSAGE.capitalize(), status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
