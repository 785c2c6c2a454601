"""Scores, coverage, score runs, methodologies and indicator values over the API, per role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from core import roles
from core.quarter import Quarter
from scoring import services
from scoring.models import (
    IndicatorValue,
    Methodology,
    MethodologyIndicator,
    QuarterlyScore,
    RunStatus,
    ScoreRun,
    ValueState,
)
from suppliers.models import SpendRecord
from tests.history import changes

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(own_supplier, other_supplier, make_site, django_capture_on_commit_callbacks, api_as):
    make_site(own_supplier)
    SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q3", currency="USD", amount=900)
    SpendRecord.objects.create(supplier=other_supplier, quarter="2026-Q3", currency="USD", amount=100)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(roles.PROCUREMENT_ANALYST).post("/api/v1/score-runs/", {"quarter": "2026-Q3"})
    assert response.status_code == 202, response.json()
    return response.json()


def test_starting_a_run_queues_it_and_the_eager_task_completes_it(scored):
    run = ScoreRun.objects.get(pk=scored["id"])
    assert run.status == RunStatus.SUCCEEDED
    assert run.counts["scored"] == 2
    assert QuarterlyScore.objects.filter(quarter="2026-Q3").count() == 2


def test_follow_a_run(scored, api_as):
    body = api_as(roles.VIEWER).get(f"/api/v1/score-runs/{scored['id']}/").json()
    assert body["status"] == "succeeded"
    assert body["methodology"] == "v1"


def test_an_identical_request_gets_the_active_run_and_a_different_one_409_with_its_id(own_supplier, api_as):
    v1 = Methodology.objects.get(version="v1")
    active = ScoreRun.objects.create(quarter="2026-Q3", methodology=v1, status=RunStatus.RUNNING)
    client = api_as(roles.PROCUREMENT_ADMIN)
    same = client.post("/api/v1/score-runs/", {"quarter": "2026-Q3"})
    assert (same.status_code, same.json()["id"], same.json()["status"]) == (200, active.pk, "running")
    Methodology.objects.create(version="v2", status="published", grade_bands=v1.grade_bands,
                               qbr_weights=v1.qbr_weights)
    other = client.post("/api/v1/score-runs/", {"quarter": "2026-Q3", "methodology": "v2"})
    assert other.status_code == 409
    assert (other.json()["run"], "already running" in other.json()["detail"]) == (active.pk, True)
    assert ScoreRun.objects.filter(quarter="2026-Q3").count() == 1


def test_a_quarter_after_the_current_one_is_a_field_error_and_records_nothing(own_supplier, api_as):
    response = api_as(roles.PROCUREMENT_ADMIN).post("/api/v1/score-runs/", {"quarter": "2030-Q1"})
    assert response.status_code == 400
    assert "after the current quarter" in str(response.json()["quarter"])
    assert ScoreRun.objects.count() == 0


def test_starting_runs_is_rate_limited_per_user_with_retry_after(own_supplier, api_as, settings):
    settings.JOB_STARTS_PER_MINUTE = 2
    cache.clear()
    client = api_as(roles.PROCUREMENT_ADMIN)
    codes = [client.post("/api/v1/score-runs/", {"quarter": "2026-Q3"}).status_code for _ in range(2)]
    limited = client.post("/api/v1/score-runs/", {"quarter": "2026-Q3"})
    assert codes == [202, 200]  # the second is identical to the queued first one
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    cache.clear()


@pytest.mark.parametrize("role", [roles.VIEWER, roles.SUPPLIER_USER])
def test_viewers_and_suppliers_cannot_start_runs(own_supplier, api_as, role):
    assert api_as(role).post("/api/v1/score-runs/", {"quarter": "2026-Q3"}).status_code == 403
    assert ScoreRun.objects.count() == 0


def test_bad_quarter_is_a_field_error(api_as, own_supplier):
    response = api_as(roles.PROCUREMENT_ADMIN).post("/api/v1/score-runs/", {"quarter": "2026Q3"})
    assert response.status_code == 400
    assert "quarter" in response.json()


def test_scores_filter_by_quarter_and_supplier_user_sees_only_its_own(scored, api_as, own_supplier, other_supplier):
    analyst = api_as(roles.PROCUREMENT_ANALYST).get("/api/v1/scores/?quarter=2026-Q3").json()
    assert [row["supplier_code"] for row in analyst["results"]] == ["OWN-1", "OTHER-1"]
    assert api_as(roles.PROCUREMENT_ANALYST).get("/api/v1/scores/?quarter=2026-Q2").json()["count"] == 0
    supplier = api_as(roles.SUPPLIER_USER)
    listed = supplier.get("/api/v1/scores/?quarter=2026-Q3").json()
    assert [row["supplier_code"] for row in listed["results"]] == ["OWN-1"]
    other = QuarterlyScore.objects.get(supplier=other_supplier)
    own = QuarterlyScore.objects.get(supplier=own_supplier)
    assert supplier.get(f"/api/v1/scores/{other.pk}/").status_code == 404
    detail = supplier.get(f"/api/v1/scores/{own.pk}/").json()
    assert set(detail["points"]) >= {"RBA-01", "ECO-01"}
    assert supplier.get("/api/v1/scores/history/OTHER-1/").status_code == 404
    assert supplier.get("/api/v1/scores/history/OWN-1/").status_code == 200


def test_without_a_quarter_scores_and_coverage_answer_for_the_default_quarter(scored, api_as):
    # An empty run of the current quarter, an older quarter and a future quarter's scores:
    # none of them is the default, and the list never mixes quarters.
    SpendRecord.objects.all().delete()
    empty = services.score_run_now(quarter=Quarter.parse("2026-Q4"), actor="test")
    assert (empty.status, empty.counts["scored"]) == (RunStatus.SUCCEEDED, 0)
    future = ScoreRun.objects.create(quarter="2030-Q1", methodology=Methodology.objects.get(version="v1"),
                                     status=RunStatus.SUCCEEDED)
    for row in QuarterlyScore.objects.filter(quarter="2026-Q3").values():
        QuarterlyScore.objects.create(**{**row, "id": None, "quarter": "2030-Q1", "run_id": future.pk})
        QuarterlyScore.objects.create(**{**row, "id": None, "quarter": "2026-Q2"})
    analyst = api_as(roles.PROCUREMENT_ANALYST)
    listed = analyst.get("/api/v1/scores/").json()
    assert listed["count"] == 2 and {row["quarter"] for row in listed["results"]} == {"2026-Q3"}
    assert analyst.get("/api/v1/scores/", {"quarter": "2026-Q2"}).json()["count"] == 2  # given: unchanged
    mine = api_as(roles.SUPPLIER_USER).get("/api/v1/scores/").json()
    assert [(row["supplier_code"], row["quarter"]) for row in mine["results"]] == [("OWN-1", "2026-Q3")]
    assert analyst.get("/api/v1/coverage/").json()["quarter"] == "2026-Q3"
    assert analyst.get("/api/v1/coverage/", {"quarter": "2026-Q4"}).json()["quarter"] == "2026-Q4"


def test_without_a_quarter_and_nothing_recalculated_the_answer_says_so(api_as, own_supplier):
    analyst = api_as(roles.PROCUREMENT_ANALYST)
    for url in ("/api/v1/scores/", "/api/v1/coverage/"):
        response = analyst.get(url)
        assert response.status_code == 404, url
        assert response.json()["detail"].startswith("no quarter has been recalculated yet"), url
    assert analyst.get("/api/v1/scores/", {"quarter": "2026-Q3"}).json()["count"] == 0


def test_coverage_endpoint_has_the_contract_shape_and_is_for_procurement(scored, api_as):
    body = api_as(roles.VIEWER).get("/api/v1/coverage/?quarter=2026-Q3").json()
    assert {"quarter", "base_currency", "total_spend", "target", "populations", "metrics"} <= set(body)
    assert set(body["metrics"]) == {"scorecard", "audit", "sbti", "ghg_disclosure", "foc"}
    assert body["total_spend"] == 1000.0
    assert api_as(roles.VIEWER).get("/api/v1/coverage/?quarter=2026-Q2").status_code == 404
    assert api_as(roles.VIEWER).get("/api/v1/coverage/").json() == body  # the default quarter
    assert api_as(roles.VIEWER).get("/api/v1/coverage/?quarter=2026Q3").status_code == 400
    assert api_as(roles.SUPPLIER_USER).get("/api/v1/coverage/?quarter=2026-Q3").status_code == 403


def test_supplier_submits_a_value_for_itself_only_and_procurement_accepts_it(own_supplier, other_supplier, api_as):
    supplier = api_as(roles.SUPPLIER_USER)
    response = supplier.post("/api/v1/indicator-values/", {
        "supplier_code": "OWN-1", "quarter": "2026-Q3", "indicator_code": "ENV-06", "value": "45.5",
        "evidence_ref": "DOC-1"})
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "submitted"
    refused = supplier.post("/api/v1/indicator-values/", {
        "supplier_code": "OTHER-1", "quarter": "2026-Q3", "indicator_code": "ENV-06", "value": "45"})
    assert refused.status_code == 400
    invalid = supplier.post("/api/v1/indicator-values/", {
        "supplier_code": "OWN-1", "quarter": "2026-Q3", "indicator_code": "ENV-03", "value": "B+"})
    assert invalid.status_code == 400
    assert "not a known ENV-03 code" in invalid.json()["value"][0]
    value_id = response.json()["id"]
    assert supplier.post(f"/api/v1/indicator-values/{value_id}/accept/").status_code == 403
    accepted = api_as(roles.PROCUREMENT_ANALYST).post(f"/api/v1/indicator-values/{value_id}/accept/",
                                                      {"comment": "evidence checked"})
    assert accepted.status_code == 200
    value = IndicatorValue.objects.get(pk=value_id)
    assert (value.state, value.review_comment) == (ValueState.ACCEPTED, "evidence checked")
    reviewed = changes(IndicatorValue, value_id)[-1]
    assert reviewed["changes"]["state"] == ["submitted", "accepted"]
    assert (reviewed["reason"], reviewed["channel"]) == ("evidence checked", "api")
    assert reviewed["user"] == roles.PROCUREMENT_ANALYST
    again = api_as(roles.PROCUREMENT_ANALYST).post(f"/api/v1/indicator-values/{value_id}/reject/")
    assert again.status_code == 400


def test_supplier_never_sees_other_suppliers_values(own_supplier, other_supplier, api_as):
    IndicatorValue.objects.create(supplier=other_supplier, quarter="2026-Q3", indicator_id=_indicator("ECO-01"),
                                  value="50", state="accepted", submitted_at="2026-09-01T00:00Z")
    assert api_as(roles.SUPPLIER_USER).get("/api/v1/indicator-values/").json()["count"] == 0
    assert api_as(roles.VIEWER).get("/api/v1/indicator-values/").json()["count"] == 1


def _indicator(code):
    from scoring.models import Indicator

    return Indicator.objects.get(code=code).pk


def test_methodology_draft_weights_diff_publish_is_admin_only(api_as, role_users):
    analyst = api_as(roles.PROCUREMENT_ANALYST)
    assert analyst.post("/api/v1/methodologies/drafts/", {"version": "v2"}).status_code == 403
    admin = api_as(roles.PROCUREMENT_ADMIN)
    created = admin.post("/api/v1/methodologies/drafts/", {"version": "v2", "based_on": "v1"})
    assert created.status_code == 201, created.json()
    changed = admin.post("/api/v1/methodologies/v2/weights/", [{"code": "ECO-01", "weight": "9"}], format="json")
    assert changed.status_code == 200
    refused = admin.post("/api/v1/methodologies/v2/publish/")
    assert refused.status_code == 400
    assert "sum to 102.000, not 100" in str(refused.json())
    diff = admin.get("/api/v1/methodologies/v1/diff/?other=v2").json()
    assert diff["indicators"]["ECO-01"]["v1"]["weight"] == "7.000"
    assert diff["indicators"]["ECO-01"]["v2"]["weight"] == "9.000"
    admin.post("/api/v1/methodologies/v2/weights/", [{"code": "ECO-02", "weight": "0"}], format="json")
    assert admin.post("/api/v1/methodologies/v2/publish/").status_code == 200
    assert Methodology.objects.get(version="v2").is_published
    frozen = admin.post("/api/v1/methodologies/v2/weights/", [{"code": "ECO-01", "weight": "7"}], format="json")
    assert frozen.status_code == 400
    assert Methodology.objects.get(version="v2").indicators.get(indicator__code="ECO-01").weight == Decimal("9")
    weights = [row["changes"]["weight"] for row in changes(MethodologyIndicator, action="updated")]
    assert len(weights) == 2 and weights[0] == ["7.000", "9.000"] and weights[1][1] == "0.000"


def test_supplier_users_cannot_import_values_even_where_they_may_submit(own_supplier, other_supplier, api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("v.csv", b"supplier_code,quarter,indicator_code,value\nOTHER-1,2026-Q3,ENV-01,no\n")
    response = api_as(roles.SUPPLIER_USER).post("/api/v1/indicator-values/import/", {"file": upload},
                                                format="multipart")
    assert response.status_code == 403
    assert IndicatorValue.objects.count() == 0


def test_another_suppliers_code_reads_like_an_unknown_one_and_imports_do_not_block_submissions(
        own_supplier, other_supplier, api_as):
    supplier = api_as(roles.SUPPLIER_USER)
    payload = {"quarter": "2026-Q3", "indicator_code": "ENV-06", "value": "45"}
    other = supplier.post("/api/v1/indicator-values/", {**payload, "supplier_code": "OTHER-1"}).json()
    unknown = supplier.post("/api/v1/indicator-values/", {**payload, "supplier_code": "NOPE"}).json()
    assert other["supplier_code"][0].replace("OTHER-1", "X") == unknown["supplier_code"][0].replace("NOPE", "X")
    IndicatorValue.objects.create(supplier=own_supplier, quarter="2026-Q3", indicator_id=_indicator("ENV-06"),
                                  value="10", state="accepted", origin="import", submitted_at="2026-08-01T00:00Z")
    response = supplier.post("/api/v1/indicator-values/", {**payload, "supplier_code": "OWN-1"})
    assert response.status_code == 201, response.json()


def test_analysts_cannot_change_admin_only_tables_in_the_django_admin(role_users):
    from django.contrib.auth import get_user_model

    analyst = get_user_model().objects.get(pk=role_users[roles.PROCUREMENT_ANALYST].pk)
    assert not analyst.has_perm("scoring.change_methodologyindicator")
    assert not analyst.has_perm("audits.change_deadlinerule")
    assert not analyst.has_perm("suppliers.change_suppliermembership")
    assert analyst.has_perm("audits.change_finding")
    assert analyst.has_perm("suppliers.change_supplier")


def test_methodology_settings_and_parameters_are_validated_before_they_can_break_a_run(api_as, role_users):
    admin = api_as(roles.PROCUREMENT_ADMIN)
    admin.post("/api/v1/methodologies/drafts/", {"version": "v3", "based_on": "v1"})
    bad_bands = admin.patch("/api/v1/methodologies/v3/", {"grade_bands": "garbage"}, format="json")
    assert bad_bands.status_code == 400 and "grade_bands" in bad_bands.json()
    unordered = admin.patch("/api/v1/methodologies/v3/", {"grade_bands": [["A", "50"], ["B", "70"], ["D", "0"]]},
                            format="json")
    assert unordered.status_code == 400
    bad_params = admin.post("/api/v1/methodologies/v3/weights/",
                            [{"code": "RBA-03", "weight": "5", "params": "junk"}], format="json")
    assert bad_params.status_code == 400
    missing_key = admin.post("/api/v1/methodologies/v3/weights/",
                             [{"code": "RBA-08", "weight": "2", "params": {"table": {"gold": 85}}}], format="json")
    assert missing_key.status_code == 400
    assert "no_valid_audit" in str(missing_key.json())
    good = admin.post("/api/v1/methodologies/v3/weights/",
                      [{"code": "RBA-03", "weight": "5", "params": {"step": 50}}], format="json")
    assert good.status_code == 200
    assert admin.post("/api/v1/methodologies/v3/publish/").status_code == 200


def test_evidence_must_be_a_document_of_the_same_supplier(own_supplier, other_supplier, api_as, tmp_path, settings):
    from django.core.files.base import ContentFile

    from suppliers.models import Document

    settings.MEDIA_ROOT = tmp_path
    document = Document(supplier=other_supplier, kind="other", title="x", original_name="x.pdf",
                        content_type="application/pdf", size=4)
    document.file.save("x.pdf", ContentFile(b"%PDF"), save=False)
    document.save()
    response = api_as(roles.SUPPLIER_USER).post("/api/v1/indicator-values/", {
        "supplier_code": "OWN-1", "quarter": "2026-Q3", "indicator_code": "ENV-06", "value": "45",
        "evidence_ref": f"document:{document.pk}"})
    assert response.status_code == 400
    assert "evidence_ref" in response.json()
