"""Results per (quarter, methodology version): the official version of a quarter, previews
of drafts that never touch the official results, and ``?methodology=``."""

from __future__ import annotations

import pytest

from core.quarter import Quarter
from reports.scores_csv import scores_csv_text
from scoring import methodology_drafts, selectors, services
from scoring.models import CoverageSnapshot, Methodology, QuarterlyScore, QuarterOfficial, RunStatus, ScoreRun
from suppliers.models import SpendRecord

pytestmark = pytest.mark.django_db
Q3 = Quarter.parse("2026-Q3")


@pytest.fixture
def spend(own_supplier, other_supplier, make_site):
    make_site(own_supplier)
    SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q3", currency="USD", amount=900)
    SpendRecord.objects.create(supplier=other_supplier, quarter="2026-Q3", currency="USD", amount=100)


def _draft(version="v2", **changes) -> Methodology:
    draft = methodology_drafts.draft_create(version=version, based_on=None, description="", actor="test")
    draft.grade_bands = changes.get("grade_bands", [["A", "1"], ["B", "0.5"], ["C", "0.25"], ["D", "0"]])
    draft.coverage_target = changes.get("coverage_target", "0.5000")
    draft.save()
    return draft


def _official_state(api):
    return (scores_csv_text(Q3), api.get("/api/v1/coverage/?quarter=2026-Q3").json(),
            api.get("/api/v1/scores/?quarter=2026-Q3").json(),
            list(QuarterlyScore.objects.filter(official=True).order_by("pk").values_list("pk", "score", "grade")))


def test_a_preview_never_changes_the_official_scores_coverage_or_exports(spend, api_as):
    api = api_as("procurement_admin")
    official = services.score_run_now(quarter=Q3, actor="test")
    before = _official_state(api)
    draft = _draft()
    preview = services.score_run_create(quarter=Q3, methodology=draft, actor="test", preview=True)
    services.score_run_execute(run_id=preview.pk)
    preview.refresh_from_db()
    assert preview.status == RunStatus.SUCCEEDED
    assert _official_state(api) == before
    assert QuarterOfficial.objects.get(quarter="2026-Q3").methodology_id == official.methodology_id
    assert selectors.methodology_in_force(Q3).pk == official.methodology_id
    previewed = QuarterlyScore.objects.filter(quarter="2026-Q3", methodology=draft)
    assert previewed.count() == 2 and not previewed.filter(official=True).exists()
    # ``?methodology=`` selects the preview everywhere.
    listed = api.get("/api/v1/scores/?quarter=2026-Q3&methodology=v2").json()["results"]
    assert {row["methodology"] for row in listed} == {"v2"} and len(listed) == 2
    coverage = api.get("/api/v1/coverage/?quarter=2026-Q3&methodology=v2").json()
    assert coverage["methodology"] == "v2" and coverage["run"] == preview.pk
    assert "v2" in scores_csv_text(Q3, draft) and "v2" not in scores_csv_text(Q3)
    assert api.get("/api/v1/scores/?methodology=nope").status_code == 400
    assert api_as("supplier_user").get("/api/v1/scores/?quarter=2026-Q3&methodology=v2").status_code == 403
    # Another official run replaces only the official version's rows.
    services.score_run_now(quarter=Q3, actor="test")
    assert previewed.count() == 2


def test_a_preview_locks_its_quarter_and_version_only_and_never_blocks_an_official_run(spend):
    draft = _draft()
    preview = services.score_run_create(quarter=Q3, methodology=draft, actor="test", preview=True)
    with pytest.raises(services.RecalculationRefused) as refused:
        services.score_run_create(quarter=Q3, methodology=draft, actor="test", preview=True)
    assert refused.value.run_id == preview.pk
    official = services.score_run_now(quarter=Q3, actor="test")
    assert official.status == RunStatus.SUCCEEDED
    services.score_run_execute(run_id=preview.pk)
    assert ScoreRun.objects.get(pk=preview.pk).status == RunStatus.SUCCEEDED
    assert QuarterlyScore.objects.filter(quarter="2026-Q3", official=True).count() == 2


