"""A report card written by a real Celery worker process through Redis (CI: PostgreSQL + Redis)."""

from __future__ import annotations

import hashlib
import time

import pytest

from core.quarter import Quarter
from reports import services
from reports.models import Report, ReportFormat, ReportStatus
from scoring.services import score_run_now
from suppliers.models import SpendRecord

pytest_plugins = ["tests.worker_fixtures"]
pytestmark = pytest.mark.real_clock  # the worker process keeps the real clock


def test_a_report_enqueued_by_the_service_is_written_by_the_worker(celery_worker_with_db, make_supplier, make_site):
    supplier = make_supplier("W-CN", name="华南电子")
    make_site(supplier)
    SpendRecord.objects.create(supplier=supplier, quarter="2026-Q3", currency="USD", amount=970)
    quarter = Quarter.parse("2026-Q3")
    run = score_run_now(quarter=quarter)

    report = services.report_enqueue(quarter=quarter, format=ReportFormat.PDF, supplier=supplier, actor="test")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status in (ReportStatus.SUCCEEDED, ReportStatus.FAILED):
            break
        time.sleep(0.3)
    assert report.status == ReportStatus.SUCCEEDED, (report.status, report.error, celery_worker_with_db.log_tail())
    assert (report.task_id != "", report.run_id, report.progress) == (True, run.pk, 100)
    with report.file.open("rb") as handle:
        content = handle.read()
    assert content[:5] == b"%PDF-"
    assert hashlib.sha256(content).hexdigest() == report.checksum
    report.file.delete(save=False)
    assert Report.objects.count() == 1
