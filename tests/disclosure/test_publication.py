"""The public supplier list (scorecard.md section 10) and export_supplier_list."""

from __future__ import annotations

import csv

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from core.quarter import Quarter
from disclosure import publication
from disclosure.selectors import supplier_list

pytestmark = pytest.mark.django_db
Q = Quarter.parse("2026-Q3")
HEADER = ["supplier_name", "site_name", "address", "city", "province", "country", "commodity"]


@pytest.fixture
def world(make_supplier, make_site, spend):
    """Bases 500, 300, 100, 60, 40 (total 1000, target 0.95 → 950): cumulative before each is
    0, 500, 800, 900, 960, so P-1 … P-4 are in the full population and P-5 is in the tail."""
    p1 = make_supplier("P-1", name="Zebra AG", country="DE", commodity="PCBA")
    p2 = make_supplier("P-2", name="Ärzte Technik", country="DE", commodity="Cables")
    p3 = make_supplier("P-3", name="Hidden Ltd", publishable=False)
    p4 = make_supplier("P-4", name="Gone Ltd", status="terminated")
    p5 = make_supplier("P-5", name="Tail Ltd")
    for supplier, amount in ((p1, 500), (p2, 300), (p3, 100), (p4, 60), (p5, 40)):
        spend(supplier, amount)
    make_site(p1, "P1-B", name="Werk", country="DE")
    make_site(p1, "P1-A", name="Werk", country="DE", city="Köln")
    make_site(p1, "P1-C", name="Altwerk", country="DE", status="closed")
    make_site(p1, "P1-D", name="Büro", country="DE", is_production=False)
    make_site(p1, "P1-E", name="Shenzhen Plant", country="CN", province="Guangdong", city="Shenzhen")
    make_site(p2, "P2-A", name="Hauptwerk", country="DE", address="Hauptstraße 1", city="München",
              province="Bayern")
    for supplier in (p3, p4, p5):
        make_site(supplier, f"{supplier.code}-S", name="Plant")


EXPECTED = [
    ["Zebra AG", "Shenzhen Plant", "", "Shenzhen", "Guangdong", "CN", "PCBA"],
    ["Zebra AG", "Werk", "", "Köln", "", "DE", "PCBA"],  # P1-A before P1-B: same name, by code
    ["Zebra AG", "Werk", "", "", "", "DE", "PCBA"],
    # "Ä" (U+00C4) sorts after "Z" (U+005A) in code-point order.
    ["Ärzte Technik", "Hauptwerk", "Hauptstraße 1", "München", "Bayern", "DE", "Cables"],
]


def test_list_holds_active_production_sites_of_publishable_live_full_population_suppliers(world):
    rows = supplier_list(Q)
    assert rows[HEADER].values.tolist() == EXPECTED
    assert rows["site_code"].tolist() == ["P1-E", "P1-A", "P1-B", "P2-A"]


def test_export_csv_has_the_contract_columns_only(world, tmp_path):
    path = tmp_path / "list.csv"
    call_command("export_supplier_list", "--quarter", "2026-Q3", "--format", "csv", "--output", str(path))
    with open(path, encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [HEADER, *EXPECTED]


def test_export_xlsx(world, tmp_path):
    path = tmp_path / "list.xlsx"
    call_command("export_supplier_list", "--quarter", "2026-Q3", "--format", "xlsx", "--output", str(path))
    sheet = load_workbook(path).active
    values = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values == [HEADER, *EXPECTED]


def test_export_refuses_without_fx_rates_and_writes_nothing(world, make_supplier, spend, tmp_path):
    spend(make_supplier("P-9"), 10, currency="EUR", quarter="2026-Q1")
    path = tmp_path / "list.csv"
    with pytest.raises(CommandError, match="missing FX rates for: 2026-Q1 EUR"):
        call_command("export_supplier_list", "--quarter", "2026-Q3", "--format", "csv", "--output", str(path))
    assert not path.exists()


def test_command_line_exit_status_is_1_on_missing_fx(world, make_supplier, spend, tmp_path):
    from django.core.management import execute_from_command_line

    spend(make_supplier("P-9"), 10, currency="EUR")
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "export_supplier_list", "--quarter", "2026-Q3", "--format", "csv",
                                   "--output", str(tmp_path / "x.csv")])
    assert exit_info.value.code == 1


def test_formula_like_names_are_neutralised(make_supplier, make_site, spend, tmp_path):
    s = make_supplier("F-1", name="=HYPERLINK(\"x\")")
    spend(s, 10)
    make_site(s, "F1-A", name="+Plant")
    path = tmp_path / "list.csv"
    call_command("export_supplier_list", "--quarter", "2026-Q3", "--format", "csv", "--output", str(path))
    with open(path, encoding="utf-8", newline="") as handle:
        row = list(csv.reader(handle))[1]
    assert row[:2] == ["'=HYPERLINK(\"x\")", "'+Plant"]


