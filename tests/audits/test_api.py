import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import Audit, CorrectiveAction, Finding, Notification, TerminationReview
from suppliers.models import Supplier
from tests import files

D = dt.date
PROCUREMENT = ["procurement_admin", "procurement_analyst", "viewer"]


@pytest.fixture
def world(own_supplier, other_supplier, make_site, make_audit, make_finding):
    own_site = make_site(own_supplier, "OWN-1-F1")
    other_site = make_site(other_supplier, "OTHER-1-F1")
    own_audit = make_audit(own_site, audit_ref="OWN-A", status="corrective_actions_open",
                           report_received_on=D(2025, 3, 12))
    other_audit = make_audit(other_site, audit_ref="OTHER-A", status="corrective_actions_open",
                             report_received_on=D(2025, 3, 12))
    return {
        "own_site": own_site, "other_site": other_site, "own_audit": own_audit, "other_audit": other_audit,
        "own_finding": make_finding(own_audit, finding_ref="OWN-F", severity="major"),
        "other_finding": make_finding(other_audit, finding_ref="OTHER-F", severity="minor", code="C1"),
    }


def refs(response, key):
    assert response.status_code == 200, response.content
    return sorted(row[key] for row in response.json()["results"])


# --------------------------------------------------------------------------- scoping


@pytest.mark.parametrize("role", PROCUREMENT)
def test_procurement_roles_see_every_supplier(api_as, world, role):
    assert refs(api_as(role).get("/api/v1/audits/"), "audit_ref") == ["OTHER-A", "OWN-A"]
    assert refs(api_as(role).get("/api/v1/findings/"), "finding_ref") == ["OTHER-F", "OWN-F"]
    assert refs(api_as(role).get("/api/v1/corrective-actions/"), "finding_ref") == ["OTHER-F", "OWN-F"]


def test_supplier_user_sees_only_its_own_rows_and_404_for_others(api_as, world):
    client = api_as("supplier_user")
    assert refs(client.get("/api/v1/audits/"), "audit_ref") == ["OWN-A"]
    assert refs(client.get("/api/v1/findings/"), "finding_ref") == ["OWN-F"]
    assert refs(client.get("/api/v1/corrective-actions/"), "finding_ref") == ["OWN-F"]
    assert refs(client.get("/api/v1/findings/?supplier=OTHER-1"), "finding_ref") == []
    assert client.get(f"/api/v1/audits/{world['other_audit'].pk}/").status_code == 404
    assert client.get(f"/api/v1/findings/{world['other_finding'].pk}/").status_code == 404
    other_cap = world["other_finding"].corrective_action
    assert client.get(f"/api/v1/corrective-actions/{other_cap.pk}/").status_code == 404
    assert client.patch(f"/api/v1/corrective-actions/{other_cap.pk}/", {"owner": "x"}).status_code == 404
    assert client.post(f"/api/v1/corrective-actions/{other_cap.pk}/submit/").status_code == 404
    assert client.get(f"/api/v1/audits/{world['own_audit'].pk}/").status_code == 200


def test_users_without_a_role_and_anonymous_get_nothing(api_as, world):
    assert api_as("no_role").get("/api/v1/findings/").status_code == 403
    assert api_as(None).get("/api/v1/findings/").status_code in (401, 403)


# --------------------------------------------------------------------------- audits


def test_analyst_records_and_moves_an_audit(api_as, world):
    client = api_as("procurement_analyst")
    response = client.post("/api/v1/audits/", {"site_code": "OWN-1-F1", "audit_type": "vap_full",
                                                "audit_ref": "NEW-1"}, format="json")
    assert response.status_code == 201, response.content
    audit_id = response.json()["id"]
    assert response.json()["status"] == "planned"
    response = client.post(f"/api/v1/audits/{audit_id}/schedule/", {
        "audit_firm": "Firm", "start_date": "2025-05-01", "conducted_on": "2025-05-03"}, format="json")
    assert response.json()["status"] == "scheduled"
    response = client.post(f"/api/v1/audits/{audit_id}/change-status/", {"status": "closed"}, format="json")
    assert response.status_code == 400
    assert "a scheduled audit cannot become closed" in response.json()["status"][0]


