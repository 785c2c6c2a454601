"""Suppliers, sites, spend and FX rates over the API, for every role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import roles
from suppliers.models import FxRate, SpendRecord, Supplier, SupplierStatusChange

pytestmark = pytest.mark.django_db

READERS = [roles.PROCUREMENT_ADMIN, roles.PROCUREMENT_ANALYST, roles.VIEWER]
WRITERS = [roles.PROCUREMENT_ADMIN, roles.PROCUREMENT_ANALYST]


@pytest.fixture
def data(own_supplier, other_supplier, make_site):
    own_site = make_site(own_supplier, "OWN-F1")
    other_site = make_site(other_supplier, "OTHER-F1")
    own_spend = SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q1", currency="USD", amount=10)
    other_spend = SpendRecord.objects.create(supplier=other_supplier, quarter="2026-Q1", currency="USD", amount=20)
    FxRate.objects.create(quarter="2026-Q1", currency="CNY", rate_to_base=Decimal("0.14"))
    return {"sites": (own_site, other_site), "spend": (own_spend, other_spend),
            "suppliers": (own_supplier, other_supplier)}


def ids(response):
    return sorted(row["id"] for row in response.json()["results"])


@pytest.mark.parametrize("endpoint", ["suppliers", "sites", "spend", "fx-rates"])
def test_anonymous_and_roleless_users_are_refused(api_as, data, endpoint):
    assert api_as(None).get(f"/api/v1/{endpoint}/").status_code in (401, 403)
    assert api_as("no_role").get(f"/api/v1/{endpoint}/").status_code == 403


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize(("endpoint", "key"), [("suppliers", "suppliers"), ("sites", "sites"), ("spend", "spend")])
def test_procurement_roles_list_everything(api_as, data, role, endpoint, key):
    response = api_as(role).get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200
    assert ids(response) == sorted(obj.id for obj in data[key])


@pytest.mark.parametrize(("endpoint", "key"), [("suppliers", "suppliers"), ("sites", "sites")])
def test_supplier_user_sees_only_its_own_rows_and_404_for_others(api_as, data, endpoint, key):
    client = api_as(roles.SUPPLIER_USER)
    own, other = data[key]
    assert ids(client.get(f"/api/v1/{endpoint}/")) == [own.id]
    assert client.get(f"/api/v1/{endpoint}/{own.id}/").status_code == 200
    assert client.get(f"/api/v1/{endpoint}/{other.id}/").status_code == 404


def test_supplier_user_filters_cannot_leak_other_suppliers(api_as, data):
    client = api_as(roles.SUPPLIER_USER)
    assert client.get("/api/v1/suppliers/?code=OTHER-1").json()["count"] == 0
    assert client.get("/api/v1/sites/?supplier__code=OTHER-1").json()["count"] == 0
    assert client.get("/api/v1/suppliers/?search=Other").json()["count"] == 0


def test_the_buyers_spend_is_internal(api_as, data):
    """docs/security.md: a supplier user reads neither its own nor another supplier's spend."""
    client = api_as(roles.SUPPLIER_USER)
    own, other = data["spend"]
    assert client.get("/api/v1/spend/").status_code == 403
    assert client.get(f"/api/v1/spend/{own.id}/").status_code == 403
    assert client.get("/api/v1/spend/?supplier__code=OTHER-1").status_code == 403


def test_supplier_user_cannot_read_fx_rates_or_write_master_data(api_as, data):
    client = api_as(roles.SUPPLIER_USER)
    assert client.get("/api/v1/fx-rates/").status_code == 403
    assert client.patch(f"/api/v1/suppliers/{data['suppliers'][0].id}/", {"name": "x"}).status_code == 403
    assert client.post("/api/v1/spend/", {"supplier_code": "OWN-1", "quarter": "2026-Q2", "currency": "USD",
                                          "amount": "1"}).status_code == 403
    assert SpendRecord.objects.count() == 2


@pytest.mark.parametrize("role", WRITERS)
def test_writers_create_and_update(api_as, data, role):
    client = api_as(role)
    response = client.post("/api/v1/suppliers/", {"code": f"N-{role}", "name": "东莞新供应商", "country": "cn",
                                                  "category": "production"})
    assert response.status_code == 201, response.json()
    assert Supplier.objects.get(code=f"N-{role}").country == "CN"
    response = client.post("/api/v1/spend/", {"supplier_code": f"N-{role}", "quarter": "2026-Q2", "currency": "USD",
                                              "amount": "12.5"})
    assert response.status_code == 201


def test_viewer_cannot_write(api_as, data):
    client = api_as(roles.VIEWER)
    assert client.post("/api/v1/suppliers/", {"code": "V", "name": "V", "country": "CN",
                                              "category": "production"}).status_code == 403
    assert client.delete(f"/api/v1/fx-rates/{FxRate.objects.get().id}/").status_code == 403


def test_invalid_values_get_field_errors(api_as, data):
    response = api_as(roles.PROCUREMENT_ANALYST).post(
        "/api/v1/spend/", {"supplier_code": "OWN-1", "quarter": "2026Q2", "currency": "XYZ", "amount": "1"})
    assert response.status_code == 400
    body = response.json()
    assert "quarter" in body and "currency" in body


