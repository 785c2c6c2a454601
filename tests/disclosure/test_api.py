"""API: emissions (procurement reads and writes; a supplier user reads its own only),
emission-factors (procurement; admins write) and emissions-estimate (procurement only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from disclosure.models import EmissionFactor, EmissionInventory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def inventories(own_supplier, other_supplier):
    own = EmissionInventory.objects.create(supplier=own_supplier, year=2025, scope1_tco2e=1, scope2_market_tco2e=2)
    other = EmissionInventory.objects.create(supplier=other_supplier, year=2025, scope1_tco2e=3,
                                             scope2_location_tco2e=4)
    return own, other


def test_supplier_user_reads_only_its_own_inventories(inventories, api_as):
    own, other = inventories
    client = api_as("supplier_user")
    rows = client.get("/api/v1/emissions/").json()["results"]
    assert [row["supplier_code"] for row in rows] == ["OWN-1"]
    assert client.get(f"/api/v1/emissions/{other.pk}/").status_code == 404
    response = client.post("/api/v1/emissions/", {"supplier_code": "OWN-1", "year": 2024, "scope1_tco2e": "1",
                                                  "scope2_market_tco2e": "1"}, format="json")
    assert response.status_code == 403
    assert client.patch(f"/api/v1/emissions/{own.pk}/", {"scope1_tco2e": "9"}, format="json").status_code == 403
    assert EmissionInventory.objects.count() == 2


def test_procurement_writes_accepted_inventories(inventories, api_as):
    client = api_as("procurement_analyst")
    assert len(client.get("/api/v1/emissions/").json()["results"]) == 2
    response = client.post("/api/v1/emissions/", {
        "supplier_code": "OWN-1", "year": 2024, "scope1_tco2e": "10.5", "scope2_location_tco2e": "2",
        "revenue": "1000", "revenue_currency": "eur", "source": "rba"}, format="json")
    assert response.status_code == 201, response.json()
    created = EmissionInventory.objects.get(supplier__code="OWN-1", year=2024)
    assert (created.state, created.revenue_currency, created.scope1_tco2e) == ("accepted", "EUR", Decimal("10.5"))


@pytest.mark.parametrize(("payload", "errors"), [
    ({"scope1_tco2e": "1"}, {"scope2_market_tco2e"}),
    ({"scope1_tco2e": "1", "scope2_market_tco2e": "1", "revenue": "10"}, {"revenue_currency"}),
    ({"scope1_tco2e": "-1", "scope2_market_tco2e": "1"}, {"scope1_tco2e"}),
    ({"scope1_tco2e": "1", "scope2_market_tco2e": "1", "revenue": "0", "revenue_currency": "USD"}, {"revenue"}),
    ({"scope1_tco2e": "1", "scope2_market_tco2e": "1", "year": 2027}, {"year"}),
    ({"scope1_tco2e": "1", "scope2_market_tco2e": "1", "year": 1999}, {"year"}),
])
def test_invalid_inventories_get_field_errors(own_supplier, api_as, payload, errors):
    body = {"supplier_code": "OWN-1", "year": 2025, **payload}
    response = api_as("procurement_analyst").post("/api/v1/emissions/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == errors
    assert EmissionInventory.objects.count() == 0


def test_emission_factors_read_by_procurement_written_by_admins(api_as):
    EmissionFactor.objects.create(commodity="Steel", tco2e_per_unit=Decimal("0.002"))
    assert api_as("viewer").get("/api/v1/emission-factors/").status_code == 200
    assert api_as("supplier_user").get("/api/v1/emission-factors/").status_code == 403
    assert api_as("procurement_analyst").post("/api/v1/emission-factors/", {"commodity": "PCBA",
                                              "tco2e_per_unit": "0.1"}, format="json").status_code == 403
    admin = api_as("procurement_admin")
    clash = admin.post("/api/v1/emission-factors/", {"commodity": " steel ", "tco2e_per_unit": "0.1"}, format="json")
    assert clash.status_code == 400 and "commodity" in clash.json()
    assert admin.post("/api/v1/emission-factors/", {"commodity": "*", "tco2e_per_unit": "0.1"},
                      format="json").status_code == 201
    assert EmissionFactor.objects.get(commodity="*").commodity_key == "*"


def test_emissions_estimate_endpoint(make_supplier, api_as, own_supplier):
    from suppliers.models import SpendRecord

    SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q3", currency="USD", amount=100)
    EmissionFactor.objects.create(commodity="*", tco2e_per_unit=Decimal("0.01"))
    response = api_as("viewer").get("/api/v1/emissions-estimate/", {"quarter": "2026-Q3"})
    assert response.status_code == 200
    assert response.json()["suppliers"] == [{"supplier": "OWN-1", "method": "spend_based", "tco2e": 1.0}]
    assert api_as("supplier_user").get("/api/v1/emissions-estimate/", {"quarter": "2026-Q3"}).status_code == 403
    bad = api_as("viewer").get("/api/v1/emissions-estimate/", {"quarter": "2026Q3"})
    assert bad.status_code == 400 and "quarter" in bad.json()
    SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q3", currency="EUR", amount=100)
    missing = api_as("viewer").get("/api/v1/emissions-estimate/", {"quarter": "2026-Q3"})
    assert missing.status_code == 400 and "2026-Q3 EUR" in missing.json()["detail"]


def test_emissions_import_endpoint_is_for_writers(own_supplier, api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("e.csv", b"supplier_code,year,scope1_tco2e,scope2_market_tco2e\nOWN-1,2025,1,1\n")
    assert api_as("supplier_user").post("/api/v1/emissions/import/", {"file": upload}).status_code == 403
    upload.seek(0)
    response = api_as("procurement_analyst").post("/api/v1/emissions/import/", {"file": upload})
    assert response.status_code == 200 and response.json()["created"] == 1