def test_audit_validation_errors_name_the_field(api_as, world):
    response = api_as("procurement_analyst").post("/api/v1/audits/", {
        "site_code": "OWN-1-F1", "audit_type": "vap_closure"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"parent": ["a closure audit needs the full audit it follows up"]}


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("supplier_user", 403), ("procurement_admin", 201)])
def test_only_procurement_writers_create_audits(api_as, world, role, status):
    response = api_as(role).post("/api/v1/audits/", {"site_code": "OWN-1-F1", "audit_type": "saq"}, format="json")
    assert response.status_code == status


def test_plan_endpoint(api_as, world, make_site, own_supplier):
    make_site(own_supplier, "OWN-1-NEW")
    response = api_as("procurement_analyst").post("/api/v1/audits/plan/", {"as_of": "2026-01-01"}, format="json")
    assert response.status_code == 201, response.content
    assert [a["site_code"] for a in response.json()] == ["OWN-1-NEW"]
    assert api_as("viewer").post("/api/v1/audits/plan/", {}, format="json").status_code == 403


def test_audit_filters(api_as, world):
    client = api_as("viewer")
    assert refs(client.get("/api/v1/audits/?supplier=OWN-1"), "audit_ref") == ["OWN-A"]
    assert refs(client.get("/api/v1/audits/?site=OTHER-1-F1"), "audit_ref") == ["OTHER-A"]
    assert refs(client.get("/api/v1/audits/?audit_type=saq"), "audit_ref") == []
    assert refs(client.get("/api/v1/audits/?status=corrective_actions_open"), "audit_ref") == ["OTHER-A", "OWN-A"]


# --------------------------------------------------------------------------- imports


def upload(client, url, text, **extra):
    return client.post(url, {"file": SimpleUploadedFile("data.csv", text.encode()), **extra}, format="multipart")


def test_import_endpoints(api_as, world):
    client = api_as("procurement_analyst")
    response = upload(client, "/api/v1/audits/import/",
                      "audit_ref,site_code,audit_type,conducted_on,saq_risk\nSAQ-9,OWN-1-F1,saq,2025-01-01,high\n")
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0, "dry_run": False, "warnings": []}
    response = upload(client, "/api/v1/findings/import/",
                      "audit_ref,finding_ref,provision_code,severity,opened_on\nOWN-A,F-9,A3,major,2025-03-10\n"
                      "OWN-A,F-10,A3,major,2025-03-10\nOWN-A,F-11,Q7,major,2025-03-10\n")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 4, "column": "provision_code", "message": "unknown provision code 'Q7' (RBA Code 8.0 or 7.0)"}]
    assert not Finding.objects.filter(finding_ref__in=["F-9", "F-10"]).exists()
    assert upload(api_as("supplier_user"), "/api/v1/findings/import/", "x").status_code == 403
    assert upload(api_as("viewer"), "/api/v1/audits/import/", "x").status_code == 403


# --------------------------------------------------------------------------- findings


