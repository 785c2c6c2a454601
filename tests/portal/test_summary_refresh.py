"""The nightly refresh of the stored summaries (``scoring.tasks.refresh_summaries``, beat
after midnight): the new day's audit-cycle and open-findings summaries and every official
quarter's coverage summaries are stored before the first dashboard request, which then
computes nothing; running it twice computes nothing either; a failed run is recorded and
the next one completes. The clock is moved past midnight with time-machine."""

from __future__ import annotations

import datetime as dt

import pytest
from django_celery_beat.models import PeriodicTask

from audits import summaries as audit_summaries
from core import jobs
from core.models import Job, StoredSummary
from core.summaries import forget
from scoring import serving, tasks
from tests import clock

pytestmark = pytest.mark.django_db


def _after_midnight(time_machine) -> dt.date:
    tomorrow = clock.today() + dt.timedelta(days=1)
    time_machine.move_to(dt.datetime.combine(tomorrow, dt.time(0, 5)).astimezone(), tick=False)
    assert clock.today() == tomorrow
    return tomorrow


def _fingerprints() -> dict[str, str]:
    return dict(StoredSummary.objects.values_list("key", "fingerprint"))


def _nothing_computed(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a summary was computed")

    monkeypatch.setattr(audit_summaries, "_compute", refuse)
    monkeypatch.setattr(audit_summaries, "open_findings_counts", refuse)
    monkeypatch.setattr(serving, "_coverage", refuse)
    monkeypatch.setattr(serving, "_gaps", refuse)


def test_beat_runs_the_refresh_after_midnight():
    task = PeriodicTask.objects.get(task="scoring.refresh_summaries")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("5", "0", "*")


def test_the_new_day_is_stored_before_the_first_dashboard_request(world, client_as, time_machine, monkeypatch):
    quarter = str(world.quarter)
    client_as("procurement_analyst").get("/dashboard/")  # yesterday's summaries are stored
    forget("coverage")  # and the quarter's coverage summaries are gone
    tomorrow = _after_midnight(time_machine)

    result = tasks.refresh_summaries.delay().get()

    assert result == {"day": tomorrow.isoformat(), "quarters": [quarter]}
    stored = _fingerprints()
    assert stored[audit_summaries.KEY].startswith(tomorrow.isoformat() + "|")
    assert stored[audit_summaries.FINDINGS_KEY].startswith(tomorrow.isoformat() + "|")
    assert {f"coverage:{quarter}", *(f"coverage-gaps:{quarter}:{m}" for m in serving.METRICS)} <= stored.keys()
    job = Job.objects.get(kind="summaries")
    assert (job.status, job.label, job.counts) == (jobs.SUCCEEDED, tomorrow.isoformat(), {"quarters": 1})
    assert audit_summaries.cycle_summary(tomorrow)["day"] == tomorrow

    _nothing_computed(monkeypatch)
    response = client_as("procurement_analyst").get("/dashboard/")
    assert response.status_code == 200

    # Twice the same night: the second run reads the fresh summaries and computes nothing.
    assert tasks.refresh_summaries.delay(tomorrow.isoformat()).get() == result
    assert _fingerprints() == stored
    assert Job.objects.filter(kind="summaries", status=jobs.SUCCEEDED).count() == 2


def test_a_failed_refresh_is_recorded_and_the_next_run_stores_the_day(world, time_machine, monkeypatch):
    tomorrow = _after_midnight(time_machine)

    def broken(quarter):
        raise RuntimeError("database went away")

    with monkeypatch.context() as patch:
        patch.setattr(serving, "refresh_quarter", broken)
        with pytest.raises(RuntimeError):
            tasks.refresh_summaries.delay().get()
    failed = Job.objects.get(kind="summaries")
    assert failed.status == jobs.FAILED and "database went away" in failed.error

    tasks.refresh_summaries.delay().get()
    assert Job.objects.filter(kind="summaries", status=jobs.SUCCEEDED).count() == 1
    assert _fingerprints()[audit_summaries.KEY].startswith(tomorrow.isoformat() + "|")
    assert f"coverage:{world.quarter}" in _fingerprints()

