"""Celery tasks of the audits app: thin wrappers that take ids or dates and call one service."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import InterfaceError, OperationalError

from audits import notifications, reminders
from core import jobs
from core.quarter import today as business_day

# Errors a later attempt can cure: the database or the mail server unreachable.
TRANSIENT = (OperationalError, InterfaceError, OSError)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=60, retry_backoff_max=900, max_retries=5)
def send_audit_reminders(as_of: str | None = None) -> str:
    """The daily job (registered with django-celery-beat for 06:00): reminders, expiry
    warnings and termination-review escalation at ``as_of`` (ISO date; default today).
    Tracked as a ``reminders`` job (core.jobs.tracked); rerunning it sends nothing twice."""
    day = dt.date.fromisoformat(as_of) if as_of else business_day()
    with jobs.tracked("reminders", label=day.isoformat(), actor="send_audit_reminders") as job:
        run = reminders.send_daily_reminders(as_of=day)
        job.counts = {"created": run.created, "emails": run.emails, "cancelled": run.cancelled,
                      "reviews_opened": run.reviews_opened}
    return run.summary()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notifications(notification_ids: list[int]) -> int:
    """E-mail the given notifications (each at most once). Mail-server errors (OSError,
    including SMTP errors) release the claim and are retried with backoff."""
    return notifications.deliver(notification_ids)
