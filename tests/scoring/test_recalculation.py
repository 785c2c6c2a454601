"""The whole quarterly path from contract.md files: import → recalculate_scores →
export_quarterly_report (csv) → coverage_report (json), against hand-computed values."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from scoring.models import CoverageSnapshot, QuarterlyScore, RunStatus, ScoreRun

pytestmark = pytest.mark.django_db

FILES = {
    "import_suppliers": (
        "code,name,country,category\n"
        "A,深圳华强电子,CN,production\nB,Müller Präzision,DE,production\nC,=Evil Corp,US,non_production\n"
        "D,Delta Parts,VN,production\nE,Zero Spend,US,production\n"
    ),
    "import_sites": (
        "supplier_code,site_code,name,country,is_production,status\n"
        "A,A-F1,深圳工厂,CN,yes,active\nB,B-F1,Werk 1,DE,yes,active\nB,B-F2,Werk 2,DE,yes,closed\n"
        "C,C-F1,Office,US,no,active\nD,D-F1,Plant,VN,y,active\n"
    ),
    "import_fx_rates": "quarter,currency,rate_to_base\n2026-Q3,CNY,0.15\n",
    "import_spend": (
        "supplier_code,quarter,amount,currency\n"
        "A,2026-Q3,4000,CNY\nB,2026-Q1,300,USD\nB,2025-Q3,1000,USD\nC,2025-Q4,60,USD\n"
        "D,2026-Q1,50,USD\nD,2026-Q2,-10,USD\nE,2026-Q2,-5,USD\n"
    ),
    "import_audits": (
        "audit_ref,site_code,audit_type,audit_firm,conducted_on,score,recognition,saq_risk\n"
        "AUD-A1,A-F1,vap_full,Firm,2025-06-15,180,gold,\n"
        "SAQ-A1,A-F1,saq,,2026-01-10,,,low\n"
        "AUD-B1,B-F1,vap_full,Firm,2024-09-30,195,platinum,\n"
        "AUD-D1,D-F1,vap_full,Firm,2026-03-01,150,none,\n"
    ),
    "import_findings": (
        "audit_ref,finding_ref,provision_code,severity,zero_tolerance,opened_on,due_on,closed_on\n"
        "AUD-A1,F-A1,B1,major,no,2025-06-15,2025-12-15,2025-12-01\n"
        "AUD-A1,F-A2,A3,minor,no,2025-06-15,2026-03-15,\n"
        "AUD-D1,F-D1,A1,priority,yes,2026-03-01,2026-04-01,\n"
    ),
    "import_indicator_values": (
        "supplier_code,quarter,indicator_code,value\n"
        "A,2026-Q2,ECO-01,60\nC,2026-Q3,ENV-01,yes\nC,2026-Q1,ENV-03,B\nC,2026-Q3,ENV-04,committed\n"
        "A,2025-Q2,ENV-01,yes\n"
    ),
}

EXPECTED_CSV = [
    ["supplier_code", "supplier_name", "quarter", "methodology", "population", "spend_basis", "score", "grade", "rba",
     "environment", "minerals", "ecovadis", "esg_disclosure", "completeness", "flags"],
    ["A", "深圳华强电子", "2026-Q3", "v1", "full", "600.00", "36.10", "D", "91.14", "0.00", "0.00", "28.00", "0.00",
     "0.3125", "low_completeness"],
    ["B", "Müller Präzision", "2026-Q3", "v1", "full", "300.00", "15.63", "D", "48.39", "0.00", "0.00", "0.00",
     "0.00", "0.1935", "low_completeness;no_valid_audit"],
    ["C", "'=Evil Corp", "2026-Q3", "v1", "full", "60.00", "15.72", "D", "100.00", "27.40", "0.00", "0.00", "0.00",
     "0.1667", "low_completeness"],
    ["D", "Delta Parts", "2026-Q3", "v1", "ecovadis_only", "40.00", "0.00", "X", "", "", "", "", "", "",
     "no_ecovadis;open_priority_finding;termination_review"],
]


@pytest.fixture
def scenario(tmp_path):
    for command, text in FILES.items():
        path = tmp_path / f"{command}.csv"
        path.write_text(text, encoding="utf-8")
        call_command(command, str(path), stdout=io.StringIO())
    return tmp_path


def test_recalculation_export_and_coverage_match_the_hand_computed_quarter(scenario, capsys):
    call_command("recalculate_scores", "--quarter", "2026-Q3")
    assert "4 suppliers scored, 3 full scorecard, 1 EcoVadis-only, 1 in termination review" in capsys.readouterr().out

    output = scenario / "scores.csv"
    call_command("export_quarterly_report", "--quarter", "2026-Q3", "--format", "csv", "--output", str(output),
                 stdout=io.StringIO())
    assert list(csv.reader(output.read_text(encoding="utf-8").splitlines())) == EXPECTED_CSV

    call_command("coverage_report", "--quarter", "2026-Q3", "--format", "json")
    coverage = json.loads(capsys.readouterr().out)
    assert coverage["quarter"] == "2026-Q3"
    assert coverage["base_currency"] == "USD"
    assert coverage["total_spend"] == 1000.0
    assert coverage["target"] == 0.95
    assert coverage["populations"] == {"full": {"suppliers": 3, "spend_share": 0.96},
                                       "ecovadis_only": {"suppliers": 1, "spend_share": 0.04}}
    metrics = coverage["metrics"]
    assert metrics["scorecard"] == {"share": 0.96, "target": 0.95, "met": True,
                                    "gaps": [{"supplier": "D", "spend": 40.0, "cumulative_share": 1.0}]}
    assert metrics["audit"]["met"] is False
    assert metrics["audit"]["share"] == pytest.approx(640 / 940, abs=1e-12)
    assert metrics["audit"]["gaps"] == [{"supplier": "B", "spend": 300.0, "cumulative_share": 1.0}]
    for name in ("sbti", "ghg_disclosure"):
        assert metrics[name]["share"] == pytest.approx(0.06, abs=1e-12)
        assert [(g["supplier"], g["spend"]) for g in metrics[name]["gaps"]] == [("A", 600.0), ("B", 300.0),
                                                                               ("D", 40.0)]
        assert [g["cumulative_share"] for g in metrics[name]["gaps"]] == pytest.approx([0.66, 0.96, 1.0])


def test_run_is_recorded_and_results_keep_indicator_points(scenario):
    call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    run = ScoreRun.objects.get()
    assert (run.status, run.trigger, run.counts["scored"]) == (RunStatus.SUCCEEDED, "command", 4)
    assert len(run.fingerprint) == 64
    a = QuarterlyScore.objects.get(supplier__code="A")
    assert a.points["RBA-06"] == {"raw": 50.0, "points": 50.0, "status": "value", "source": "audit"}
    assert a.points["ENV-01"]["status"] == "missing"  # the 2025-Q2 value is outside Q-3 … Q
    assert QuarterlyScore.objects.get(supplier__code="C").points["RBA-01"]["status"] == "not_applicable"
    assert CoverageSnapshot.objects.get(quarter="2026-Q3").audit_met is False


def test_same_inputs_give_the_same_fingerprint_and_results(scenario):
    call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    first = list(QuarterlyScore.objects.order_by("rank").values_list("supplier__code", "score", "grade", "flags"))
    call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    runs = list(ScoreRun.objects.order_by("id"))
    assert runs[0].fingerprint == runs[1].fingerprint
    assert list(QuarterlyScore.objects.order_by("rank").values_list("supplier__code", "score", "grade",
                                                                     "flags")) == first
    assert QuarterlyScore.objects.count() == 4  # replaced, not appended


def test_the_fingerprint_digested_while_reading_is_the_digest_of_the_inputs_read(scenario):
    """A run digests the frames read first in a thread during the later reads: the same digest
    as the inputs digested whole, which changes with any of those frames."""
    from core.quarter import Quarter
    from scoring import selectors, services

    call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    run = ScoreRun.objects.get()
    params = selectors.methodology_params(run.methodology)
    inputs = services.load_inputs(Quarter.parse("2026-Q3"), params)
    assert services.inputs_fingerprint(inputs, params) == run.fingerprint
    for name in ("population", "sites", "audits", "findings"):
        frame = getattr(inputs, name)
        assert len(frame) >= 2
        part = services.fingerprint_part(name, frame)
        assert services.inputs_fingerprint(inputs, params, {name: part}) == run.fingerprint
        fewer = services.fingerprint_part(name, frame.iloc[1:])
        assert services.inputs_fingerprint(inputs, params, {name: fewer}) != run.fingerprint


def test_missing_fx_rates_refuse_the_run_and_name_the_pairs(scenario, tmp_path):
    path = tmp_path / "more_spend.csv"
    path.write_text("supplier_code,quarter,amount,currency\nB,2026-Q2,100,EUR\nA,2026-Q1,5,JPY\n")
    call_command("import_spend", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="missing FX rates for: 2026-Q1 JPY, 2026-Q2 EUR"):
        call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    assert ScoreRun.objects.get().status == RunStatus.FAILED
    assert QuarterlyScore.objects.count() == 0


@pytest.mark.parametrize("bad", ["2026Q3", "2026-Q5", "26-Q1"])
def test_malformed_quarter_is_refused(bad):
    with pytest.raises(CommandError, match="is not a quarter"):
        call_command("recalculate_scores", "--quarter", bad)


def test_export_before_any_run_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No stored scores for 2026-Q3"):
        call_command("export_quarterly_report", "--quarter", "2026-Q3", "--format", "csv",
                     "--output", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="no coverage for 2026-Q3"):
        call_command("coverage_report", "--quarter", "2026-Q3")


def test_a_finding_imported_without_due_on_does_not_count_for_on_time_closure(scenario, tmp_path):
    path = tmp_path / "more_findings.csv"
    path.write_text("audit_ref,finding_ref,provision_code,severity,opened_on\nAUD-A1,F-A3,B2,minor,2026-01-10\n")
    call_command("import_findings", str(path), stdout=io.StringIO())
    call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    a = QuarterlyScore.objects.get(supplier__code="A")
    # Still the two findings with a given due_on (one on time): 50%; the new one is open though.
    assert a.points["RBA-06"] == {"raw": 50.0, "points": 50.0, "status": "value", "source": "audit"}
    assert a.points["RBA-05"]["raw"] == 2.0


def test_a_quarter_with_no_spend_recalculates_to_an_empty_export_and_full_coverage(tmp_path, capsys):
    call_command("recalculate_scores", "--quarter", "2026-Q3")
    assert "0 suppliers scored" in capsys.readouterr().out
    output = tmp_path / "scores.csv"
    call_command("export_quarterly_report", "--quarter", "2026-Q3", "--format", "csv", "--output", str(output),
                 stdout=io.StringIO())
    assert output.read_text(encoding="utf-8").splitlines() == [",".join(EXPECTED_CSV[0])]
    call_command("coverage_report", "--quarter", "2026-Q3", "--format", "json")
    coverage = json.loads(capsys.readouterr().out)
    assert coverage["total_spend"] == 0.0
    assert {name: (m["share"], m["met"], m["gaps"]) for name, m in coverage["metrics"].items()} == {
        name: (1.0, True, []) for name in ("scorecard", "audit", "sbti", "ghg_disclosure", "foc")}


def test_xlsx_and_pdf_exports_from_the_command(scenario):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    workbook_path = scenario / "report.xlsx"
    call_command("export_quarterly_report", "--quarter", "2026-Q3", "--format", "xlsx", "--output",
                 str(workbook_path), stdout=io.StringIO())
    sheet = load_workbook(workbook_path, read_only=True)["Scores"]
    rows = [[("" if cell is None else str(cell)) for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:15] == EXPECTED_CSV[0]
    assert [row[0] for row in rows[1:]] == ["A", "B", "C", "D"]
    assert rows[1][1] == "深圳华强电子"
    card = scenario / "a.pdf"
    call_command("export_quarterly_report", "--quarter", "2026-Q3", "--format", "pdf", "--output", str(card),
                 "--supplier", "A", stdout=io.StringIO())
    text = "".join(page.extract_text() for page in PdfReader(card).pages)
    assert "深圳华强电子" in text
    assert "36.10" in text
    with pytest.raises(CommandError, match="--supplier goes with --format pdf"):
        call_command("export_quarterly_report", "--quarter", "2026-Q3", "--format", "csv", "--output",
                     str(card), "--supplier", "A")
