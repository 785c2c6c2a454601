"""Portfolio trends equal the stored quarters' numbers (official results only)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.quarter import Quarter
from scoring import methodology_drafts, services
from scoring.models import CoverageSnapshot, QuarterlyScore
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
    # A preview beside the official results is never counted.
    draft = methodology_drafts.draft_create(version="v2", based_on=None, description="", actor="test")
    draft.grade_bands = [["A", "1"], ["D", "0"]]
    draft.save()
    services.score_run_execute(run_id=services.score_run_create(quarter=Quarter.parse("2026-Q3"), methodology=draft,
                                                                actor="test", preview=True).pk)


def test_trends_equal_the_stored_quarters_numbers(scored, api_as, role_users):
    trends = portfolio_trends(Quarter.parse("2026-Q3"), 8)
    assert trends.quarters[0] == "2024-Q4" and trends.quarters[-1] == "2026-Q3"
    for name in ("2026-Q2", "2026-Q3"):
        stored = QuarterlyScore.objects.filter(quarter=name, official=True)
        grades = next(row for row in trends.grades if row["quarter"] == name)
        assert grades["total"] == stored.count()
        for grade in "ABCDX":
            assert grades[grade] == stored.filter(grade=grade).count()
        snapshot = CoverageSnapshot.objects.get(quarter=name, official=True)
        rows = [r for r in trends.coverage if r["quarter"] == name]
        assert {row["metric"] for row in rows} == set(snapshot.data["metrics"])
        for row in rows:
            metric = snapshot.data["metrics"][row["metric"]]
            assert row["share"] == Decimal(str(metric["share"])) and row["target"] == Decimal(str(metric["target"]))
            assert row["met"] is bool(metric["met"])
        for row in (r for r in trends.categories if r["quarter"] == name):
            scores = list(stored.filter(supplier__category=row["category"]))
            plain = sum(s.score for s in scores) / len(scores)
            weighted = sum(s.score * s.spend_basis for s in scores) / sum(s.spend_basis for s in scores)
            assert row["mean_score"] == plain.quantize(Decimal("0.01"))
            assert row["spend_weighted_mean_score"] == weighted.quantize(Decimal("0.01"))
        split = next(row for row in trends.populations if row["quarter"] == name)
        assert split["full_suppliers"] + split["ecovadis_only_suppliers"] == stored.count()
    empty = next(row for row in trends.grades if row["quarter"] == "2024-Q4")
    assert empty["total"] == 0

    body = api_as("procurement_admin").get("/api/v1/trends/?quarter=2026-Q3&quarters=4").json()
    assert body["quarters"] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert [row["total"] for row in body["grades"]] == [0, 0, 2, 2]
    assert api_as("supplier_user").get("/api/v1/trends/").status_code == 403

    from django.test import Client

    client = Client()
    client.force_login(role_users["procurement_admin"])
    page = client.get("/dashboard/trends/?quarter=2026-Q3").content.decode()
    assert "Grade distribution" in page and "<svg" in page
    csv = client.get("/dashboard/trends/grades.csv?quarter=2026-Q3").content.decode()
    assert csv.splitlines()[0] == "quarter,A,B,C,D,X,total" and csv.splitlines()[-1].endswith(",2")
    xlsx = client.get("/dashboard/trends/all.xlsx?quarter=2026-Q3")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_trends_read_no_coverage_document(scored):
    """The quarters' metrics come from the stored digests, not from the documents holding every
    gap list (megabytes at 100,000 suppliers)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    portfolio_trends(Quarter.parse("2026-Q3"), 8)  # digests stored if stale
    with CaptureQueriesContext(connection) as queries:
        trends = portfolio_trends(Quarter.parse("2026-Q3"), 8)
    assert any(row["quarter"] == "2026-Q3" for row in trends.coverage)
    assert not any('"scoring_coveragesnapshot"."data"' in query["sql"] for query in queries.captured_queries)
