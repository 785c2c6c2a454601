"""The onboarding rule (a candidate becomes active only after an approved or conditional
screening) lives once, in ``suppliers.screening``: the status service, the API, the portal
and the import all use it; the import looks screenings up once per file."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.importing import ImportFailed
from suppliers import screening, services
from suppliers.importers import SupplierImporter
from suppliers.models import Screening, ScreeningStatus, Supplier

pytestmark = pytest.mark.django_db


def candidates(n: int, make_supplier) -> list[Supplier]:
    return [make_supplier(f"C-{i:03d}", status="candidate") for i in range(n)]


def decide(supplier: Supplier, decision: str) -> Screening:
    return Screening.objects.create(supplier=supplier, status=ScreeningStatus.DECIDED, decision=decision)


def test_only_an_activating_latest_decision_allows_activation(make_supplier):
    none, approved, conditional, rejected, reopened = candidates(5, make_supplier)
    decide(approved, "approved")
    decide(conditional, "conditional")
    decide(rejected, "rejected")
    decide(reopened, "approved")
    Screening.objects.create(supplier=reopened)  # a newer screening under way
    errors = screening.activation_errors([s.pk for s in (none, approved, conditional, rejected, reopened)])
    assert set(errors) == {none.pk, rejected.pk, reopened.pk}
    assert screening.activation_error(approved) is None
    assert "screening" in screening.activation_error(none)
    with pytest.raises(ValidationError) as refused:
        services.supplier_change_status(supplier=rejected, status="active", actor="test")
    assert "screening" in refused.value.message_dict["status"][0]
    assert services.supplier_change_status(supplier=approved, status="active", actor="test").status == "active"


def _import_queries(rows: list[Supplier]) -> tuple[int, list[str]]:
    text = "code,name,country,category,status\n" + "".join(f"{s.code},{s.name},CN,production,active\n"
                                                            for s in rows)
    with CaptureQueriesContext(connection) as queries, pytest.raises(ImportFailed) as failure:
        SupplierImporter(actor="test").run(text.encode())
    return len(queries.captured_queries), [str(error) for error in failure.value.errors]


def test_the_import_checks_screenings_with_one_query_per_file(make_supplier):
    few = candidates(2, make_supplier)
    many = [make_supplier(f"M-{i:03d}", status="candidate") for i in range(30)]
    decide(many[0], "approved")
    few_queries, few_errors = _import_queries(few)
    many_queries, many_errors = _import_queries(many)
    assert few_queries == many_queries
    assert len(few_errors) == 2 and len(many_errors) == 29
    assert many_errors[0].startswith("row 3, column status: ") and "screening" in many_errors[0]
    assert set(Supplier.objects.values_list("status", flat=True)) == {"candidate"}