def test_status_change_records_who_when_why(api_as, data, role_users):
    supplier = data["suppliers"][0]
    client = api_as(roles.PROCUREMENT_ANALYST)
    response = client.post(f"/api/v1/suppliers/{supplier.id}/change-status/",
                           {"status": "suspended", "reason": "Failed audit follow-up"})
    assert response.status_code == 200, response.json()
    change = SupplierStatusChange.objects.get(supplier=supplier)
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "active", "suspended", role_users[roles.PROCUREMENT_ANALYST], "Failed audit follow-up")
    refused = client.post(f"/api/v1/suppliers/{supplier.id}/change-status/", {"status": "candidate", "reason": "x"})
    assert refused.status_code == 400
    assert "cannot become candidate" in refused.json()["status"][0]


def test_status_is_not_writable_through_patch(api_as, data):
    supplier = data["suppliers"][0]
    api_as(roles.PROCUREMENT_ADMIN).patch(f"/api/v1/suppliers/{supplier.id}/", {"status": "terminated"})
    supplier.refresh_from_db()
    assert supplier.status == "active"


def test_import_upload_returns_counts_or_row_errors_as_json(api_as, data):
    client = api_as(roles.PROCUREMENT_ANALYST)
    good = SimpleUploadedFile("spend.csv", b"supplier_code,quarter,amount,currency\nOWN-1,2026-Q2,5,USD\n")
    response = client.post("/api/v1/spend/import/", {"file": good}, format="multipart")
    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0, "dry_run": False, "warnings": []}
    bad = SimpleUploadedFile("spend.csv", b"supplier_code,quarter,amount,currency\nNOPE,2026-Q2,5,USD\n")
    response = client.post("/api/v1/spend/import/", {"file": bad}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 2, "column": "supplier_code", "message": "unknown supplier code 'NOPE'"}]
    assert SpendRecord.objects.count() == 3


def test_import_upload_is_refused_to_viewers_and_supplier_users(api_as, data):
    for role in (roles.VIEWER, roles.SUPPLIER_USER):
        upload = SimpleUploadedFile("s.csv", b"quarter,currency,rate_to_base\n2026-Q2,EUR,1.1\n")
        assert api_as(role).post("/api/v1/fx-rates/import/", {"file": upload}, format="multipart").status_code == 403
    assert FxRate.objects.count() == 1


@pytest.mark.parametrize("endpoint", ["suppliers", "sites", "spend", "fx-rates"])
def test_list_query_count_does_not_grow_with_rows(api_as, data, endpoint, make_supplier,
                                                  django_assert_max_num_queries):
    for n in range(30):
        supplier = make_supplier(f"BULK-{n}")
        SpendRecord.objects.create(supplier=supplier, quarter="2026-Q1", currency="USD", amount=n)
        supplier.sites.create(code=f"BULK-{n}-F", name="f", country="CN")
    client = api_as(roles.PROCUREMENT_ANALYST)
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/v1/{endpoint}/").status_code == 200


def test_schema_and_docs_are_served(api_as, data):
    client = api_as(roles.VIEWER)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/suppliers/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_token_authentication(client, role_users):
    response = client.post("/api/v1/auth/token/", {"username": "viewer", "password": "pw-viewer"})
    token = response.json()["token"]
    listed = client.get("/api/v1/suppliers/", HTTP_AUTHORIZATION=f"Token {token}")
    assert listed.status_code == 200


def test_a_candidate_cannot_become_active_without_an_approved_screening(api_as, make_supplier):
    candidate = make_supplier("CAND-1", status="candidate")
    response = api_as(roles.PROCUREMENT_ADMIN).post(f"/api/v1/suppliers/{candidate.id}/change-status/",
                                                    {"status": "active", "reason": "first order"})
    assert response.status_code == 400
    assert "screening" in response.json()["status"][0]
    candidate.refresh_from_db()
    assert candidate.status == "candidate"
    assert not SupplierStatusChange.objects.filter(supplier=candidate).exists()


def test_api_writes_are_recorded_and_a_site_cannot_move_to_another_supplier(api_as, data, role_users):
    from suppliers.models import Site, SpendRecord
    from tests.history import changes

    client = api_as(roles.PROCUREMENT_ANALYST)
    own_site, _ = data["sites"]
    moved = client.patch(f"/api/v1/sites/{own_site.id}/", {"supplier_code": "OTHER-1"}, format="json")
    assert moved.status_code == 400
    assert "cannot move to another supplier" in moved.json()["supplier_code"][0]
    assert client.patch(f"/api/v1/sites/{own_site.id}/", {"city": "东莞"}, format="json").status_code == 200
    own_spend, _ = data["spend"]
    assert client.delete(f"/api/v1/spend/{own_spend.id}/").status_code == 204
    [updated] = changes(Site, own_site.code, action="updated")
    assert updated["changes"] == {"city": ["", "东莞"]}
    assert (updated["user"], updated["channel"]) == (role_users[roles.PROCUREMENT_ANALYST].username, "api")
    assert [row["action"] for row in changes(SpendRecord, own_spend.id)][-1] == "deleted"
