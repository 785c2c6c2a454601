"""Scorecard administration pages: reviewing submitted values, recalculations and
methodology versions."""

from __future__ import annotations

from decimal import Decimal

from scoring.models import IndicatorValue, Methodology, MethodologyIndicator, QuarterlyScore, ScoreRun
from tests.history import changes


def test_value_queue_lists_submitted_values_with_evidence(world, client_as):
    response = client_as("viewer").get("/scorecard/values/")
    assert [v.pk for v in response.context["page"].object_list] == [world.submitted.pk]
    body = response.content.decode()
    assert "ENV-01" in body and "OWN-1" in body
    assert "/accept/" not in body  # viewers do not decide


def test_accepting_a_value_then_recalculating_changes_the_score(world, client_as,
                                                               django_capture_on_commit_callbacks):
    analyst = client_as("procurement_analyst")
    before = QuarterlyScore.objects.get(quarter=str(world.quarter), supplier=world.own).score
    response = analyst.post(f"/scorecard/values/{world.submitted.pk}/accept/", {"comment": ""})
    assert response.status_code == 302
    value = IndicatorValue.objects.get(pk=world.submitted.pk)
    assert (value.state, value.reviewed_by.username) == ("accepted", "procurement_analyst")

    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post("/scorecard/runs/", {"quarter": str(world.quarter), "methodology": ""})
    run = ScoreRun.objects.latest("id")
    assert response.status_code == 302 and response["Location"] == f"/scorecard/runs/{run.pk}/"
    assert (run.status, run.trigger, run.started_by_label) == ("succeeded", "portal", "procurement_analyst")
    after = QuarterlyScore.objects.get(quarter=str(world.quarter), supplier=world.own).score
    assert after > before  # ENV-01 = true now counts

    status = analyst.get(f"/scorecard/runs/{run.pk}/status.json").json()
    assert status["status"] == "succeeded" and status["active"] is False
    assert status["counts"]["scored"] == 2
    assert "See the new scores" in analyst.get(f"/scorecard/runs/{run.pk}/").content.decode()


def test_rejecting_needs_a_reason(world, client_as):
    analyst = client_as("procurement_analyst")
    analyst.post(f"/scorecard/values/{world.submitted.pk}/reject/", {"comment": " "})
    assert IndicatorValue.objects.get(pk=world.submitted.pk).state == "submitted"
    analyst.post(f"/scorecard/values/{world.submitted.pk}/reject/", {"comment": "Evidence is for 2024"})
    value = IndicatorValue.objects.get(pk=world.submitted.pk)
    assert (value.state, value.review_comment) == ("rejected", "Evidence is for 2024")
    # The supplier sees the outcome.
    body = client_as("supplier_user").get("/suppliers/OWN-1/values/").content.decode()
    assert "Evidence is for 2024" in body


def test_reviewing_an_already_reviewed_value_is_refused_politely(world, client_as):
    analyst = client_as("procurement_analyst")
    analyst.post(f"/scorecard/values/{world.submitted.pk}/accept/")
    response = analyst.post(f"/scorecard/values/{world.submitted.pk}/reject/", {"comment": "x"}, follow=True)
    assert "only submitted values can be reviewed" in response.content.decode()


def test_a_second_identical_run_while_one_is_active_shows_the_active_one(world, client_as):
    active = ScoreRun.objects.create(quarter=str(world.quarter), methodology=Methodology.objects.get(version="v1"),
                                     status="running")
    response = client_as("procurement_analyst").post("/scorecard/runs/", {"quarter": str(world.quarter)})
    assert response.status_code == 302
    assert response.url == f"/scorecard/runs/{active.pk}/"
    assert ScoreRun.objects.filter(quarter=str(world.quarter), status="running").count() == 1


def test_a_quarter_after_the_current_one_is_refused_next_to_the_field(world, client_as):
    response = client_as("procurement_analyst").post("/scorecard/runs/", {"quarter": "2030-Q1"})
    assert response.status_code == 400
    assert "after the current quarter" in str(response.context["form"].errors["quarter"])
    assert not ScoreRun.objects.filter(quarter="2030-Q1").exists()


