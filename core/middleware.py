"""A database that cannot be reached answers 503 with a clear message, never a raw 500.

Django closes a broken connection at the end of the request (``CONN_HEALTH_CHECKS``
checks a reused one before the next), so the next request reconnects by itself."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MESSAGE = "the database is unavailable; nothing was saved by this request. Try again in a minute."


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
