"""The API's one exception handler (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``): services
raise Django's ``ValidationError`` / ``PermissionDenied`` or a ``core.errors.DomainError``
and this turns them into HTTP answers, so views do not translate them by hand.

- Django ``ValidationError`` → 400 with the field errors (``{"field": ["message", …]}``),
  or ``{"detail": ["message", …]}`` when the error names no field;
- Django ``PermissionDenied`` → 403 with its message (DRF's default text when it has none);
  ``Http404`` → 404;
- ``DomainError`` → its ``status_code`` with ``{"detail": "message"}`` and the error's ``extra()``
  fields (a refused recalculation names the run holding the quarter: ``{"detail", "run"}``);
- anything else: DRF's default handler (an unexpected error stays a 500 and is logged).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


class DomainRefusal(exceptions.APIException):
    def __init__(self, error: DomainError):
        self.status_code = error.status_code
        super().__init__(detail=str(error))
        if extra := error.extra():
            # Set as given: DRF would turn the extra values (ids) into strings.
            self.detail = {"detail": self.detail, **extra}


def validation_detail(error: DjangoValidationError) -> dict:
    """A Django ``ValidationError`` as the API's error body."""
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"detail": error.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DomainError):
        exc = DomainRefusal(exc)
    return drf_exception_handler(exc, context)


# --- the error answers in the OpenAPI schema ------------------------------------------------

ERROR_SCHEMA = {
    "description": "A refusal: field errors (``{\"field\": [\"message\", …]}``, nested for nested "
                   "fields), ``{\"detail\": \"message\"}`` (authentication, permission, not found, "
                   "throttling, domain refusals, with extra fields such as ``run``) or a list of messages.",
    "anyOf": [
        {"type": "object", "additionalProperties": True,
         "properties": {"detail": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}},
        {"type": "array", "items": {"type": "string"}},
    ],
}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents its error answers (the
    shapes this module produces) as its ``default`` response, unless it documents them itself."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                operation.setdefault("responses", {}).setdefault("default", {
                    "description": "Refused (4xx): see the Error schema.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
    return result
