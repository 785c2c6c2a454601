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


class StoredSummary(models.Model):
    """A summary computed once and read by many requests (core/summaries.py): the
    dashboard's audit-cycle counts of a day, a quarter's coverage digest and its compressed
    response, a gap list split into items. ``fingerprint`` names what it was computed from
    (the day, the policy, the newest change of its source tables); a reader whose current
    fingerprint differs recomputes it."""

    key = models.CharField(max_length=200, unique=True)
    fingerprint = models.CharField(max_length=500)
    payload = models.JSONField(default=dict)
    body = models.BinaryField(null=True, blank=True)  # e.g. a gzip-compressed JSON response
    item_count = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"summary {self.key}"


class StoredSummaryItem(models.Model):
    """A block of a summary's list (a coverage metric's gaps): ``data`` holds the items at
    positions ``position`` to ``position + len(data) - 1`` (a JSON list of up to
    ``core.summaries.ITEM_BLOCK`` items; positions from 0). A page is read from the one or
    few blocks it spans through the (summary, position) index (``core.summaries.item_page``):
    a list of 250,000 gaps is about 1,000 rows to write, not 250,000 (#13)."""

    # The (summary, position) key's index serves the summary's lookups: no index of its own.
    summary = models.ForeignKey(StoredSummary, on_delete=models.CASCADE, related_name="items", db_index=False)
    position = models.PositiveIntegerField()
    data = models.JSONField()

    class Meta:
        ordering = ["summary", "position"]
        constraints = [models.UniqueConstraint(fields=["summary", "position"], name="stored_summary_item_position")]

    def __str__(self) -> str:
        return f"{self.summary_id}#{self.position}"
