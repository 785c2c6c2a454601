"""The API's one exception handler: services raise Django or domain exceptions, the
handler answers with the HTTP status and body."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework.exceptions import NotFound

from core.api_errors import exception_handler
from core.errors import DomainError
from reports.services import ReportForbidden, ReportRefused
from scoring.services import MethodologyNotPublishable, RecalculationRefused


def answer(exc):
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_field_errors_become_a_400_naming_the_fields():
    assert answer(ValidationError({"closed_on": "the closing date is in the future"})) == (
        400, {"closed_on": ["the closing date is in the future"]})


def test_errors_without_a_field_become_detail():
    assert answer(ValidationError("not allowed now")) == (400, {"detail": ["not allowed now"]})


def test_permission_denied_and_not_found():
    assert answer(PermissionDenied("only procurement writers close findings")) == (
        403, {"detail": "only procurement writers close findings"})
    assert answer(PermissionDenied())[0] == 403
    assert answer(Http404("gone"))[0] == 404
    assert answer(NotFound("gone"))[0] == 404


@pytest.mark.parametrize(("error", "status"), [
    (RecalculationRefused("run 3 of 2026-Q3 is already running"), 409),
    (MethodologyNotPublishable("weights sum to 101"), 400),
    (ReportRefused("no stored scores"), 400),
    (ReportForbidden("only analysts"), 403),
    (DomainError("refused"), 400),
])
def test_domain_errors_answer_their_status_with_the_message(error, status):
    assert answer(error) == (status, {"detail": str(error)})


def test_other_exceptions_are_left_to_raise():
    assert exception_handler(RuntimeError("bug"), {}) is None