def test_an_admin_cancels_and_retries_a_run_from_the_portal_and_both_are_recorded(
        world, client_as, django_capture_on_commit_callbacks):
    run = ScoreRun.objects.create(quarter=str(world.quarter), methodology=Methodology.objects.get(version="v1"),
                                  status="running")
    assert client_as("procurement_analyst").post(f"/scorecard/runs/{run.pk}/cancel/").status_code == 403
    admin = client_as("procurement_admin")
    admin.post(f"/scorecard/runs/{run.pk}/cancel/")
    run.refresh_from_db()
    assert run.status == "cancelled"
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/scorecard/runs/{run.pk}/retry/")
    run.refresh_from_db()
    assert run.status == "succeeded"  # queued again, and the eager task ran it
    actions = [(row["reason"], row["user"]) for row in changes(ScoreRun, run.pk, action="updated")]
    assert actions == [("cancelled by an administrator", "procurement_admin"), ("retried", "procurement_admin")]


def test_bad_quarter_is_shown_next_to_the_field(world, client_as):
    response = client_as("procurement_analyst").post("/scorecard/runs/", {"quarter": "2026Q3"})
    assert response.status_code == 400
    assert response.context["form"].errors["quarter"]
    assert 'value="2026Q3"' in response.content.decode()


def test_methodology_draft_weights_diff_publish(world, client_as):
    admin = client_as("procurement_admin")
    assert client_as("procurement_analyst").post("/scorecard/methodologies/new/", {}).status_code == 403
    response = admin.post("/scorecard/methodologies/new/", {"version": "v2", "based_on": "v1",
                                                            "description": "More weight on minerals"})
    assert response["Location"] == "/scorecard/methodologies/v2/"
    draft = Methodology.objects.get(version="v2")
    weights = {row.indicator.code: str(row.weight) for row in draft.indicators.select_related("indicator")}
    weights["MIN-02"] = "5"  # +1: the sum is 101
    response = admin.post("/scorecard/methodologies/v2/weights/", weights, follow=True)
    assert "must sum to 100" in response.content.decode()
    assert MethodologyIndicator.objects.get(methodology=draft, indicator__code="MIN-02").weight == 5
    response = admin.post("/scorecard/methodologies/v2/publish/", follow=True)
    assert "sum to 101" in response.content.decode()
    weights["MIN-01"] = "2"  # -1
    admin.post("/scorecard/methodologies/v2/weights/", weights)
    diff = admin.get("/scorecard/methodologies/v2/?other=v1").context["diff"]
    assert [(d["code"], d["what"], d["before"], d["after"]) for d in diff] == [
        ("MIN-01", "weight", "3", "2"), ("MIN-02", "weight", "4", "5")]
    admin.post("/scorecard/methodologies/v2/publish/")
    assert Methodology.objects.get(version="v2").is_published
    assert admin.post("/scorecard/methodologies/v2/weights/", weights).status_code in (302, 400)
    assert MethodologyIndicator.objects.get(methodology=draft, indicator__code="MIN-01").weight == 2


def test_duplicate_draft_version_error_is_next_to_the_field(world, client_as):
    response = client_as("procurement_admin").post("/scorecard/methodologies/new/",
                                                   {"version": "v1", "based_on": "v1"})
    assert response.status_code == 400
    assert response.context["draft_form"].errors["version"]


def test_methodology_draft_sets_a_derived_source(world, client_as):
    admin = client_as("procurement_admin")
    admin.post("/scorecard/methodologies/new/", {"version": "v2", "based_on": "v1"})
    draft = Methodology.objects.get(version="v2")
    page = admin.get("/scorecard/methodologies/v2/").content.decode()
    assert 'name="source-ENV-01"' in page and 'name="source-ESG-04"' in page
    assert 'name="source-ENV-03"' not in page and 'name="source-MIN-05"' not in page
    assert 'name="source-MIN-01"' in page and 'name="source-MIN-04"' in page
    weights = {row.indicator.code: str(row.weight) for row in draft.indicators.select_related("indicator")}
    admin.post("/scorecard/methodologies/v2/weights/", {**weights, "source-ENV-01": "emissions",
                                                         "source-ESG-04": "training"})
    sources = dict(MethodologyIndicator.objects.filter(methodology=draft).values_list("indicator__code", "source"))
    assert (sources["ENV-01"], sources["ESG-04"], sources["ENV-02"]) == ("emissions", "training", "")
    refused = admin.post("/scorecard/methodologies/v2/weights/", {**weights, "source-ENV-01": "minerals_reports"})
    assert refused.status_code == 400
    assert MethodologyIndicator.objects.get(methodology=draft, indicator__code="ENV-01").source == "emissions"


