"""The supply-chain emissions estimate (scorecard.md section 11), computed by hand.

Quarter 2026-Q3: D = 2026-09-30, so Y may be 2024 or 2025; base currency USD.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from core.quarter import Quarter
from disclosure import emissions
from disclosure.models import EmissionFactor, EmissionInventory, InventoryState
from disclosure.selectors import emissions_estimate

pytestmark = pytest.mark.django_db
Q = Quarter.parse("2026-Q3")


def inventory(supplier, year, scope1, market=None, location=None, revenue=None, currency="", **extra):
    return EmissionInventory.objects.create(
        supplier=supplier, year=year, scope1_tco2e=Decimal(str(scope1)),
        scope2_market_tco2e=None if market is None else Decimal(str(market)),
        scope2_location_tco2e=None if location is None else Decimal(str(location)),
        revenue=None if revenue is None else Decimal(str(revenue)), revenue_currency=currency, **extra)


def factor(commodity, value):
    return EmissionFactor.objects.create(commodity=commodity, tco2e_per_unit=Decimal(str(value)))


@pytest.fixture
def world(make_supplier, spend, fx):
    """Hand-computed case; see each supplier's comment for its number."""
    fx("EUR", "1.1")
    fx("CNY", "0.14")
    fx("EUR", "1.0", quarter="2025-Q4")
    # A: basis 1000 + 200 (2025-Q4) = 1200 USD; 2025 revenue 4000 USD (rate 1): share 0.3;
    # market-based scope 2 (5, not 7): (10 + 5) × 0.3 = 4.5. Its 2026 inventory is after year(D) - 1.
    a = make_supplier("A-1")
    spend(a, 1000)
    spend(a, 200, quarter="2025-Q4")
    inventory(a, 2025, 10, market=5, location=7, revenue=4000, currency="USD")
    inventory(a, 2026, 1000, market=1, revenue=1, currency="USD")
    # B: basis 500 EUR × 1.1 = 550; Y = 2024 (exactly year(D) - 2; 2023 is too old); revenue
    # 1000 EUR × 1.1 = 1100: share 0.5; location-based (no market): (100 + 20) × 0.5 = 60.
    b = make_supplier("B-1")
    spend(b, 500, currency="EUR")
    inventory(b, 2024, 100, location=20, revenue=1000, currency="EUR")
    inventory(b, 2023, 1, location=1, revenue=1, currency="EUR")
    # C: basis 2000; revenue 1000 CNY × 0.14 = 140 < 2000: share capped at 1;
    # 7 + 3.0005 = 10.0005 → 10.001 (half up).
    c = make_supplier("C-1")
    spend(c, 2000)
    inventory(c, 2025, 7, market="3.0005", revenue=1000, currency="CNY")
    # D: inventory without revenue → spend-based; "  Steel " matches "STEEL": 300 × 0.002 = 0.6.
    d = make_supplier("D-1", commodity="  Steel ")
    spend(d, 300)
    inventory(d, 2025, 5, market=5)
    # H: same tCO2e as D (0.6): ties go by code, D-1 before H-1.
    h = make_supplier("H-1", commodity="steel")
    spend(h, 300)
    # E: commodity without a factor → the default: 100 × 0.0005 = 0.05.
    e = make_supplier("E-1", commodity="Plastics")
    spend(e, 100)
    # F: revenue in JPY without a (Q, JPY) rate → not supplier-specific; no commodity → default:
    # 50 × 0.0005 = 0.025.
    f = make_supplier("F-1")
    spend(f, 50)
    inventory(f, 2025, 1000, market=1, revenue=10, currency="JPY")
    # G: basis ≤ 0 → not scored, not in the estimate.
    g = make_supplier("G-1", commodity="steel")
    spend(g, -10)
    inventory(g, 2025, 1, market=1, revenue=1, currency="USD")
    factor("STEEL", "0.002")
    return {"default": factor("*", "0.0005")}


