"""The one definition of "overdue" (``audits.selectors.overdue_conditions``) and the
callers that must agree with it: the API, the portal, the workbook and the reminders."""

import datetime as dt

import pytest
from django.utils import timezone

from audits import reminders, selectors
from audits.models import CorrectiveAction, Finding, Notification
from portal import selectors as portal_selectors
from reports import selectors as report_selectors

D = dt.date
AS_OF = D(2026, 6, 1)


@pytest.fixture
def site(own_supplier, make_site):
    return make_site(own_supplier, "OWN-1-F1")


@pytest.fixture
def audit(site, make_audit):
    return make_audit(site, conducted_on=D(2025, 3, 10), audit_ref="A1")


def flags(as_of=AS_OF, **filters):
    rows = selectors.with_overdue(Finding.objects.filter(**filters), as_of).order_by("finding_ref")
    return {f.finding_ref: (f.cap_overdue, f.correction_overdue, f.is_overdue) for f in rows}


def test_cap_overdue_needs_a_past_cap_due_date_and_a_plan_still_owed(audit, make_finding):
    for state in ("not_started", "rejected", "submitted", "approved", "implemented"):
        make_finding(audit, finding_ref=f"F-{state}", cap_state=state, cap_due_on=D(2026, 5, 31),
                     correction_due_on=D(2026, 12, 1))
    assert flags() == {
        "F-approved": (False, False, False), "F-implemented": (False, False, False),
        "F-not_started": (True, False, True), "F-rejected": (True, False, True),
        "F-submitted": (False, False, False),
    }


def test_a_finding_without_a_cap_row_still_owes_its_plan(audit, make_finding):
    finding = make_finding(audit, finding_ref="F-NOCAP", cap_due_on=D(2026, 5, 1), correction_due_on=D(2026, 12, 1))
    CorrectiveAction.objects.filter(finding=finding).delete()
    assert flags() == {"F-NOCAP": (True, False, True)}


def test_due_on_the_as_of_day_is_not_overdue_the_day_after_is(audit, make_finding):
    make_finding(audit, finding_ref="F1", cap_due_on=AS_OF, correction_due_on=AS_OF)
    assert flags(AS_OF) == {"F1": (False, False, False)}
    assert flags(AS_OF + dt.timedelta(days=1)) == {"F1": (True, True, True)}


def test_risk_findings_can_be_overdue_opportunities_for_improvement_never(audit, make_finding):
    make_finding(audit, severity="risk", code="A3", finding_ref="F-RISK")
    make_finding(audit, severity="ofi", code="E4", finding_ref="F-OFI", cap_due_on=D(2025, 4, 1),
                 correction_due_on=D(2025, 6, 1))
    assert flags() == {"F-OFI": (False, False, False), "F-RISK": (True, True, True)}


def test_overdue_is_judged_at_as_of_closed_and_not_yet_opened_findings_are_not(audit, make_finding):
    make_finding(audit, finding_ref="F-CLOSED", closed_on=D(2026, 1, 10), cap_state="verified_closed",
                 cap_due_on=D(2025, 4, 1), correction_due_on=D(2025, 12, 1))
    # Closed on 10 Jan 2026 with its CAP verified: a verified CAP owes nothing, so even at the
    # end of 2025 it is neither open nor late (the CAP state is today's; no CAP history).
    assert flags(D(2025, 12, 31)) == {"F-CLOSED": (False, False, False)}
    assert flags(D(2026, 1, 10)) == {"F-CLOSED": (False, False, False)}
    make_finding(audit, finding_ref="F-IMPL", closed_on=D(2026, 1, 10), cap_state="implemented",
                 cap_due_on=D(2025, 4, 1), correction_due_on=D(2025, 12, 1))
    # Closed on 10 Jan 2026, its CAP not verified: at the end of 2025 it was open and its correction late.
    assert flags(D(2025, 12, 31), finding_ref="F-IMPL") == {"F-IMPL": (False, True, True)}
    assert flags(D(2026, 1, 10), finding_ref="F-IMPL") == {"F-IMPL": (False, False, False)}
    make_finding(audit, finding_ref="F-LATER", opened_on=D(2026, 2, 1), cap_due_on=D(2026, 2, 15),
                 correction_due_on=D(2026, 3, 1))
    assert flags(D(2026, 1, 31), finding_ref="F-LATER") == {"F-LATER": (False, False, False)}


def test_every_caller_agrees_with_the_one_definition(audit, make_finding, api_as, role_users):
    finding = make_finding(audit, finding_ref="F-NOCAP", cap_due_on=D(2025, 4, 1), correction_due_on=D(2099, 1, 1))
    CorrectiveAction.objects.filter(finding=finding).delete()
    make_finding(audit, severity="ofi", code="E4", finding_ref="F-OFI", cap_due_on=D(2025, 4, 1),
                 correction_due_on=D(2025, 6, 1))
    today = timezone.localdate()  # every date above lies far from it: the day of the run does not matter
    # API (today)
    body = api_as("procurement_analyst").get("/api/v1/findings/?overdue=true").json()
    assert [row["finding_ref"] for row in body["results"]] == ["F-NOCAP"]
    # Portal board and dashboard counts
    user = role_users["procurement_analyst"]
    assert [f.finding_ref for f in portal_selectors.findings_board(user, AS_OF, overdue="any")] == ["F-NOCAP"]
    for overdue in ("any", "cap", "correction", ""):  # what the board counts (the supplier page) is what it lists
        assert sorted(portal_selectors.board_findings(user, AS_OF, overdue=overdue).values_list(
            "finding_ref", flat=True)) == sorted(f.finding_ref for f in portal_selectors.findings_board(
                user, AS_OF, overdue=overdue))
    summary = portal_selectors.open_findings_summary(user, AS_OF)
    assert (summary["cap_overdue"], summary["correction_overdue"]) == (1, 0)
    # Workbook and report cards (a past date)
    workbook = {f.finding_ref: (f.cap_overdue, f.correction_overdue) for f in report_selectors.open_findings(AS_OF)}
    assert workbook == {"F-NOCAP": (True, False), "F-OFI": (False, False)}
    # Reminders
    reminders.send_daily_reminders(as_of=today)
    kinds = set(Notification.objects.filter(finding__isnull=False).values_list("finding__finding_ref", "kind"))
    assert kinds == {("F-NOCAP", "cap_overdue")}


def test_overdue_since_is_the_earliest_overdue_due_date(audit, make_finding):
    make_finding(audit, finding_ref="F-BOTH", cap_due_on=D(2026, 2, 1), correction_due_on=D(2026, 1, 1))
    make_finding(audit, finding_ref="F-CAP", cap_due_on=D(2026, 2, 1), correction_due_on=D(2099, 1, 1))
    make_finding(audit, finding_ref="F-NONE", cap_due_on=D(2099, 1, 1), correction_due_on=D(2099, 1, 1))
    rows = {f.finding_ref: f.overdue_since for f in selectors.with_overdue(Finding.objects.all(), D(2026, 3, 1))}
    assert rows == {"F-BOTH": D(2026, 1, 1), "F-CAP": D(2026, 2, 1), "F-NONE": None}
    assert selectors.days_overdue(D(2026, 1, 1), D(2026, 3, 1)) == 59
    assert selectors.days_overdue(None, D(2026, 3, 1)) is None