def test_methodology_editing_reads_as_people_write(world, client_as):
    admin = client_as("procurement_admin")
    published = admin.get("/scorecard/methodologies/v1/").content.decode()
    assert "{}" not in published and "<code>{" not in published
    assert "target 70" in published  # ENV-09's parameter, readable
    assert "Expiring horizon" in published
    admin.post("/scorecard/methodologies/new/", {"version": "v2", "based_on": "v1"})
    page = admin.get("/scorecard/methodologies/v2/").content.decode()
    assert 'value="7"' in page and 'value="7.000"' not in page
    assert "data-weights-total" in page
    settings = {"coverage_target": "90", "grade_bands": "A 80, B 65, C 50, D 0", "qbr_quality": "30",
                "qbr_delivery": "25", "qbr_cost": "20", "qbr_service": "15", "qbr_esg": "10",
                "audit_validity_months": "36", "expiring_days": "60"}
    admin.post("/scorecard/methodologies/v2/settings/", settings)
    draft = Methodology.objects.get(version="v2")
    assert (draft.coverage_target, draft.grade_bands, draft.audit_validity_months, draft.expiring_days) == (
        Decimal("0.9"), [["A", "80"], ["B", "65"], ["C", "50"], ["D", "0"]], 36, 60)
    refused = admin.post("/scorecard/methodologies/v2/settings/", {**settings, "grade_bands": "A 80, B 90, D 0"},
                         follow=True).content.decode()
    assert "Settings not saved" in refused
    assert Methodology.objects.get(version="v2").grade_bands[1] == ["B", "65"]
    diff = admin.get("/scorecard/methodologies/v2/?other=v1").context["diff"]
    assert {(d["what"], d["before"], d["after"]) for d in diff} == {
        ("coverage target", "95%", "90%"), ("grade bands", "A ≥ 85 · B ≥ 70 · C ≥ 50 · D ≥ 0",
                                            "A ≥ 80 · B ≥ 65 · C ≥ 50 · D ≥ 0"),
        ("audit validity (months)", "24", "36"), ("expiring horizon (days)", "90", "60")}
    assert client_as("procurement_analyst").post("/scorecard/methodologies/v2/settings/", settings).status_code == 403


def test_the_methodology_history_reads_in_words(world, client_as, role_users):
    from scoring import methodology_drafts

    admin = role_users["procurement_admin"]
    draft = methodology_drafts.draft_create(version="v2", based_on=Methodology.objects.get(version="v1"),
                                            description="", actor=admin)
    methodology_drafts.settings_set(methodology=draft, actor=admin, expiring_days=60,
                                    qbr_weights={"quality": "40", "delivery": "20", "cost": "20", "service": "10",
                                                 "esg": "10"})
    client = client_as("procurement_admin")
    response = client.get("/scorecard/methodologies/v2/")
    entries = response.context["changes"]
    latest = {label: (old, new) for label, old, new in entries[0]["readable"]}
    assert latest["Expiring horizon (days)"] == ("90", "60")
    assert latest["QBR weights"][1] == "quality 40, delivery 20, cost 20, service 10, esg 10"
    created = {label: new for label, _old, new in entries[-1]["readable"]}
    assert (created["Status"], created["Based on"], created["Created by"]) == ("Draft", "v1", "procurement_admin")
    panel = _history_panel(response.content.decode())
    assert "Expiring horizon (days)</strong>: 90 → 60" in panel
    assert "expiring_days" not in panel and "based_on" not in panel
    client.cookies["django_language"] = "zh-hans"
    panel = _history_panel(client.get("/scorecard/methodologies/v2/").content.decode())
    assert "即将到期提前期（天）</strong>: 90 → 60" in panel and "状态</strong>: — → 草稿" in panel


def _history_panel(body: str) -> str:
    return body.split('id="changes-h"', 1)[1].split("</section>", 1)[0]


def test_a_reviewed_value_returns_to_the_page_it_came_from_on_this_site_only(world, client_as):
    analyst = client_as("procurement_analyst")
    response = analyst.post(f"/scorecard/values/{world.submitted.pk}/reject/",
                            {"comment": "Evidence is for 2024", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/scorecard/values/"
    IndicatorValue.objects.filter(pk=world.submitted.pk).update(state="submitted")
    response = analyst.post(f"/scorecard/values/{world.submitted.pk}/accept/",
                            {"next": f"/suppliers/{world.own.code}/"})
    assert response.status_code == 302 and response["Location"] == f"/suppliers/{world.own.code}/"
