"""Extending a finding's due date (audits.services.findings_extend_due) and the board's
"send reminders" (audits.reminders.cap_reminders_send): the working due date moves
reminders and "overdue", the reason is recorded, RBA-06 keeps the given date."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from audits import reminders, selectors, services
from audits.models import Finding, Notification, NotificationPreference
from core import roles
from scoring.models import QuarterlyScore
from tests import clock
from tests.history import changes
from tests.scoring.test_recalculation import scenario  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(role_users):
    for name, user in role_users.items():
        user.email = f"{name}@example.com"
        user.save()
    return role_users


@pytest.fixture
def late(own_supplier, make_site, make_audit, make_finding, users):
    """Two open major findings whose CAP and correction are overdue on the test day."""
    site = make_site(own_supplier, "OWN-1-F1")
    end = clock.days_ago(200)
    audit = make_audit(site, conducted_on=end, status="corrective_actions_open", report_received_on=end,
                       responsible_analyst=users["procurement_analyst"])
    return [make_finding(audit, severity="major", code="A3", finding_ref=f"F-LATE-{n}") for n in (1, 2)]


def _overdue(findings) -> dict:
    rows = selectors.with_overdue(Finding.objects.filter(pk__in=[f.pk for f in findings]), clock.today())
    return {f.finding_ref: (f.cap_overdue, f.correction_overdue) for f in rows}


def test_an_extension_moves_the_working_due_date_records_the_reason_and_cancels_old_reminders(late, users):
    today = clock.today()
    reminders.send_daily_reminders(as_of=today)
    assert Notification.objects.filter(finding__in=late, kind="correction_overdue", cancelled_at=None).count() == 4
    given = Finding.objects.get(pk=late[0].pk).correction_due_on
    new_due = today + dt.timedelta(days=30)

    services.findings_extend_due(finding_ids=[f.pk for f in late], deadline="correction", due_on=new_due,
                                 reason="Dormitory rebuild needs the rainy season over",
                                 actor=users["procurement_admin"])
    finding = Finding.objects.get(pk=late[0].pk)
    assert (finding.correction_due_on, finding.correction_due_extended_to) == (given, new_due)
    assert finding.correction_due_working == new_due
    assert finding.due_extension_reason == "Dormitory rebuild needs the rainy season over"
    [entry] = changes(Finding, finding.pk, action="updated")
    assert entry["reason"] == "Dormitory rebuild needs the rainy season over"
    assert entry["user"] == "procurement_admin"
    assert entry["changes"]["correction_due_extended_to"] == [None, new_due.isoformat()]
    assert _overdue(late) == {"F-LATE-1": (True, False), "F-LATE-2": (True, False)}
    # The old date's reminders are cancelled; the daily job sends no new correction reminder.
    assert not Notification.objects.filter(finding__in=late, kind="correction_overdue", cancelled_at=None).exists()
    reminders.send_daily_reminders(as_of=today + dt.timedelta(days=1))
    assert not Notification.objects.filter(finding__in=late, kind="correction_overdue", cancelled_at=None).exists()
    # Once the extended date has passed, it is overdue again, reminded with the new date.
    reminders.send_daily_reminders(as_of=new_due + dt.timedelta(days=1))
    live = Notification.objects.filter(finding__in=late, kind="correction_overdue", cancelled_at=None)
    assert live.count() == 4 and set(live.values_list("due_on", flat=True)) == {new_due}


@pytest.mark.parametrize("case", ["no_reason", "past", "closed", "earlier", "nothing", "deadline"])
def test_a_bad_extension_changes_nothing(late, users, case):
    today = clock.today()
    kwargs = {"finding_ids": [f.pk for f in late], "deadline": "cap", "due_on": today + dt.timedelta(days=10),
              "reason": "supplier asked"}
    if case == "no_reason":
        kwargs["reason"], key = "  ", "reason"
    elif case == "past":
        kwargs["due_on"], key = today - dt.timedelta(days=1), "due_on"
    elif case == "nothing":
        kwargs["finding_ids"], key = [], "findings"
    elif case == "deadline":
        kwargs["deadline"], key = "audit", "deadline"
    elif case == "closed":
        Finding.objects.filter(pk=late[1].pk).update(status="closed", closed_on=today)
        key = "findings"
    else:
        services.findings_extend_due(finding_ids=[late[1].pk], deadline="cap", due_on=today + dt.timedelta(days=20),
                                     reason="first", actor=users["procurement_analyst"])
        key = "findings"
    before = list(Finding.objects.filter(pk=late[0].pk).values_list("cap_due_extended_to", flat=True))
    with pytest.raises(ValidationError) as error:
        services.findings_extend_due(actor=users["procurement_analyst"], **kwargs)
    assert key in error.value.message_dict
    assert list(Finding.objects.filter(pk=late[0].pk).values_list("cap_due_extended_to", flat=True)) == before
    if case in ("closed", "earlier"):
        assert "F-LATE-2" in error.value.message_dict["findings"][0]


def test_only_procurement_writers_extend_or_remind(late, users):
    for role in ("viewer", "supplier_user"):
        with pytest.raises(PermissionDenied):
            services.findings_extend_due(finding_ids=[late[0].pk], deadline="cap", reason="x", actor=users[role],
                                         due_on=clock.today() + dt.timedelta(days=5))
        with pytest.raises(PermissionDenied):
            reminders.cap_reminders_send(finding_ids=[late[0].pk], actor=users[role])


def test_send_reminders_respects_each_persons_delivery_and_language_and_is_once_a_day(
        late, users, mailoutbox, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=users["supplier_user"], delivery="immediate", language="zh-hans")
    NotificationPreference.objects.create(user=users["procurement_analyst"], delivery="daily", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        created = reminders.cap_reminders_send(finding_ids=[f.pk for f in late], actor=users["procurement_admin"])
    assert created == 4  # 2 findings × (responsible analyst, supplier user)
    rows = Notification.objects.filter(kind="cap_overdue").order_by("recipient__username", "finding_id")
    assert [(n.recipient.username, n.finding.finding_ref) for n in rows] == [
        ("procurement_analyst", "F-LATE-1"), ("procurement_analyst", "F-LATE-2"),
        ("supplier_user", "F-LATE-1"), ("supplier_user", "F-LATE-2")]
    # The supplier user wants e-mails at once, in Chinese; the analyst waits for the digest.
    assert [m.to for m in mailoutbox] == [["supplier_user@example.com"]]
    assert "CAP overdue" not in rows.filter(recipient=users["supplier_user"]).first().subject
    # Pressed again the same day: nothing new.
    assert reminders.cap_reminders_send(finding_ids=[f.pk for f in late], actor=users["procurement_admin"]) == 0


def test_send_reminders_refuses_a_selection_with_a_cap_not_overdue(late, users):
    services.findings_extend_due(finding_ids=[late[1].pk], deadline="cap", due_on=clock.today() + dt.timedelta(5),
                                 reason="agreed", actor=users["procurement_analyst"])
    with pytest.raises(ValidationError, match="F-LATE-2"):
        reminders.cap_reminders_send(finding_ids=[f.pk for f in late], actor=users["procurement_analyst"])
    assert not Notification.objects.exists()


def test_api_extend_action(late, api_as):
    due = clock.today() + dt.timedelta(days=14)
    response = api_as("procurement_analyst").post(f"/api/v1/findings/{late[0].pk}/extend/", {
        "deadline": "cap", "due_on": due.isoformat(), "reason": "auditor agreed"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["cap_due_extended_to"], body["due_extension_reason"], body["overdue"]) == (
        due.isoformat(), "auditor agreed", True)  # the correction is still overdue
    assert body["cap_due_on"] == Finding.objects.get(pk=late[0].pk).cap_due_on.isoformat()
    missing = api_as("procurement_analyst").post(f"/api/v1/findings/{late[0].pk}/extend/", {
        "deadline": "cap", "due_on": due.isoformat(), "reason": ""}, format="json")
    assert missing.status_code == 400
    refused = api_as("viewer").post(f"/api/v1/findings/{late[0].pk}/extend/", {
        "deadline": "cap", "due_on": due.isoformat(), "reason": "x"}, format="json")
    assert refused.status_code == 403


def test_rba06_points_do_not_change_after_an_extension(scenario, role_users):  # noqa: F811
    call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    before = QuarterlyScore.objects.get(supplier__code="A").points["RBA-06"]
    finding = Finding.objects.get(finding_ref="F-A2")  # open, due 2026-03-15: late
    services.findings_extend_due(finding_ids=[finding.pk], deadline="correction", reason="site rebuild",
                                 due_on=clock.today() + dt.timedelta(days=60), actor=role_users["procurement_admin"])
    assert _overdue([finding])["F-A2"][1] is False  # the correction is no longer overdue
    call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    after = QuarterlyScore.objects.get(supplier__code="A").points["RBA-06"]
    assert after == before and before["raw"] == 50.0


def test_extension_and_owner_assignment_take_a_fixed_number_of_queries(own_supplier, make_site, make_audit,
                                                                       make_finding, make_supplier, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from suppliers.services import suppliers_set_owner

    site = make_site(own_supplier, "OWN-1-F9")
    audit = make_audit(site, conducted_on=clock.days_ago(200), status="corrective_actions_open")
    findings = [make_finding(audit, finding_ref=f"F-Q-{n}") for n in range(12)]
    suppliers = [make_supplier(f"Q-{n}") for n in range(12)]
    for name in ("procurement_admin", "procurement_analyst"):
        roles.role_of(users[name])  # cached on the user: the first call's query is not the bulk write's
    counts = []
    for size, day in ((2, 10), (12, 20)):
        with CaptureQueriesContext(connection) as extension:
            services.findings_extend_due(finding_ids=[f.pk for f in findings[:size]], deadline="cap", reason="r",
                                         due_on=clock.today() + dt.timedelta(days=day),
                                         actor=users["procurement_admin"])
        owner = users["procurement_analyst"] if size == 2 else users["procurement_admin"]
        with CaptureQueriesContext(connection) as owners:
            changed = suppliers_set_owner(supplier_ids=[s.pk for s in suppliers[:size]], owner=owner, reason="r",
                                          actor=users["procurement_admin"])
        assert len(changed) == size
        counts.append((len(extension), len(owners)))
    assert counts[0] == counts[1]


def test_the_audit_page_shows_the_working_due_date_beside_the_given_one(late, users, client):
    given = Finding.objects.get(pk=late[0].pk).correction_due_on
    new_due = clock.today() + dt.timedelta(days=30)
    services.findings_extend_due(finding_ids=[late[0].pk], deadline="correction", due_on=new_due,
                                 reason="Rebuild", actor=users["procurement_admin"])
    client.force_login(users["procurement_analyst"])
    page = client.get(f"/audits/{late[0].audit.audit_ref}/").content.decode()
    assert f"{new_due:%Y-%m-%d} <span" in page
    assert f"extended, given {given:%Y-%m-%d}" in page
