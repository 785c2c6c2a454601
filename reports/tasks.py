"""Celery task: thin, takes an id, reloads and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from reports import services

# Only errors that a retry can cure: a dropped or busy database connection.
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=5, retry_backoff_max=300, max_retries=5,
             name="reports.export_report")
def export_report(report_id: int) -> dict | None:
    try:
        report = services.report_execute(report_id=report_id)
    except TRANSIENT:
        services.report_requeue(report_id=report_id)  # so the retry can claim it again
        raise
    if report is None:
        return None
    return {"report": report.pk, "status": report.status, "size": report.size, "error": report.error}
