"""A bounded schemathesis run against the OpenAPI schema, as an analyst and as a supplier
user: whatever the generated path, query and body (control characters, odd dates, huge
numbers), every operation — reads and writes — answers without a server error (5xx) and
with a response that matches the schema (status code documented, body of the documented
shape: nullable fields nullable, lists as lists, error bodies documented).

The writes run against the test database inside the test's transaction (the WSGI app shares
the test's connection, see ``keep_the_test_connection``), so nothing they write survives the
test. A few generated requests per operation, the same ones on every run (derandomized)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
CHECKS = [not_a_server_error, response_schema_conformance]
# Operations left out, and why (each is exercised by hand in its own tests).
EXCLUDED: dict[tuple[str, str], str] = {}
# A few generated requests per operation: bounded, and the same ones on every run.
FUZZ = settings(max_examples=3, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def _describe(exc: BaseException) -> str:
    """One line per distinct failure schemathesis found (a failure group holds several)."""
    parts = getattr(exc, "exceptions", None) or [exc]
    lines = []
    for part in parts:
        text = [line.strip() for line in str(part).splitlines() if line.strip()]
        lines.append(" / ".join(text[:3])[:400])
    return " | ".join(lines)


def fuzz(user) -> tuple[list[str], int, int]:
    """Every operation of the schema, called with generated input as ``user``: the failures
    found, the number of operations and the number of requests made."""
    key = Token.objects.get_or_create(user=user)[0].key
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    calls = []

    @FUZZ
    @given(data=st.data())
    def run(data, operation):
        case = data.draw(operation.as_strategy())
        response = case.call(headers={"Authorization": f"Token {key}"})
        calls.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        method = operation.method.upper()
        if method not in METHODS or (method, operation.path) in EXCLUDED:
            continue
        operations += 1
        try:
            run(operation=operation)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (collect every operation's failure)
            failures.append(f"{method} {operation.path}: {_describe(exc)}")
    return failures, operations, len(calls)


@pytest.fixture
def keep_the_test_connection():
    """Called as a WSGI app, each request would close the database connection the test's
    transaction lives on; Django's own test client disconnects this handler the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    """Files a generated upload gets past the checks land in the test's own directory, not
    in the shared test media: the database rolls back, the disk would not."""
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("role", ["procurement_analyst", "supplier_user"])
def test_no_server_error_nor_schema_violation_for_generated_requests(role_users, role, keep_the_test_connection,
                                                                      media_in_tmp):
    failures, operations, calls = fuzz(role_users[role])
    assert failures == [], "\n".join(failures)
    assert operations > 90
    assert calls > 250


def test_every_operation_documents_its_error_answers_and_plain_lists(api_as):
    schema = api_as("viewer").get("/api/schema/?format=json").json()
    operations = [op for path in schema["paths"].values() for method, op in path.items() if method.upper() in METHODS]
    assert operations and all("default" in op["responses"] for op in operations)
    assert "Error" in schema["components"]["schemas"]
    planned = schema["paths"]["/api/v1/audits/plan/"]["post"]["responses"]["201"]["content"]["application/json"]
    assert planned["schema"]["type"] == "array"
