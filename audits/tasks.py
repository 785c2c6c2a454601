"""Celery tasks of the audits app: thin wrappers that take ids or dates and call one service."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from audits import notifications, reminders


@shared_task(acks_late=True)
def send_audit_reminders(as_of: str | None = None) -> str:
    """The daily job (registered with django-celery-beat for 06:00): reminders, expiry
    warnings and termination-review escalation at ``as_of`` (ISO date; default today)."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return reminders.send_daily_reminders(as_of=day).summary()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notifications(notification_ids: list[int]) -> int:
    """E-mail the given notifications (each at most once). Mail-server errors (OSError,
    including SMTP errors) release the claim and are retried with backoff."""
    return notifications.deliver(notification_ids)
