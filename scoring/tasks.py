"""Celery tasks: thin wrappers that take ids, reload and call one service."""

from __future__ import annotations

from celery import shared_task

from scoring import services

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
