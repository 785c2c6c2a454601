import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from audits import reminders, services, tasks
from audits.models import Notification
from suppliers.models import SpendRecord

D = dt.date


@pytest.fixture
def users(role_users):
    for name, user in role_users.items():
        user.email = f"{name}@example.com"
        user.save()
    return role_users


@pytest.fixture
def site(own_supplier, make_site):
    return make_site(own_supplier, "OWN-1-F1")


@pytest.fixture
def audit(site, make_audit, users):
    # A recent audit so that expiry reminders stay out of the way.
    return make_audit(site, conducted_on=D(2025, 3, 10), status="corrective_actions_open",
                      report_received_on=D(2025, 3, 10), responsible_analyst=users["procurement_analyst"])


def kinds(**filters):
    return sorted(Notification.objects.filter(cancelled_at__isnull=True, **filters)
                  .values_list("kind", "recipient__username"))


def test_overdue_cap_and_correction_notify_analyst_and_supplier_users_once(audit, make_finding, users, mailoutbox):
    finding = make_finding(audit, severity="major", code="A3")  # CAP due 2025-03-24, correction 2025-09-06
    run = reminders.send_daily_reminders(as_of=D(2025, 9, 10))
    assert kinds(finding=finding) == [
        ("cap_overdue", "procurement_analyst"), ("cap_overdue", "supplier_user"),
        ("correction_overdue", "procurement_analyst"), ("correction_overdue", "supplier_user"),
    ]
    assert run.created == 4 and run.emails == 2  # one message per recipient
    assert sorted(m.to[0] for m in mailoutbox) == ["procurement_analyst@example.com", "supplier_user@example.com"]
    assert len(mailoutbox) == 2
    # Running again (the same or a later day) sends nothing twice.
    again = reminders.send_daily_reminders(as_of=D(2025, 9, 10))
    reminders.send_daily_reminders(as_of=D(2025, 9, 11))
    assert (again.created, again.emails) == (0, 0)
    assert len(mailoutbox) == 2
    assert Notification.objects.count() == 4


def test_without_a_responsible_analyst_every_analyst_is_told(site, make_audit, make_finding, users):
    audit = make_audit(site, conducted_on=D(2025, 3, 10), status="corrective_actions_open")
    make_finding(audit, severity="minor", code="C1")
    reminders.send_daily_reminders(as_of=D(2025, 4, 1))
    assert kinds() == [("cap_overdue", "procurement_analyst"), ("cap_overdue", "supplier_user")]


def test_a_submitted_cap_is_not_overdue_and_cancels_the_reminder(audit, make_finding, users):
    finding = make_finding(audit, severity="minor", code="C1")
    reminders.send_daily_reminders(as_of=D(2025, 4, 1))
    assert len(kinds(kind="cap_overdue")) == 2
    cap = finding.corrective_action
    services.cap_update(cap=cap, actor=users["supplier_user"], root_cause="a", corrective_action="b",
                        preventive_action="c", owner="d", planned_completion=D(2025, 6, 1))
    services.cap_submit(cap=cap, actor=users["supplier_user"])
    reminders.send_daily_reminders(as_of=D(2025, 4, 2))
    assert kinds(kind="cap_overdue") == []


def test_changed_due_date_cancels_and_the_new_date_gets_its_own_reminder(audit, make_finding, users, mailoutbox):
    finding = make_finding(audit, severity="minor", code="C1", correction_due_on=D(2025, 5, 1),
                           cap_due_on=D(2026, 1, 1))
    reminders.send_daily_reminders(as_of=D(2025, 5, 2))
    assert len(kinds(kind="correction_overdue")) == 2
    services.finding_update(finding=finding, actor=users["procurement_analyst"], correction_due_on=D(2025, 7, 1))
    assert kinds(kind="correction_overdue") == []  # cancelled at once
    reminders.send_daily_reminders(as_of=D(2025, 6, 1))
    assert kinds(kind="correction_overdue") == []
    reminders.send_daily_reminders(as_of=D(2025, 7, 2))
    assert len(kinds(kind="correction_overdue")) == 2
    assert set(Notification.objects.filter(kind="correction_overdue", cancelled_at__isnull=True)
               .values_list("due_on", flat=True)) == {D(2025, 7, 1)}
    assert len(mailoutbox) == 4


def test_closing_the_finding_cancels_its_reminders(audit, make_finding, users):
    finding = make_finding(audit, severity="minor", code="C1", correction_due_on=D(2025, 5, 1),
                           cap_state="implemented")
    reminders.send_daily_reminders(as_of=D(2025, 5, 2))
    assert len(kinds(kind="correction_overdue")) == 2
    # Verifying the CAP closes the finding.
    services.cap_verify(cap=finding.corrective_action, actor=users["procurement_analyst"], closed_on=D(2025, 5, 3))
    assert kinds() == []


