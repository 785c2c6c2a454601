"""The score-run lifecycle on core.jobs: leases, resumption, the sweep, cancel/retry,
Ctrl-C, the calendar guard, the default quarter and deleting a mistaken run."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core import jobs
from core.models import Job
from core.quarter import Quarter
from reports import services as report_services
from reports.models import Report
from reports.scores_csv import write_scores_csv
from scoring import engine, selectors, services
from scoring.models import (
    CoverageSnapshot,
    Methodology,
    QuarterClose,
    QuarterLock,
    QuarterlyScore,
    RunStatus,
    ScoreRun,
)
from suppliers.models import SpendRecord
from tests import clock
from tests.history import changes

pytestmark = pytest.mark.django_db
Q3 = Quarter.parse("2026-Q3")


@pytest.fixture
def spend(own_supplier, other_supplier, make_site):
    make_site(own_supplier)
    SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q3", currency="USD", amount=900)
    SpendRecord.objects.create(supplier=other_supplier, quarter="2026-Q3", currency="USD", amount=100)


def _expire(run_id: int) -> None:
    ScoreRun.objects.filter(pk=run_id).update(lease_expires_at=clock.database_now() - timezone.timedelta(seconds=1))


def _scores_csv(tmp_path, name: str) -> bytes:
    path = tmp_path / name
    write_scores_csv(Q3, str(path))
    return path.read_bytes()


def test_a_run_whose_worker_died_is_restarted_by_the_sweep_with_an_identical_result(spend, tmp_path):
    clean = services.score_run_now(quarter=Q3, actor="test")
    clean_csv = _scores_csv(tmp_path, "clean.csv")
    run = services.score_run_create(quarter=Q3, actor="test")
    assert jobs.claim(ScoreRun, run.pk, task_id="killed-task")  # a worker claimed it, then was killed
    assert services.score_run_execute(run_id=run.pk, task_id="another") is None  # its lease still holds
    _expire(run.pk)
    swept = jobs.sweep()
    assert ("score_run", run.pk) in swept.requeued
    run.refresh_from_db()  # the eager broker ran the re-sent task at once
    assert (run.status, run.attempts, run.fingerprint) == (RunStatus.SUCCEEDED, 2, clean.fingerprint)
    assert _scores_csv(tmp_path, "rerun.csv") == clean_csv
    assert QuarterLock.objects.get(quarter="2026-Q3").run_id is None


def test_a_redelivered_task_resumes_its_own_run(spend):
    run = services.score_run_create(quarter=Q3, actor="test")
    assert jobs.claim(ScoreRun, run.pk, task_id="t-1")
    done = services.score_run_execute(run_id=run.pk, task_id="t-1")
    assert (done.status, done.attempts) == (RunStatus.SUCCEEDED, 2)
    assert services.score_run_execute(run_id=run.pk, task_id="t-1") is None  # finished: left alone


def test_a_job_whose_worker_keeps_dying_fails_after_the_attempt_limit(spend, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    run = services.score_run_create(quarter=Q3, actor="test")
    ScoreRun.objects.filter(pk=run.pk).update(status="running", attempts=2)
    _expire(run.pk)
    assert ("score_run", run.pk) in jobs.sweep().failed
    run.refresh_from_db()
    assert (run.status, "stopped 2 times" in run.error) == (RunStatus.FAILED, True)


def test_the_sweep_sends_a_queued_run_the_broker_never_took(spend):
    run = services.score_run_create(quarter=Q3, actor="test")  # recorded; never published
    assert ("score_run", run.pk) in jobs.sweep().sent
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


def test_a_tracked_job_left_running_by_a_dead_process_is_failed_by_the_sweep(db):
    with jobs.tracked("api_import", label="suppliers: a.csv") as job:
        job.counts = {"created": 1}
    dead = Job.objects.create(kind="reminders", status="running", lease_expires_at=clock.database_now())
    assert ("tracked", dead.pk) in jobs.sweep().failed
    assert list(Job.objects.order_by("id").values_list("status", "counts")) == [
        ("succeeded", {"created": 1}), ("failed", {})]


def test_ctrl_c_cancels_the_run_and_frees_the_quarter(spend, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "compute_quarter", interrupted)
    with pytest.raises(CommandError, match="interrupted"):
        call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    run = ScoreRun.objects.get()
    assert (run.status, run.error, run.lease_expires_at) == (RunStatus.CANCELLED, "interrupted", None)
    monkeypatch.undo()
    assert services.score_run_now(quarter=Q3, actor="test").status == RunStatus.SUCCEEDED


def test_a_cancelled_run_writes_nothing_even_if_its_worker_finishes_the_computation(spend, monkeypatch):
    run = services.score_run_create(quarter=Q3, actor="test")
    original = engine.compute_quarter

    def cancelled_meanwhile(*args, **kwargs):
        services.score_run_cancel(run=run, actor="admin")
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "compute_quarter", cancelled_meanwhile)
    done = services.score_run_execute(run_id=run.pk)
    assert done.status == RunStatus.CANCELLED
    assert QuarterlyScore.objects.count() == 0


@pytest.mark.parametrize("ahead", [1, 13])
def test_quarters_after_the_current_one_are_refused_by_the_command_and_the_service(spend, ahead):
    quarter = str(clock.current_quarter().shift(ahead))
    with pytest.raises(CommandError, match="after the current quarter"):
        call_command("recalculate_scores", "--quarter", quarter, stdout=io.StringIO())
    with pytest.raises(Exception, match="after the current quarter"):
        services.score_run_enqueue(quarter=Quarter.parse(quarter), actor="test")
    assert ScoreRun.objects.count() == 0


def test_the_default_quarter_is_the_latest_with_stored_scores_never_an_empty_or_future_run(spend, own_supplier):
    services.score_run_now(quarter=Q3, actor="test")
    SpendRecord.objects.all().delete()
    empty = services.score_run_now(quarter=Quarter.parse("2026-Q4"), actor="test")  # nobody to score
    assert (empty.status, empty.counts["scored"]) == (RunStatus.SUCCEEDED, 0)
    assert CoverageSnapshot.objects.filter(quarter="2026-Q4").exists()
    future = ScoreRun.objects.create(quarter="2030-Q1", methodology=Methodology.objects.get(version="v1"),
                                     status="succeeded")
    row = QuarterlyScore.objects.filter(quarter="2026-Q3").values().first()
    QuarterlyScore.objects.create(**{**row, "id": None, "quarter": "2030-Q1", "run_id": future.pk})
    assert selectors.scored_quarters() == ["2026-Q3"]


def test_close_previous_quarter_is_refused_while_a_run_is_active_then_closes(spend):
    active = ScoreRun.objects.create(quarter="2026-Q3", methodology=Methodology.objects.get(version="v1"),
                                     status="running",
                                     lease_expires_at=clock.database_now() + timezone.timedelta(hours=1))
    with pytest.raises(services.RecalculationRefused) as refused:
        services.close_previous_quarter(today="2026-10-01")
    assert refused.value.run_id == active.pk
    services.score_run_cancel(run=active, actor="admin")
    assert services.close_previous_quarter(today="2026-10-01") == "2026-Q3"
    assert QuarterClose.objects.filter(quarter="2026-Q3").exists()


def test_an_admin_deletes_a_mistaken_run_with_its_results_and_reports(spend, role_users):
    run = services.score_run_now(quarter=Q3, actor="test")
    report = report_services.report_create(quarter=Q3, format="csv", actor="script")
    report_services.report_execute(report_id=report.pk)
    stored = Report.objects.get(pk=report.pk).file.name
    assert stored
    with pytest.raises(Exception, match="say why"):
        services.score_run_delete(run=run, actor=role_users["procurement_admin"], reason=" ")
    deleted = services.score_run_delete(run=run, actor=role_users["procurement_admin"], reason="typo in spend")
    assert (deleted["scores"], deleted["coverage"], deleted["reports"]) == (2, 1, 1)
    assert not ScoreRun.objects.exists() and not QuarterlyScore.objects.exists() and not Report.objects.exists()
    [entry] = changes(ScoreRun, action="deleted")
    assert entry["reason"].startswith("typo in spend") and "'quarter': '2026-Q3'" in entry["reason"]
    assert entry["user"] == "procurement_admin"
    assert selectors.scored_quarters() == []


def test_an_active_run_cannot_be_deleted(spend):
    run = services.score_run_create(quarter=Q3, actor="test")
    with pytest.raises(services.RecalculationRefused, match="cancel it"):
        services.score_run_delete(run=run, actor="admin", reason="mistake")