def test_analyst_creates_a_finding_by_provision_code(api_as, world, own_supplier):
    response = api_as("procurement_analyst").post("/api/v1/findings/", {
        "audit_ref": "OWN-A", "provision_code": "a1", "severity": "priority", "opened_on": "2025-03-10",
        "description": "Recruitment fees"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["zero_tolerance"] is True  # Priority in A1
    assert body["supplier_termination_review"] is True
    assert body["cap_state"] == "not_started" and body["cap_due_on"] == "2025-03-17"
    assert Supplier.objects.get(pk=own_supplier.pk).termination_review


def test_finding_create_refused_for_supplier_and_viewer(api_as, world):
    payload = {"audit_ref": "OWN-A", "provision_code": "A3", "severity": "minor", "opened_on": "2025-03-10"}
    assert api_as("supplier_user").post("/api/v1/findings/", payload, format="json").status_code == 403
    assert api_as("viewer").post("/api/v1/findings/", payload, format="json").status_code == 403


def test_finding_on_a_closed_audit_is_refused(api_as, world, make_audit):
    make_audit(world["own_site"], audit_ref="DONE")
    response = api_as("procurement_analyst").post("/api/v1/findings/", {
        "audit_ref": "DONE", "provision_code": "A3", "severity": "minor", "opened_on": "2025-03-10"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"audit": ["findings cannot be added to a closed audit"]}


def test_finding_due_date_change_and_fixed_fields(api_as, world):
    client = api_as("procurement_analyst")
    url = f"/api/v1/findings/{world['own_finding'].pk}/"
    response = client.patch(url, {"correction_due_on": "2025-12-31"}, format="json")
    assert response.status_code == 200 and response.json()["due_on"] == "2025-12-31"
    response = client.patch(url, {"severity": "minor"}, format="json")
    assert response.status_code == 400
    assert api_as("supplier_user").patch(url, {"description": "x"}, format="json").status_code == 403


def test_finding_filters(api_as, world, make_finding):
    make_finding(world["own_audit"], finding_ref="OWN-CLOSED", closed_on=D(2025, 4, 1), severity="minor", code="C1")
    client = api_as("viewer")
    assert refs(client.get("/api/v1/findings/?severity=major"), "finding_ref") == ["OWN-F"]
    assert refs(client.get("/api/v1/findings/?status=closed"), "finding_ref") == ["OWN-CLOSED"]
    assert refs(client.get("/api/v1/findings/?site=OWN-1-F1"), "finding_ref") == ["OWN-CLOSED", "OWN-F"]
    assert refs(client.get("/api/v1/findings/?supplier=OTHER-1"), "finding_ref") == ["OTHER-F"]
    # Both open findings are long past their due dates.
    assert refs(client.get("/api/v1/findings/?overdue=true"), "finding_ref") == ["OTHER-F", "OWN-F"]
    assert refs(client.get("/api/v1/findings/?overdue=false"), "finding_ref") == ["OWN-CLOSED"]
    assert client.get(f"/api/v1/findings/{world['own_finding'].pk}/").json()["overdue"] is True


# --------------------------------------------------------------------------- CAP workflow

PLAN = {"root_cause": "No hours policy", "corrective_action": "Cap weekly hours at 60",
        "preventive_action": "Monthly review", "owner": "HR manager", "planned_completion": "2025-06-30"}


def test_cap_workflow_across_roles(api_as, world):
    cap = world["own_finding"].corrective_action
    url = f"/api/v1/corrective-actions/{cap.pk}/"
    supplier = api_as("supplier_user")
    analyst = api_as("procurement_analyst")
    assert supplier.patch(url, PLAN, format="json").status_code == 200
    response = supplier.post(url + "submit/", {}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    assert supplier.post(url + "approve/", {}, format="json").status_code == 403
    assert api_as("viewer").post(url + "approve/", {}, format="json").status_code == 403
    response = analyst.post(url + "reject/", {"reason": "too vague"}, format="json")
    assert response.json()["state"] == "rejected" and response.json()["rejection_reason"] == "too vague"
    assert supplier.patch(url, {"corrective_action": "Cap at 60 h, one day off in seven"},
                          format="json").status_code == 200
    supplier.post(url + "submit/", {}, format="json")
    assert analyst.post(url + "approve/", {}, format="json").json()["state"] == "approved"
    assert supplier.patch(url, {"owner": "x"}, format="json").status_code == 400  # approved: no more edits
    response = supplier.post(url + "evidence/", {"file": SimpleUploadedFile("roster.pdf", files.PDF),
                                                 "description": "New roster"}, format="multipart")
    assert response.status_code == 201, response.content
    assert supplier.post(url + "implement/", {}, format="json").json()["state"] == "implemented"
    assert supplier.post(url + "verify/", {}, format="json").status_code == 403
    response = analyst.post(url + "verify/", {"closed_on": "2025-07-01"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "verified_closed"
    assert [t["to_state"] for t in response.json()["transitions"]] == [
        "submitted", "rejected", "submitted", "approved", "implemented", "verified_closed"]
    assert response.json()["transitions"][0]["by_label"] == "supplier_user"
    assert len(response.json()["evidence"]) == 1
    finding = Finding.objects.get(pk=world["own_finding"].pk)
    assert (finding.status, finding.closed_on) == ("closed", D(2025, 7, 1))


def test_refused_cap_transition_is_a_400_with_a_reason(api_as, world):
    cap = world["own_finding"].corrective_action
    response = api_as("procurement_analyst").post(f"/api/v1/corrective-actions/{cap.pk}/approve/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"state": ["a not_started CAP cannot become approved; allowed: submitted"]}
    response = api_as("supplier_user").post(f"/api/v1/corrective-actions/{cap.pk}/submit/", {}, format="json")
    assert response.status_code == 400 and "root_cause" in response.json()


def test_supplier_cannot_create_a_cap_for_another_suppliers_finding(api_as, world):
    CorrectiveAction.objects.all().delete()
    client = api_as("supplier_user")
    response = client.post("/api/v1/corrective-actions/", {"finding": world["other_finding"].pk, **PLAN},
                           format="json")
    assert response.status_code == 400 and "finding" in response.json()
    response = client.post("/api/v1/corrective-actions/", {"finding": world["own_finding"].pk, **PLAN},
                           format="json")
    assert response.status_code == 201, response.content
    assert CorrectiveAction.objects.get().owner == "HR manager"
    response = client.post("/api/v1/corrective-actions/", {"finding": world["own_finding"].pk}, format="json")
    assert response.status_code == 400


def test_finding_close_endpoint(api_as, world, make_finding):
    ofi = make_finding(world["own_audit"], severity="ofi", code="E6", finding_ref="OFI")
    client = api_as("procurement_analyst")
    response = client.post(f"/api/v1/findings/{world['own_finding'].pk}/close/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": ["the finding's CAP is not verified (state: not_started)"]}
    response = client.post(f"/api/v1/findings/{ofi.pk}/close/", {"closed_on": "2025-04-01"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert api_as("supplier_user").post(f"/api/v1/findings/{ofi.pk}/close/", {}).status_code == 403


# --------------------------------------------------------------------------- reference data, cycle, notifications


def test_provisions_read_by_all_written_by_admins(api_as, db, role_users):
    response = api_as("supplier_user").get("/api/v1/provisions/?version=8.0&code=A1")
    assert [p["title"] for p in response.json()["results"]] == ["Freely Chosen Employment"]
    payload = {"standard": "supplier_code", "version": "2025", "code": "SC-1", "title": "Anti-bribery"}
    assert api_as("procurement_analyst").post("/api/v1/provisions/", payload, format="json").status_code == 403
    assert api_as("procurement_admin").post("/api/v1/provisions/", payload, format="json").status_code == 201


def test_deadline_rules_are_admin_editable(api_as, db, role_users):
    rules = api_as("viewer").get("/api/v1/deadline-rules/").json()
    major = next(rule for rule in rules if rule["severity"] == "major")
    assert (major["cap_days"], major["correction_days"], major["overall_limit_months"]) == (14, 180, 18)
    url = f"/api/v1/deadline-rules/{major['id']}/"
    assert api_as("procurement_analyst").patch(url, {"correction_days": 120}, format="json").status_code == 403
    assert api_as("procurement_admin").patch(url, {"correction_days": 120}, format="json").json()[
        "correction_days"] == 120
    assert api_as("supplier_user").get("/api/v1/deadline-rules/").status_code == 403


def test_audit_cycle_endpoint_is_scoped(api_as, world, make_site, own_supplier):
    make_site(own_supplier, "OWN-1-F2")
    response = api_as("supplier_user").get("/api/v1/audit-cycle/?as_of=2026-01-01")
    rows = {row["site_code"]: row for row in response.json()["results"]}
    assert set(rows) == {"OWN-1-F1", "OWN-1-F2"}
    assert rows["OWN-1-F1"]["status"] == "valid" and rows["OWN-1-F1"]["valid_until"] == "2027-03-09"
    assert rows["OWN-1-F2"]["status"] == "never_audited"
    response = api_as("viewer").get("/api/v1/audit-cycle/?as_of=2027-03-10&status=expired")
    assert refs(response, "site_code") == ["OTHER-1-F1", "OWN-1-F1"]
    assert api_as("viewer").get("/api/v1/audit-cycle/?as_of=01-01-2026").status_code == 400


def test_audit_coverage_endpoint(api_as, world, make_site, own_supplier):
    make_site(own_supplier, "OWN-1-F2")
    rows = api_as("viewer").get("/api/v1/audit-coverage/?as_of=2026-01-01").json()["results"]
    assert rows == [
        {"supplier_code": "OTHER-1", "relevant_sites": 1, "valid_sites": 1, "covered": True},
        {"supplier_code": "OWN-1", "relevant_sites": 2, "valid_sites": 1, "covered": False},
    ]
    rows = api_as("supplier_user").get("/api/v1/audit-coverage/?as_of=2026-01-01").json()["results"]
    assert [row["supplier_code"] for row in rows] == ["OWN-1"]
    rows = api_as("viewer").get("/api/v1/audit-coverage/?as_of=2026-01-01&covered=false").json()["results"]
    assert [row["supplier_code"] for row in rows] == ["OWN-1"]


def test_notifications_are_personal(api_as, world, role_users):
    mine = Notification.objects.create(key="k1", recipient=role_users["supplier_user"], kind="cap_overdue",
                                       subject="CAP overdue")
    Notification.objects.create(key="k2", recipient=role_users["procurement_analyst"], kind="cap_overdue",
                                subject="CAP overdue")
    client = api_as("supplier_user")
    assert [n["id"] for n in client.get("/api/v1/notifications/").json()["results"]] == [mine.pk]
    assert client.post(f"/api/v1/notifications/{mine.pk}/read/").json()["read_at"] is not None
    other = Notification.objects.get(key="k2")
    assert client.post(f"/api/v1/notifications/{other.pk}/read/").status_code == 404
    assert api_as("no_role").get("/api/v1/notifications/").status_code == 403


def test_termination_reviews_are_decided_by_admins(api_as, world, own_supplier):
    review = TerminationReview.objects.create(supplier=own_supplier)
    Supplier.objects.filter(pk=own_supplier.pk).update(termination_review=True)
    assert api_as("supplier_user").get("/api/v1/termination-reviews/").status_code == 403
    assert refs(api_as("viewer").get("/api/v1/termination-reviews/?open=true"), "supplier_code") == ["OWN-1"]
    url = f"/api/v1/termination-reviews/{review.pk}/decide/"
    payload = {"decision": "keep_with_conditions", "reason": "remediated", "conditions": "SVAP in 6 months"}
    assert api_as("procurement_analyst").post(url, payload, format="json").status_code == 403
    response = api_as("procurement_admin").post(url, payload, format="json")
    assert response.status_code == 200 and response.json()["decided_by_label"] == "procurement_admin"
    assert not Supplier.objects.get(pk=own_supplier.pk).termination_review


# --------------------------------------------------------------------------- query counts


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/api/v1/audits/", "/api/v1/findings/", "/api/v1/corrective-actions/",
                                 "/api/v1/audit-cycle/", "/api/v1/termination-reviews/"])
def test_list_endpoints_run_a_constant_number_of_queries(api_as, world, make_site, make_audit, make_finding,
                                                         own_supplier, url, django_assert_max_num_queries):
    TerminationReview.objects.create(supplier=own_supplier)
    client = api_as("procurement_analyst")
    count_queries(client, url)  # warm the role cache
    few = count_queries(client, url)
    for i in range(20):
        site = make_site(own_supplier, f"MORE-{i}")
        audit = make_audit(site, status="corrective_actions_open")
        make_finding(audit, closed_on=D(2025, 4, 1) if i % 2 else None)
        TerminationReview.objects.create(supplier=Supplier.objects.create(code=f"TR-{i}", name="x", country="CN",
                                                                          category="production"))
    with django_assert_max_num_queries(few):
        client.get(url)
    assert Audit.objects.count() > 20


def test_openapi_schema_builds_for_the_audit_endpoints(db):
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.routers import DefaultRouter

    from audits.routes import ROUTES

    router = DefaultRouter()
    for prefix, viewset, basename in ROUTES:
        router.register(prefix, viewset, basename=basename)
    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(request=None, public=True)
    for url in ("/api/v1/audits/", "/api/v1/audits/import/", "/api/v1/findings/import/",
                "/api/v1/corrective-actions/{id}/verify/", "/api/v1/audit-cycle/",
                "/api/v1/termination-reviews/{id}/decide/"):
        assert url in schema["paths"]
