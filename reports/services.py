"""Report exports: request one (checked against the requester's role), and execute it
(write the file from the stored results, store it with its size and SHA-256). The
Celery task and the tests call these."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import roles
from core.history import actor_fields
from core.quarter import Quarter
from reports import exporters, selectors
from reports.fonts import FontMissing
from reports.models import Report, ReportFormat, ReportStatus
from scoring.exports import NoStoredScores, write_scores_csv
from scoring.models import QuarterlyScore
from suppliers.models import Supplier
from suppliers.selectors import supplier_id_of

logger = logging.getLogger(__name__)

# Failures a new attempt cannot cure: the report fails with the reason.
EXPECTED_FAILURES = (NoStoredScores, selectors.ScoresReplaced, FontMissing)


class ReportRefused(Exception):
    """The request cannot become a report (no stored scores, wrong scope); says why."""


class ReportForbidden(ReportRefused):
    """The requester's role does not allow this report."""


def report_access_refusal(user, *, format: str, supplier: Supplier | None) -> str | None:
    """Why ``user`` may not request this report, or ``None`` when it may: analysts and
    admins request anything (viewers read and download what exists); a supplier user only
    its own supplier's PDF report card."""
    if roles.can_write_master_data(user):
        return None
    if roles.is_procurement(user):
        return "viewers download existing reports; analysts and admins start exports"
    if roles.is_supplier_user(user):
        if format == ReportFormat.PDF and supplier is not None and supplier.pk == supplier_id_of(user):
            return None
        return "supplier users can request only the PDF report card of their own supplier"
    return "your role does not allow exports"


def report_create(*, quarter: Quarter, format: str, supplier: Supplier | None = None, actor=None) -> Report:
    """Record a queued report after checking the role, the scope and that the quarter
    (and the supplier) has stored scores. ``actor``: a user, or a label for scripts."""
    if format not in ReportFormat.values:
        raise ReportRefused(f"unknown format {format!r}; expected one of {', '.join(ReportFormat.values)}")
    if actor is not None and not isinstance(actor, str):
        refusal = report_access_refusal(actor, format=format, supplier=supplier)
        if refusal:
            raise ReportForbidden(refusal)
    if supplier is not None and format != ReportFormat.PDF:
        raise ReportRefused(f"{format} exports cover the whole quarter; a single supplier's report is its "
                            "PDF report card (format pdf)")
    try:
        selectors.producing_run(quarter)
    except NoStoredScores as exc:
        raise ReportRefused(str(exc)) from exc
    if supplier is not None and not QuarterlyScore.objects.filter(quarter=str(quarter), supplier=supplier).exists():
        raise ReportRefused(f"{supplier.code} has no stored score for {quarter}")
    who = actor_fields(actor)
    report = Report.objects.create(quarter=str(quarter), format=format, supplier=supplier,
                                   requested_by=who["actor"], requested_by_label=who["actor_label"])
    return report


def report_enqueue(*, quarter: Quarter, format: str, supplier: Supplier | None = None, actor=None) -> Report:
    """Create a report and hand it to Celery once the transaction has committed."""
    from reports.tasks import export_report

    with transaction.atomic():
        report = report_create(quarter=quarter, format=format, supplier=supplier, actor=actor)
        transaction.on_commit(lambda: _send(export_report, report.pk))
    report.refresh_from_db()
    return report


def _send(task, report_id: int) -> None:
    result = task.delay(report_id)
    Report.objects.filter(pk=report_id, task_id="").update(task_id=result.id or "")


def _stale_before():
    # No task outlives the hard time limit: a report running longer lost its worker.
    return timezone.now() - timezone.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def report_execute(*, report_id: int) -> Report | None:
    """Write a queued report. Idempotent: a report that is gone, done or being written by
    a live worker is left alone (returns ``None``)."""
    claimed = (Report.objects.filter(pk=report_id)
               .filter(Q(status=ReportStatus.QUEUED) | Q(status=ReportStatus.RUNNING, started_at__lt=_stale_before()))
               .update(status=ReportStatus.RUNNING, started_at=timezone.now(), progress=0, error=""))
    if not claimed:
        return None
    report = Report.objects.select_related("supplier").get(pk=report_id)
    quarter = Quarter.parse(report.quarter)
    try:
        run = selectors.producing_run(quarter)
        Report.objects.filter(pk=report_id).update(run=run)
        report.run = run
        with tempfile.TemporaryDirectory(prefix="esg-report-") as folder:
            path = Path(folder) / report.download_name()
            report.suppliers = _write(report, quarter, run, path)
            report.size, report.checksum = _size_and_sha256(path)
            with open(path, "rb") as handle:
                report.file.save(f"{report.pk}-{report.download_name()}", File(handle), save=False)
    except EXPECTED_FAILURES as exc:
        return _finish(report, ReportStatus.FAILED, error=str(exc))
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        _finish(report, ReportStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    return _finish(report, ReportStatus.SUCCEEDED)


def _write(report: Report, quarter: Quarter, run, path: Path) -> int:
    progress = _progress_recorder(report.pk)
    if report.format == ReportFormat.XLSX:
        return exporters.write_workbook(quarter, path, progress=progress, run=run)
    if report.format == ReportFormat.PDF:
        ids = [report.supplier_id] if report.supplier_id else None
        return exporters.write_report_cards(quarter, path, supplier_ids=ids, progress=progress, run=run)
    count = write_scores_csv(quarter, str(path))
    selectors.ensure_still_current(quarter, run)
    return count


def _progress_recorder(report_id: int):
    def record(percent: int) -> None:
        Report.objects.filter(pk=report_id).update(progress=max(0, min(int(percent), 99)))

    return record


def _size_and_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _finish(report: Report, status: str, *, error: str = "") -> Report:
    report.status = status
    report.error = error
    report.finished_at = timezone.now()
    if status == ReportStatus.SUCCEEDED:
        report.progress = 100
    else:
        report.progress = Report.objects.filter(pk=report.pk).values_list("progress", flat=True).first() or 0
        if report.file:  # never leave a file behind that the record does not vouch for
            report.file.delete(save=False)
        report.size, report.checksum = None, ""
    report.save(update_fields=["status", "error", "finished_at", "progress", "run", "file", "size", "checksum",
                               "suppliers"])
    return report


def report_requeue(*, report_id: int) -> None:
    """Put a report back in the queue after a transient error, so the retry claims it."""
    Report.objects.filter(pk=report_id).update(status=ReportStatus.QUEUED, error="retrying after a transient error")