def test_a_draft_cannot_run_officially_and_the_official_version_is_not_previewed(spend):
    draft = _draft()
    with pytest.raises(services.RecalculationRefused):
        services.score_run_create(quarter=Q3, methodology=draft, actor="test")
    run = services.score_run_now(quarter=Q3, actor="test")
    with pytest.raises(services.RecalculationRefused):
        services.score_run_create(quarter=Q3, methodology=run.methodology, actor="test", preview=True)


def test_an_official_run_of_a_new_version_keeps_the_old_results_and_records_the_switch(spend, api_as):
    v1_run = services.score_run_now(quarter=Q3, actor="test")
    v1 = v1_run.methodology
    draft = _draft()
    services.methodology_publish(methodology=draft, actor="test")
    v2_run = services.score_run_now(quarter=Q3, methodology=draft, actor="test")
    assert v2_run.status == RunStatus.SUCCEEDED
    assert set(QuarterlyScore.objects.filter(official=True).values_list("methodology__version", flat=True)) == {"v2"}
    assert QuarterlyScore.objects.filter(quarter="2026-Q3", methodology=v1, official=False).count() == 2
    assert CoverageSnapshot.objects.get(quarter="2026-Q3", official=True).methodology == draft
    official = QuarterOfficial.objects.get(quarter="2026-Q3")
    assert [h.methodology_id for h in official.history.order_by("history_date")] == [v1.pk, draft.pk]
    # Switching back to the kept v1 results is explicit and recorded.
    services.official_methodology_set(quarter=Q3, methodology=v1, actor="test", reason="board decision")
    api = api_as("procurement_admin")
    assert {row["methodology"] for row in api.get("/api/v1/scores/?quarter=2026-Q3").json()["results"]} == {"v1"}
    assert api.get("/api/v1/coverage/?quarter=2026-Q3").json()["methodology"] == "v1"
    assert official.history.latest("history_date").history_change_reason == "board decision"
    # A draft's results never become official.
    draft3 = _draft("v3")
    services.score_run_execute(run_id=services.score_run_create(quarter=Q3, methodology=draft3, actor="test",
                                                                preview=True).pk)
    with pytest.raises(services.RecalculationRefused):
        services.official_methodology_set(quarter=Q3, methodology=draft3, actor="test")


