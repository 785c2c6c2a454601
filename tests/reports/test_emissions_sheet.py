"""The workbook's Emissions sheet and the stored estimate (scorecard.md section 11): the sheet
carries exactly what ``disclosure.selectors.emissions_estimate`` computes (never a second
computation), from the estimate the recalculation stored when there is one."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from disclosure import selectors as disclosure_selectors
from disclosure.models import EmissionFactor, EmissionInventory, EmissionsEstimate
from reports import exporters
from scoring.services import score_run_now
from suppliers.models import Supplier
from tests.reports.conftest import Q3

pytestmark = pytest.mark.django_db


def sheet_rows(path):
    ws = openpyxl.load_workbook(path)["Emissions"]
    header, *body = [row for row in ws.iter_rows(values_only=True) if any(cell is not None for cell in row)]
    return [dict(zip(header, row, strict=True)) for row in body]


@pytest.fixture
def estimated(quarter_scored):
    EmissionFactor.objects.create(commodity="*", tco2e_per_unit=Decimal("0.0005"))
    first = Supplier.objects.order_by("code").first()
    EmissionInventory.objects.create(supplier=first, year=Q3.as_of.year - 1, scope1_tco2e=Decimal("100"),
                                     scope2_market_tco2e=Decimal("50"), revenue=Decimal("1e9"),
                                     revenue_currency="USD")
    return quarter_scored


def test_sheet_is_the_estimate_line_for_line(estimated, tmp_path):
    path = tmp_path / "report.xlsx"
    exporters.write_workbook(Q3, path)
    report = disclosure_selectors.emissions_estimate(Q3)
    rows = sheet_rows(path)
    total, *rest = rows
    assert (total["line"], total["tco2e"], total["suppliers"]) == ("total", report["total_tco2e"],
                                                                   len(report["suppliers"]))
    methods = [row for row in rest if row["line"] == "method"]
    assert [(r["method"], r["suppliers"], r["spend_share"], r["tco2e"]) for r in methods] == [
        (name, report["methods"][name]["suppliers"], report["methods"][name]["spend_share"],
         report["methods"][name]["tco2e"]) for name in ("supplier_specific", "spend_based", "not_estimated")]
    specific = methods[0]
    assert specific["target"] == 0.95
    assert specific["status"] == ("met" if specific["spend_share"] >= 0.95 else "missed")
    suppliers = [row for row in rest if row["line"] == "supplier"]
    assert [(r["supplier_code"], r["method"], r["tco2e"]) for r in suppliers] == [
        (line["supplier"], line["method"], line["tco2e"]) for line in report["suppliers"]]
    assert report["methods"]["supplier_specific"]["suppliers"] == 1
    assert all(row["supplier_name"] for row in suppliers)


def test_sheet_reads_the_stored_estimate(estimated, tmp_path):
    stored = {"quarter": str(Q3), "base_currency": "USD", "total_tco2e": 1.5,
              "methods": {"supplier_specific": {"suppliers": 1, "spend_share": 0.96, "tco2e": 1.5},
                          "spend_based": {"suppliers": 0, "spend_share": 0.0, "tco2e": 0.0},
                          "not_estimated": {"suppliers": 0, "spend_share": 0.04, "tco2e": None}},
              "suppliers": [{"supplier": "SUP-X", "method": "supplier_specific", "tco2e": 1.5}]}
    EmissionsEstimate.objects.create(quarter=str(Q3), data=stored)
    path = tmp_path / "report.xlsx"
    exporters.write_workbook(Q3, path)
    rows = sheet_rows(path)
    assert rows[0]["tco2e"] == 1.5 and rows[1]["status"] == "met"
    assert rows[-1]["supplier_code"] == "SUP-X"


def test_a_successful_run_stores_the_estimate(estimated, django_capture_on_commit_callbacks):
    assert not EmissionsEstimate.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        score_run_now(quarter=Q3)
    stored = EmissionsEstimate.objects.get(quarter=str(Q3))
    assert stored.data == disclosure_selectors.emissions_estimate(Q3)
