"""Audit pages: the two-year cycle, planned audits, recording audits and findings."""

from __future__ import annotations

import datetime as dt

import pytest

from audits import services as audit_services
from audits.models import Audit, Finding
from tests.history import changes


def test_cycle_shows_each_sites_status(world, client_as):
    response = client_as("viewer").get("/audits/")
    rows = {row["site_code"]: row["status"] for row in response.context["page"].object_list}
    assert rows == {"OWN-1-F1": "expiring", "OTHER-1-F1": "valid"}
    assert response.context["counts"]["expiring"] == 1
    assert [r["site_code"] for r in client_as("viewer").get("/audits/?status=valid").context["page"].object_list] \
        == ["OTHER-1-F1"]


def test_record_a_planned_audit_and_see_it_planned(world, client_as):
    analyst = client_as("procurement_analyst")
    due = (world.today + dt.timedelta(days=20)).isoformat()
    response = analyst.post("/audits/new/", {"site": "OWN-1-F1", "audit_type": "vap_full", "status": "planned",
                                             "due_by": due, "audit_firm": "Firm"})
    audit = Audit.objects.get(status="planned")
    assert response["Location"] == f"/audits/{audit.audit_ref}/"
    planned = client_as("supplier_user").get("/audits/planned/")
    assert [a.audit_ref for a in planned.context["page"].object_list] == [audit.audit_ref]
    rows = {row["site_code"]: row for row in client_as("viewer").get("/audits/").context["page"].object_list}
    assert rows["OWN-1-F1"]["upcoming_audit_ref"] == audit.audit_ref


def test_audit_form_errors_are_next_to_the_fields(world, client_as):
    analyst = client_as("procurement_analyst")
    response = analyst.post("/audits/new/", {"site": "NOPE", "audit_type": "vap_full", "status": "planned",
                                             "audit_firm": "Keep me"})
    assert response.status_code == 400
    assert response.context["form"].errors["site"]
    assert 'value="Keep me"' in response.content.decode()
    # A service refusal (SAQ with a score) lands next to its field too.
    response = analyst.post("/audits/new/", {"site": "OWN-1-F1", "audit_type": "saq", "status": "planned",
                                             "score": "150"})
    assert response.status_code == 400 and response.context["form"].errors["score"]


def test_supplier_cannot_record_audits_in_another_suppliers_site(world, client_as):
    response = client_as("procurement_analyst").post("/audits/new/", {"site": "OWN-1-F1", "audit_type": "vap_full",
                                                                      "status": "planned"})
    assert response.status_code == 302
    assert client_as("supplier_user").post("/audits/new/", {}).status_code == 403


def test_record_a_finding_through_the_form(world, client_as):
    analyst = client_as("procurement_analyst")
    data = {"provision_code": "b3", "severity": "minor", "opened_on": world.own_audit.conducted_on.isoformat(),
            "zero_tolerance": "", "description": "Missing guard"}
    response = analyst.post("/audits/AUD-OWN-1/findings/", data)
    assert response.status_code == 302
    finding = Finding.objects.get(description="Missing guard")
    assert finding.provision.code == "B3" and finding.corrective_action.state == "not_started"
    response = analyst.post("/audits/AUD-OWN-1/findings/", {**data, "provision_code": "Z9"})
    assert response.status_code == 400
    assert response.context["finding_form"].errors["provision_code"]
    assert client_as("viewer").post("/audits/AUD-OWN-1/findings/", data).status_code == 403


def test_audit_status_change_refusal_is_explained(world, client_as):
    response = client_as("procurement_analyst").post("/audits/AUD-OWN-1/status/", {"status": "closed"}, follow=True)
    assert "still open" in response.content.decode()
    assert Audit.objects.get(audit_ref="AUD-OWN-1").status == "corrective_actions_open"


# --------------------------------------------------------------------------- scheduling a planned audit


@pytest.fixture
def planned(world):
    return audit_services.audit_create(site=world.own_site, audit_type="vap_full", actor=world.analyst,
                                       audit_ref="AUD-PLAN-1", due_by=world.today + dt.timedelta(days=60))


def test_schedule_a_planned_audit(planned, world, client_as):
    analyst = client_as("procurement_analyst")
    edit = analyst.get("/audits/AUD-PLAN-1/edit/")
    assert edit.status_code == 200 and edit.context["form"]["due_by"].value() == planned.due_by
    assert 'href="/audits/AUD-PLAN-1/edit/"' in analyst.get("/audits/AUD-PLAN-1/").content.decode()
    assert 'href="/audits/AUD-PLAN-1/edit/"' in analyst.get("/audits/planned/").content.decode()
    start, end = world.today + dt.timedelta(days=20), world.today + dt.timedelta(days=22)
    response = analyst.post("/audits/AUD-PLAN-1/edit/", {
        "audit_firm": "ELEVATE 上海", "start_date": start.isoformat(), "conducted_on": end.isoformat(),
        "due_by": planned.due_by.isoformat(), "schedule": "1"})
    assert response.status_code == 302 and response["Location"] == "/audits/AUD-PLAN-1/"
    audit = Audit.objects.get(audit_ref="AUD-PLAN-1")
    assert (audit.status, audit.audit_firm, audit.start_date, audit.conducted_on) == (
        "scheduled", "ELEVATE 上海", start, end)
    entry = changes(Audit, "AUD-PLAN-1")[-1]
    assert entry["changes"]["status"] == ["planned", "scheduled"] and entry["channel"] == "portal"


