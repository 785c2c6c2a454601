"""Cross-cutting records: the change log (who changed what, when) and the jobs that have
no domain row of their own (reminder batches, API imports)."""

from django.conf import settings
from django.db import models


class ChangeLogEntry(models.Model):
    """One recorded change to a business object: scores, findings, weights, statuses."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Who acted when no user did: "import_suppliers", "celery:recalculate", ...
    actor_label = models.CharField(max_length=150, blank=True)
    entity_type = models.CharField(max_length=60, db_index=True)
    entity_id = models.CharField(max_length=64, db_index=True)
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["entity_type", "entity_id"])]
        verbose_name_plural = "change log entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.entity_type} {self.entity_id} {self.action}"


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
