"""import_suppliers / import_sites / import_spend / import_fx_rates per contract.md."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from core.importing import ImportFailed
from suppliers.importers import FxRateImporter, SiteImporter, SpendImporter, SupplierImporter
from suppliers.models import FxRate, Site, SpendRecord, Supplier, SupplierStatusChange
from tests.history import changes

pytestmark = pytest.mark.django_db

SUPPLIERS_CSV = (
    "code,name,legal_name,country,category,commodity,tier,status\n"
    "S-001,华强电子,深圳华强电子有限公司,CN,production,PCBA,1,active\n"
    "S-002,Müller Logistik,,de,non_production,,,\n"
)


def run(importer_class, text: str, **kwargs):
    return importer_class(actor="test").run(text.encode("utf-8"), **kwargs)


def errors_of(importer_class, text: str) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        run(importer_class, text)
    return [str(error) for error in failure.value.errors]


def test_import_suppliers_creates_with_defaults_and_records_status():
    result = run(SupplierImporter, SUPPLIERS_CSV)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    s1 = Supplier.objects.get(code="S-001")
    assert (s1.name, s1.legal_name, s1.tier, s1.status) == ("华强电子", "深圳华强电子有限公司", 1, "active")
    s2 = Supplier.objects.get(code="S-002")
    assert (s2.country, s2.status, s2.tier, s2.legal_name) == ("DE", "active", None, "")
    assert SupplierStatusChange.objects.filter(to_status="active").count() == 2
    assert [(row["object"], row["action"], row["channel"]) for row in changes(Supplier)] == [
        ("S-001", "created", "import:import_suppliers"), ("S-002", "created", "import:import_suppliers")]


def test_reimporting_the_same_file_changes_nothing():
    run(SupplierImporter, SUPPLIERS_CSV)
    before = list(Supplier.objects.values().order_by("code"))
    result = run(SupplierImporter, SUPPLIERS_CSV)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    after = list(Supplier.objects.values().order_by("code"))
    assert [{k: v for k, v in r.items() if k != "updated_at"} for r in before] == [
        {k: v for k, v in r.items() if k != "updated_at"} for r in after]


def test_update_counts_and_keeps_values_of_empty_optional_cells():
    run(SupplierImporter, SUPPLIERS_CSV)
    result = run(SupplierImporter, "code,name,country,category,legal_name\nS-001,华强电子 (new),CN,production,\n")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    s1 = Supplier.objects.get(code="S-001")
    assert s1.name == "华强电子 (new)"
    assert s1.legal_name == "深圳华强电子有限公司"  # empty cell = not given


def test_bad_rows_are_all_reported_and_nothing_is_written():
    text = (
        "code,name,country,category,tier,status\n"
        "S-1,Good,CN,production,1,active\n"
        "S-2,Bad country,XX,production,,\n"
        "S-3,,CN,factory,4,paused\n"
        "S-1,Duplicate,CN,production,,\n"
    )
    errors = errors_of(SupplierImporter, text)
    assert errors == [
        "row 3, column country: 'XX' is not an ISO 3166 alpha-2 country code",
        "row 4, column category: 'factory' is not a known category; expected one of: production, non_production",
        "row 4, column name: a value is required",
        "row 4, column status: 'paused' is not a known status; expected one of: candidate, active, suspended, "
        "terminated",
        "row 4, column tier: '4' is not one of 1, 2, 3",
        "row 5, column code: duplicate of row 2 (S-1)",
    ]
    assert Supplier.objects.count() == 0


def test_duplicate_natural_key_in_one_file_is_an_error():
    errors = errors_of(SupplierImporter, "code,name,country,category\nS-1,A,CN,production\nS-1,B,CN,production\n")
    assert errors == ["row 3, column code: duplicate of row 2 (S-1)"]
    assert Supplier.objects.count() == 0


def test_missing_required_header_is_reported_on_row_1():
    errors = errors_of(SupplierImporter, "code,name,country\nS-1,A,CN\n")
    assert errors == ["row 1, column category: required column is missing from the header"]


def test_refused_status_transition_is_a_row_error():
    run(SupplierImporter, "code,name,country,category,status\nS-1,A,CN,production,terminated\n")
    errors = errors_of(SupplierImporter, "code,name,country,category,status\nS-1,A,CN,production,active\n")
    assert errors == ["row 2, column status: a terminated supplier cannot become active; allowed: none (final)"]


def test_status_change_by_import_is_recorded_with_actor():
    run(SupplierImporter, SUPPLIERS_CSV)
    run(SupplierImporter, "code,name,country,category,status\nS-001,华强电子,CN,production,suspended\n")
    change = SupplierStatusChange.objects.filter(supplier__code="S-001").first()
    assert (change.from_status, change.to_status, change.changed_by_label) == ("active", "suspended", "test")


def test_dry_run_validates_and_counts_but_writes_nothing():
    result = run(SupplierImporter, SUPPLIERS_CSV, dry_run=True)
    assert (result.created, result.dry_run) == (2, True)
    assert Supplier.objects.count() == 0
    assert SupplierStatusChange.objects.count() == 0


def test_sites_need_known_suppliers_and_booleans():
    run(SupplierImporter, SUPPLIERS_CSV)
    errors = errors_of(SiteImporter, "supplier_code,site_code,name,country,is_production\n"
                                     "S-999,F-1,Plant,CN,yes\nS-001,F-2,Plant,CN,maybe\n")
    assert errors == [
        "row 2, column supplier_code: unknown supplier code 'S-999'",
        "row 3, column is_production: 'maybe' is not a yes/no value; use true/false, yes/no, 1/0 or y/n",
    ]
    assert Site.objects.count() == 0


def test_sites_import_accepts_all_boolean_spellings():
    run(SupplierImporter, SUPPLIERS_CSV)
    text = "supplier_code,site_code,name,country,is_production,city\n" + "".join(
        f"S-001,F-{i},Plant {i},CN,{word},东莞\n" for i, word in enumerate(["Y", "n", "TRUE", "no", "1", "0"]))
    assert run(SiteImporter, text).created == 6
    assert list(Site.objects.order_by("code").values_list("is_production", flat=True)) == [
        True, False, True, False, True, False]
    assert Site.objects.get(code="F-0").status == "active"


def test_spend_import_upserts_on_supplier_quarter_currency(tmp_path):
    run(SupplierImporter, SUPPLIERS_CSV)
    text = "supplier_code,quarter,amount,currency\nS-001,2026-Q1,1000.50,USD\nS-001,2026-Q1,-20,CNY\n"
    assert run(SpendImporter, text).created == 2
    result = run(SpendImporter, "supplier_code,quarter,amount,currency\nS-001,2026-Q1,1200,USD\n"
                                "S-001,2026-Q1,-20.0000,cny\n")
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert SpendRecord.objects.get(currency="USD").amount == Decimal("1200")


@pytest.mark.parametrize(("row", "expected"), [
    ("S-001,2026Q1,10,USD", "row 2, column quarter: '2026Q1' is not a quarter; expected YYYY-Qn, e.g. 2026-Q3"),
    ("S-001,2026-Q1,1e5,USD", "row 2, column amount: '1e5' is not a number (use digits with a dot as decimal "
                              "separator)"),
    ("S-001,2026-Q1,\"1,000\",USD", "row 2, column amount: '1,000' is not a number (use digits with a dot as "
                                    "decimal separator)"),
    ("S-001,2026-Q1,10,XYZ", "row 2, column currency: 'XYZ' is not an ISO 4217 currency code"),
    ("S-404,2026-Q1,10,USD", "row 2, column supplier_code: unknown supplier code 'S-404'"),
])
def test_spend_row_errors(row, expected):
    run(SupplierImporter, SUPPLIERS_CSV)
    assert errors_of(SpendImporter, "supplier_code,quarter,amount,currency\n" + row + "\n") == [expected]
    assert SpendRecord.objects.count() == 0


def test_fx_rates_must_be_positive():
    errors = errors_of(FxRateImporter, "quarter,currency,rate_to_base\n2026-Q1,CNY,0\n2026-Q1,EUR,-1.1\n")
    assert errors == ["row 2, column rate_to_base: 0 must be greater than 0",
                      "row 3, column rate_to_base: -1.1 must be greater than 0"]
    assert run(FxRateImporter, "quarter,currency,rate_to_base\n2026-Q1,CNY,0.1385\n").created == 1
    assert FxRate.objects.get().rate_to_base == Decimal("0.1385")


def test_command_prints_counts_and_exits_1_with_row_errors(tmp_path, capsys):
    good = tmp_path / "suppliers.csv"
    good.write_bytes(SUPPLIERS_CSV.encode("utf-8"))
    call_command("import_suppliers", str(good))
    assert "created 2, updated 0, unchanged 0" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,country,category\nS-9,X,ZZ,production\n")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_suppliers", str(bad))
    assert exit_info.value.code == 1
    assert "row 2, column country: 'ZZ' is not an ISO 3166 alpha-2 country code" in capsys.readouterr().err
    assert not Supplier.objects.filter(code="S-9").exists()


def test_a_semicolon_separated_file_gets_one_clear_error():
    errors = errors_of(SupplierImporter, "code;name;country;category\nS-1;A;CN;production\n")
    assert errors == ["row 1, column -: the header is one column separated by ';': save the file as "
                      "comma-separated CSV"]


def test_an_import_cannot_activate_an_unscreened_candidate():
    run(SupplierImporter, "code,name,country,category,status\nC-1,Cand,CN,production,candidate\n")
    errors = errors_of(SupplierImporter, "code,name,country,category,status\nC-1,Cand,CN,production,active\n")
    assert len(errors) == 1 and errors[0].startswith("row 2, column status: ") and "screening" in errors[0]
    assert Supplier.objects.get(code="C-1").status == "candidate"
