"""core.admin.job_actions: the admin's cancel and retry of score runs and reports, through
the services (recorded), for administrators only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from core import jobs
from reports.models import Report
from scoring.models import Methodology, ScoreRun


@pytest.fixture
def sent(monkeypatch):
    """The jobs handed to the broker (the outer boundary), instead of running them."""
    published = []
    monkeypatch.setattr(jobs, "send", lambda kind, pk: published.append((kind.name, pk)) or True)
    return published


def _act(client, url: str, action: str, job) -> str:
    response = client.post(url, {"action": action, "_selected_action": [job.pk]})
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def _run() -> ScoreRun:
    return ScoreRun.objects.create(quarter="2025-Q4", methodology=Methodology.objects.get(version="v1"))


def _report(**fields) -> Report:
    return Report.objects.create(quarter="2025-Q4", format="csv", **fields)


@pytest.mark.parametrize(("make", "url", "cancel", "retry", "name", "plural"), [
    (_run, "/admin/scoring/scorerun/", "cancel_runs", "retry_runs", "Run {pk} of 2025-Q4", "runs"),
    (_report, "/admin/reports/report/", "cancel_reports", "retry_reports", "Report {pk}", "reports"),
])
def test_an_admin_cancels_and_retries_a_job_through_its_service(staff_as, sent, django_capture_on_commit_callbacks,
                                                                make, url, cancel, retry, name, plural):
    client = staff_as("procurement_admin")
    job = make()
    name = name.format(pk=job.pk)
    assert _act(client, url, cancel, job) == f"{name} cancelled."
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert _act(client, url, cancel, job) == f"{name} had already finished."
    with django_capture_on_commit_callbacks(execute=True):  # sent once the retry has committed
        assert _act(client, url, retry, job) == f"{name} queued again."
    job.refresh_from_db()
    assert job.status == "queued" and sent == [(jobs.kind_of(type(job)).name, job.pk)]
    assert _act(client, url, retry, job) == f"{name} is queued; only failed or cancelled {plural} are retried."
    assert len(sent) == 1


def test_a_retry_refused_by_its_service_is_an_error_and_changes_nothing(staff_as, sent):
    client = staff_as("procurement_admin")
    failed = _report(status="failed")
    _report()  # the identical report queued
    message = _act(client, "/admin/reports/report/", "retry_reports", failed)
    assert message == "an identical export of 2025-Q4 is already queued or running"
    failed.refresh_from_db()
    assert failed.status == "failed" and sent == []


@pytest.mark.parametrize(("model", "action"), [(ScoreRun, "cancel_runs"), (ScoreRun, "retry_runs"),
                                               (Report, "cancel_reports"), (Report, "retry_reports")])
def test_only_administrators_cancel_or_retry(role_users, model, action):
    request = RequestFactory().post("/")
    request.user = role_users["procurement_analyst"]
    model_admin = admin.site._registry[model]
    with pytest.raises(PermissionDenied):
        getattr(model_admin, action)(request, model.objects.none())