def test_save_keeps_the_audit_planned(planned, client_as):
    response = client_as("procurement_admin").post("/audits/AUD-PLAN-1/edit/", {
        "audit_firm": "Firm A", "start_date": "", "conducted_on": "", "due_by": planned.due_by.isoformat(),
        "save": "1"})
    assert response.status_code == 302
    audit = Audit.objects.get(audit_ref="AUD-PLAN-1")
    assert (audit.status, audit.audit_firm) == ("planned", "Firm A")
    entry = changes(Audit, "AUD-PLAN-1")[-1]
    assert entry["changes"] == {"audit_firm": ["", "Firm A"]}
    assert (entry["user"], entry["channel"]) == ("procurement_admin", "portal")


@pytest.mark.parametrize(("data", "field"), [
    ({"audit_firm": "Firm", "start_date": "", "conducted_on": ""}, "start_date"),
    ({"audit_firm": "", "start_date": "2031-03-01", "conducted_on": "2031-03-03"}, "audit_firm"),  # from the service
    ({"audit_firm": "Firm", "start_date": "2031-03-05", "conducted_on": "2031-03-03"}, "conducted_on"),
    ({"audit_firm": "Firm", "start_date": "2031-03-01", "conducted_on": "3 March"}, "conducted_on"),
])
def test_scheduling_refusals_are_next_to_their_fields_and_change_nothing(planned, client_as, data, field):
    response = client_as("procurement_analyst").post("/audits/AUD-PLAN-1/edit/", {**data, "schedule": "1"})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert f'value="{data["audit_firm"]}"' in response.content.decode() or not data["audit_firm"]
    audit = Audit.objects.get(audit_ref="AUD-PLAN-1")
    assert (audit.status, audit.audit_firm, audit.start_date) == ("planned", "", None)


def test_rescheduling_a_scheduled_audit_keeps_it_scheduled(planned, client_as):
    analyst = client_as("procurement_analyst")
    analyst.post("/audits/AUD-PLAN-1/edit/", {"audit_firm": "Firm", "start_date": "2031-03-01",
                                              "conducted_on": "2031-03-03", "schedule": "1"})
    response = analyst.post("/audits/AUD-PLAN-1/edit/", {"audit_firm": "Firm B", "start_date": "2031-04-01",
                                                         "conducted_on": "2031-04-02", "save": "1"})
    assert response.status_code == 302
    audit = Audit.objects.get(audit_ref="AUD-PLAN-1")
    assert (audit.status, audit.audit_firm, audit.conducted_on) == ("scheduled", "Firm B", dt.date(2031, 4, 2))
    response = analyst.post("/audits/AUD-PLAN-1/edit/", {"audit_firm": "Firm B", "start_date": "",
                                                         "conducted_on": "", "save": "1"})
    assert response.status_code == 400 and response.context["form"].errors["start_date"]
    assert Audit.objects.get(audit_ref="AUD-PLAN-1").conducted_on == dt.date(2031, 4, 2)


def test_an_audit_that_took_place_is_not_rescheduled(world, client_as):
    response = client_as("procurement_analyst").get("/audits/AUD-OWN-1/edit/", follow=True)
    assert "Only a planned or scheduled audit" in response.content.decode()
    assert client_as("procurement_analyst").post("/audits/AUD-OWN-1/edit/", {
        "audit_firm": "X", "start_date": "2031-03-01", "conducted_on": "2031-03-03", "schedule": "1",
    }).status_code == 302
    assert Audit.objects.get(audit_ref="AUD-OWN-1").audit_firm == "Firm"


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("supplier_user", 403), ("no_role", 403)])
def test_only_procurement_writers_schedule_audits(planned, client_as, role, status):
    client = client_as(role)
    assert client.get("/audits/AUD-PLAN-1/edit/").status_code == status
    form = {"audit_firm": "X", "start_date": "2031-03-01", "conducted_on": "2031-03-03", "schedule": "1"}
    assert client.post("/audits/AUD-PLAN-1/edit/", form).status_code == status
    assert Audit.objects.get(audit_ref="AUD-PLAN-1").status == "planned"
    assert 'href="/audits/AUD-PLAN-1/edit/"' not in client.get("/audits/planned/").content.decode()


def test_unknown_audit_is_404(world, client_as):
    assert client_as("procurement_analyst").get("/audits/NOPE/edit/").status_code == 404
