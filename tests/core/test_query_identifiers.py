"""Identifiers in query parameters (API filters, portal filters) and control characters in
free-text API fields: read by ``core.parsers`` like every other input (contract.md)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core import roles
from suppliers.models import SpendRecord

ZWSP = "SUP\u200b001"


@pytest.fixture
def supplier(make_supplier):
    return make_supplier("SUP-001", name="Lotus Precision Parts")


def test_a_full_width_code_filter_finds_the_supplier(api_as, supplier, make_site, make_supplier):
    make_site(supplier, "SUP-001-F1")
    make_site(make_supplier("SUP-002"), "SUP-002-F1")
    response = api_as(roles.PROCUREMENT_ANALYST).get("/api/v1/sites/", {"supplier__code": "ＳＵＰ－００１"})
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["SUP-001-F1"]


def test_an_invisible_character_in_a_code_filter_is_a_400_naming_it(api_as, supplier, make_site):
    make_site(supplier, "SUP-001-F1")
    response = api_as(roles.PROCUREMENT_ANALYST).get("/api/v1/sites/", {"supplier__code": ZWSP})
    assert response.status_code == 400
    assert "U+200B ZERO WIDTH SPACE" in response.json()["supplier__code"][0]


def test_quarter_and_currency_filters_are_read_like_the_imports(api_as, supplier):
    SpendRecord.objects.create(supplier=supplier, quarter="2026-Q3", amount=5, currency="USD")
    SpendRecord.objects.create(supplier=supplier, quarter="2026-Q2", amount=7, currency="USD")
    client = api_as(roles.PROCUREMENT_ANALYST)
    found = client.get("/api/v1/spend/", {"quarter": "２０２６－Ｑ３", "currency": "ｕｓｄ"})
    assert found.status_code == 200
    assert [row["quarter"] for row in found.json()["results"]] == ["2026-Q3"]
    bounded = client.get("/api/v1/spend/", {"quarter__gte": " 2026-Q3 "})
    assert [row["quarter"] for row in bounded.json()["results"]] == ["2026-Q3"]
    refused = client.get("/api/v1/spend/", {"quarter": "2026-Q5"})
    assert refused.status_code == 400 and list(refused.json()) == ["quarter"]


@pytest.mark.parametrize(("path", "param"), [
    ("suppliers", "code"), ("sites", "supplier__code"), ("spend", "supplier__code"), ("spend", "quarter"),
    ("fx-rates", "quarter"), ("audits", "supplier"), ("audits", "site"), ("findings", "audit"),
    ("findings", "provision_code"), ("corrective-actions", "finding"), ("indicator-values", "supplier__code"),
    ("indicator-values", "indicator__code"), ("qbr-components", "quarter"), ("scores", "supplier"),
    ("scores", "quarter"), ("reports", "supplier__code"), ("reports", "quarter"), ("documents", "supplier"),
    ("site-recognitions", "site__code"), ("training-records", "course__code"), ("emissions", "supplier__code"),
    ("termination-reviews", "supplier"), ("provisions", "code"),
])
def test_every_identifier_filter_refuses_invisible_characters(api_as, db, path, param):
    response = api_as(roles.PROCUREMENT_ADMIN).get(f"/api/v1/{path}/", {param: ZWSP})
    assert response.status_code == 400, (path, param, response.status_code)
    assert "U+200B ZERO WIDTH SPACE" in response.json()[param][0]


def test_free_text_filters_stay_free_text(api_as, supplier):
    response = api_as(roles.PROCUREMENT_ANALYST).get("/api/v1/suppliers/", {"search": "Lotus Précision"})
    assert response.status_code == 200


@pytest.mark.parametrize(("path", "payload"), [
    ("suppliers", {"code": "SUP-002", "name": "A\x00B", "country": "CN", "category": "production"}),
    ("sites", {"supplier_code": "SUP-001", "code": "SUP-001-F9", "name": "Plant\x00", "country": "CN",
               "is_production": True}),
    ("suppliers", {"code": "SUP-003", "name": "Bell\x07", "country": "CN", "category": "production"}),
])
def test_control_characters_in_free_text_fields_are_field_errors(api_as, supplier, path, payload):
    before = SpendRecord.objects.count(), supplier.sites.count()
    response = api_as(roles.PROCUREMENT_ADMIN).post(f"/api/v1/{path}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert "name" in response.json()
    assert (SpendRecord.objects.count(), supplier.sites.count()) == before


def test_tabs_and_line_breaks_stay_allowed_in_free_text(api_as, supplier):
    response = api_as(roles.PROCUREMENT_ADMIN).patch(
        f"/api/v1/suppliers/{supplier.pk}/", {"name": "Lotus\tPrecision\r\nParts"}, format="json")
    assert response.status_code == 200, response.content
    supplier.refresh_from_db()
    assert supplier.name == "Lotus\tPrecision\r\nParts"


def test_portal_supplier_filter_reads_a_full_width_code(client, role_users, supplier, make_site):
    client.force_login(role_users[roles.PROCUREMENT_ANALYST])
    response = client.get(reverse("portal:findings-board"), {"supplier": "ＳＵＰ－００１"})
    assert response.status_code == 200
    assert response.context["filters"]["supplier"] == "SUP-001"
    refused = client.get(reverse("portal:findings-board"), {"supplier": ZWSP})
    assert refused.status_code == 400
    assert "U+200B ZERO WIDTH SPACE" in refused.content.decode()


def test_portal_value_queue_supplier_filter_uses_the_same_rule(client, role_users, supplier):
    client.force_login(role_users[roles.PROCUREMENT_ANALYST])
    assert client.get(reverse("portal:value-queue"), {"supplier": "ＳＵＰ－００１"}).context["supplier"] == "SUP-001"
    assert client.get(reverse("portal:value-queue"), {"supplier": ZWSP}).status_code == 400


def test_form_bodies_are_checked_like_json(api_as, supplier):
    response = api_as(roles.PROCUREMENT_ADMIN).post(
        "/api/v1/suppliers/", {"code": "SUP-004", "name": "Zero\u200bWidth", "country": "CN",
                               "category": "production"})
    assert response.status_code == 400
    assert "U+200B ZERO WIDTH SPACE" in response.json()["name"][0]


@pytest.mark.parametrize("endpoint", ["/api/v1/sites/", "/api/v1/spend/", "/api/v1/indicator-values/"])
def test_the_documented_supplier_filter_is_never_silently_ignored(endpoint, api_as, own_supplier, other_supplier,
                                                                 make_site):
    from suppliers.models import SpendRecord

    for supplier in (own_supplier, other_supplier):
        make_site(supplier)
        SpendRecord.objects.create(supplier=supplier, quarter="2026-Q1", currency="USD", amount=10)
    response = api_as("procurement_analyst").get(endpoint, {"supplier": own_supplier.code})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert all(row.get("supplier_code", own_supplier.code) == own_supplier.code for row in rows)
    if endpoint != "/api/v1/indicator-values/":
        assert len(rows) == 1