def test_the_comparison_shows_two_versions_side_by_side_and_publishes_from_there(spend, api_as, role_users,
                                                                                  own_supplier):
    from django.test import Client

    services.score_run_now(quarter=Q3, actor="test")
    draft = _draft()
    services.score_run_execute(run_id=services.score_run_create(quarter=Q3, methodology=draft, actor="test",
                                                                preview=True).pk)
    body = api_as("procurement_admin").get("/api/v1/scores/compare/?quarter=2026-Q3&other=v2").json()
    assert (body["base"], body["other"], body["suppliers"]) == ("v1", "v2", 2)
    grades = body["grades"]
    assert sum(map(sum, body["matrix"])) == 2
    v1_grades = dict(QuarterlyScore.objects.filter(methodology__version="v1").values_list("supplier_id", "grade"))
    v2_grades = dict(QuarterlyScore.objects.filter(methodology__version="v2").values_list("supplier_id", "grade"))
    pairs = [(v1_grades[supplier], v2_grades[supplier]) for supplier in v1_grades]
    for g1, g2 in set(pairs):
        assert body["matrix"][grades.index(g1)][grades.index(g2)] == pairs.count((g1, g2))
    assert set(body["coverage"]) == {"v1", "v2"}
    assert api_as("supplier_user").get("/api/v1/scores/compare/?other=v2").status_code == 403

    client = Client()
    client.force_login(role_users["procurement_admin"])
    page = client.get("/scorecard/compare/?quarter=2026-Q3").content.decode()
    assert "Grade migration v1 → v2" in page and "Coverage under each version" in page
    cell = client.get("/scorecard/compare/?quarter=2026-Q3&base=v1&other=v2&"
                      f"cell={v1_grades[own_supplier.pk]},{v2_grades[own_supplier.pk]}")
    assert own_supplier.code in cell.content.decode()
    response = client.post("/scorecard/compare/publish/", {"quarter": "2026-Q3", "version": "v2"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published
    run = ScoreRun.objects.get(quarter="2026-Q3", methodology=draft, preview=False)
    assert response["Location"].endswith(f"/{run.pk}/")
    services.score_run_execute(run_id=run.pk)  # the worker's part (the task is sent after the commit)
    assert QuarterOfficial.objects.get(quarter="2026-Q3").methodology == draft


def test_the_dashboard_and_the_csv_command_select_a_version(spend, role_users, tmp_path):
    from django.core.management import CommandError, call_command
    from django.test import Client

    services.score_run_now(quarter=Q3, actor="test")
    draft = _draft()
    services.score_run_execute(run_id=services.score_run_create(quarter=Q3, methodology=draft, actor="test",
                                                                preview=True).pk)
    client = Client()
    client.force_login(role_users["procurement_admin"])
    official = client.get("/dashboard/?quarter=2026-Q3")
    assert official.context["snapshot"].official and "not the official ones" not in official.content.decode()
    previewed = client.get("/dashboard/?quarter=2026-Q3&methodology=v2")
    assert previewed.context["snapshot"].methodology == draft
    assert "Results of methodology v2, not the official ones" in previewed.content.decode()
    assert client.get("/dashboard/?methodology=nope").status_code == 404
    output = tmp_path / "v2.csv"
    call_command("export_quarterly_report", quarter="2026-Q3", format="csv", output=str(output), methodology="v2")
    assert output.read_text(encoding="utf-8") == scores_csv_text(Q3, draft)
    with pytest.raises(CommandError, match="unknown methodology version 'nope'"):
        call_command("export_quarterly_report", quarter="2026-Q3", format="csv", output=str(output),
                     methodology="nope")


def test_the_stored_comparison_is_the_computed_one_and_follows_new_runs(spend, make_supplier):
    from scoring import comparison

    services.score_run_now(quarter=Q3, actor="test")
    draft = _draft()
    preview = services.score_run_create(quarter=Q3, methodology=draft, actor="test", preview=True)
    services.score_run_execute(run_id=preview.pk)
    v1 = Methodology.objects.get(version="v1")
    assert comparison.stored_compare(Q3, v1, draft) == comparison.compare(Q3, v1, draft)
    assert comparison.stored_compare(Q3, v1, draft) == comparison.compare(Q3, v1, draft)  # read back
    # A new preview (other results) and a new supplier are seen at once.
    supplier = make_supplier("NEW-1")
    SpendRecord.objects.create(supplier=supplier, quarter="2026-Q3", currency="USD", amount=500)
    services.score_run_execute(run_id=services.score_run_create(quarter=Q3, methodology=draft, actor="test",
                                                                preview=True).pk)
    fresh = comparison.stored_compare(Q3, v1, draft)
    assert fresh == comparison.compare(Q3, v1, draft) and fresh.only_other == 1


def test_the_comparison_page_reads_a_fixed_number_of_queries(spend, make_supplier, role_users):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(role_users["procurement_admin"])
    draft = _draft()

    def page_queries() -> int:
        services.score_run_now(quarter=Q3, methodology=Methodology.objects.get(version="v1"), actor="test")
        services.score_run_execute(run_id=services.score_run_create(quarter=Q3, methodology=draft, actor="test",
                                                                    preview=True).pk)
        url = "/scorecard/compare/?quarter=2026-Q3&base=v1&other=v2"
        assert client.get(url).status_code == 200  # computes and stores the comparison
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        assert "Grade migration v1 → v2" in page
        return len(captured.captured_queries)

    small = page_queries()
    for n in range(12):
        supplier = make_supplier(f"MORE-{n}")
        SpendRecord.objects.create(supplier=supplier, quarter="2026-Q3", currency="USD", amount=50 + n)
    assert page_queries() == small


def test_a_preview_stores_its_comparison_with_the_official_version(spend):
    from core.models import StoredSummary
    from scoring import comparison

    services.score_run_now(quarter=Q3, actor="test")
    draft = _draft()
    services.score_run_execute(run_id=services.score_run_create(quarter=Q3, methodology=draft, actor="test",
                                                                preview=True).pk)
    v1 = Methodology.objects.get(version="v1")
    stored = StoredSummary.objects.get(key=f"compare:2026-Q3:{v1.pk}:{draft.pk}")
    assert stored.payload["comparison"]["other"] == "v2" and stored.payload["comparison"]["suppliers"] == 2
    assert {row["name"] for row in stored.payload["metrics"]["v2"]} >= {"audit", "scorecard"}
    assert comparison.stored_compare(Q3, v1, draft) == comparison.compare(Q3, v1, draft)


def test_an_official_run_stores_its_comparison_with_the_newest_other_version(spend):
    from core.models import StoredSummary
    from scoring import comparison

    services.score_run_now(quarter=Q3, actor="test")
    draft = _draft()
    services.score_run_now(quarter=Q3, methodology=draft, actor="test", preview=True)
    v1 = Methodology.objects.get(version="v1")
    key = f"compare:2026-Q3:{v1.pk}:{draft.pk}"
    StoredSummary.objects.filter(key=key).delete()
    services.score_run_now(quarter=Q3, actor="test")  # the official version again: the page's default pair
    stored = StoredSummary.objects.get(key=key)
    assert stored.payload["comparison"]["base"] == "v1" and stored.payload["comparison"]["other"] == "v2"
    assert comparison.stored_compare(Q3, v1, draft) == comparison.compare(Q3, v1, draft)


def test_an_official_run_alone_stores_no_comparison(spend):
    from core.models import StoredSummary

    services.score_run_now(quarter=Q3, actor="test")
    assert not StoredSummary.objects.filter(key__startswith="compare:").exists()


def test_a_matrix_cell_lists_exactly_its_suppliers_with_both_scores(spend, make_supplier):
    from decimal import Decimal

    from scoring import comparison

    for index in range(6):
        supplier = make_supplier(f"CELL-{index}")
        SpendRecord.objects.create(supplier=supplier, quarter="2026-Q3", currency="USD", amount=10 + index)
    services.score_run_now(quarter=Q3, actor="test")
    draft = _draft()
    services.score_run_now(quarter=Q3, methodology=draft, actor="test", preview=True)
    v1 = Methodology.objects.get(version="v1")
    result = comparison.compare(Q3, v1, draft)
    scores = {(row.methodology_id, row.supplier_id): row for row in QuarterlyScore.objects.filter(quarter="2026-Q3")}
    listed = 0
    for g1, counts in zip(result.grades, result.matrix, strict=True):
        for g2, count in zip(result.grades, counts, strict=True):
            rows = comparison.migration_suppliers(Q3, v1, draft, g1, g2)
            assert len(rows) == count
            assert [row["code"] for row in rows] == sorted(row["code"] for row in rows)
            for row in rows:
                base, other = scores[(v1.pk, row["supplier_id"])], scores[(draft.pk, row["supplier_id"])]
                assert (row["grade_base"], row["grade_other"]) == (base.grade, other.grade) == (g1, g2)
                assert Decimal(row["change"]) == other.score - base.score
            listed += len(rows)
    assert listed == QuarterlyScore.objects.filter(quarter="2026-Q3", methodology=v1).count() > 2


def test_every_reader_takes_the_official_version_unless_one_is_asked(spend):
    from scoring.serving import grade_distribution

    official = services.score_run_now(quarter=Q3, actor="test")
    draft = _draft()
    preview = services.score_run_create(quarter=Q3, methodology=draft, actor="test", preview=True)
    services.score_run_execute(run_id=preview.pk)
    scores = QuarterlyScore.objects.filter(quarter="2026-Q3")
    assert {row.run_id for row in selectors.of_version(scores)} == {official.pk}
    assert {row.run_id for row in selectors.of_version(scores, draft)} == {preview.pk}
    assert {row.run_id for row in selectors.of_version(scores, draft.pk)} == {preview.pk}
    assert {row.run_id for row in selectors.version_scores(Q3)} == {official.pk}
    assert selectors.coverage_snapshot(Q3).run_id == official.pk
    assert selectors.coverage_snapshot(Q3, draft).run_id == preview.pk
    assert sum(row["total"] for row in grade_distribution("2026-Q3")) == 2
    assert sum(row["total"] for row in grade_distribution("2026-Q3", draft.pk)) == 2
    assert grade_distribution("2026-Q3", draft.pk + 1000) == []
