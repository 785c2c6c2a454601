"""Celery tasks: thin wrappers that take ids, reload and call one service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from scoring import services

# Only errors that a retry can cure: a dropped or busy database connection.
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=5, retry_backoff_max=300, max_retries=5,
             name="scoring.recalculate_quarter")
def recalculate_quarter(run_id: int) -> dict | None:
    try:
        run = services.score_run_execute(run_id=run_id)
    except TRANSIENT:
        services.score_run_requeue(run_id=run_id)  # so the retry can claim it again
        raise
    if run is None:
        return None
    return {"run": run.pk, "status": run.status, "counts": run.counts, "error": run.error}


@shared_task(name="scoring.recalculate_recent_quarters")
def recalculate_recent_quarters(today: str | None = None) -> list[int]:
    """Nightly: the current and the previous quarter, unless closed."""
    return services.schedule_recent_quarters(today=today)


@shared_task(name="scoring.close_previous_quarter")
def close_previous_quarter(today: str | None = None) -> str | None:
    """First day of a quarter: a final run of the quarter just ended, then it is closed."""
    return services.close_previous_quarter(today=today)
