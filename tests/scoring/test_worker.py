"""The recalculation through Redis and a real Celery worker process (CI: PostgreSQL + Redis)."""

from __future__ import annotations

import time

import pytest

from core.quarter import Quarter
from scoring import services
from scoring.models import QuarterlyScore, RunStatus, ScoreRun
from suppliers.models import SpendRecord

pytest_plugins = ["tests.worker_fixtures"]
pytestmark = pytest.mark.real_clock  # the worker process keeps the real clock


def test_a_run_enqueued_from_the_api_service_is_executed_by_the_worker(celery_worker_with_db, make_supplier,
                                                                       make_site):
    big = make_supplier("W-BIG", name="华南电子")
    small = make_supplier("W-SMALL")
    make_site(big)
    SpendRecord.objects.create(supplier=big, quarter="2026-Q3", currency="USD", amount=970)
    SpendRecord.objects.create(supplier=small, quarter="2026-Q2", currency="USD", amount=30)

    run = services.score_run_enqueue(quarter=Quarter.parse("2026-Q3"), actor="test", trigger="api")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            break
        time.sleep(0.3)
    assert run.status == RunStatus.SUCCEEDED, (run.status, run.error, celery_worker_with_db.log_tail())
    assert run.task_id
    assert (run.progress_done, run.progress_total) == (services.RUN_STEPS, services.RUN_STEPS)
    scores = dict(QuarterlyScore.objects.values_list("supplier__code", "population"))
    assert scores == {"W-BIG": "full", "W-SMALL": "ecovadis_only"}
    assert ScoreRun.objects.count() == 1
