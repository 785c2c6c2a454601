"""Notification e-mail settings (immediately, a daily digest, none), the recipient's language,
and notifications for the workflow steps a person must act on (CAP and value reviews)."""

from __future__ import annotations

import datetime as dt

import pytest

from audits import notifications, reminders, services
from audits.models import CapState, Notification, NotificationDigest, NotificationPreference
from scoring import services as scoring_services
from scoring.models import Indicator, IndicatorValue
from tests import clock

D = dt.date


@pytest.fixture
def users(role_users):
    for name, user in role_users.items():
        user.email = f"{name}@example.com"
        user.save()
    return role_users


@pytest.fixture
def finding(own_supplier, make_site, make_audit, make_finding, users):
    audit = make_audit(make_site(own_supplier, "OWN-1-F1"), conducted_on=D(2025, 3, 10),
                       status="corrective_actions_open", report_received_on=D(2025, 3, 10),
                       responsible_analyst=users["procurement_analyst"])
    return make_finding(audit, severity="major", code="A3")  # CAP due 2025-03-24, correction 2025-09-06


@pytest.fixture
def quarter():
    return clock.last_closed_quarter()


def prefer(user, delivery, language="en"):
    NotificationPreference.objects.update_or_create(user=user, defaults={"delivery": delivery, "language": language})


def test_a_daily_person_gets_one_digest_per_day_never_twice(finding, users, mailoutbox):
    prefer(users["procurement_analyst"], "daily")
    run = reminders.send_daily_reminders(as_of=D(2025, 9, 10))
    to = sorted(m.to[0] for m in mailoutbox)
    # The supplier user (immediate) got its e-mail; the analyst one digest with both reminders.
    assert to == ["procurement_analyst@example.com", "supplier_user@example.com"]
    digest = next(m for m in mailoutbox if m.to == ["procurement_analyst@example.com"])
    assert "daily ESG digest: 2 notifications" in digest.subject
    assert "CAP overdue" in digest.body and "Correction overdue" in digest.body
    assert run.digests == 1
    assert NotificationDigest.objects.get().items == 2
    # The same day again: nothing more, even with a new notification waiting.
    notifications.create([notifications.Draft(kind="zero_tolerance", item="x:1", subject="Zero tolerance",
                                              recipient_id=users["procurement_analyst"].pk)])
    assert notifications.send_digests(D(2025, 9, 10)) == 0
    assert len(mailoutbox) == 2
    # The next day's digest carries it, once.
    assert notifications.send_digests(D(2025, 9, 11)) == 1
    assert notifications.send_digests(D(2025, 9, 11)) == 0
    assert "Zero tolerance" in mailoutbox[-1].body and len(mailoutbox) == 3
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_off_means_in_the_portal_only(finding, users, mailoutbox):
    prefer(users["procurement_analyst"], "off")
    reminders.send_daily_reminders(as_of=D(2025, 9, 10))
    assert [m.to for m in mailoutbox] == [["supplier_user@example.com"]]
    assert Notification.objects.filter(recipient=users["procurement_analyst"]).count() == 2
    assert notifications.send_digests(D(2025, 9, 10)) == 0


def test_e_mails_are_written_in_the_recipients_language(finding, users, mailoutbox):
    prefer(users["supplier_user"], "immediate", "zh-hans")
    reminders.send_daily_reminders(as_of=D(2025, 9, 10))
    supplier_mail = next(m for m in mailoutbox if m.to == ["supplier_user@example.com"])
    analyst_mail = next(m for m in mailoutbox if m.to == ["procurement_analyst@example.com"])
    assert "CAP" in supplier_mail.body and "逾期" in supplier_mail.body
    assert "overdue" in analyst_mail.body
    stored = Notification.objects.filter(recipient=users["supplier_user"]).values_list("subject", flat=True)
    assert all("逾期" in subject for subject in stored)


def test_cap_steps_notify_the_person_who_acts_next(finding, users, mailoutbox, django_capture_on_commit_callbacks):
    cap = services.cap_for_finding(finding)
    services.cap_update(cap=cap, actor=users["supplier_user"], root_cause="Training gap",
                        corrective_action="Retrain", preventive_action="Quarterly checks", owner="Li",
                        planned_completion=D(2025, 6, 1))
    with django_capture_on_commit_callbacks(execute=True):
        services.cap_submit(cap=cap, actor=users["supplier_user"])
    submitted = Notification.objects.get(kind="cap_submitted")
    assert submitted.recipient == users["procurement_analyst"] and submitted.finding == finding
    with django_capture_on_commit_callbacks(execute=True):
        services.cap_reject(cap=cap, actor=users["procurement_analyst"], reason="Name the root cause per line")
    changes = Notification.objects.get(kind="cap_changes_requested")
    assert changes.recipient == users["supplier_user"] and "Name the root cause per line" in changes.subject
    with django_capture_on_commit_callbacks(execute=True):
        services.cap_submit(cap=cap, actor=users["supplier_user"])
        services.cap_approve(cap=cap, actor=users["procurement_admin"])
    assert Notification.objects.filter(kind="cap_submitted").count() == 2  # each submission is its own step
    approved = Notification.objects.get(kind="cap_approved")
    assert approved.recipient == users["supplier_user"]
    cap.refresh_from_db()
    assert cap.state == CapState.APPROVED
    # The person acting is never told about their own step.
    assert not Notification.objects.filter(kind="cap_approved", recipient=users["procurement_admin"]).exists()
    assert {m.to[0] for m in mailoutbox} == {"procurement_analyst@example.com", "supplier_user@example.com"}


def test_value_review_steps_notify_analysts_then_the_supplier(own_supplier, users, quarter,
                                                              django_capture_on_commit_callbacks):
    indicator = Indicator.objects.get(code="ENV-06")
    with django_capture_on_commit_callbacks(execute=True):
        value = scoring_services.indicator_value_submit(supplier=own_supplier, quarter=quarter,
                                                        indicator=indicator, value="45",
                                                        actor=users["supplier_user"])
    assert list(Notification.objects.filter(kind="value_submitted").values_list("recipient__username", flat=True)) \
        == ["procurement_analyst"]
    with django_capture_on_commit_callbacks(execute=True):
        scoring_services.value_review(value=value, state="rejected", actor=users["procurement_analyst"],
                                      comment="Attach the 2025 scorecard")
    reviewed = Notification.objects.get(kind="value_reviewed")
    assert reviewed.recipient == users["supplier_user"] and "Attach the 2025 scorecard" in reviewed.subject
    assert IndicatorValue.objects.get(pk=value.pk).state == "rejected"


def test_a_procurement_entry_notifies_nobody(own_supplier, users, quarter):
    scoring_services.indicator_value_submit(supplier=own_supplier, quarter=quarter,
                                            indicator=Indicator.objects.get(code="ENV-06"), value="45",
                                            actor=users["procurement_analyst"])
    assert not Notification.objects.exists()


def test_settings_are_saved_from_the_portal(users, client):
    client.force_login(users["viewer"])
    assert client.post("/notifications/settings/", {"delivery": "daily", "language": "zh-hans"}).status_code == 302
    assert notifications.preferences([users["viewer"].pk])[users["viewer"].pk] == ("daily", "zh-hans")
    assert client.post("/notifications/settings/", {"delivery": "hourly", "language": "en"}).status_code == 400
    assert NotificationPreference.objects.get(user=users["viewer"]).delivery == "daily"
    assert 'value="daily"' in client.get("/notifications/").content.decode()
