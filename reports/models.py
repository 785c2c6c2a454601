"""Quarterly report exports: one ``Report`` row per requested file, followed while a
Celery task writes it to the default storage."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.history import tracked_history
from scoring.models import ScoreRun
from suppliers.models import QuarterField, Supplier


class ReportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel workbook")
    CSV = "csv", _("Scores CSV")
    PDF = "pdf", _("PDF report cards")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued for writing")
    RUNNING = "running", _("Being written")
    SUCCEEDED = "succeeded", _("Ready to download")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_REPORT_STATUSES = (ReportStatus.QUEUED, ReportStatus.RUNNING)
SCOPE_ALL = "all"
SCOPE_SUPPLIER = "supplier"


def report_upload_to(report: Report, filename: str) -> str:
    return f"reports/{report.quarter}/{filename}"


class Report(models.Model):
    """A quarterly export. ``supplier`` empty: the whole quarter; set: that supplier's
    report card only. ``run`` is the recalculation whose stored results the file holds."""

    history = tracked_history()

    quarter = QuarterField(db_index=True)
    format = models.CharField(max_length=4, choices=ReportFormat.choices)
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED,
                              db_index=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text=_("Percent done, 0–100."))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_by_label = models.CharField(max_length=150, blank=True)
    # The language the requester used; the file is written in it (PDF card texts, titles).
    language = models.CharField(max_length=10, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey(ScoreRun, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    file = models.FileField(upload_to=report_upload_to, max_length=300, blank=True)
    size = models.BigIntegerField(null=True, blank=True, help_text=_("Bytes."))
    checksum = models.CharField(max_length=64, blank=True, help_text=_("SHA-256 of the file, hex."))
    suppliers = models.PositiveIntegerField(null=True, blank=True, help_text=_("Suppliers in the file."))
    task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    # The job lifecycle (core/jobs.py).
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Work done while running (core.jobs.progress_of): "progress_done of progress_total".
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["supplier", "quarter"])]
        constraints = [
            # An identical request (quarter, format, supplier) while one is queued or
            # running gets that report instead of a second one.
            models.UniqueConstraint("quarter", "format", Coalesce("supplier", models.Value(0)),
                                    condition=models.Q(status__in=["queued", "running"]),
                                    name="report_one_active_per_request"),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} {self.quarter} {self.format} {self.scope} {self.status}"

    @property
    def scope(self) -> str:
        return SCOPE_SUPPLIER if self.supplier_id else SCOPE_ALL

    @property
    def is_ready(self) -> bool:
        return self.status == ReportStatus.SUCCEEDED and bool(self.file)

    @property
    def bundles_cards(self) -> bool:
        """PDF report cards of a whole quarter come as a zip, one PDF per supplier."""
        return self.format == ReportFormat.PDF and not self.supplier_id

    @property
    def extension(self) -> str:
        return "zip" if self.bundles_cards else self.format

    @property
    def content_type(self) -> str:
        return {
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "csv": "text/csv; charset=utf-8",
            "pdf": "application/pdf",
            "zip": "application/zip",
        }[self.extension]

    def download_name(self) -> str:
        """The file name offered to the browser, e.g. ``esg-report-card-2026-Q3-S-001.pdf``."""
        if self.format == ReportFormat.PDF:
            if self.supplier_id:
                return f"esg-report-card-{self.quarter}-{self.supplier.code}.pdf"
            return f"esg-report-cards-{self.quarter}.zip"
        if self.format == ReportFormat.CSV:
            return f"esg-scores-{self.quarter}.csv"
        return f"esg-report-{self.quarter}.xlsx"
