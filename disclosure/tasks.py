"""Celery tasks of the disclosure app: thin wrappers that call one service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from disclosure import services


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=30, max_retries=5)
def store_emissions_estimate(quarter: str) -> float | None:
    """Store the section 11 estimate of ``quarter`` (after a successful recalculation);
    returns its total tCO2e, or None when Q's FX rates are missing."""
    row = services.store_emissions_estimate(quarter)
    return None if row is None else row.data["total_tco2e"]
