"""Report exports: request one (checked against the requester's role), and execute it
(write the file from the stored results, store it with its size and SHA-256). The
Celery task and the tests call these."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core import jobs, roles
from core.errors import DomainError
from core.history import actor_fields
from core.quarter import Quarter
from reports import exporters, selectors
from reports.fonts import FontMissing
from reports.models import ACTIVE_REPORT_STATUSES, Report, ReportFormat, ReportStatus, report_upload_to
from reports.scores_csv import NoStoredScores, write_scores_csv
from scoring.models import QuarterlyScore
from scoring.services import score_run_deleting
from suppliers.models import Supplier
from suppliers.selectors import supplier_id_of

logger = logging.getLogger(__name__)

# Only errors that a retry can cure: a dropped or busy database connection.
TRANSIENT = (OperationalError, InterfaceError)

# Failures a new attempt cannot cure: the report fails with the reason.
EXPECTED_FAILURES = (NoStoredScores, selectors.ScoresReplaced, FontMissing)


class ReportRefused(DomainError):
    """The request cannot become a report (no stored scores, wrong scope); says why (API: 400)."""


class ReportForbidden(ReportRefused):
    """The requester's role does not allow this report (API: 403)."""

    status_code = 403


def report_access_refusal(user, *, format: str, supplier: Supplier | None) -> str | None:
    """Why ``user`` may not request this report, or ``None`` when it may: analysts and
    admins request anything (viewers read and download what exists); a supplier user only
    its own supplier's PDF report card."""
    if roles.can_write_master_data(user):
        return None
    if roles.is_procurement(user):
        return _("Viewers download existing reports; analysts and administrators start exports.")
    if roles.is_supplier_user(user):
        if format == ReportFormat.PDF and supplier is not None and supplier.pk == supplier_id_of(user):
            return None
        return _("Supplier users can request only the PDF report card of their own supplier.")
    return _("Your role does not allow exports.")


def may_request_report(user, *, format: str, supplier: Supplier | None) -> bool:
    """Whether ``user`` may request this report (``report_access_refusal``): the portal
    offers the button only then, and ``report_create`` refuses it otherwise."""
    return report_access_refusal(user, format=format, supplier=supplier) is None


def report_create(*, quarter: Quarter, format: str, supplier: Supplier | None = None, actor=None) -> Report:
    """Record a queued report after checking the role, the scope and that the quarter
    (and the supplier) has stored scores. ``actor``: a user, or a label for scripts."""
    if format not in ReportFormat.values:
        raise ReportRefused(_("Unknown format “%(format)s”: expected one of %(formats)s.")
                            % {"format": format, "formats": ", ".join(ReportFormat.values)})
    if actor is not None and not isinstance(actor, str):
        refusal = report_access_refusal(actor, format=format, supplier=supplier)
        if refusal:
            raise ReportForbidden(refusal)
    if supplier is not None and format != ReportFormat.PDF:
        raise ReportRefused(_("%(format)s exports cover the whole quarter; a single supplier's report is its "
                              "PDF report card (format pdf).") % {"format": format})
    try:
        selectors.producing_run(quarter)
    except NoStoredScores as exc:
        raise ReportRefused(str(exc)) from exc
    if supplier is not None and not QuarterlyScore.objects.filter(quarter=str(quarter), supplier=supplier,
                                                                  official=True).exists():
        raise ReportRefused(_("%(code)s has no stored score for %(quarter)s.")
                            % {"code": supplier.code, "quarter": quarter})
    who = actor_fields(actor)
    # An identical request (same quarter, format and supplier, from anyone) queued or running
    # is the answer (report_one_active_per_request).
    report = jobs.create_or_reuse(
        lambda: Report.objects.create(quarter=str(quarter), format=format, supplier=supplier,
                                      requested_by=who["actor"], requested_by_label=who["actor_label"],
                                      language=translation.get_language() or settings.LANGUAGE_CODE),
        lambda: Report.objects.filter(quarter=str(quarter), format=format, supplier=supplier,
                                      status__in=ACTIVE_REPORT_STATUSES).first())
    if report is None:
        raise ReportRefused(f"identical exports of {quarter} are being requested concurrently; try again")
    return report


