"""Celery task: thin, takes an id, reloads and calls one service."""

from __future__ import annotations

from celery import shared_task

from reports import services

# Only errors that a retry can cure: a dropped or busy database connection.
TRANSIENT = services.TRANSIENT


@shared_task(bind=True, acks_late=True, autoretry_for=TRANSIENT, retry_backoff=5, retry_backoff_max=300,
             max_retries=5, name="reports.export_report")
def export_report(self, report_id: int) -> dict | None:
    """Write (or restart: a redelivered or retried message carries the same task id) one report."""
    report = services.report_execute(report_id=report_id, task_id=self.request.id or "")
    if report is None:
        return None
    return {"report": report.pk, "status": report.status, "size": report.size, "error": report.error}
