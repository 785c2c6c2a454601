"""Progress that tells the truth: the numbers a job's heartbeat writes ("n of N (p%)"),
the run and export pages and their JSON, who may read them, and what the page says when
tasks run in the request (no broker: the laptop default)."""

from __future__ import annotations

import time

import pytest

from core import jobs
from portal.progress import job_state, step_classes
from reports.models import Report
from scoring import methodology_drafts
from scoring import services as scoring_services
from scoring.models import Methodology, ScoreRun


def _advances(monkeypatch) -> list[tuple]:
    seen = []
    original = jobs.Lease.advance

    def spy(self, done, total=None):
        seen.append((done, total))
        original(self, done, total)

    monkeypatch.setattr(jobs.Lease, "advance", spy)
    return seen


def test_a_recalculation_counts_its_steps_and_ends_at_n_of_n(world, client_as, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    seen = _advances(monkeypatch)
    analyst = client_as("procurement_analyst")
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post("/scorecard/runs/", {"quarter": str(world.quarter), "methodology": ""}, follow=True)
    run = ScoreRun.objects.latest("id")
    assert run.status == "succeeded", run.error
    steps = scoring_services.RUN_STEPS
    # Seven reads, the computation, the result rows; the write is the last step.
    assert steps == 10
    assert seen == [(0, 10), (1, 10), (2, 10), (3, 10), (4, 10), (5, 10), (6, 10), (7, 10), (8, 10), (9, None)]
    assert (run.progress_done, run.progress_total) == (10, 10)
    status = analyst.get(f"/scorecard/runs/{run.pk}/status.json").json()
    assert (status["status"], status["active"], status["progress"], status["progress_text"]) == (
        "succeeded", False, {"done": 10, "total": 10, "percent": 100}, "10 of 10 (100%)")
    assert status["steps"] == {"queued": "done", "running": "done", "finished": "done"}


@pytest.mark.django_db(transaction=True)
def test_tasks_run_in_the_request_the_message_says_done_with_the_result(transactional_db, world, client_as):
    # Committed for real: the task runs in the request once the run is committed, as on a
    # laptop without a broker, so the page is rendered after the run ended.
    analyst = client_as("procurement_analyst")
    response = analyst.post("/scorecard/runs/", {"quarter": str(world.quarter), "methodology": ""}, follow=True)
    run = ScoreRun.objects.latest("id")
    assert run.status == "succeeded", run.error
    body = response.content.decode()
    assert f"Recalculation of {world.quarter} done: 2 suppliers scored." in body
    assert "started" not in body and "See the new scores" in body
    assert 'data-step="finished" class="done"' in body and "data-poll-url" not in body

    # A preview of a draft says so too.
    draft = methodology_drafts.draft_create(version="v2", based_on=Methodology.objects.get(version="v1"),
                                            description="", actor=world.analyst)
    response = analyst.post("/scorecard/compare/preview/", {"quarter": str(world.quarter), "methodology": "v2"},
                            follow=True)
    assert ScoreRun.objects.get(methodology=draft).status == "succeeded"
    assert (f"Preview of v2 on {world.quarter} done; the official results stay as they are."
            in response.content.decode())

    response = analyst.post("/reports/", {"quarter": str(world.quarter), "format": "csv"}, follow=True)
    report = Report.objects.get()
    body = response.content.decode()
    assert "Export ready:" in body and f'href="/reports/{report.pk}/download/"' in body
    assert "Export started" not in body
    # The report card requested from the supplier page too.
    response = analyst.post("/suppliers/OWN-1/report-card/", {"quarter": str(world.quarter)}, follow=True)
    card = Report.objects.get(format="pdf")
    body = response.content.decode()
    assert "Export ready:" in body and f'href="/reports/{card.pk}/download/"' in body


def test_a_run_sent_to_a_worker_says_started(world, client_as, django_capture_on_commit_callbacks):
    analyst = client_as("procurement_analyst")
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not taken it yet
        response = analyst.post("/scorecard/runs/", {"quarter": str(world.quarter), "methodology": ""})
    page = analyst.get(response.url)
    body = page.content.decode()
    assert f"Recalculation of {world.quarter} started." in body
    assert 'data-step="queued" class="current"' in body
    assert 'http-equiv="refresh"' in body  # without JavaScript the page reloads itself


def test_the_run_page_and_its_json_show_the_running_state_and_n_of_n(world, client_as):
    run = ScoreRun.objects.create(quarter=str(world.quarter), methodology=Methodology.objects.get(version="v1"),
                                  status="running", progress_done=3, progress_total=10)
    analyst = client_as("procurement_analyst")
    body = analyst.get(f"/scorecard/runs/{run.pk}/").content.decode()
    # The step indicator matches the status, the numbers are in the page without JavaScript.
    assert 'data-step="queued" class="done"' in body and 'data-step="running" class="current"' in body
    assert 'data-step="finished" class=""' in body
    assert "3 of 10 (30%)" in body and 'aria-valuenow="30"' in body
    status = analyst.get(f"/scorecard/runs/{run.pk}/status.json").json()
    assert (status["status"], status["status_display"], status["active"]) == ("running", "Running", True)
    assert (status["progress"], status["progress_text"]) == ({"done": 3, "total": 10, "percent": 30}, "3 of 10 (30%)")
    assert status["steps"] == {"queued": "done", "running": "current", "finished": ""}
    # The run list shows it too, and polls the same JSON.
    listing = analyst.get("/scorecard/runs/").content.decode()
    assert f"/scorecard/runs/{run.pk}/status.json" in listing and "3 of 10 (30%)" in listing


def test_progress_is_translated(world, client_as):
    run = ScoreRun.objects.create(quarter=str(world.quarter), methodology=Methodology.objects.get(version="v1"),
                                  status="running", progress_done=1200, progress_total=5000)
    analyst = client_as("procurement_analyst")
    assert analyst.get(f"/scorecard/runs/{run.pk}/status.json").json()["progress_text"] == "1,200 of 5,000 (24%)"
    analyst.cookies["django_language"] = "zh-hans"
    status = analyst.get(f"/scorecard/runs/{run.pk}/status.json").json()
    assert status["progress_text"] == "1200 / 5000（24%）"
    assert status["status_display"] == "运行中"


def test_suppliers_never_see_recalculations(world, client_as):
    client = client_as("supplier_user")
    assert client.get(f"/scorecard/runs/{world.run.pk}/status.json").status_code == 403
    assert client.get(f"/scorecard/runs/{world.run.pk}/").status_code == 403
    assert client_as(None).get(f"/scorecard/runs/{world.run.pk}/status.json").status_code == 302  # log in first


def test_an_export_records_its_rows_done(
        world, client_as, django_capture_on_commit_callbacks):
    analyst = client_as("procurement_analyst")
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post("/reports/", {"quarter": str(world.quarter), "format": "xlsx"})
    report = Report.objects.get()
    assert report.status == "succeeded", report.error
    # One unit per row of Scores (2) and QBR (2), Indicators (1 full-scorecard supplier at least),
    # one per other sheet (5) and one for saving.
    assert report.progress_done == report.progress_total and report.progress_total >= 2 + 1 + 2 + 6
    assert report.progress == 100
    status = analyst.get(f"/reports/{report.pk}/status.json").json()
    assert (status["ready"], status["active"], status["progress"]["percent"]) == (True, False, 100)


def test_a_running_export_shows_n_of_n_to_its_supplier_only(world, client_as, role_users):
    from reports.services import report_create

    own = report_create(quarter=world.quarter, format="pdf", supplier=world.own, actor=role_users["supplier_user"])
    other = report_create(quarter=world.quarter, format="pdf", supplier=world.other,
                          actor=role_users["procurement_analyst"])
    Report.objects.filter(pk__in=[own.pk, other.pk]).update(status="running", progress_done=0, progress_total=1)
    supplier = client_as("supplier_user")
    status = supplier.get(f"/reports/{own.pk}/status.json").json()
    assert (status["status"], status["progress_text"], status["steps"]["running"]) == ("running", "0 of 1 (0%)",
                                                                                       "current")
    assert supplier.get(f"/reports/{other.pk}/status.json").status_code == 404
    body = supplier.get("/reports/").content.decode()
    assert "0 of 1 (0%)" in body and f"/reports/{other.pk}/status.json" not in body


def test_step_classes_follow_the_status():
    assert step_classes("queued") == {"queued": "current", "running": "", "finished": ""}
    assert step_classes("failed") == {"queued": "done", "running": "done", "finished": "failed"}
    assert step_classes("cancelled")["finished"] == "failed"


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_writes_changed_progress_only_and_no_query_per_row(settings, monkeypatch):
    settings.JOB_PROGRESS_SECONDS = 0.05
    run = ScoreRun.objects.create(quarter="2026-Q2", methodology=Methodology.objects.get(version="v1"))
    assert jobs.claim(ScoreRun, run.pk)
    writes = []
    renew = jobs.renew

    def counting(model, pk, **fields):
        writes.append(fields)
        return renew(model, pk, **fields)

    monkeypatch.setattr(jobs, "renew", counting)
    with jobs.lease(ScoreRun, run.pk) as lease:
        for done in range(1, 5001):  # rows of a body: memory only
            lease.advance(done, 5000) if done == 1 else lease.advance(done)
            if done == 2500:
                _wait_for(lambda: ScoreRun.objects.get(pk=run.pk).progress_done == 2500, lease)
        _wait_for(lambda: ScoreRun.objects.get(pk=run.pk).progress_done == 5000, lease)
        time.sleep(0.3)  # nothing changed: no further write
    run.refresh_from_db()
    assert (run.progress_done, run.progress_total, jobs.progress_of(run).percent) == (5000, 5000, 100)
    assert 2 <= len(writes) <= 4 and writes[-1] == {"progress_done": 5000, "progress_total": 5000}
    assert jobs.finish(ScoreRun, run.pk, "succeeded")


def _wait_for(condition, lease, seconds: float = 5.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end and not lease.lost, "the heartbeat did not write the progress"
        time.sleep(0.05)


def test_job_state_of_a_job_that_reported_nothing_yet(world):
    run = ScoreRun.objects.create(quarter=str(world.quarter), methodology=Methodology.objects.get(version="v1"))
    state = job_state(run)
    assert (state["status"], state["active"], state["progress"], state["progress_text"]) == ("queued", True, None, "")