def report_enqueue(*, quarter: Quarter, format: str, supplier: Supplier | None = None, actor=None) -> Report:
    """Create a report (or return the identical queued/running one: ``report.reused``) and
    hand it to Celery once the transaction has committed. A broker that cannot be reached
    does not fail the request: the report stays queued and the job sweep sends it."""
    return jobs.enqueue(REPORT_JOB, lambda: report_create(quarter=quarter, format=format, supplier=supplier,
                                                          actor=actor))


def report_execute(*, report_id: int, task_id: str = "") -> Report | None:
    """Write a queued report, or restart one whose worker stopped (lease expired) or whose
    task is redelivered or retried (same ``task_id``); ``None`` when the report is gone,
    done, or being written by a live worker.

    The file is written from one consistent snapshot (one transaction, ``REPEATABLE READ``
    on PostgreSQL) and records the run it used. A failure leaves no file behind (neither
    the temporary folder nor a partial stored file); a full or read-only media directory
    fails the report with a clear reason. A connection error propagates with the report
    still ``running``: the task's retry or the sweep restarts it."""
    if not jobs.claim(Report, report_id, task_id=task_id):
        return None
    report = Report.objects.select_related("supplier").get(pk=report_id)
    quarter = Quarter.parse(report.quarter)
    folder = _work_folder(report_id)
    try:
        with jobs.lease(Report, report_id) as lease:
            shutil.rmtree(folder, ignore_errors=True)  # what a killed attempt left behind
            folder.mkdir(parents=True)
            path = folder / report.download_name()
            with _snapshot():
                run = selectors.producing_run(quarter)
                report.run = run
                report.suppliers = _write(report, quarter, run, path, lease)
            lease.checkpoint("stored")
            report.size, report.checksum = _size_and_sha256(path)
            _store(report, path)
    except EXPECTED_FAILURES as exc:
        return _finish(report, ReportStatus.FAILED, error=str(exc))
    except jobs.JobCancelled:
        _discard_file(report)
        return Report.objects.get(pk=report_id)
    except OSError as exc:
        return _finish(report, ReportStatus.FAILED, error=f"the file could not be written: {exc.strerror or exc}")
    except TRANSIENT:
        _discard_file(report)
        raise
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        _finish(report, ReportStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    except BaseException:
        _finish(report, ReportStatus.CANCELLED, error="interrupted")
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _finish(report, ReportStatus.SUCCEEDED, done=lease.finished_fields())


def _work_folder(report_id: int) -> Path:
    """Where a report is written before it is stored: one folder per report, emptied when
    an attempt starts and removed when it ends (a killed attempt's files go at the restart).
    Named after the database too: two installations (or test runs) on one machine number
    their reports alike and must not empty each other's folders."""
    database = hashlib.sha256(str(connection.settings_dict.get("NAME", "")).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"esg-report-{database}-{report_id}"


@contextlib.contextmanager
def _snapshot():
    """One transaction whose reads all see the same committed state (PostgreSQL:
    REPEATABLE READ; SQLite transactions are serialisable already)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _store(report: Report, path: Path) -> None:
    """Save the file to the default storage; a partial file is removed on failure."""
    storage = report.file.storage
    name = storage.generate_filename(report_upload_to(report, f"{report.pk}-{report.download_name()}"))
    try:
        with open(path, "rb") as handle:
            report.file.save(name.rsplit("/", 1)[-1], File(handle), save=False)
    except BaseException:
        with contextlib.suppress(Exception):
            if report.file and report.file.name:
                storage.delete(report.file.name)
            for leftover in _partial_files(storage, name):
                storage.delete(leftover)
        report.file = None
        raise


def _partial_files(storage, name: str) -> list[str]:
    folder, _sep, base = name.rpartition("/")
    stem = base.rsplit(".", 1)[0]
    try:
        return [f"{folder}/{entry}" for entry in storage.listdir(folder)[1] if entry.startswith(stem)
                and not Report.objects.filter(file=f"{folder}/{entry}").exists()]
    except OSError:
        return []


def _discard_file(report: Report) -> None:
    with contextlib.suppress(Exception):
        if report.file:
            report.file.delete(save=False)


def _write(report: Report, quarter: Quarter, run, path: Path, lease: jobs.Lease) -> int:
    # The file speaks the language the requester used (card texts, indicator titles, errors).
    with translation.override(report.language or settings.LANGUAGE_CODE):
        return _write_file(report, quarter, run, path, lease)


def _write_file(report: Report, quarter: Quarter, run, path: Path, lease: jobs.Lease) -> int:
    progress = _progress_recorder(lease)
    if report.format == ReportFormat.XLSX:
        return exporters.write_workbook(quarter, path, progress=progress, run=run)
    if report.format == ReportFormat.PDF:
        ids = [report.supplier_id] if report.supplier_id else None
        return exporters.write_report_cards(quarter, path, supplier_ids=ids, progress=progress, run=run)
    lease.advance(0, 1)  # the CSV is written in one go: 0 of 1 until it is done
    count = write_scores_csv(quarter, str(path))
    selectors.ensure_still_current(quarter, run)
    return count


def _progress_recorder(lease: jobs.Lease):
    """Progress goes through the lease's heartbeat (its own connection): the writer's
    snapshot transaction does not hide it from the people following the report."""

    def record(done: int, total: int) -> None:
        lease.advance(done, total)
        lease.checkpoint("export")

    return record


def _size_and_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _finish(report: Report, status: str, *, error: str = "", done: dict | None = None) -> Report:
    """Record the outcome (``done``: the lease's ``finished_fields``); a report that is not
    ``succeeded`` keeps no file."""
    fields = {"error": error, **(done or {})}
    if status == ReportStatus.SUCCEEDED:
        fields.update(progress=100, run=report.run, file=report.file.name, size=report.size,
                      checksum=report.checksum, suppliers=report.suppliers)
    else:
        _discard_file(report)
        fields.update(file="", size=None, checksum="")
        if report.run_id:
            fields["run"] = report.run
    if not jobs.finish(Report, report.pk, status, **fields):
        _discard_file(report)  # cancelled meanwhile: the file is not vouched for
    return Report.objects.get(pk=report.pk)


def _report_failed(report_id: int) -> None:
    shutil.rmtree(_work_folder(report_id), ignore_errors=True)


def _delete_reports_of_run(sender, *, run, **kwargs) -> dict:
    """A deleted score run takes the reports written from it (their files too)."""
    names = [name for name in Report.objects.filter(run=run).values_list("file", flat=True) if name]
    storage = Report._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return {"reports": Report.objects.filter(run=run).delete()[0]}


REPORT_JOB = jobs.register(jobs.JobKind(name="report", model=Report, task="reports.export_report",
                                        entity_type="report", on_failed=_report_failed))
score_run_deleting.connect(_delete_reports_of_run, dispatch_uid="reports.delete_reports_of_run")


def report_cancel(*, report: Report, actor, reason: str = "") -> bool:
    """Cancel a queued or running report (recorded); ``False`` when it had finished."""
    return jobs.cancel(Report, report.pk, actor=actor, reason=reason or "cancelled by an administrator")


def report_retry(*, report: Report, actor) -> bool:
    """Queue a failed or cancelled report again (recorded); refused (``ReportRefused``)
    while an identical report is queued or running."""
    try:
        return jobs.retry(Report, report.pk, actor=actor)
    except IntegrityError:
        raise ReportRefused(f"an identical export of {report.quarter} is already queued or running") from None