def test_hand_computed_estimate_with_default_factor(world):
    report = emissions_estimate(Q, "USD")
    assert report["quarter"] == "2026-Q3" and report["base_currency"] == "USD"
    assert report["suppliers"] == [
        {"supplier": "B-1", "method": "supplier_specific", "tco2e": 60.0},
        {"supplier": "C-1", "method": "supplier_specific", "tco2e": 10.001},
        {"supplier": "A-1", "method": "supplier_specific", "tco2e": 4.5},
        {"supplier": "D-1", "method": "spend_based", "tco2e": 0.6},
        {"supplier": "H-1", "method": "spend_based", "tco2e": 0.6},
        {"supplier": "E-1", "method": "spend_based", "tco2e": 0.05},
        {"supplier": "F-1", "method": "spend_based", "tco2e": 0.025},
    ]
    # Total basis 1200 + 550 + 2000 + 300 + 300 + 100 + 50 = 4500.
    assert report["methods"] == {
        "supplier_specific": {"suppliers": 3, "spend_share": 3750 / 4500, "tco2e": 74.501},  # 74.5005 half up
        "spend_based": {"suppliers": 4, "spend_share": 750 / 4500, "tco2e": 1.275},
        "not_estimated": {"suppliers": 0, "spend_share": 0.0, "tco2e": None},
    }
    assert report["total_tco2e"] == 75.776  # 75.7755, the rounded sum of the unrounded values


def test_without_default_factor_suppliers_are_not_estimated_and_listed_last_by_code(world):
    world["default"].delete()
    report = emissions_estimate(Q, "USD")
    assert [(line["supplier"], line["method"], line["tco2e"]) for line in report["suppliers"]][-4:] == [
        ("D-1", "spend_based", 0.6), ("H-1", "spend_based", 0.6),
        ("E-1", "not_estimated", None), ("F-1", "not_estimated", None)]
    assert report["methods"]["not_estimated"] == {"suppliers": 2, "spend_share": 150 / 4500, "tco2e": None}
    assert report["methods"]["spend_based"] == {"suppliers": 2, "spend_share": 600 / 4500, "tco2e": 1.2}
    assert report["total_tco2e"] == 75.701  # 74.5005 + 1.2 = 75.7005 half up


def test_total_is_rounded_sum_of_unrounded_values_not_sum_of_rounded():
    # Two suppliers of 0.0004 each: each rounds to 0.0, their sum 0.0008 rounds to 0.001.
    population = pd.DataFrame({"supplier_id": [1, 2], "supplier_code": ["X", "Y"],
                               "basis": [Decimal("0.4"), Decimal("0.4")]})
    report = emissions.estimate_emissions(
        quarter=Q, base_currency="USD", population=population,
        suppliers=pd.DataFrame({"supplier_id": [1, 2], "commodity": ["", ""]}),
        inventories=pd.DataFrame(columns=emissions.INVENTORY_COLUMNS),
        factors=pd.DataFrame({"commodity": ["*"], "tco2e_per_unit": [Decimal("0.001")]}),
        rates=pd.DataFrame({"currency": [], "rate_to_base": []}))
    assert [line["tco2e"] for line in report["suppliers"]] == [0.0, 0.0]
    assert report["total_tco2e"] == 0.001
    assert report["methods"]["spend_based"]["tco2e"] == 0.001


def test_year_three_before_is_outside_and_base_currency_revenue_uses_rate_one(make_supplier, spend, fx):
    # A USD rate row in the table is ignored: the base currency always uses 1.
    fx("USD", "2")
    s = make_supplier("S-1")
    spend(s, 100)
    inventory(s, 2023, 50, market=50, revenue=100, currency="USD")  # year(D) - 3: not Y
    report = emissions_estimate(Q, "USD")
    assert report["suppliers"] == [{"supplier": "S-1", "method": "not_estimated", "tco2e": None}]
    inventory(s, 2024, 50, market=50, revenue=400, currency="USD")  # share 100 / 400
    assert emissions_estimate(Q, "USD")["suppliers"] == [
        {"supplier": "S-1", "method": "supplier_specific", "tco2e": 25.0}]


def test_y_inventory_without_revenue_never_falls_back_to_an_older_year(make_supplier, spend):
    s = make_supplier("S-1")
    spend(s, 100)
    inventory(s, 2024, 50, market=50, revenue=100, currency="USD")
    inventory(s, 2025, 50, market=50)  # Y = 2025 has no revenue
    assert emissions_estimate(Q, "USD")["suppliers"][0]["method"] == "not_estimated"


def test_empty_quarter_has_all_three_methods_with_zero_shares(db):
    report = emissions_estimate(Q, "USD")
    assert report["total_tco2e"] == 0.0 and report["suppliers"] == []
    assert report["methods"] == {
        "supplier_specific": {"suppliers": 0, "spend_share": 0.0, "tco2e": 0.0},
        "spend_based": {"suppliers": 0, "spend_share": 0.0, "tco2e": 0.0},
        "not_estimated": {"suppliers": 0, "spend_share": 0.0, "tco2e": None},
    }


