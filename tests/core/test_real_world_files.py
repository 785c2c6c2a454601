"""The real-world files of ``shared/cases/real-world`` (see its README): each is imported from
the command line and through the API upload, with its exact outcome: the rows stored, or the
exact row errors with nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from audits.models import Audit, Finding
from core import roles
from core.tabular import ENCODING_REFUSAL
from scoring.models import IndicatorValue
from suppliers.models import FxRate, Site, SpendRecord, Supplier

CASES = Path(settings.BASE_DIR).parent / "shared" / "cases" / "real-world"
pytestmark = pytest.mark.skipif(not CASES.is_dir(), reason="shared/cases/real-world is not beside the clone")

TODAY = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
ENDPOINTS = {
    "import_suppliers": "suppliers", "import_sites": "sites", "import_spend": "spend",
    "import_fx_rates": "fx-rates", "import_indicator_values": "indicator-values",
    "import_audits": "audits", "import_findings": "findings",
}


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def base(db):
    for name in ("suppliers", "sites", "audits", "findings", "spend"):
        call_command(f"import_{name}", str(CASES / "base" / f"{name}.csv"))


class CommandLine:
    def __init__(self, capsys):
        self.capsys = capsys

    def __call__(self, command: str, path: Path):
        """(ok, output lines): errors and warnings as printed."""
        self.capsys.readouterr()
        try:
            call_command(command, str(path))
        except SystemExit as exit_info:
            assert exit_info.code == 1
            err = self.capsys.readouterr().err.splitlines()
            return False, [line for line in err if line.startswith("row ")], \
                [line.removeprefix("warning: ") for line in err if line.startswith("warning: ")]
        out = self.capsys.readouterr().out.splitlines()
        return True, out[-1:], [line.removeprefix("warning: ") for line in out if line.startswith("warning: ")]


class Api:
    def __init__(self, client):
        self.client = client

    def __call__(self, command: str, path: Path):
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        response = self.client.post(f"/api/v1/{ENDPOINTS[command]}/import/", {"file": upload}, format="multipart")
        body = response.json()
        if response.status_code == 400:
            return False, [f"row {e['row']}, column {e['column']}: {e['message']}" for e in body["errors"]], \
                body["warnings"]
        assert response.status_code == 200, body
        return True, [f"created {body['created']}, updated {body['updated']}, unchanged {body['unchanged']}"], \
            body["warnings"]


@pytest.fixture(params=["command", "api"])
def importing(request, base, capsys):
    if request.param == "command":
        return CommandLine(capsys)
    return Api(request.getfixturevalue("api_as")(roles.PROCUREMENT_ANALYST))


def snapshot():
    return (
        sorted(Supplier.objects.values_list("code", "name", "legal_name", "commodity")),
        sorted(Site.objects.values_list("code", "name", "city")),
        sorted(SpendRecord.objects.values_list("supplier__code", "quarter", "currency", "amount")),
        sorted(FxRate.objects.values_list("quarter", "currency", "rate_to_base")),
        sorted(Audit.objects.values_list("audit_ref", "conducted_on")),
        sorted(Finding.objects.values_list("finding_ref", "zero_tolerance", "correction_due_on", "closed_on")),
        sorted(IndicatorValue.objects.values_list("supplier__code", "quarter", "indicator__code", "value")),
    )


def refused(importing, command, name):
    before = snapshot()
    ok, lines, _ = importing(command, CASES / name)
    assert not ok
    assert snapshot() == before
    return lines


def test_percent_formatted_values_are_the_displayed_percentage(importing):
    ok, lines, _ = importing("import_indicator_values", CASES / "values_percent_formatted.xlsx")
    assert (ok, lines) == (True, ["created 4, updated 0, unchanged 0"])
    assert sorted(IndicatorValue.objects.values_list("supplier__code", "indicator__code", "value")) == [
        ("SUP-001", "ENV-06", "85"), ("SUP-001", "ENV-08", "60"),
        ("SUP-002", "ESG-04", "35"), ("SUP-002", "MIN-02", "100"),
    ]


def test_windows_1252_is_refused_with_one_message(importing):
    assert refused(importing, "import_suppliers", "suppliers_windows1252.csv") == [
        f"row 1, column -: {ENCODING_REFUSAL}"]


def test_formula_cells_use_their_cached_result_and_extra_columns_are_reported(importing):
    ok, lines, warnings = importing("import_suppliers", CASES / "suppliers_formula_cells.xlsx")
    assert (ok, lines) == (True, ["created 2, updated 0, unchanged 0"])
    assert warnings == ["row 1: ignored column(s) not read by import_suppliers: registered_name_lookup"]
    assert sorted(Supplier.objects.filter(code__in=["SUP-201", "SUP-202"])
                  .values_list("code", "legal_name", "commodity", "country")) == [
        ("SUP-201", "Birch Fasteners Vietnam JSC", "fasteners", "VN"), ("SUP-202", "", "", "TH")]


def test_excel_error_cells_are_row_errors_naming_the_error(importing):
    assert refused(importing, "import_sites", "sites_excel_error_cells.xlsx") == [
        "row 2, column city: the cell holds the Excel error #N/A; correct the formula or type the value",
        "row 2, column name: the cell holds the Excel error #N/A; correct the formula or type the value",
        "row 3, column city: the cell holds the Excel error #REF!; correct the formula or type the value",
    ]


def test_lookalike_codes_are_refused_naming_the_character(importing):
    rule = "a code may only hold ASCII letters, digits and - _ . /"
    assert refused(importing, "import_suppliers", "suppliers_lookalike_codes.csv") == [
        f"row 2, column code: 'SUP-001\\u200b' contains U+200B ZERO WIDTH SPACE; {rule}",
        f"row 3, column code: 'SUP\u2011002' contains U+2011 NON-BREAKING HYPHEN; {rule}",
        f"row 4, column code: '\\ufeffSUP-003' contains U+FEFF ZERO WIDTH NO-BREAK SPACE; {rule}",
    ]
    assert Supplier.objects.filter(code__startswith="SUP").count() == 3


def test_a_used_range_down_to_the_last_row_reads_the_two_rows(importing):
    ok, lines, _ = importing("import_spend", CASES / "spend_used_range_to_last_row.xlsx")
    assert (ok, lines) == (True, ["created 0, updated 2, unchanged 0"])
    assert sorted(SpendRecord.objects.values_list("supplier__code", "quarter", "currency", "amount")) == [
        ("SUP-001", "2026-Q3", "USD", Decimal("125000.5")), ("SUP-002", "2026-Q3", "USD", Decimal("98000"))]


def test_a_stale_dimension_hides_no_row(importing):
    assert refused(importing, "import_spend", "spend_stale_dimension.xlsx") == [
        "row 6, column amount: 'abc' is not a number (use digits with a dot as decimal separator)"]


def test_an_audit_in_the_future_is_refused(importing):
    assert refused(importing, "import_audits", "audits_implausible_dates.csv") == [
        "row 2, column conducted_on: conducted_on 2062-03-15 is after today (2026-11-30)"]


def test_a_due_date_before_opening_and_a_closure_in_the_future_are_refused(importing):
    assert refused(importing, "import_findings", "findings_implausible_dates.csv") == [
        "row 2, column due_on: due_on is before opened_on",
        "row 3, column closed_on: closed_on 2062-04-01 is after today (2026-11-30)",
    ]


def test_spaced_headers_match_and_a_near_miss_is_an_error(importing):
    assert refused(importing, "import_findings", "findings_spaced_headers.csv") == [
        "row 1, column due date: unknown column; did you mean due_on?"]


def test_spaced_headers_keep_the_zero_tolerance_gate(base, tmp_path):
    text = (CASES / "findings_spaced_headers.csv").read_text().replace("due date", "Due-On", 1)
    path = tmp_path / "findings.csv"
    path.write_text(text)
    call_command("import_findings", str(path))
    assert sorted(Finding.objects.filter(finding_ref__in=["F-401", "F-402"])
                  .values_list("finding_ref", "zero_tolerance", "correction_due_on", "closed_on")) == [
        ("F-401", True, dt.date(2025, 12, 20), None),
        ("F-402", False, dt.date(2026, 5, 19), dt.date(2026, 3, 2)),
    ]
    assert Supplier.objects.get(code="SUP-001").termination_review is True


def test_a_base_currency_rate_other_than_one_is_refused(importing):
    assert refused(importing, "import_fx_rates", "fx_base_currency_rate.csv") == [
        "row 2, column rate_to_base: USD is the base currency: its rate_to_base is 1, not 0.5"]


def test_excel_sep_line_is_understood(importing):
    ok, lines, _ = importing("import_spend", CASES / "spend_excel_sep_line.csv")
    assert (ok, lines) == (True, ["created 1, updated 0, unchanged 0"])
    assert SpendRecord.objects.get(supplier__code="SUP-001", currency="EUR").amount == Decimal("1500.50")

