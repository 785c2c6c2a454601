"""A bounded schemathesis run against the OpenAPI schema, as an analyst and as a supplier
user: whatever the generated path and query (control characters, odd dates, huge numbers),
every read operation answers without a server error.

Write operations are left out for now: control characters in request bodies (e.g. NUL in a
``supplier_code``, refused by PostgreSQL) are the field validation's job; extend ``METHODS``
once every body field refuses them."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from config.wsgi import application

METHODS = {"GET"}
# A few generated requests per operation: bounded, and the same ones on every run.
FUZZ = settings(max_examples=3, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def fuzz(user) -> tuple[list[str], int]:
    """Every operation of the schema, called with generated input as ``user``: the server
    errors found and the number of requests made."""
    key = Token.objects.get_or_create(user=user)[0].key
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    calls = []

    @FUZZ
    @given(data=st.data())
    def run(data, operation):
        case = data.draw(operation.as_strategy())
        response = case.call(headers={"Authorization": f"Token {key}"})
        calls.append(response.status_code)
        case.validate_response(response, checks=[not_a_server_error])

    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() not in METHODS:
            continue
        operations += 1
        try:
            run(operation=operation)
        except Exception as exc:  # noqa: BLE001 (collect every operation's failure, report them together)
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc).splitlines()[0][:300]}")
    assert operations > 40
    return failures, len(calls)


@pytest.fixture
def keep_the_test_connection():
    """Called as a WSGI app, each request would close the database connection the test's
    transaction lives on; Django's own test client disconnects this handler the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ["procurement_analyst", "supplier_user"])
def test_no_server_error_for_generated_requests(role_users, role, keep_the_test_connection):
    failures, calls = fuzz(role_users[role])
    assert failures == []
    assert calls > 100
