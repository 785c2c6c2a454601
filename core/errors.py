"""The base of the domain's own refusals. Services raise Django's ``ValidationError`` /
``PermissionDenied`` or a ``DomainError`` subclass, never an HTTP exception; the API's one
exception handler (``core.api_errors``) turns them into answers."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. ``status_code`` is the HTTP status the API answers
    with (400 unless a subclass says otherwise, e.g. 409 for a conflict with work under
    way); the message is shown to the user as it is."""

    status_code = 400

    def extra(self) -> dict:
        """More fields for the API's answer besides ``detail`` (e.g. the blocking job's id)."""
        return {}
