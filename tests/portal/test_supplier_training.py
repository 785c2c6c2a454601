"""Supplier self-service for training and GHG inventories (issue #14): who still needs which
course, completions with a certificate and inventories with evidence, reviewed by procurement
(submitted → accepted/rejected with a comment), counted only once accepted; bad input refused
with nothing written; person references seen only by procurement and the supplier's users."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.quarter import months_before
from disclosure import selectors, services
from disclosure.models import Course, EmissionInventory, TrainingPerson, TrainingRecord, TrainingSubmission
from suppliers.models import Document
from tests import clock, files


def pdf(name="certificate.pdf", content=files.PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def courses(db):
    return {
        "ESG-101": Course.objects.create(code="ESG-101", title="RBA Code basics", title_zh="RBA 行为准则基础",
                                         required=True, valid_months=6),
        "ESG-201": Course.objects.create(code="ESG-201", title="Forced labour", title_zh="强迫劳动",
                                         required=True, valid_months=None),
        "OPT-1": Course.objects.create(code="OPT-1", title="Optional", required=False),
    }


def record(supplier, ref, course, completed_on, **person):
    person_row, _ = TrainingPerson.objects.get_or_create(supplier=supplier, person_ref=ref, defaults=person)
    return TrainingRecord.objects.create(person=person_row, course=course, completed_on=completed_on)


def completion(client, code="OWN-1", **fields):
    data = {"person_ref": "  Li.Wei@Example.com ", "course": "ESG-101",
            "completed_on": clock.days_ago(10).isoformat(), "score": "88", "certificate": pdf()}
    data.update(fields)
    return client.post(f"/suppliers/{code}/training/", data)


# --------------------------------------------------------------------------- who is trained


def test_status_at_the_validity_boundary(own_supplier, courses):
    """Course ESG-101 is valid 6 months: a completion exactly 6 months before D no longer
    counts (expired), the day after does; ESG-201 never expires; OPT-1 is not required."""
    day = clock.today()
    boundary = months_before(day, 6)
    record(own_supplier, "a", courses["ESG-101"], boundary)
    record(own_supplier, "a", courses["ESG-201"], dt.date(2001, 1, 1))
    record(own_supplier, "b", courses["ESG-101"], boundary + dt.timedelta(days=1))
    record(own_supplier, "b", courses["ESG-201"], day)
    record(own_supplier, "c", courses["OPT-1"], day)  # enrolled in nothing required: still a person
    record(own_supplier, "d", courses["ESG-101"], day, is_esg_staff=False)
    record(own_supplier, "d", courses["ESG-201"], day)
    status = selectors.training_status(own_supplier.pk, day)
    by_ref = {row.person.person_ref: row for row in status.persons}
    assert [(c.course.code, c.status) for c in by_ref["a"].courses] == [("ESG-101", "expired"), ("ESG-201", "valid")]
    assert by_ref["b"].trained and not by_ref["a"].trained
    assert [(c.course.code, c.status) for c in by_ref["c"].missing] == [("ESG-101", "missing"), ("ESG-201", "missing")]
    assert by_ref["d"].trained and not by_ref["d"].is_staff
    # Staff a, b, c (d is not ESG staff); trained: b. 100 × 1 / 3.
    assert (status.staff, status.trained) == (3, 1)
    assert status.raw == pytest.approx(100 / 3)


def test_a_supplier_without_persons_reads_no_records(own_supplier, other_supplier, courses,
                                                     django_assert_num_queries):
    record(other_supplier, "x", courses["ESG-101"], clock.today())
    with django_assert_num_queries(1):  # the persons: none; the required courses are not read yet
        status = selectors.training_status(own_supplier.pk, clock.today())
    assert status.persons == []
    with django_assert_num_queries(1):  # read when used (the training page counts them)
        assert [course.code for course in status.required] == ["ESG-101", "ESG-201"]
    assert status.raw is None
    with django_assert_num_queries(4):
        assert len(selectors.training_status(other_supplier.pk, clock.today()).persons) == 1


def test_no_required_course_gives_no_value(own_supplier, db):
    optional = Course.objects.create(code="OPT", title="Optional", required=False)
    record(own_supplier, "a", optional, clock.today())
    assert selectors.training_status(own_supplier.pk, clock.today()).raw is None


# --------------------------------------------------------------------------- completions


def test_supplier_completion_counts_only_once_accepted(role_users, own_supplier, courses, client_as):
    record(own_supplier, "li.wei@example.com", courses["ESG-201"], clock.days_ago(30))
    supplier = client_as("supplier_user")
    response = completion(supplier)
    assert response.status_code == 302
    submission = TrainingSubmission.objects.get()
    assert (submission.person.person_ref, submission.state, submission.score) == (
        "li.wei@example.com", "submitted", Decimal("88"))
    assert submission.certificate.supplier_id == own_supplier.pk
    # Not yet counted: no ESG-101 record, the course shows as awaiting review.
    assert not TrainingRecord.objects.filter(course=courses["ESG-101"]).exists()
    status = selectors.training_status(own_supplier.pk, clock.today())
    assert [(c.course.code, c.status) for c in status.persons[0].missing] == [("ESG-101", "pending")]
    assert "awaiting review" in supplier.get("/suppliers/OWN-1/training/").content.decode()

    # The same completion cannot wait twice.
    again = completion(supplier)
    assert again.status_code == 400 and "already awaits review" in again.content.decode()

    response = client_as("procurement_analyst").post(f"/disclosure/submissions/training/{submission.pk}/accept/",
                                                      {"comment": ""})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.state == "accepted" and submission.reviewed_by == role_users["procurement_analyst"]
    stored = TrainingRecord.objects.get(course=courses["ESG-101"])
    assert (stored.completed_on, stored.score, stored.state) == (clock.days_ago(10), Decimal("88"), "accepted")
    status = selectors.training_status(own_supplier.pk, clock.today())
    assert status.persons[0].trained and status.raw == 100.0


def test_a_review_from_a_page_says_how_it_ended_and_returns_to_the_pages_next(role_users, own_supplier, courses,
                                                                              client_as):
    from django.contrib.messages import get_messages

    def said(response) -> str:  # the newest message (the others wait for a page to show them)
        return [str(message) for message in get_messages(response.wsgi_request)][-1]

    completion(client_as("supplier_user"))
    submission = TrainingSubmission.objects.get()
    analyst = client_as("procurement_analyst")
    url = f"/disclosure/submissions/training/{submission.pk}"
    unknown = analyst.post(f"{url}/maybe/", {"next": "https://evil.example/"})
    assert (unknown.status_code, unknown["Location"]) == (302, "/disclosure/submissions/")
    assert said(unknown) == "Choose accept or reject."
    refused = analyst.post(f"{url}/reject/", {"comment": " "})
    assert said(refused) == "Say why it is rejected so the supplier can correct it."
    accepted = analyst.post(f"{url}/accept/", {"next": "/suppliers/OWN-1/training/"})
    assert accepted["Location"] == "/suppliers/OWN-1/training/"
    assert said(accepted) == "Accepted the completion of ESG-101 by li.wei@example.com."
    submission.refresh_from_db()
    assert submission.state == "accepted"


def test_an_earlier_completion_never_replaces_a_later_one(role_users, own_supplier, courses):
    later = record(own_supplier, "p1", courses["ESG-101"], clock.days_ago(5))
    submission = services.training_completion_submit(
        supplier=own_supplier, person_ref="p1", course=courses["ESG-101"], completed_on=clock.days_ago(40),
        certificate=pdf(), actor=role_users["supplier_user"])
    services.training_submission_review(submission=submission, state="accepted", actor=role_users["procurement_admin"])
    later.refresh_from_db()
    assert later.completed_on == clock.days_ago(5)


def test_rejection_needs_a_comment_and_writes_no_record(role_users, own_supplier, courses, client_as):
    completion(client_as("supplier_user"))
    submission = TrainingSubmission.objects.get()
    analyst = client_as("procurement_analyst")
    analyst.post(f"/disclosure/submissions/training/{submission.pk}/reject/", {"comment": "  "})
    submission.refresh_from_db()
    assert submission.state == "submitted"
    analyst.post(f"/disclosure/submissions/training/{submission.pk}/reject/", {"comment": "Certificate unreadable"})
    submission.refresh_from_db()
    assert (submission.state, submission.review_comment) == ("rejected", "Certificate unreadable")
    assert not TrainingRecord.objects.exists()
    page = client_as("supplier_user").get("/suppliers/OWN-1/training/").content.decode()
    assert "Certificate unreadable" in page
    # A decided submission is not reviewed again.
    with pytest.raises(Exception, match="only submitted completions"):
        services.training_submission_review(submission=submission, state="accepted",
                                            actor=role_users["procurement_admin"])


def test_procurement_entry_is_accepted_at_once(role_users, own_supplier, courses):
    submission = services.training_completion_submit(
        supplier=own_supplier, person_ref="P-9", course=courses["ESG-201"], completed_on=clock.today(),
        certificate=pdf(), actor=role_users["procurement_analyst"])
    assert submission.state == "accepted"
    assert TrainingRecord.objects.get(person__person_ref="P-9").completed_on == clock.today()


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"completed_on": "FUTURE"}, "completed_on", "after today"),
    ({"completed_on": "1999-12-31"}, "completed_on", "before 2000"),
    ({"score": "100.01"}, "score", "100"),
    ({"course": "NOPE"}, "course", "valid choice"),
    ({"person_ref": "   "}, "person_ref", "required"),
    ({"certificate": SimpleUploadedFile("c.pdf", files.FAKE_PDF, content_type="application/pdf")}, "certificate",
     ""),
    ({"certificate": SimpleUploadedFile("c.html", files.HTML, content_type="text/html")}, "certificate", ""),
])
def test_bad_completion_is_refused_with_nothing_written(role_users, own_supplier, courses, client_as, fields, field,
                                                        message):
    if fields.get("completed_on") == "FUTURE":
        fields = {"completed_on": (clock.today() + dt.timedelta(days=1)).isoformat()}
    response = completion(client_as("supplier_user"), **fields)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not TrainingSubmission.objects.exists() and not TrainingPerson.objects.exists()
    assert not Document.objects.exists()


def test_service_refuses_a_missing_certificate_precisely(role_users, own_supplier, courses):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.training_completion_submit(supplier=own_supplier, person_ref="x", course=courses["ESG-101"],
                                            completed_on=clock.today(), certificate=None,
                                            actor=role_users["supplier_user"], score=Decimal("-1"))
    assert set(refused.value.message_dict) == {"certificate", "score"}
    assert not TrainingPerson.objects.exists()


# --------------------------------------------------------------------------- isolation


def test_person_references_stay_with_their_supplier(role_users, own_supplier, other_supplier, courses, client_as):
    record(own_supplier, "own.person@example.com", courses["ESG-101"], clock.today())
    theirs = record(other_supplier, "their.person@example.com", courses["ESG-101"], clock.today())
    submission = services.training_completion_submit(
        supplier=other_supplier, person_ref="their.other@example.com", course=courses["ESG-201"],
        completed_on=clock.today(), certificate=pdf(), actor=role_users["procurement_admin"])
    supplier = client_as("supplier_user")
    own_page = supplier.get("/suppliers/OWN-1/training/").content.decode()
    assert "own.person@example.com" in own_page and "their.person" not in own_page
    assert supplier.get("/suppliers/OTHER-1/training/").status_code == 404
    assert supplier.get("/suppliers/OTHER-1/emissions/").status_code == 404
    assert completion(supplier, code="OTHER-1").status_code == 404
    assert supplier.get("/disclosure/submissions/").status_code == 403
    assert supplier.post(f"/disclosure/submissions/training/{submission.pk}/accept/").status_code == 403
    # Procurement roles see both; a viewer reads but does not review.
    viewer = client_as("viewer")
    assert "their.person@example.com" in viewer.get("/suppliers/OTHER-1/training/").content.decode()
    assert viewer.post(f"/disclosure/submissions/training/{submission.pk}/accept/").status_code == 403
    assert theirs.person.person_ref == "their.person@example.com"


def test_only_the_supplier_exports_its_person_references(role_users, own_supplier, courses, client_as):
    record(own_supplier, "own.person@example.com", courses["ESG-101"], clock.today())
    response = client_as("supplier_user").get("/suppliers/OWN-1/training/?format=csv")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == "person_ref,is_esg_staff,active,trained,course_code,course_title,status,completed_on"
    assert lines[1] == f"own.person@example.com,true,true,false,ESG-101,RBA Code basics,valid,{clock.today()}"
    assert lines[2].endswith(",ESG-201,Forced labour,missing,")
    assert client_as("procurement_admin").get("/suppliers/OWN-1/training/?format=csv").status_code == 403


# --------------------------------------------------------------------------- inventories


def inventory(client, code="OWN-1", **fields):
    data = {"year": str(clock.today().year - 1), "scope1_tco2e": "120.5", "scope2_market_tco2e": "80",
            "scope2_location_tco2e": "", "scope3_tco2e": "", "revenue": "1000000", "revenue_currency": "cny",
            "source": "cdp", "evidence": pdf("cdp.pdf")}
    data.update(fields)
    return client.post(f"/suppliers/{code}/emissions/", data)


def test_supplier_inventory_counts_only_once_accepted(role_users, own_supplier, client_as):
    supplier = client_as("supplier_user")
    assert inventory(supplier).status_code == 302
    stored = EmissionInventory.objects.get()
    assert (stored.state, stored.revenue_currency, stored.scope1_tco2e, stored.source) == (
        "submitted", "CNY", Decimal("120.5"), "cdp")
    assert stored.evidence.supplier_id == own_supplier.pk
    assert not EmissionInventory.objects.filter(state="accepted").exists()
    # A resubmission replaces the waiting one.
    assert inventory(supplier, scope1_tco2e="121").status_code == 302
    assert EmissionInventory.objects.get().scope1_tco2e == Decimal("121")
    client_as("procurement_analyst").post(f"/disclosure/submissions/emissions/{stored.pk}/accept/", {"comment": ""})
    stored.refresh_from_db()
    assert stored.state == "accepted" and stored.reviewed_by == role_users["procurement_analyst"]
    # An accepted year is procurement's to correct.
    again = inventory(supplier, scope1_tco2e="1")
    assert again.status_code == 400 and "already has an accepted inventory" in again.content.decode()
    stored.refresh_from_db()
    assert stored.scope1_tco2e == Decimal("121")


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"scope2_market_tco2e": ""}, "scope2_market_tco2e", "at least one scope 2"),
    ({"revenue_currency": ""}, "revenue_currency", "needs its currency"),
    ({"revenue": "0"}, "revenue", "greater than 0"),
    ({"scope1_tco2e": "-1"}, "scope1_tco2e", "0"),
    ({"year": "1999"}, "year", "before 2000"),
    ({"year": "NEXT"}, "year", "after the current year"),
    ({"revenue_currency": "XXQ"}, "revenue_currency", ""),
    ({"evidence": SimpleUploadedFile("e.svg", files.SVG, content_type="image/svg+xml")}, "evidence", ""),
])
def test_bad_inventory_is_refused_with_nothing_written(role_users, own_supplier, client_as, fields, field, message):
    if fields.get("year") == "NEXT":
        fields = {"year": str(clock.today().year + 1)}
    response = inventory(client_as("supplier_user"), **fields)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not EmissionInventory.objects.exists() and not Document.objects.exists()


def test_inventory_rejection_keeps_the_reason(role_users, own_supplier, client_as):
    inventory(client_as("supplier_user"))
    stored = EmissionInventory.objects.get()
    client_as("procurement_admin").post(f"/disclosure/submissions/emissions/{stored.pk}/reject/",
                                        {"comment": "Scope 2 differs from the CDP response"})
    stored.refresh_from_db()
    assert (stored.state, stored.review_comment) == ("rejected", "Scope 2 differs from the CDP response")
    page = client_as("supplier_user").get("/suppliers/OWN-1/emissions/").content.decode()
    assert "Scope 2 differs from the CDP response" in page
    queue = client_as("viewer").get("/disclosure/submissions/")
    assert queue.status_code == 200


# --------------------------------------------------------------------------- Factory of Choice and the summary


def test_factory_of_choice_on_the_supplier_page_and_the_audit_cycle(role_users, own_supplier, make_site, client_as):
    from audits.models import SiteRecognition

    valid_site = make_site(own_supplier, "OWN-1-F1")
    expired_site = make_site(own_supplier, "OWN-1-F2")
    make_site(own_supplier, "OWN-1-F3")
    day = clock.today()
    SiteRecognition.objects.create(site=valid_site, program="rba_foc", awarded_on=day, expires_on=day)
    SiteRecognition.objects.create(site=expired_site, program="rba_foc", awarded_on=day - dt.timedelta(days=800),
                                   expires_on=day - dt.timedelta(days=1))
    page = client_as("supplier_user").get("/suppliers/OWN-1/").content.decode()
    assert f"FOC until {day.isoformat()}" in page  # valid on its last day
    assert f"FOC expired {(day - dt.timedelta(days=1)).isoformat()}" in page
    cycle = client_as("procurement_analyst").get("/audits/").content.decode()
    assert f"FOC until {day.isoformat()}" in cycle and "FOC expired" in cycle


def test_supplier_page_sums_up_training(role_users, own_supplier, courses, client_as):
    record(own_supplier, "a", courses["ESG-101"], clock.today())
    record(own_supplier, "a", courses["ESG-201"], clock.today())
    record(own_supplier, "b", courses["ESG-101"], clock.today())
    page = client_as("procurement_analyst").get("/suppliers/OWN-1/").content.decode()
    assert "1 of 2 ESG staff trained today." in page
    assert "1 person still needs a required course." in page
    assert "/suppliers/OWN-1/training/" in page


# --------------------------------------------------------------------------- the dashboard's emissions panel


def test_dashboard_emissions_panel_reads_the_stored_estimate(role_users, own_supplier, client_as,
                                                            django_assert_num_queries):
    from disclosure.models import EmissionsEstimate
    from portal.emissions_panel import emissions_panel

    quarter = str(clock.last_closed_quarter())
    EmissionsEstimate.objects.create(quarter=quarter, data={
        "quarter": quarter, "base_currency": "USD", "total_tco2e": 1234.5,
        "methods": {"supplier_specific": {"suppliers": 1, "spend_share": 0.949999, "tco2e": 1000.0},
                    "spend_based": {"suppliers": 1, "spend_share": 0.05, "tco2e": 234.5},
                    "not_estimated": {"suppliers": 1, "spend_share": 0.000001, "tco2e": None}},
        "suppliers": [{"supplier": "OWN-1", "method": "supplier_specific", "tco2e": 1000.0},
                      {"supplier": "NOPE-9", "method": "spend_based", "tco2e": 234.5},
                      {"supplier": "OTHER-1", "method": "not_estimated", "tco2e": None}]})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_assert_num_queries(2), CaptureQueriesContext(connection) as queries:
        panel = emissions_panel(quarter)
    # The stored head, never the document with a line per supplier.
    assert not any('"disclosure_emissionsestimate"."data"' in query["sql"] for query in queries.captured_queries)
    # Just below the ambition: missed (compared before rounding).
    assert panel["met"] is False and panel["supplier_specific_share"] == 0.949999
    assert [e["supplier"] for e in panel["emitters"]] == ["OWN-1", "NOPE-9"]
    assert panel["emitters"][0]["name"] == own_supplier.name
    assert emissions_panel(str(clock.last_closed_quarter().previous())) is None
    assert emissions_panel(None) is None


# --------------------------------------------------------------------------- the API


def test_training_submissions_api(role_users, own_supplier, other_supplier, courses, api_as):
    supplier = api_as("supplier_user")
    data = {"supplier_code": "OWN-1", "person_ref": "P-1", "course_code": "ESG-101",
            "completed_on": clock.days_ago(2).isoformat(), "certificate": pdf()}
    response = supplier.post("/api/v1/training-submissions/", data, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "submitted" and "certificate" not in body and body["certificate_document"]
    refused = supplier.post("/api/v1/training-submissions/", {**data, "supplier_code": "OTHER-1",
                                                              "certificate": pdf()}, format="multipart")
    unknown = supplier.post("/api/v1/training-submissions/", {**data, "supplier_code": "NOPE-9",
                                                              "certificate": pdf()}, format="multipart")
    # Another supplier's code is refused as an unknown one: a supplier user learns nothing of it.
    assert refused.status_code == unknown.status_code == 400
    assert refused.json()["supplier_code"] == [message.replace("NOPE-9", "OTHER-1")
                                               for message in unknown.json()["supplier_code"]]
    assert not TrainingSubmission.objects.filter(person__supplier__code="OTHER-1").exists()
    bad = supplier.post("/api/v1/training-submissions/", {**data, "person_ref": "P-2", "completed_on": "1999-01-01",
                                                          "certificate": pdf()}, format="multipart")
    assert bad.status_code == 400 and "completed_on" in bad.json()
    theirs = services.training_completion_submit(
        supplier=other_supplier, person_ref="X-1", course=courses["ESG-101"], completed_on=clock.today(),
        certificate=pdf(), actor=role_users["procurement_admin"])
    assert [row["person_ref"] for row in supplier.get("/api/v1/training-submissions/").json()["results"]] == ["P-1"]
    assert supplier.get(f"/api/v1/training-submissions/{theirs.pk}/").status_code == 404
    pk = body["id"]
    assert supplier.post(f"/api/v1/training-submissions/{pk}/accept/", {}, format="json").status_code == 403
    assert api_as("viewer").post(f"/api/v1/training-submissions/{pk}/accept/", {}, format="json").status_code == 403
    analyst = api_as("procurement_analyst")
    no_reason = analyst.post(f"/api/v1/training-submissions/{pk}/reject/", {}, format="json")
    assert no_reason.status_code == 400 and "comment" in no_reason.json()
    accepted = analyst.post(f"/api/v1/training-submissions/{pk}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    assert TrainingRecord.objects.get(person__person_ref="P-1").completed_on == clock.days_ago(2)


def test_inventory_review_api(role_users, own_supplier, client_as, api_as):
    inventory(client_as("supplier_user"))
    stored = EmissionInventory.objects.get()
    assert api_as("supplier_user").post(f"/api/v1/emissions/{stored.pk}/accept/", {}, format="json").status_code \
        == 403
    response = api_as("procurement_admin").post(f"/api/v1/emissions/{stored.pk}/reject/",
                                                {"comment": "No evidence of scope 2"}, format="json")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["review_comment"]) == ("rejected", "No evidence of scope 2")
    again = api_as("procurement_admin").post(f"/api/v1/emissions/{stored.pk}/accept/", {}, format="json")
    assert again.status_code == 400 and "only submitted inventories" in str(again.json())