def test_expiry_reminders_once_per_threshold(site, make_audit, users, mailoutbox):
    # last valid 2026-01-09
    make_audit(site, conducted_on=D(2024, 1, 10), responsible_analyst=users["procurement_analyst"])
    reminders.send_daily_reminders(as_of=D(2025, 10, 1))  # 101 days left
    assert kinds() == []
    reminders.send_daily_reminders(as_of=D(2025, 10, 20))  # 82 days left
    assert set(Notification.objects.values_list("threshold", flat=True)) == {"90"}
    reminders.send_daily_reminders(as_of=D(2025, 10, 21))
    assert Notification.objects.count() == 2
    reminders.send_daily_reminders(as_of=D(2025, 12, 15))  # 26 days left
    reminders.send_daily_reminders(as_of=D(2026, 1, 10))  # expired
    reminders.send_daily_reminders(as_of=D(2026, 2, 10))
    assert sorted(Notification.objects.values_list("threshold", flat=True)) == ["0", "0", "30", "30", "90", "90"]
    assert len(mailoutbox) == 6


def test_skipped_days_send_only_the_most_urgent_threshold(site, make_audit, users):
    make_audit(site, conducted_on=D(2024, 1, 10))
    reminders.send_daily_reminders(as_of=D(2025, 12, 20))
    assert set(Notification.objects.values_list("threshold", flat=True)) == {"30"}


def test_a_new_full_audit_cancels_the_expiry_reminders(site, make_audit, users):
    make_audit(site, conducted_on=D(2024, 1, 10))
    reminders.send_daily_reminders(as_of=D(2025, 12, 20))
    make_audit(site, conducted_on=D(2025, 12, 19))
    run = reminders.send_daily_reminders(as_of=D(2025, 12, 21))
    assert run.cancelled == 2 and kinds() == []


def test_never_audited_sites_of_the_95_percent_population(own_supplier, other_supplier, make_supplier, make_site,
                                                          users):
    tail = make_supplier("TAIL")
    make_site(own_supplier, "OWN-F1")
    make_site(tail, "TAIL-F1")
    make_site(other_supplier, "OTHER-F1", is_production=False)
    SpendRecord.objects.bulk_create([
        SpendRecord(supplier=own_supplier, quarter="2025-Q3", currency="USD", amount=Decimal("960")),
        SpendRecord(supplier=other_supplier, quarter="2025-Q3", currency="USD", amount=Decimal("30")),
        SpendRecord(supplier=tail, quarter="2025-Q3", currency="USD", amount=Decimal("10")),
    ])
    reminders.send_daily_reminders(as_of=D(2025, 10, 15))
    assert kinds(kind="site_never_audited") == [("site_never_audited", "procurement_analyst"),
                                                ("site_never_audited", "supplier_user")]
    assert set(Notification.objects.values_list("site__code", flat=True)) == {"OWN-F1"}


def test_the_daily_job_escalates_zero_tolerance_findings_left_behind(audit, make_finding, users, own_supplier):
    make_finding(audit, severity="priority", code="A1", zero_tolerance=True)  # created without the service
    run = reminders.send_daily_reminders(as_of=D(2025, 3, 11))
    own_supplier.refresh_from_db()
    assert run.reviews_opened == 1 and own_supplier.termination_review
    assert kinds(kind="zero_tolerance") == [("zero_tolerance", "procurement_admin")]
    assert reminders.send_daily_reminders(as_of=D(2025, 3, 12)).reviews_opened == 0


def test_command_and_task_run_the_same_job(audit, make_finding, users, mailoutbox, capsys):
    make_finding(audit, severity="minor", code="C1")
    call_command("send_audit_reminders", "--date", "2025-04-01")
    assert "2 new notification(s), 2 e-mail(s) sent" in capsys.readouterr().out
    assert "0 new notification(s)" in tasks.send_audit_reminders.delay("2025-04-01").get()
    assert len(mailoutbox) == 2


def test_command_refuses_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not a date"):
        call_command("send_audit_reminders", "--date", "01/04/2025")


def test_command_refuses_a_day_after_today(db, mailoutbox):
    from django.core.management.base import CommandError

    from tests import clock

    tomorrow = clock.days_ago(-1).isoformat()
    with pytest.raises(CommandError, match=f"{tomorrow} is after today"):
        call_command("send_audit_reminders", "--date", tomorrow)
    assert mailoutbox == []


def test_failed_delivery_is_retried_by_the_next_run(audit, make_finding, users, mailoutbox, monkeypatch):
    make_finding(audit, severity="minor", code="C1")

    def broken(self, messages):
        raise ConnectionError("smtp down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
    with pytest.raises(ConnectionError):
        reminders.send_daily_reminders(as_of=D(2025, 4, 1))
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2
    monkeypatch.undo()
    assert reminders.send_daily_reminders(as_of=D(2025, 4, 2)).emails == 2
    assert len(mailoutbox) == 2
