"""The procurement dashboard of a quarter."""

from __future__ import annotations

import pytest

from scoring.models import CoverageSnapshot
from suppliers.models import Supplier
from tests import clock


def test_dashboard_shows_the_latest_scored_quarter_with_its_four_metrics(world, client_as):
    response = client_as("procurement_analyst").get("/dashboard/")
    body = response.content.decode()
    assert response.context["quarter"] == str(world.quarter)
    assert [m["name"] for m in response.context["metrics"]] == ["audit", "scorecard", "sbti", "ghg_disclosure", "foc"]
    snapshot = CoverageSnapshot.objects.get(quarter=str(world.quarter))
    for metric in response.context["metrics"]:
        assert metric["met"] == snapshot.data["metrics"][metric["name"]]["met"]
    assert "<svg" in body and "Coverage metrics against their targets" in body
    # Neither supplier discloses GHG: that target is missed and said so.
    assert "missed" in body


def test_dashboard_lists_expiring_audits_open_findings_and_flags(world, client_as):
    response = client_as("viewer").get("/dashboard/")
    body = response.content.decode()
    assert [row["site_code"] for row in response.context["expiring"]] == ["OWN-1-F1"]
    assert response.context["findings"]["total"] == 2
    assert response.context["findings"]["major"] == 1
    assert "Open findings by severity" in body
    assert response.context["flagged_count"] == 0
    assert "No supplier is flagged for termination review." in body


def test_flagged_supplier_appears(world, client_as):
    Supplier.objects.filter(pk=world.other.pk).update(termination_review=True)
    body = client_as("viewer").get("/dashboard/").content.decode()
    assert "OTHER-1" in body and "termination review" in body


def test_gap_list_says_what_closing_each_gap_adds(world, client_as):
    snapshot = CoverageSnapshot.objects.get(quarter=str(world.quarter))
    gaps = snapshot.data["metrics"]["ghg_disclosure"]["gaps"]
    response = client_as("viewer").get(f"/dashboard/gaps/ghg_disclosure/?quarter={world.quarter}")
    rows = list(response.context["page"].object_list)
    assert [row.supplier_code for row in rows] == [gap["supplier"] for gap in gaps]
    assert rows[0].supplier_code == "OWN-1"  # biggest spend first
    assert rows[0].adds == pytest.approx(1000 / 1500)
    assert "深圳华强电子有限公司" in response.content.decode()


def test_unknown_metric_is_404(world, client_as):
    assert client_as("viewer").get("/dashboard/gaps/nonsense/").status_code == 404


def test_quarter_picker_and_unscored_quarter(world, client_as):
    older = clock.quarters_ago(3)
    response = client_as("viewer").get(f"/dashboard/?quarter={older}")
    assert response.context["quarter"] == str(older)
    assert "No coverage figures for this quarter" in response.content.decode()


def test_empty_dashboard_says_what_to_do(db, client_as):
    body = client_as("procurement_admin").get("/dashboard/").content.decode()
    assert "No quarter has been scored yet" in body


def test_dashboard_query_count_is_constant(world, client_as, make_supplier, django_assert_max_num_queries):
    client = client_as("viewer")
    client.get("/dashboard/")  # warm caches (content types, sessions)
    with django_assert_max_num_queries(25):
        client.get("/dashboard/")
