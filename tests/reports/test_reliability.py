"""Reports under failure: identical requests share one job, a full media directory fails
the report cleanly, no file is left behind, and an admin cancels or retries (recorded)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage

from core import roles
from reports import services
from reports.models import Report, ReportFormat, ReportStatus
from tests.history import changes
from tests.reports.conftest import Q3


def test_an_identical_request_from_anyone_returns_the_queued_report(quarter_scored):
    first = services.report_create(quarter=Q3, format=ReportFormat.XLSX, actor="alice")
    second = services.report_create(quarter=Q3, format=ReportFormat.XLSX, actor="bob")
    other = services.report_create(quarter=Q3, format=ReportFormat.CSV, actor="bob")
    assert (first.reused, second.reused, second.pk, other.reused) == (False, True, first.pk, False)
    assert Report.objects.count() == 2
    services.report_execute(report_id=first.pk)
    assert services.report_create(quarter=Q3, format=ReportFormat.XLSX, actor="bob").reused is False


def test_the_api_answers_200_with_the_existing_report(quarter_scored, api_as, django_capture_on_commit_callbacks):
    client = api_as(roles.PROCUREMENT_ANALYST)
    first = client.post("/api/v1/reports/", {"quarter": "2026-Q3", "format": "csv"})
    again = client.post("/api/v1/reports/", {"quarter": "2026-Q3", "format": "csv"})
    assert (first.status_code, again.status_code, again.json()["id"]) == (202, 200, first.json()["id"])


def test_a_full_media_directory_fails_the_report_clearly_and_leaves_no_file(quarter_scored, monkeypatch, settings):
    written = []

    def full(self, name, content, max_length=None):
        path = Path(settings.MEDIA_ROOT) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
        written.append(path)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", full)
    report = services.report_create(quarter=Q3, format=ReportFormat.CSV, actor="script")
    done = services.report_execute(report_id=report.pk)
    assert (done.status, done.file.name, done.size) == (ReportStatus.FAILED, "", None)
    assert done.error == "the file could not be written: No space left on device"
    assert written and not any(path.exists() for path in written)
    assert not services._work_folder(report.pk).exists()


def test_a_killed_attempt_s_work_folder_is_removed_when_the_report_restarts(quarter_scored):
    report = services.report_create(quarter=Q3, format=ReportFormat.CSV, actor="script")
    folder = services._work_folder(report.pk)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "half-written.csv").write_bytes(b"x" * 1000)
    assert services.report_execute(report_id=report.pk).status == ReportStatus.SUCCEEDED
    assert not folder.exists()


def test_an_admin_cancels_and_retries_a_report_and_both_are_recorded(quarter_scored, role_users,
                                                                     django_capture_on_commit_callbacks):
    admin = role_users[roles.PROCUREMENT_ADMIN]
    report = services.report_create(quarter=Q3, format=ReportFormat.CSV, actor="script")
    assert services.report_cancel(report=report, actor=admin)
    assert services.report_execute(report_id=report.pk) is None  # a cancelled report is not written
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_retry(report=report, actor=admin)
    assert Report.objects.get(pk=report.pk).status == ReportStatus.SUCCEEDED
    assert [(row["action"], row["reason"]) for row in changes(Report, report.pk)] == [
        ("created", ""), ("updated", "cancelled by an administrator"), ("updated", "retried")]


@pytest.mark.parametrize("path", ["/api/v1/score-runs/", "/scorecard/runs/"])
def test_a_lost_database_connection_is_a_clear_503_not_a_500(role_users, client, path, monkeypatch):
    from django.db import OperationalError

    from scoring import services as scoring_services

    def lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(scoring_services, "score_run_enqueue", lost)
    client.force_login(role_users[roles.PROCUREMENT_ADMIN])
    response = client.post(path, {"quarter": "2026-Q3"})
    assert (response.status_code, response["Retry-After"]) == (503, "30")
    if path.startswith("/api/"):
        assert "database is unavailable" in response.json()["detail"]
