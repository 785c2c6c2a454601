"""The interactive charts' data: rendered with json_script from the numbers of the page's
tables (``portal.chartdata``), no inline script, translated titles and legends."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from core.quarter import Quarter
from scoring import methodology_drafts, services
from scoring.trends import portfolio_trends
from suppliers.models import SpendRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(own_supplier, other_supplier, make_site):
    make_site(own_supplier)
    for quarter, own, other in (("2026-Q2", 900, 100), ("2026-Q3", 500, 500)):
        SpendRecord.objects.create(supplier=own_supplier, quarter=quarter, currency="USD", amount=own)
        SpendRecord.objects.create(supplier=other_supplier, quarter=quarter, currency="USD", amount=other)
    for quarter in ("2026-Q2", "2026-Q3"):
        services.score_run_now(quarter=Quarter.parse(quarter), actor="test")
    draft = methodology_drafts.draft_create(version="v2", based_on=None, description="", actor="test")
    draft.grade_bands = [["A", "1"], ["D", "0"]]
    draft.save()
    services.score_run_execute(run_id=services.score_run_create(quarter=Quarter.parse("2026-Q3"), methodology=draft,
                                                                actor="test", preview=True).pk)


def chart_data(page: str) -> dict[str, dict]:
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page, re.S)
    assert found, "no chart data"
    return {spec["id"]: spec for spec in json.loads(found.group(1))}


def scripts(page: str) -> list[str]:
    return re.findall(r"<script(?![^>]*application/json)([^>]*)>(.*?)</script>", page, re.S)


def test_trends_charts_hold_the_tables_numbers(scored, role_users):
    client = Client()
    client.force_login(role_users["procurement_admin"])
    page = client.get("/dashboard/trends/?quarter=2026-Q3&quarters=4").content.decode()
    specs = chart_data(page)
    assert set(specs) == {"coverage", "grades", "categories", "populations", "findings"}
    trends = portfolio_trends(Quarter.parse("2026-Q3"), 4)
    assert specs["grades"]["labels"] == trends.quarters
    for grade in "ABCDX":
        dataset = next(d for d in specs["grades"]["datasets"] if d["label"] == f"Grade {grade}")
        assert dataset["data"] == [row[grade] for row in trends.grades]
    for row in trends.coverage:
        name = {"scorecard": "Scorecard coverage", "audit": "Audit coverage"}.get(row["metric"])
        if name is None:
            continue
        share = next(d for d in specs["coverage"]["datasets"] if d["label"] == name)
        target = next(d for d in specs["coverage"]["datasets"] if d["label"] == f"{name}: target")
        index = trends.quarters.index(row["quarter"])
        assert share["data"][index] == pytest.approx(float(row["share"]) * 100)
        assert target["data"][index] == pytest.approx(float(row["target"]) * 100) and target["dashed"]
    for row in trends.categories:
        index = trends.quarters.index(row["quarter"])
        plain = next(d for d in specs["categories"]["datasets"] if d["label"] == "Production: mean")
        weighted = next(d for d in specs["categories"]["datasets"]
                        if d["label"] == "Production: spend-weighted mean")
        if row["category"] == "production":
            assert plain["data"][index] == float(row["mean_score"])
            assert weighted["data"][index] == float(row["spend_weighted_mean_score"])
    findings = {d["label"]: d["data"] for d in specs["findings"]["datasets"]}
    assert findings["Overdue CAPs at quarter end"] == [row["overdue_caps"] for row in trends.findings]
    assert findings["Findings opened"] == [row["opened"] for row in trends.findings]
    populations = {d["label"]: d["data"] for d in specs["populations"]["datasets"]}
    assert populations["Full scorecard: suppliers"] == [row["full_suppliers"] for row in trends.populations]
    # The tables stay (numbers without JavaScript) and no script is inline.
    assert page.count("<table") >= 5 and 'data-chart="grades"' in page
    assert all('src="' in attributes and not body.strip() for attributes, body in scripts(page))
    assert "/static/vendor/chartjs/chart.umd.min.js" in page and "cdn" not in page.lower()


def test_comparison_chart_counts_each_versions_grades(scored, role_users):
    client = Client()
    client.force_login(role_users["procurement_admin"])
    page = client.get("/scorecard/compare/?quarter=2026-Q3&base=v1&other=v2").content.decode()
    specs = chart_data(page)
    grades = specs["compare-grades"]
    by_version = {d["label"]: dict(zip(grades["labels"], d["data"], strict=True)) for d in grades["datasets"]}
    from scoring.models import QuarterlyScore

    for version in ("v1", "v2"):
        stored = QuarterlyScore.objects.filter(quarter="2026-Q3", methodology__version=version)
        for grade, count in by_version[version].items():
            assert count == stored.filter(grade=grade).count()
    assert "compare-coverage" in specs
    assert all('src="' in attributes and not body.strip() for attributes, body in scripts(page))


def test_chart_titles_and_legends_are_translated(scored, role_users):
    client = Client()
    client.force_login(role_users["procurement_admin"])
    page = client.get("/dashboard/trends/?quarter=2026-Q3", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    specs = chart_data(page)
    assert specs["grades"]["title"] == "等级分布"
    assert specs["grades"]["y"]["title"] != "Suppliers"
    assert all(not d["label"].startswith("Grade") for d in specs["grades"]["datasets"])
    assert "Findings opened" not in [d["label"] for d in specs["findings"]["datasets"]]
