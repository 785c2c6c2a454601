"""Diagnostic Celery tasks: check that a worker is consuming and can read the database.

>>> from core.tasks import ping
>>> ping.delay("hello").get(timeout=10)
{'pong': 'hello', 'worker': 'celery@web-1'}
"""

from __future__ import annotations

import socket

from celery import shared_task
from django.contrib.auth.models import Group


@shared_task(bind=True, name="core.tasks.ping")
def ping(self, value):
    """Echo ``value`` back with the name of the worker that ran it.

    ``worker`` is the worker's node name (``celery@host``); when the task runs eagerly
    in-process there is no worker, and it is this machine's host name instead.
    """
    return {"pong": value, "worker": self.request.hostname or socket.gethostname()}


@shared_task(name="core.tasks.count_groups")
def count_groups(name: str | None = None) -> int:
    """How many auth groups the worker's database holds (only those called ``name`` if given)."""
    groups = Group.objects.all()
    if name is not None:
        groups = groups.filter(name=name)
    return groups.count()


@shared_task(name="core.sweep_jobs")
def sweep_jobs() -> dict:
    """Every minute (beat): requeue jobs whose worker stopped, send jobs the broker did not
    take (``core.jobs.sweep``)."""
    from core import jobs

    return jobs.sweep().as_dict()


@shared_task(name="core.sweep_pending_uploads")
def sweep_pending_uploads() -> int:
    """Hourly (beat): delete the portal's import previews nobody committed within
    ``core.pending_uploads.MAX_AGE``; returns how many were deleted."""
    from core import pending_uploads

    return pending_uploads.sweep()
