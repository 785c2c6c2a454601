"""Requesting and executing report exports: enqueue after commit, claim once, record the
run, size and checksum, fail with a reason, and pick up reports whose worker died."""

from __future__ import annotations

import hashlib

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from core import jobs
from reports import exporters, fonts, services
from reports.models import Report, ReportFormat, ReportStatus
from reports.tasks import TRANSIENT, export_report
from scoring.services import score_run_now
from suppliers.models import Supplier
from tests import clock
from tests.reports.conftest import Q3

pytestmark = pytest.mark.django_db


def test_the_task_is_sent_only_once_the_request_commits(quarter_scored, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        report = services.report_enqueue(quarter=Q3, format=ReportFormat.CSV, actor="script")
    assert len(callbacks) == 1
    assert Report.objects.get(pk=report.pk).status == ReportStatus.QUEUED
    callbacks[0]()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED
    assert report.task_id


def test_executing_records_the_run_size_and_checksum_of_the_stored_file(quarter_scored, settings):
    report = services.report_create(quarter=Q3, format=ReportFormat.XLSX, actor="script")
    services.report_execute(report_id=report.pk)
    report.refresh_from_db()
    assert (report.status, report.progress, report.run_id, report.suppliers) == (
        ReportStatus.SUCCEEDED, 100, quarter_scored.pk, 4)
    stored = (settings.MEDIA_ROOT / report.file.name).read_bytes()
    assert report.file.name == f"reports/2026-Q3/{report.pk}-esg-report-2026-Q3.xlsx"
    assert (report.size, report.checksum) == (len(stored), hashlib.sha256(stored).hexdigest())
    assert report.started_at <= report.finished_at


def test_a_report_is_written_once(quarter_scored):
    report = services.report_create(quarter=Q3, format=ReportFormat.CSV, actor="script")
    assert services.report_execute(report_id=report.pk) is not None
    assert services.report_execute(report_id=report.pk) is None
    assert services.report_execute(report_id=999_999) is None


def test_a_report_whose_worker_died_is_picked_up_again_once_its_lease_expired(quarter_scored):
    report = services.report_create(quarter=Q3, format=ReportFormat.CSV, actor="script")
    assert jobs.claim(Report, report.pk, task_id="first")
    assert services.report_execute(report_id=report.pk, task_id="second") is None  # a live worker holds it
    Report.objects.filter(pk=report.pk).update(lease_expires_at=clock.database_now() - timezone.timedelta(seconds=1))
    done = services.report_execute(report_id=report.pk, task_id="second")
    assert (done.status, done.attempts, done.task_id, done.lease_expires_at) == (
        ReportStatus.SUCCEEDED, 2, "second", None)


def test_a_recalculation_during_the_export_fails_the_report_with_the_reason(quarter_scored, monkeypatch):
    original = exporters.write_workbook

    def recalculated_meanwhile(quarter, target, **kwargs):
        score_run_now(quarter=quarter)
        return original(quarter, target, **kwargs)

    monkeypatch.setattr(exporters, "write_workbook", recalculated_meanwhile)
    report = services.report_create(quarter=Q3, format=ReportFormat.XLSX, actor="script")
    services.report_execute(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "recalculated while the report was written" in report.error
    assert (report.file.name, report.size, report.checksum) == ("", None, "")


def test_a_missing_font_fails_the_pdf_with_what_to_install(quarter_scored, settings):
    settings.REPORTS_CJK_FONT = "/nonexistent/font.ttc"
    fonts.register_font.cache_clear()
    try:
        report = services.report_create(quarter=Q3, format=ReportFormat.PDF, actor="script",
                                        supplier=Supplier.objects.get(code="A"))
        services.report_execute(report_id=report.pk)
    finally:
        fonts.register_font.cache_clear()
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "REPORTS_CJK_FONT points to /nonexistent/font.ttc" in report.error


def test_a_transient_database_error_is_resumed_by_the_retry_of_the_same_task(quarter_scored, monkeypatch):
    report = services.report_create(quarter=Q3, format=ReportFormat.CSV, actor="script")
    monkeypatch.setattr(services, "_write", lambda *args: (_ for _ in ()).throw(OperationalError("server closed")))
    with pytest.raises(OperationalError):
        services.report_execute(report_id=report.pk, task_id="t-1")
    assert Report.objects.get(pk=report.pk).status == ReportStatus.RUNNING
    monkeypatch.undo()
    assert services.report_execute(report_id=report.pk, task_id="other") is None  # lease still held
    assert services.report_execute(report_id=report.pk, task_id="t-1").status == ReportStatus.SUCCEEDED


def test_the_task_acknowledges_late_and_retries_transient_errors_only():
    assert export_report.acks_late is True
    assert tuple(export_report.autoretry_for) == TRANSIENT
    assert export_report.name == "reports.export_report"


def test_scripts_may_request_any_report_but_the_scope_rules_hold(quarter_scored):
    supplier = Supplier.objects.get(code="A")
    with pytest.raises(services.ReportRefused, match="cover the whole quarter"):
        services.report_create(quarter=Q3, format=ReportFormat.XLSX, supplier=supplier, actor="script")
    report = services.report_create(quarter=Q3, format=ReportFormat.PDF, supplier=supplier, actor="script")
    assert (report.scope, report.requested_by_label) == ("supplier", "script")
