"""The XLSX workbook, opened with openpyxl and checked against the stored results."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from audits.models import Finding
from core.quarter import Quarter
from reports import exporters, selectors
from reports.scores_csv import SCORE_COLUMNS, NoStoredScores, scores_csv_text
from scoring import breakdown
from scoring.methodology import V1
from scoring.models import CoverageSnapshot, QuarterlyScore
from scoring.services import score_run_now
from tests.reports.conftest import Q3

pytestmark = pytest.mark.django_db

TWO_DECIMALS = {"spend_basis", "score", "rba", "environment", "minerals", "ecovadis", "esg_disclosure"}


@pytest.fixture
def workbook_path(quarter_scored, tmp_path):
    path = tmp_path / "report.xlsx"
    exporters.write_workbook(Q3, path)
    return path


@pytest.fixture
def workbook(workbook_path):
    return openpyxl.load_workbook(workbook_path)


def rows(ws) -> list[tuple]:
    return [row for row in ws.iter_rows(values_only=True) if any(cell is not None for cell in row)]


def as_dicts(ws) -> list[dict]:
    header, *body = rows(ws)
    return [dict(zip(header, row, strict=True)) for row in body]


def test_workbook_has_every_sheet_in_reading_order(workbook):
    assert workbook.sheetnames == ["Summary", "Scores", "Movers", "Indicators", "Indicator values", "Coverage gaps",
                                   "Audits", "Findings", "QBR", "Emissions"]
    for name in workbook.sheetnames[1:]:
        ws = workbook[name]
        assert ws.freeze_panes in ("A2", "C2", "D2"), name
        assert ws.auto_filter.ref.startswith("A1:"), name
        assert all(cell.font.b for cell in ws[1] if cell.value is not None), name


def test_scores_sheet_holds_the_scores_csv_as_typed_cells(workbook):
    ws = workbook["Scores"]
    header, *body = rows(ws)
    assert list(header) == SCORE_COLUMNS
    expected = list(csv.reader(io.StringIO(scores_csv_text(Q3))))[1:]
    as_text = []
    for row in body:
        text = []
        for name, value in zip(SCORE_COLUMNS, row, strict=True):
            if value is None:
                text.append("")
            elif name in TWO_DECIMALS:
                text.append(f"{value:.2f}")
            elif name == "completeness":
                text.append(f"{value:.4f}")
            else:
                text.append(value)
        as_text.append(text)
    assert as_text == expected
    assert ws.auto_filter.ref == f"A1:O{len(body) + 1}"
    score_cell = ws.cell(row=2, column=SCORE_COLUMNS.index("score") + 1)
    assert (score_cell.data_type, score_cell.number_format) == ("n", "0.00")
    assert ws.cell(row=2, column=SCORE_COLUMNS.index("spend_basis") + 1).number_format == "#,##0.00"
    grade_rules = ws.conditional_formatting
    assert {rule.formula[0] for cf in grade_rules for rule in cf.rules} == {'"A"', '"B"', '"C"', '"D"', '"X"'}
    assert {str(cf.sqref) for cf in grade_rules} == {f"H2:H{len(body) + 1}"}


def test_scores_sheet_values_are_the_stored_ones(workbook):
    by_code = {row["supplier_code"]: row for row in as_dicts(workbook["Scores"])}
    stored = QuarterlyScore.objects.filter(quarter="2026-Q3").select_related("supplier")
    assert set(by_code) == {score.supplier.code for score in stored} == {"A", "B", "C", "D"}
    for score in stored:
        row = by_code[score.supplier.code]
        assert row["supplier_name"] == ("'=Evil Corp" if score.supplier.code == "C" else score.supplier.name)
        assert row["score"] == pytest.approx(float(score.score))
        assert row["grade"] == score.grade
        assert row["population"] == score.population
    assert by_code["A"]["supplier_name"] == "深圳华强电子有限公司"
    assert by_code["D"]["rba"] is None  # EcoVadis-only: no subscores


def test_no_cell_anywhere_is_a_formula(workbook):
    formulas = [(ws.title, cell.coordinate) for ws in workbook for row in ws.iter_rows() for cell in row
                if cell.data_type == "f"]
    assert formulas == []


def test_summary_states_the_run_coverage_and_grade_counts(workbook, quarter_scored, workbook_path):
    summary = {row[0]: row[1:] for row in rows(workbook["Summary"])}
    assert summary["Quarter"][0] == "2026-Q3"
    assert summary["Methodology"][0] == "v1"
    assert summary["Score run"][0] == quarter_scored.pk
    assert f"score run {quarter_scored.pk} (v1" in summary["Produced from"][0]
    assert summary["Run input fingerprint"][0] == quarter_scored.fingerprint
    assert summary["Base currency"][0] == "USD"
    assert summary["Suppliers scored"][0] == 4
    coverage = CoverageSnapshot.objects.get(quarter="2026-Q3").data
    assert summary["Total spend basis"][0] == pytest.approx(coverage["total_spend"])
    for name, metric in coverage["metrics"].items():
        share, target, status = summary[name][:3]
        assert share == pytest.approx(metric["share"])
        assert target == pytest.approx(metric["target"])
        assert status == ("met" if metric["met"] else "missed")
    assert summary["full"][:2] == (3, pytest.approx(1100))
    assert summary["ecovadis_only"][:2] == (1, pytest.approx(40))
    assert summary["D"][:3] == (3, 0, 3)  # grade D: three full-scorecard suppliers
    assert summary["X"][:3] == (0, 1, 1)
    assert summary["A"][:3] == (0, 0, 0)
    with zipfile.ZipFile(workbook_path) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert "barChart" in chart and "Summary" in chart


def test_indicator_sheets_hold_stored_points_and_raw_values(workbook):
    points_header, *points_rows = rows(workbook["Indicators"])
    raw_header, *raw_rows = rows(workbook["Indicator values"])
    codes = [spec.code for spec in exporters.ordered_indicators(V1)]
    assert list(points_header) == ["supplier_code", "supplier_name", *codes] == list(raw_header)
    assert codes[:2] == ["RBA-01", "RBA-02"] and codes[-1] == "ESG-04"
    full = list(QuarterlyScore.objects.filter(quarter="2026-Q3", population="full").order_by("rank")
                .select_related("supplier"))
    assert [row[0] for row in points_rows] == [score.supplier.code for score in full] == [row[0] for row in raw_rows]
    for score, point_row, raw_row in zip(full, points_rows, raw_rows, strict=True):
        for code, point, raw in zip(codes, point_row[2:], raw_row[2:], strict=True):
            entry = score.points[code]
            if entry["status"] == "value":
                assert point == pytest.approx(entry["points"]), (score.supplier.code, code)
                assert raw == (pytest.approx(entry["raw"]) if isinstance(entry["raw"], float) else entry["raw"])
            else:
                expected = {"missing": "missing", "not_applicable": "n/a"}[entry["status"]]
                assert point == raw == expected, (score.supplier.code, code)
    a = dict(zip(points_header, points_rows[0], strict=True))
    assert a["RBA-02"] == pytest.approx(90.0) and a["ENV-03"] == pytest.approx(75.0)
    a_raw = dict(zip(raw_header, raw_rows[0], strict=True))
    assert (a_raw["RBA-02"], a_raw["ENV-03"], a_raw["RBA-07"]) == (180, "B", "low")


def test_coverage_gaps_list_every_metric_gap(workbook):
    coverage = CoverageSnapshot.objects.get(quarter="2026-Q3").data
    expected = [(name, gap["supplier"], pytest.approx(gap["spend"]), pytest.approx(gap["cumulative_share"]))
                for name, metric in coverage["metrics"].items() for gap in metric["gaps"]]
    got = [(row["metric"], row["supplier_code"], row["spend"], row["cumulative_share"])
           for row in as_dicts(workbook["Coverage gaps"])]
    assert got == expected
    names = {row["supplier_code"]: row["supplier_name"] for row in as_dicts(workbook["Coverage gaps"])}
    assert names["A"] == "深圳华强电子有限公司"


def test_audits_sheet_has_each_site_with_its_latest_full_audit(workbook):
    sites = {row["site_code"]: row for row in as_dicts(workbook["Audits"])}
    assert set(sites) == {"A-F1", "B-F1", "B-F2", "C-F1", "D-F1"}
    a = sites["A-F1"]
    assert (a["latest_full_audit"], a["score"], a["recognition"], a["status"]) == ("AUD-A1", 180, "gold", "valid")
    assert a["valid_until"].date() == dt.date(2027, 6, 14)
    assert (sites["B-F1"]["status"], sites["B-F1"]["valid_until"].date()) == ("expired", dt.date(2026, 9, 29))
    assert sites["C-F1"]["status"] == "never_audited" and sites["C-F1"]["latest_full_audit"] is None


def test_findings_sheet_lists_open_findings_with_overdue_flags(workbook):
    as_of = selectors.register_as_of(Q3)
    findings = {row["finding_ref"]: row for row in as_dicts(workbook["Findings"])}
    assert set(findings) == {"F-A2", "F-A3", "F-D1"}  # F-A1 was closed
    a2 = findings["F-A2"]
    assert a2["correction_overdue"] is True
    assert a2["days_overdue"] == (as_of - dt.date(2026, 3, 15)).days
    assert (a2["cap_state"], a2["cap_owner"]) == ("not_started", "王经理")
    assert a2["cap_overdue"] is (Finding.objects.get(finding_ref="F-A2").cap_due_on < as_of)
    a3 = findings["F-A3"]
    assert (a3["correction_overdue"], a3["cap_overdue"], a3["cap_state"]) == (False, False, "submitted")
    d1 = findings["F-D1"]
    assert (d1["severity"], d1["zero_tolerance"], d1["correction_overdue"]) == ("priority", True, True)
    assert d1["correction_due_on"].date() == dt.date(2026, 4, 1)


def test_qbr_sheet_has_components_weights_used_esg_part_and_stored_total(workbook):
    cards = {row["supplier_code"]: row for row in as_dicts(workbook["QBR"])}
    a_score = QuarterlyScore.objects.get(quarter="2026-Q3", supplier__code="A")
    a = cards["A"]
    assert (a["quality"], a["delivery"], a["cost"], a["service"]) == (90, 80, 70, None)
    assert a["esg"] == pytest.approx(float(a_score.score))
    # service is missing: 30/25/20/10 rescaled over 85
    assert a["weight_quality"] == pytest.approx(30 / 85) and a["weight_esg"] == pytest.approx(10 / 85)
    assert a["weight_service"] is None
    assert a["esg_contribution"] == pytest.approx(round(float(a_score.score) * 10 / 85, 2))
    assert a["qbr_total"] == pytest.approx(float(a_score.qbr_total))
    assert a["qbr_incomplete"] is True
    b = cards["B"]
    assert (b["weight_quality"], b["weight_service"], b["qbr_incomplete"]) == (pytest.approx(0.3), pytest.approx(0.15),
                                                                              False)


def test_progress_is_reported_up_to_the_total(quarter_scored):
    seen = []
    assert exporters.write_workbook(Q3, io.BytesIO(), progress=lambda done, total: seen.append((done, total))) == 4
    # One unit per row of Scores (4), Indicators (full scorecard suppliers) and QBR (4), one per other
    # sheet (summary, movers, gaps, audits, findings, emissions) and one for saving.
    full = QuarterlyScore.objects.filter(quarter="2026-Q3", population="full").count()
    total = 4 + max(full, 1) + 4 + 7
    assert {t for _, t in seen} == {total}
    assert [d for d, _ in seen] == sorted({d for d, _ in seen}) and seen[-1] == (total, total)


def test_a_quarter_without_stored_scores_is_a_clear_error(quarter_scored):
    with pytest.raises(NoStoredScores, match="No stored scores for 2026-Q4"):
        exporters.write_workbook(Quarter.parse("2026-Q4"), io.BytesIO())


def test_the_results_of_a_replaced_run_are_never_exported(quarter_scored):
    score_run_now(quarter=Q3)  # a new run replaces the quarter's rows
    with pytest.raises(selectors.ScoresReplaced, match="2026-Q3"):
        exporters.write_workbook(Q3, io.BytesIO(), run=quarter_scored)
    with pytest.raises(selectors.ScoresReplaced):
        exporters.write_report_cards(Q3, io.BytesIO(), run=quarter_scored)


def test_points_to_gain_weigh_missing_and_low_points_by_their_weight():
    points = {spec.code: {"status": "value", "points": 100.0} for spec in V1.indicators}
    points["ENV-04"] = {"status": "missing", "points": None}
    points["ECO-01"] = {"status": "value", "points": 50.0}
    points["RBA-06"] = {"status": "not_applicable", "points": None}
    gains = breakdown.points_to_gain(V1, "full", points)
    assert [(g.code, g.points) for g in gains] == [("ENV-04", None), ("ECO-01", 50.0)]
    assert gains[0].gain == pytest.approx(4 * 100 / 96)  # RBA-06 (weight 4) left out
    assert gains[1].gain == pytest.approx(7 * 50 / 96)
    tail = breakdown.points_to_gain(V1, "ecovadis_only", points)
    assert [(g.code, g.gain) for g in tail] == [("ECO-01", pytest.approx(50.0))]


def test_summary_money_cells_are_decimals_rounded_to_cents(workbook, workbook_path):
    from decimal import Decimal

    from reports.exporters import _cents

    assert _cents(Decimal("1606813391.970001")) == Decimal("1606813391.97")
    assert _cents(1606813392.0199999) == Decimal("1606813392.02")
    assert _cents(Decimal("0.005")) == Decimal("0.01")
    with zipfile.ZipFile(workbook_path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    import re

    numbers = re.findall(r'<c r="[BC](?:9|1[5-7])"[^>]*><v>([^<]*)</v>', sheet)
    assert numbers and all(len(text.partition(".")[2]) <= 2 for text in numbers)


def test_the_workbook_reads_the_supplier_table_once(quarter_scored):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.spreadsheet import safe_cell

    with CaptureQueriesContext(connection) as queries:
        exporters.write_workbook(Q3, io.BytesIO())
    # Codes and names of every supplier (Movers, Coverage gaps, Audits, Emissions): one read.
    name_reads = [query["sql"] for query in queries.captured_queries
                  if 'FROM "suppliers_supplier"' in query["sql"] and '"suppliers_supplier"."name"' in query["sql"]]
    assert len(name_reads) == 1, name_reads
    book = openpyxl.load_workbook(io.BytesIO(_written(Q3)))
    movers = as_dicts(book["Movers"])
    names = selectors.supplier_names()
    assert movers and all(safe_cell(names[row["supplier code"]]) == row["supplier name"] for row in movers)


def _written(quarter) -> bytes:
    buffer = io.BytesIO()
    exporters.write_workbook(quarter, buffer)
    return buffer.getvalue()
