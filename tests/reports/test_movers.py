"""The workbook's Movers sheet: every supplier's change decomposition (``scoring.decomposition``)
against the previous quarter, complete, sorted, adding up to the total change, the lines the
API gives, in a number of queries that does not grow with suppliers."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from core.quarter import Quarter
from reports import exporters
from scoring import methodology_drafts, services
from scoring.decomposition import decompose, decompose_quarter
from scoring.models import Indicator, IndicatorValue, Methodology
from suppliers.models import SpendRecord

pytestmark = pytest.mark.django_db

Q2, Q3 = Quarter.parse("2026-Q2"), Quarter.parse("2026-Q3")
# (indicator, Q2 value, Q3 value) cycled over the suppliers: some move, some stay.
VALUES = [("ECO-01", "60", "70"), ("ENV-06", "50", "50"), ("MIN-01", "false", "true"), ("ENV-03", "B", "A"),
          ("ESG-01", "yes", "no")]


def build(make_supplier, make_site, count: int, start: int = 0) -> None:
    codes = {indicator.code: indicator for indicator in Indicator.objects.all()}
    now = timezone.now()
    for n in range(start, start + count):
        supplier = make_supplier(f"M-{n:03d}", name=f"Mover {n}")
        if n % 4:
            make_site(supplier)
        for quarter in ("2026-Q2", "2026-Q3"):
            SpendRecord.objects.create(supplier=supplier, quarter=quarter, currency="USD", amount=1000 - n)
        for i, (code, before, after) in enumerate(VALUES):
            if (n + i) % 3 == 0:
                continue
            for quarter, value in (("2026-Q2", before), ("2026-Q3", after if n % 2 else before)):
                IndicatorValue.objects.create(supplier=supplier, quarter=quarter, indicator=codes[code], value=value,
                                              state="accepted", submitted_at=now)


def score_both() -> object:
    """Both quarters under v1 (official)."""
    v1 = Methodology.objects.get(version="v1")
    services.score_run_now(quarter=Q2, methodology=v1, actor="test")
    return services.score_run_now(quarter=Q3, methodology=v1, actor="test")


def new_methodology():
    draft = methodology_drafts.draft_create(version="v2", based_on=None, description="", actor="test")
    methodology_drafts.weights_set(methodology=draft, changes=[{"code": "ECO-01", "weight": "10"},
                                                               {"code": "ENV-06", "weight": "0"}], actor="test")
    return services.methodology_publish(methodology=draft, actor="test")


def sheet_rows(quarter, run) -> dict[str, list[list]]:
    by_supplier: dict[str, list[list]] = {}
    for row in exporters.movers_rows(quarter, run):
        by_supplier.setdefault(row[0], []).append(row)
    return by_supplier


def _api_lines(api_as, code: str) -> list[tuple]:
    body = api_as("procurement_admin").get(f"/api/v1/scores/decomposition/{code}/?quarter=2026-Q3").json()
    return body, [(line["kind"], line["code"], Decimal(str(line["effect"]))) for line in body["lines"]]


@pytest.mark.parametrize("methodology_change", [False, True])
def test_each_suppliers_lines_add_up_to_its_change_and_are_the_apis(make_supplier, make_site, api_as,
                                                                     methodology_change):
    build(make_supplier, make_site, 8)
    run = score_both()
    if methodology_change:
        run = services.score_run_now(quarter=Q3, methodology=new_methodology(), actor="test")
    rows = sheet_rows(Q3, run)
    assert len(rows) >= 4  # the suppliers that moved
    for code, lines in rows.items():
        total = lines[0][4]
        assert all(line[4] == total for line in lines)
        assert abs(sum(line[11] for line in lines) - total) <= Decimal("0.01")
        body, api = _api_lines(api_as, code)
        assert Decimal(str(body["total"])) == total
        data = [(line[5], line[7] or "", line[11]) for line in lines if line[5] != "method"]
        assert data == api
        method = [line[11] for line in lines if line[5] == "method"]
        assert method == ([Decimal(str(body["method_effect"]))] if Decimal(str(body["method_effect"])) else [])
        indicators = [line for line in lines if line[5] == "indicator"]
        effects = [abs(line[11]) for line in lines if line[5] not in ("method", "rounding")]
        assert effects == sorted(effects, reverse=True)  # largest effect first, none cut
        assert all(line[6] and line[7] for line in indicators)
    if methodology_change:
        assert any(line[5] == "method" for lines in rows.values() for line in lines)
    # Suppliers in order of their absolute change, largest first.
    totals = [abs(lines[0][4]) for lines in rows.values()]
    assert totals == sorted(totals, reverse=True)


def test_the_bulk_decomposition_is_the_single_suppliers_one(make_supplier, make_site):
    build(make_supplier, make_site, 6)
    score_both()
    services.score_run_now(quarter=Q3, methodology=new_methodology(), actor="test")
    changes = decompose_quarter(Q3)
    assert changes
    for supplier_id, change in changes.items():
        assert change == decompose(supplier_id, Q3)
        assert change.previous_new_source == "computed"


def test_unchanged_indicators_are_not_listed(make_supplier, make_site):
    build(make_supplier, make_site, 4)
    run = score_both()
    rows = sheet_rows(Q3, run)
    for lines in rows.values():
        assert "ENV-06" not in [line[7] for line in lines]  # 50 in both quarters
    assert not any(code.endswith(("000", "002")) for code in rows)  # even suppliers did not move


@pytest.mark.parametrize("methodology_change", [False, True])
def test_the_sheet_does_not_query_per_supplier(make_supplier, make_site, methodology_change):
    build(make_supplier, make_site, 3)
    run = score_both()
    methodology = new_methodology() if methodology_change else None

    def count(run):
        if methodology is not None:
            run = services.score_run_now(quarter=Q3, methodology=methodology, actor="test")
        with CaptureQueriesContext(connection) as small:
            rows = list(exporters.movers_rows(Q3, run))
        return len(small.captured_queries), len(rows)

    small_queries, small_rows = count(run)
    build(make_supplier, make_site, 12, start=3)
    run = score_both()
    large_queries, large_rows = count(run)
    assert large_rows > small_rows
    assert large_queries == small_queries


def test_the_sheet_in_the_workbook_has_translated_headers(make_supplier, make_site, tmp_path):
    build(make_supplier, make_site, 4)
    score_both()
    path = tmp_path / "en.xlsx"
    exporters.write_workbook(Q3, path)
    english = openpyxl.load_workbook(path)["Movers"]
    header = [cell.value for cell in english[1]]
    assert header[:5] == ["supplier code", "supplier name", "previous score", "score", "total change"]
    body = [row for row in english.iter_rows(min_row=2, values_only=True) if row[0]]
    assert body and english.freeze_panes == "C2"
    with translation.override("zh-hans"):
        exporters.write_workbook(Q3, tmp_path / "zh.xlsx")
    chinese = openpyxl.load_workbook(tmp_path / "zh.xlsx")["Movers"]
    zh_header = [cell.value for cell in chinese[1]]
    assert zh_header[0] == "供应商代码"
    assert all(value != english_value for value, english_value in zip(zh_header, header, strict=True))
    what = {row[6] for row in chinese.iter_rows(min_row=2, values_only=True) if row[5] == "rounding"}
    assert what <= {"舍入到 0.01"}
