"""Findings board and the corrective action workflow: the supplier writes and submits,
procurement requests changes or approves, the supplier implements, procurement verifies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import CapEvidence, CapTransition, CorrectiveAction, Finding, Notification
from tests import clock
from tests.history import changes
from tests.portal.conftest import PDF_BYTES


def plan(**fields) -> dict:
    """A complete corrective action plan, to be completed 60 days after the test day."""
    return {"root_cause": "No working-hours monitoring", "corrective_action": "Weekly overtime report",
            "preventive_action": "Train line leaders", "owner": "HR manager 王芳",
            "planned_completion": (clock.today() + dt.timedelta(days=60)).isoformat(), **fields}


def test_board_filters_by_severity_status_and_overdue(world, client_as):
    client = client_as("viewer")

    def refs(query=""):
        return [f.finding_ref for f in client.get(f"/findings/?{query}").context["page"].object_list]

    assert refs() == ["F-OWN-1", "F-OTHER-1"]  # earliest correction due date first
    assert refs("severity=major") == ["F-OWN-1"]
    assert refs("overdue=cap") == ["F-OWN-1", "F-OTHER-1"]  # both plans were due and never submitted
    assert refs("overdue=correction") == ["F-OWN-1"]  # major: 180 days, long past; minor: 270, not yet
    assert refs("status=closed") == []
    assert refs("supplier=OTHER-1") == ["F-OTHER-1"]
    assert refs("cap_state=submitted") == []
    assert "No finding matches these filters" in client.get("/findings/?status=closed").content.decode()


def test_supplier_sees_only_its_own_findings(world, client_as):
    response = client_as("supplier_user").get("/findings/?status=all")
    assert [f.finding_ref for f in response.context["page"].object_list] == ["F-OWN-1"]


def test_full_cap_workflow(world, client_as):
    supplier, analyst = client_as("supplier_user"), client_as("procurement_analyst")
    url = "/findings/F-OWN-1/cap/"

    # A draft is saved without submitting; nothing is lost.
    assert supplier.post(url + "save/", plan(save="1")).status_code == 302
    cap = CorrectiveAction.objects.get(finding=world.own_finding)
    assert (cap.state, cap.owner) == ("not_started", "HR manager 王芳")

    # Submitting an incomplete plan is refused with the message next to the field, input kept.
    response = supplier.post(url + "save/", plan(owner="", submit="1"))
    assert response.status_code == 400
    assert response.context["cap_form"].errors["owner"]
    assert response.context["cap_form"]["root_cause"].value() == plan()["root_cause"]

    assert supplier.post(url + "save/", plan(submit="1")).status_code == 302
    cap.refresh_from_db()
    assert cap.state == "submitted"

    # The supplier cannot approve its own plan.
    assert supplier.post(url + "approve/").status_code == 403

    # Procurement requests changes: a reason is required.
    assert analyst.post(url + "reject/", {"reason": ""}).status_code == 400
    assert analyst.post(url + "reject/", {"reason": "Add the evidence of weekly reports"}).status_code == 302
    cap.refresh_from_db()
    assert (cap.state, cap.rejection_reason) == ("rejected", "Add the evidence of weekly reports")
    assert "Add the evidence of weekly reports" in supplier.get("/findings/F-OWN-1/").content.decode()

    evidence = SimpleUploadedFile("周报.pdf", PDF_BYTES, content_type="application/pdf")
    assert supplier.post(url + "evidence/", {"file": evidence, "description": "Weekly report"}).status_code == 302
    assert supplier.post(url + "save/", plan(submit="1")).status_code == 302
    assert analyst.post(url + "approve/", {"note": "OK"}).status_code == 302
    assert supplier.post(url + "implement/", {"note": "Done"}).status_code == 302
    assert analyst.post(url + "verify/", {"closed_on": "", "closure_audit": "", "note": "Evidence accepted"}
                        ).status_code == 302

    cap.refresh_from_db()
    finding = Finding.objects.get(pk=world.own_finding.pk)
    assert cap.state == "verified_closed"
    assert finding.status == "closed" and finding.closed_via == "evidence"
    states = list(CapTransition.objects.filter(corrective_action=cap).values_list("to_state", flat=True))
    assert states == ["submitted", "rejected", "submitted", "approved", "implemented", "verified_closed"]
    recorded = [row["changes"]["state"][1] for row in changes(CorrectiveAction, cap.pk) if "state" in row["changes"]]
    assert recorded[-6:] == states
    page = analyst.get("/findings/F-OWN-1/").content.decode()
    assert "Verified closed" in page


def test_evidence_is_checked_and_served_only_to_authorised_users(world, client_as):
    supplier = client_as("supplier_user")
    bad = SimpleUploadedFile("roster.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = supplier.post("/findings/F-OWN-1/cap/evidence/", {"file": bad})
    assert response.status_code == 400
    assert response.context["evidence_form"].errors["file"]
    good = SimpleUploadedFile("roster.pdf", PDF_BYTES, content_type="application/pdf")
    supplier.post("/findings/F-OWN-1/cap/evidence/", {"file": good})
    evidence = CapEvidence.objects.get()
    assert supplier.get(f"/evidence/{evidence.pk}/download/").status_code == 200
    other = client_as("viewer")
    assert other.get(f"/evidence/{evidence.pk}/download/").status_code == 200


def test_evidence_of_another_supplier_is_404(world, client_as, role_users):
    from audits.services import cap_add_evidence, cap_for_finding

    cap = cap_for_finding(world.other_finding)
    evidence = cap_add_evidence(cap=cap, actor=role_users["procurement_analyst"],
                                file=SimpleUploadedFile("x.pdf", PDF_BYTES))
    assert client_as("supplier_user").get(f"/evidence/{evidence.pk}/download/").status_code == 404


def test_unknown_action_is_404(world, client_as):
    assert client_as("procurement_admin").post("/findings/F-OWN-1/cap/explode/").status_code == 404


def test_board_query_count_does_not_grow_with_findings(world, client_as, role_users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from audits.models import Provision
    from audits.services import finding_create

    client = client_as("viewer")
    client.get("/findings/")
    with CaptureQueriesContext(connection) as few:
        client.get("/findings/")
    provision = Provision.objects.get(standard="rba", version="8.0", code="B1")
    for _ in range(5):
        finding_create(audit=world.other_audit, provision=provision, severity="minor",
                       opened_on=world.other_audit.conducted_on, actor=role_users["procurement_analyst"])
    with CaptureQueriesContext(connection) as many:
        response = client.get("/findings/")
    assert len(response.context["page"].object_list) == 7
    assert len(many) == len(few)


# --------------------------------------------------------------------------- due dates


def test_procurement_moves_a_findings_due_dates_and_says_why(world, client_as, role_users):
    finding = world.own_finding
    reminder = Notification.objects.create(key="cap-overdue-F-OWN-1", recipient=role_users["supplier_user"],
                                           kind="cap_overdue", subject="CAP overdue", finding=finding,
                                           supplier=world.own, due_on=finding.cap_due_on)
    analyst = client_as("procurement_analyst")
    assert "Change the due dates" in analyst.get("/findings/F-OWN-1/").content.decode()
    cap_due, correction_due = world.today + dt.timedelta(days=14), world.today + dt.timedelta(days=60)
    response = analyst.post("/findings/F-OWN-1/due-dates/", {
        "cap_due_on": cap_due.isoformat(), "correction_due_on": correction_due.isoformat(),
        "reason": "Factory closed for Chinese New Year"})
    assert response.status_code == 302 and response["Location"] == "/findings/F-OWN-1/"
    finding.refresh_from_db()
    assert (finding.cap_due_on, finding.correction_due_on) == (cap_due, correction_due)
    entry = changes(Finding, "F-OWN-1")[-1]
    assert entry["reason"] == "Factory closed for Chinese New Year" and entry["channel"] == "portal"
    assert entry["changes"]["cap_due_on"][1] == cap_due.isoformat()
    reminder.refresh_from_db()
    assert reminder.cancelled_at is not None  # the reminder for the old date is withdrawn
    refs = [f.finding_ref for f in analyst.get("/findings/?overdue=any").context["page"].object_list]
    assert "F-OWN-1" not in refs


@pytest.mark.parametrize(("data", "field"), [
    ({"cap_due_on": "2000-01-01", "reason": "typo"}, "cap_due_on"),
    ({"correction_due_on": "soon", "reason": "typo"}, "correction_due_on"),
    ({"cap_due_on": "2031-01-01", "reason": ""}, "reason"),
])
def test_due_date_refusals_are_next_to_their_fields(world, client_as, data, field):
    before = (world.own_finding.cap_due_on, world.own_finding.correction_due_on)
    response = client_as("procurement_analyst").post("/findings/F-OWN-1/due-dates/", data)
    assert response.status_code == 400
    assert response.context["due_form"].errors[field]
    finding = Finding.objects.get(finding_ref="F-OWN-1")
    assert (finding.cap_due_on, finding.correction_due_on) == before


def test_a_closed_findings_due_dates_do_not_change(world, client_as):
    Finding.objects.filter(pk=world.own_finding.pk).update(status="closed", closed_on=world.today)
    response = client_as("procurement_admin").post("/findings/F-OWN-1/due-dates/", {
        "cap_due_on": "2031-01-01", "reason": "x"})
    assert response.status_code == 400
    assert "closed finding" in " ".join(response.context["due_form"].non_field_errors())


@pytest.mark.parametrize("role", ["viewer", "supplier_user"])
def test_only_procurement_writers_change_due_dates(world, client_as, role):
    client = client_as(role)
    assert "Change the due dates" not in client.get("/findings/F-OWN-1/").content.decode()
    response = client.post("/findings/F-OWN-1/due-dates/", {"cap_due_on": "2031-01-01", "reason": "x"})
    assert response.status_code == 403
    assert Finding.objects.get(finding_ref="F-OWN-1").cap_due_on == world.own_finding.cap_due_on


def test_board_shows_supplier_names_and_days_overdue_and_sorts(world, client_as):
    client = client_as("viewer")
    response = client.get("/findings/")
    page = response.content.decode()
    assert world.own.name in page and world.other.name in page
    rows = {f.finding_ref: f for f in response.context["page"].object_list}
    own, other = rows["F-OWN-1"], rows["F-OTHER-1"]
    # Both plans are overdue; F-OWN-1's correction too: the earliest overdue due date counts.
    assert own.overdue_since == min(own.cap_due_on, own.correction_due_on)
    assert other.overdue_since == other.cap_due_on
    assert f'<td class="num">{(world.today - own.overdue_since).days}</td>' in page

    def refs(sort):
        return [f.finding_ref for f in client.get(f"/findings/?sort={sort}").context["page"].object_list]

    longest_first = sorted(rows.values(), key=lambda f: f.overdue_since)
    assert refs("overdue") == [f.finding_ref for f in longest_first]
    assert refs("-overdue") == [f.finding_ref for f in reversed(longest_first)]
    by_name = sorted(rows.values(), key=lambda f: f.audit.site.supplier.name)
    assert refs("supplier") == [f.finding_ref for f in by_name]
    assert refs("severity") == ["F-OWN-1", "F-OTHER-1"]  # major before minor
    assert refs("-severity") == ["F-OTHER-1", "F-OWN-1"]
    assert refs("nonsense") == refs("due")
