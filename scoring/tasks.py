"""Celery tasks: thin wrappers that take ids, reload and call one service."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from core import jobs
from core.quarter import today as business_day
from scoring import services, serving

# Only errors that a retry can cure: a dropped or busy database connection.
TRANSIENT = services.TRANSIENT

# A closed quarter waits for an active run to end: retried every 10 minutes for a day.
CLOSE_RETRY_SECONDS = 600
CLOSE_MAX_RETRIES = 144


@shared_task(bind=True, acks_late=True, autoretry_for=TRANSIENT, retry_backoff=5, retry_backoff_max=300,
             max_retries=5, name="scoring.recalculate_quarter")
def recalculate_quarter(self, run_id: int) -> dict | None:
    """Run (or resume: a redelivered or retried message carries the same task id) one run."""
    run = services.score_run_execute(run_id=run_id, task_id=self.request.id or "")
    if run is None:
        return None
    return {"run": run.pk, "status": run.status, "counts": run.counts, "error": run.error}


@shared_task(name="scoring.recalculate_recent_quarters")
def recalculate_recent_quarters(today: str | None = None) -> list[int]:
    """Nightly: the current and the previous quarter, unless closed."""
    return services.schedule_recent_quarters(today=today)


@shared_task(bind=True, name="scoring.close_previous_quarter", max_retries=CLOSE_MAX_RETRIES)
def close_previous_quarter(self, today: str | None = None) -> str | None:
    """First day of a quarter: a final run of the quarter just ended, then it is closed.
    Retried while another run of the quarter is active or the final run failed."""
    try:
        return services.close_previous_quarter(today=today)
    except services.RecalculationRefused as exc:
        raise self.retry(exc=exc, countdown=CLOSE_RETRY_SECONDS) from exc


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=30, retry_backoff_max=600, max_retries=5,
             name="scoring.refresh_summaries")
def refresh_summaries(day: str | None = None) -> dict:
    """After midnight (beat): store the day's dashboard summaries and the official quarters'
    coverage summaries (``scoring.serving.refresh_daily``) so the first request of the day
    reads them. ``day``: ISO date, default today. Tracked as a ``summaries`` job
    (``core.jobs.tracked``); a killed worker's message is delivered again (acks late) and
    its job failed by the sweep; running it twice recomputes nothing."""
    as_of = dt.date.fromisoformat(day) if day else business_day()
    with jobs.tracked("summaries", label=as_of.isoformat(), actor="refresh_summaries") as job:
        result = serving.refresh_daily(as_of)
        job.counts = {"quarters": len(result["quarters"])}
    return result
