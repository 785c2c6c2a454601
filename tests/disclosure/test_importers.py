"""import_emissions, import_emission_factors and the new supplier/site columns (contract.md
"Additions"): validate-then-commit, precise row errors, nothing written on any bad row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from core.importing import ImportFailed
from disclosure.importers import EmissionFactorImporter, EmissionInventoryImporter
from disclosure.models import EmissionFactor, EmissionInventory
from suppliers.importers import SiteImporter, SupplierImporter
from suppliers.models import Site, Supplier
from tests.history import changes

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)

EMISSIONS_HEADER = ("supplier_code,year,scope1_tco2e,scope2_market_tco2e,scope2_location_tco2e,scope3_tco2e,"
                    "revenue,revenue_currency,source,verified\n")


def run(importer_class, text: str, **kwargs):
    return importer_class(actor="test").run(text.encode("utf-8"), **kwargs)


def errors_of(importer_class, text: str) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        run(importer_class, text)
    return [str(error) for error in failure.value.errors]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def suppliers(make_supplier):
    return make_supplier("S-1"), make_supplier("S-2")


def test_import_emissions_creates_accepted_inventories_and_reimport_changes_nothing(suppliers):
    text = EMISSIONS_HEADER + ("S-1,2025,100.5,20,25,0,1000000,eur,CDP,yes\n"
                               "S-2,2026,0,,3,,,,,\n")
    result = run(EmissionInventoryImporter, text)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    s1 = EmissionInventory.objects.get(supplier__code="S-1", year=2025)
    assert (s1.scope1_tco2e, s1.scope2_market_tco2e, s1.scope2_location_tco2e, s1.scope3_tco2e, s1.revenue,
            s1.revenue_currency, s1.source, s1.verified, s1.state) == (
        Decimal("100.5"), Decimal(20), Decimal(25), Decimal(0), Decimal(1000000), "EUR", "cdp", True, "accepted")
    s2 = EmissionInventory.objects.get(supplier__code="S-2", year=2026)  # the current year is plausible
    assert (s2.scope2_market_tco2e, s2.scope3_tco2e, s2.revenue, s2.revenue_currency, s2.source, s2.verified) == (
        None, None, None, "", "other", False)
    result = run(EmissionInventoryImporter, text)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_import_emissions_updates_on_supplier_and_year(suppliers):
    run(EmissionInventoryImporter, EMISSIONS_HEADER + "S-1,2025,100,20,,,,,,\n")
    result = run(EmissionInventoryImporter, "supplier_code,year,scope1_tco2e,scope2_market_tco2e\nS-1,2025,90,20\n")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert EmissionInventory.objects.get().scope1_tco2e == Decimal(90)
    assert [row["action"] for row in changes(EmissionInventory)] == ["created", "updated"]


def test_import_emissions_refuses_bad_rows_precisely_and_writes_nothing(suppliers):
    text = EMISSIONS_HEADER + (
        "S-1,2025,10,1,,,,,,\n"           # 2: good
        "S-1,1999,10,1,,,,,,\n"           # 3: before 2000
        "S-1,2027,10,1,,,,,,\n"           # 4: after the current year
        "S-2,2025,-1,1,,,,,,\n"           # 5: negative scope 1
        "S-2,2024,1,,,,,,,\n"             # 6: no scope 2 figure
        "S-2,2023,1,1,,,0,USD,,\n"        # 7: revenue 0
        "S-2,2022,1,1,,,100,,,\n"         # 8: revenue without currency
        "S-2,2021,1,1,,-2,,,,\n"          # 9: negative scope 3
        "S-9,2025,1,1,,,,,,\n"            # 10: unknown supplier
        "S-1,2025,1,1,,,,,,\n"            # 11: duplicate of row 2
        "S-2,2020,1,,-1,,,,sap,maybe\n"   # 12: negative location, unknown source, bad bool
        "S-2,25,1,1,,,,,,\n"              # 13: not a year
        "S-2,2019,,1,,,100,ABC,,\n"       # 14: scope 1 required, unknown currency
    )
    assert errors_of(EmissionInventoryImporter, text) == [
        "row 3, column year: 1999 is before 2000",
        "row 4, column year: 2027 is after the current year 2026",
        "row 5, column scope1_tco2e: -1 is below the minimum 0",
        "row 6, column scope2_market_tco2e: at least one scope 2 figure is required "
        "(scope2_market_tco2e or scope2_location_tco2e)",
        "row 7, column revenue: 0 must be greater than 0",
        "row 8, column revenue_currency: a revenue needs its currency",
        "row 9, column scope3_tco2e: -2 is below the minimum 0",
        "row 10, column supplier_code: unknown supplier code 'S-9'",
        "row 11, column year: duplicate of row 2 (S-1, 2025)",
        "row 12, column scope2_location_tco2e: -1 is below the minimum 0",
        "row 12, column source: 'sap' is not a known source; expected one of: cdp, rba, other",
        "row 12, column verified: 'maybe' is not a yes/no value; use true/false, yes/no, 1/0 or y/n",
        "row 13, column year: '25' is not a year (YYYY)",
        "row 14, column revenue_currency: 'ABC' is not an ISO 4217 currency code",
        "row 14, column scope1_tco2e: a value is required",
    ]
    assert EmissionInventory.objects.count() == 0


def test_import_emissions_requires_its_columns(suppliers):
    assert errors_of(EmissionInventoryImporter, "supplier_code,year\nS-1,2025\n") == [
        "row 1, column scope1_tco2e: required column is missing from the header"]


def test_import_emission_factors_matches_commodity_trimmed_and_case_insensitively(tmp_path, capsys):
    path = tmp_path / "factors.csv"
    path.write_text("commodity,tco2e_per_unit\n Steel ,0.002\n*,0.0005\n", encoding="utf-8")
    call_command("import_emission_factors", str(path))
    assert "created 2, updated 0, unchanged 0" in capsys.readouterr().out
    result = run(EmissionFactorImporter, "commodity,tco2e_per_unit\nSTEEL,0.003\n*,0.0005\n")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert [(f.commodity, f.commodity_key, f.tco2e_per_unit) for f in EmissionFactor.objects.all()] == [
        ("*", "*", Decimal("0.0005")), ("STEEL", "steel", Decimal("0.003"))]


def test_import_emission_factors_refuses_bad_rows_and_writes_nothing():
    text = "commodity,tco2e_per_unit\nsteel,0.1\n STEEL,0.2\nPCBA,-0.1\nCables,abc\n"
    assert errors_of(EmissionFactorImporter, text) == [
        "row 3, column commodity: duplicate of row 2 (steel)",
        "row 4, column tco2e_per_unit: -0.1 is below the minimum 0",
        "row 5, column tco2e_per_unit: 'abc' is not a number (use digits with a dot as decimal separator)",
    ]
    assert EmissionFactor.objects.count() == 0


def test_import_emissions_command_exit_1_and_dry_run(suppliers, tmp_path, capsys):
    path = tmp_path / "e.csv"
    path.write_text(EMISSIONS_HEADER + "S-1,2025,10,1,,,,,,\n", encoding="utf-8")
    call_command("import_emissions", str(path), "--dry-run")
    assert EmissionInventory.objects.count() == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(EMISSIONS_HEADER + "S-1,2025,10,,,,,,,\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_emissions", str(bad))
    assert exit_info.value.code == 1


def test_import_suppliers_publishable_and_identifiers():
    text = ("code,name,country,category,publishable,lei,duns,ecovadis_id,cdp_account\n"
            "S-1,One,CN,production,no,529900T8BM49AURSDO55,123456789,EV-1,CDP-1\n"
            "S-2,Two,CN,production,,,,,\n")
    run(SupplierImporter, text)
    s1, s2 = Supplier.objects.order_by("code")
    assert (s1.publishable, s1.lei, s1.duns, s1.ecovadis_id, s1.cdp_account) == (
        False, "529900T8BM49AURSDO55", "123456789", "EV-1", "CDP-1")
    assert (s2.publishable, s2.lei) == (True, "")
    run(SupplierImporter, "code,name,country,category,publishable\nS-1,One,CN,production,yes\n")
    s1.refresh_from_db()
    assert s1.publishable is True
    assert changes(Supplier, "S-1", action="updated")[-1]["changes"]["publishable"] == [False, True]
    assert errors_of(SupplierImporter, "code,name,country,category,publishable\nS-3,Three,CN,production,perhaps\n") \
        == ["row 2, column publishable: 'perhaps' is not a yes/no value; use true/false, yes/no, 1/0 or y/n"]


def test_import_sites_address_and_province(make_supplier):
    make_supplier("S-1")
    run(SiteImporter, "supplier_code,site_code,name,country,city,province,address,is_production\n"
                      "S-1,S-1-A,Plant,CN,Shenzhen,Guangdong,\"1 Road, Bao'an\",yes\n"
                      "S-1,S-1-B,Plant 2,CN,,,,yes\n")
    a, b = Site.objects.order_by("code")
    assert (a.city, a.province, a.address) == ("Shenzhen", "Guangdong", "1 Road, Bao'an")
    assert (b.province, b.address) == ("", "")


def _workbook(rows, percent_cells=()) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    for coordinate in percent_cells:
        book.active[coordinate].number_format = "0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_emissions_reads_cells_like_every_import(suppliers):
    """Codes are normalised at the edge (full-width is ASCII); a percent-formatted tCO2e cell is
    refused, never read as a fraction (docs/imports.md, "Files from Excel, WPS and other tools")."""
    header = ["supplier_code", "year", "scope1_tco2e", "scope2_market_tco2e"]
    refused = _workbook([header, ["Ｓ－１", 2025, 0.85, 20]], percent_cells=["C2"])
    with pytest.raises(ImportFailed) as failure:
        EmissionInventoryImporter(actor="test").run(refused)
    assert [(e.row, e.column) for e in failure.value.errors] == [(2, "scope1_tco2e")]
    assert "percentage" in failure.value.errors[0].message
    assert not EmissionInventory.objects.exists()
    EmissionInventoryImporter(actor="test").run(_workbook([header, ["Ｓ－１", 2025, 85, 20]]))
    assert EmissionInventory.objects.get().supplier.code == "S-1"
