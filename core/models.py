"""Cross-cutting records: the ``channel`` column every historical table carries (core/history.py)
and the jobs that have no domain row of their own (reminder batches, API imports)."""

from django.conf import settings
from django.db import models


class HistoryChannel(models.Model):
    """Base of every historical model: through which door the change came (core/history.py)."""

    channel = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        abstract = True


class Job(models.Model):
    """A long job tracked through ``core.jobs`` that has no domain row of its own: a
    reminder batch, an import started from the API (tracked only: those run in the request)."""

    kind = models.CharField(max_length=40, db_index=True)
    label = models.CharField(max_length=200, blank=True)  # e.g. the file name, the as-of date
    status = models.CharField(max_length=10, default="queued", db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=150, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} {self.status}"
