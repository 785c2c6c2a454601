"""Audit pages: the two-year cycle, planned audits, recording audits and findings."""

from __future__ import annotations

import datetime as dt

from audits.models import Audit, Finding


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
    data = {"provision_code": "b3", "severity": "minor", "opened_on": world.own_audit.end_date.isoformat(),
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