def test_emissions_report_json_and_table(world, capsys):
    call_command("emissions_report", "--quarter", "2026-Q3", "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["quarter", "base_currency", "total_tco2e", "methods", "suppliers"]
    assert data["total_tco2e"] == 75.776
    call_command("emissions_report", "--quarter", "2026-Q3")
    out = capsys.readouterr().out
    assert "75.776 tCO2e" in out and "B-1" in out


def test_emissions_report_refuses_without_fx_rates(make_supplier, spend):
    spend(make_supplier("S-1"), 100, currency="GBP")
    with pytest.raises(CommandError, match="missing FX rates for: 2026-Q3 GBP"):
        call_command("emissions_report", "--quarter", "2026-Q3", "--format", "json")


def test_estimate_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries, make_supplier, spend):
    for n in range(20):
        spend(make_supplier(f"Z-{n:02d}", commodity="steel"), 10)
    with django_assert_max_num_queries(6):
        emissions_estimate(Q, "USD")


def test_emissions_page_shows_methods_coverage_and_largest_emitters(world, role_users, client):
    client.force_login(role_users["viewer"])
    response = client.get("/disclosure/emissions/?quarter=2026-Q3")
    assert response.status_code == 200
    body = response.content.decode()
    assert "75.776 tCO2e" in body and "83.33%" in body  # 3750 / 4500 of spend supplier-specific
    assert [e["supplier"] for e in response.context["emitters"]] == ["B-1", "C-1", "A-1", "D-1", "H-1", "E-1",
                                                                     "F-1"]
    client.force_login(role_users["supplier_user"])
    assert client.get("/disclosure/emissions/?quarter=2026-Q3").status_code == 403


def test_emissions_page_speaks_chinese(world, role_users, client):
    client.force_login(role_users["viewer"])
    body = client.get("/disclosure/emissions/?quarter=2026-Q3", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "供应链排放" in body and "最大排放方" in body


def test_only_accepted_inventories_and_only_the_rate_of_q_itself_count(make_supplier, spend, fx):
    fx("EUR", "1.2", quarter="2026-Q2")  # a rate of the spend window, not of Q
    s = make_supplier("S-1")
    spend(s, 100)
    inventory(s, 2025, 50, market=50, revenue=100, currency="EUR")
    t = make_supplier("T-1")
    spend(t, 100)
    inventory(t, 2025, 50, market=50, revenue=100, currency="USD", state=InventoryState.SUBMITTED)
    u = make_supplier("U-1")
    spend(u, 100)
    inventory(u, 2025, 50, market=50, revenue=100, currency="USD", state=InventoryState.REJECTED)
    assert [line["method"] for line in emissions_estimate(Q, "USD")["suppliers"]] == ["not_estimated"] * 3
    fx("EUR", "0.5")  # now (2026-Q3, EUR) exists: share = min(1, 100 / (100 × 0.5)) = 1 → 100
    assert emissions_estimate(Q, "USD")["suppliers"][0] == {"supplier": "S-1", "method": "supplier_specific",
                                                            "tco2e": 100.0}


def test_the_stored_head_is_the_document_with_its_largest_emitters_only(world):
    from disclosure import services
    from disclosure.models import EmissionsEstimate
    from disclosure.selectors import stored_emissions_estimate, stored_emissions_head

    quarter = Q
    row = services.store_emissions_estimate(quarter)
    assert row is not None
    report, _at = stored_emissions_estimate(quarter)
    assert row.head == {**report, "suppliers": report["suppliers"][:EmissionsEstimate.HEAD_LINES]}
    head, _at = stored_emissions_head(quarter, 2)
    assert head == {**report, "suppliers": report["suppliers"][:2]}
    EmissionsEstimate.objects.filter(pk=row.pk).update(head={})
    row.refresh_from_db()
    row.save()  # whoever writes the document, the head follows it
    assert EmissionsEstimate.objects.get(pk=row.pk).head == row.head_of(report)


def test_storing_again_replaces_the_previous_document_and_its_head(world):
    from disclosure import services
    from disclosure.models import EmissionsEstimate

    row = services.store_emissions_estimate(Q)
    EmissionsEstimate.objects.filter(pk=row.pk).update(data={"stale": True}, head={"stale": True})
    services.store_emissions_estimate(Q)
    stored = EmissionsEstimate.objects.get()
    assert stored.pk == row.pk
    assert stored.data == emissions_estimate(Q)
    assert stored.head == EmissionsEstimate.head_of(stored.data)
