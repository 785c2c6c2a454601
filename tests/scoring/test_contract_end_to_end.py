"""The contract path end to end against the independent reference implementation.

Random raw data (the generator of the cross-check) is written as contract.md CSV files,
loaded with the ``import_*`` commands, recalculated with ``recalculate_scores``, exported
with ``export_quarterly_report --format csv`` and ``coverage_report --format json``, and
compared with ``reference.py`` computed from the very same rows: this covers what the pure
cross-check cannot (parsing, storage, selectors, rounding on storage, the CSV writer).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random

import pytest
import time_machine
from django.core.management import call_command

from core.quarter import Quarter
from tests.scoring import reference as ref
from tests.scoring.test_reference_crosscheck import generate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def after_every_generated_quarter():
    """The generator spreads data up to 2028-Q2 and the imports refuse quarters and events
    after today (contract.md, "Dates are plausible"): run on a day after all of them."""
    with time_machine.travel(dt.datetime(2030, 12, 31, 12, 0, tzinfo=dt.UTC), tick=False):
        yield

USD = "USD"
SEEDS = [int(s) for s in os.environ.get("CONTRACT_SEEDS", "11,29,2026").split(",")]
# The generator writes dates up to about 13 months after the quarter's end and data for the
# quarter after it; imports refuse dates after today, so the quarters lie far enough in the
# past of any test day (fixed, so a seed's data never depend on the day of the run).
QUARTERS = ("2025-Q3", "2025-Q2", "2024-Q4", "2025-Q1")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _write(path, header: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(row.get(name)) for name in header])


def _one_value_per_key(values: list[dict]) -> list[dict]:
    """Imports keep one value per supplier, quarter and indicator: the file carries the last one."""
    latest: dict[tuple, dict] = {}
    for value in sorted(values, key=lambda v: (v["submitted_at"], v["seq"])):
        latest[(value["supplier_code"], value["quarter"], value["indicator_code"])] = value
    return list(latest.values())


def load_files(tmp_path, data: dict) -> None:
    suppliers = [{"code": s["code"], "name": f"供应商 {s['code']}", "country": "CN", "category": "production"}
                 for s in data["suppliers"]]
    sites = [{**s, "name": s["site_code"], "country": "CN"} for s in data["sites"]]
    findings = [{**f, "provision_code": "A1"} for f in data["findings"]]
    files = [
        ("import_suppliers", ["code", "name", "country", "category"], suppliers),
        ("import_sites", ["supplier_code", "site_code", "name", "country", "is_production", "status"], sites),
        ("import_fx_rates", ["quarter", "currency", "rate_to_base"], data["fx"]),
        ("import_spend", ["supplier_code", "quarter", "amount", "currency"], data["spend"]),
        ("import_audits", ["audit_ref", "site_code", "audit_type", "conducted_on", "score", "recognition",
                           "saq_risk"], data["audits"]),
        ("import_findings", ["audit_ref", "finding_ref", "provision_code", "severity", "zero_tolerance",
                             "opened_on", "due_on", "closed_on"], findings),
        ("import_indicator_values", ["supplier_code", "quarter", "indicator_code", "value"], data["values"]),
        ("import_qbr_components", ["supplier_code", "quarter", "component", "score"], data["qbr"]),
    ]
    for command, header, rows in files:
        if not rows:
            continue
        path = tmp_path / f"{command}.csv"
        _write(path, header, rows)
        call_command(command, str(path), stdout=io.StringIO())


def exported(tmp_path, quarter: str) -> tuple[list[dict], dict]:
    # A quarter is recalculated once it has begun: the clock is set to its last day.
    with time_machine.travel(dt.datetime.combine(Quarter.parse(quarter).as_of, dt.time(12), dt.UTC), tick=False):
        call_command("recalculate_scores", "--quarter", quarter, stdout=io.StringIO())
    path = tmp_path / "scores.csv"
    call_command("export_quarterly_report", "--quarter", quarter, "--format", "csv", "--output", str(path),
                 stdout=io.StringIO())
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    out = io.StringIO()
    call_command("coverage_report", "--quarter", quarter, "--format", "json", stdout=out)
    return rows, json.loads(out.getvalue())


@pytest.mark.parametrize("seed", SEEDS)
def test_files_in_csv_and_json_out_agree_with_the_reference(tmp_path, seed):
    data, quarter = generate(random.Random(seed), 45, QUARTERS[seed % len(QUARTERS)])
    data["values"] = _one_value_per_key(data["values"])
    load_files(tmp_path, data)
    rows, coverage = exported(tmp_path, quarter)

    args = [data[k] for k in ("suppliers", "sites", "spend", "fx", "audits", "findings", "values", "qbr")]
    want_rows = ref.reference_scores(*args, quarter, USD)
    want_coverage = ref.reference_coverage(*args, quarter, USD)

    assert [r["supplier_code"] for r in rows] == [r["supplier_code"] for r in want_rows]
    for got, want in zip(rows, want_rows, strict=True):
        context = f"seed {seed}, {quarter}, supplier {want['supplier_code']}"
        assert (got["population"], got["spend_basis"], got["grade"], got["flags"]) == (
            want["population"], want["spend_basis"], want["grade"], want["flags"]), context
        for name in ("score", "rba", "environment", "minerals", "ecovadis", "esg_disclosure", "completeness"):
            if want[name] == "":
                assert got[name] == "", (context, name)
            else:
                tolerance = 0.0001 if name == "completeness" else 0.01
                assert abs(float(got[name]) - float(want[name])) <= tolerance, (context, name, got[name], want[name])

    assert coverage["total_spend"] == want_coverage["total_spend"]
    for name, population in want_coverage["populations"].items():
        assert coverage["populations"][name]["suppliers"] == population["suppliers"]
        assert coverage["populations"][name]["spend_share"] == pytest.approx(population["spend_share"], abs=1e-12)
    for name, metric in want_coverage["metrics"].items():
        got_metric = coverage["metrics"][name]
        assert got_metric["met"] == metric["met"], name
        assert got_metric["share"] == pytest.approx(metric["share"], abs=1e-9), name
        assert [(g["supplier"], g["spend"]) for g in got_metric["gaps"]] == [
            (g["supplier"], g["spend"]) for g in metric["gaps"]], name
        assert [g["cumulative_share"] for g in got_metric["gaps"]] == pytest.approx(
            [g["cumulative_share"] for g in metric["gaps"]], abs=1e-9), name