def test_changes_since_previous_quarter(world, make_supplier, make_site, spend):
    # 2026-Q2's window is 2025-Q3 … 2026-Q2: N-1 1000, R-1 500 (2025-Q3 only), P-6 1; total 1501,
    # 95% = 1425.95, cumulative before: 0, 1000, 1500 → N-1 and R-1 full, P-6 tail.
    # 2026-Q3's window drops 2025-Q3: N-1 1000 and the world (500, 300, 100, 60, 40) plus P-6 1;
    # total 2001, 95% = 1900.95, before P-4: 1900 → full; P-5: 1960 → tail.
    n1 = make_supplier("N-1", name="New Co")
    make_site(n1, "N1-A", name="Plant")
    spend(n1, 1000, quarter="2026-Q2")
    r1 = make_supplier("R-1", name="Former Co")
    make_site(r1, "R1-A", name="Plant")
    spend(r1, 500, quarter="2025-Q3")
    spend(make_supplier("P-6", name="Other"), 1, quarter="2026-Q2")
    previous = supplier_list(Q.previous())
    assert previous["site_code"].tolist() == ["R1-A", "N1-A"]  # CN: "Former Co" < "New Co"
    changes = publication.list_changes(supplier_list(Q), previous)
    assert changes["added"]["site_code"].tolist() == ["P1-E", "P1-A", "P1-B", "P2-A"]
    assert changes["removed"]["site_code"].tolist() == ["R1-A"]


def test_publication_page_shows_list_and_changes(world, role_users, client):
    client.force_login(role_users["procurement_analyst"])
    response = client.get("/disclosure/supplier-list/?quarter=2026-Q3")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ärzte Technik" in body and "Hidden Ltd" not in body and "Tail Ltd" not in body
    assert response.context["count"] == 4
    assert [r["site_code"] for r in response.context["added"]] == ["P1-E", "P1-A", "P1-B", "P2-A"]


def test_only_writers_are_offered_the_publication_toggle(world, role_users, client):
    client.force_login(role_users["procurement_analyst"])
    assert "/publishable/" in client.get("/disclosure/supplier-list/?quarter=2026-Q3").content.decode()
    client.force_login(role_users["viewer"])
    assert "/publishable/" not in client.get("/disclosure/supplier-list/?quarter=2026-Q3").content.decode()


def test_publication_page_is_for_procurement_only(world, role_users, client):
    client.force_login(role_users["supplier_user"])
    assert client.get("/disclosure/supplier-list/?quarter=2026-Q3").status_code == 403


def test_publication_page_says_why_without_fx(world, make_supplier, spend, role_users, client):
    spend(make_supplier("P-9"), 10, currency="EUR")
    client.force_login(role_users["viewer"])
    response = client.get("/disclosure/supplier-list/?quarter=2026-Q3")
    assert response.status_code == 200
    assert "missing FX rates for: 2026-Q3 EUR" in response.content.decode()


def test_publication_pages_speak_chinese(world, role_users, client):
    client.force_login(role_users["procurement_admin"])
    page = client.get("/disclosure/supplier-list/?quarter=2026-Q3", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "公开供应商名单" in page.content.decode() and "4 个工厂" in page.content.decode()
    toggle = client.get("/suppliers/P-1/publishable/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "该供应商可出现在公开供应商名单上。" in toggle.content.decode()


def test_empty_quarter_exports_the_header_only(db, tmp_path):
    path = tmp_path / "list.csv"
    call_command("export_supplier_list", "--quarter", "2026-Q3", "--format", "csv", "--output", str(path))
    assert path.read_text(encoding="utf-8") == ",".join(HEADER) + "\n"


def test_list_reads_a_fixed_number_of_queries(world, make_supplier, make_site, spend,
                                              django_assert_max_num_queries):
    for n in range(30):
        supplier = make_supplier(f"M-{n:02d}")
        spend(supplier, 1000)
        make_site(supplier)
    # Total 31000, 95% = 29450: the 30 M suppliers (cumulative before the last: 29000) are the
    # full population; P-1 (before it: 30000) falls to the tail.
    with django_assert_max_num_queries(6):
        assert supplier_list(Q)["supplier_code"].str.startswith("M-").tolist() == [True] * 30


def test_suspended_and_candidate_suppliers_stay_on_the_list(make_supplier, make_site, spend):
    for code, status in (("C-1", "candidate"), ("S-1", "suspended"), ("A-1", "active")):
        supplier = make_supplier(code, name=f"{status} Co", status=status)
        spend(supplier, 100)
        make_site(supplier, f"{code}-A", name="Plant")
    assert supplier_list(Q)["site_code"].tolist() == ["A-1-A", "C-1-A", "S-1-A"]  # "active" < "candidate" < …
