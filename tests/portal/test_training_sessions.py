"""Webinars and sessions (issue #14): sessions and attendance imported or ticked in the
portal, and the yearly count of trained suppliers and attendees, computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from core.importing import ImportFailed
from disclosure import sessions
from disclosure.models import Course, SessionAttendance, TrainingPerson, TrainingRecord, TrainingSession
from tests import clock

SESSIONS = "session_code,held_on,topic,course_code\n"
ATTENDANCE = "session_code,supplier_code,person_ref\n"


def run(importer_class, text):
    return importer_class(actor="test").run(text.encode("utf-8"))


def errors_of(importer_class, text):
    with pytest.raises(ImportFailed) as failure:
        run(importer_class, text)
    return [str(error) for error in failure.value.errors]


@pytest.fixture
def course(db):
    return Course.objects.create(code="ESG-101", title="RBA Code basics", title_zh="RBA 行为准则基础")


def test_sessions_import_and_refusals(course):
    result = run(sessions.TrainingSessionImporter, SESSIONS + f"W-1,{clock.days_ago(3)},Forced labour,ESG-101\n"
                                                              f"W-2,{clock.today() + dt.timedelta(days=30)},Planned,\n")
    assert result.created == 2
    assert TrainingSession.objects.get(code="W-1").course == course
    assert TrainingSession.objects.get(code="W-2").course is None  # planned sessions may lie ahead
    errors = errors_of(sessions.TrainingSessionImporter,
                       SESSIONS + "W-3,1999-12-31,Old,\nW-4,2025-01-01,,\nW-5,2025-01-01,X,NOPE\n")
    assert len(errors) == 3
    assert errors[0] == "row 2, column held_on: the session date 1999-12-31 is before 2000-01-01"
    assert errors[1].startswith("row 3, column topic:")
    assert errors[2] == "row 4, column course_code: unknown course code 'NOPE'"
    assert not TrainingSession.objects.filter(code__in=["W-3", "W-4", "W-5"]).exists()


def test_attendance_import_adds_persons_and_refuses_precisely(own_supplier, other_supplier, course):
    TrainingSession.objects.create(code="W-1", held_on=clock.days_ago(3), topic="Forced labour", course=course)
    TrainingSession.objects.create(code="W-9", held_on=clock.today() + dt.timedelta(days=1), topic="Planned")
    TrainingPerson.objects.create(supplier=own_supplier, person_ref="E-1", is_esg_staff=False)
    result = run(sessions.SessionAttendanceImporter,
                 ATTENDANCE + "W-1,OWN-1,E-1\nW-1,OWN-1, Li.Wei@Example.com \nW-1,OTHER-1,E-1\n")
    assert result.created == 3
    refs = sorted(SessionAttendance.objects.values_list("person__supplier__code", "person__person_ref"))
    assert refs == [("OTHER-1", "E-1"), ("OWN-1", "E-1"), ("OWN-1", "li.wei@example.com")]
    assert TrainingPerson.objects.get(supplier=own_supplier, person_ref="E-1").is_esg_staff is False  # kept
    assert run(sessions.SessionAttendanceImporter, ATTENDANCE + "W-1,OWN-1,E-1\n").unchanged == 1
    errors = errors_of(sessions.SessionAttendanceImporter,
                       ATTENDANCE + "W-2,OWN-1,E-2\nW-9,OWN-1,E-2\nW-1,NOPE,E-2\nW-1,OWN-1,\n")
    assert any(e.startswith("row 2, column session_code: unknown session code 'W-2'") for e in errors)
    assert any(e.startswith("row 3, column session_code: session W-9 is held on") for e in errors)
    assert any(e.startswith("row 4, column supplier_code: unknown supplier code 'NOPE'") for e in errors)
    assert any(e.startswith("row 5, column person_ref") for e in errors)
    assert not TrainingPerson.objects.filter(person_ref="E-2").exists()
    assert SessionAttendance.objects.count() == 3


def test_yearly_report_by_hand(own_supplier, other_supplier, make_supplier, course):
    third = make_supplier("THIRD-1")
    s2025a = TrainingSession.objects.create(code="A", held_on=dt.date(2025, 1, 1), topic="a")
    s2025b = TrainingSession.objects.create(code="B", held_on=dt.date(2025, 12, 31), topic="b")
    TrainingSession.objects.create(code="C", held_on=dt.date(2026, 1, 1), topic="c")
    p1 = TrainingPerson.objects.create(supplier=own_supplier, person_ref="p1")
    p2 = TrainingPerson.objects.create(supplier=own_supplier, person_ref="p2")
    q1 = TrainingPerson.objects.create(supplier=other_supplier, person_ref="q1")
    t1 = TrainingPerson.objects.create(supplier=third, person_ref="t1")
    for session, person in ((s2025a, p1), (s2025b, p1), (s2025b, p2), (s2025b, q1)):
        SessionAttendance.objects.create(session=session, person=person)
    # Completions: t1 in 2025 (third supplier trained without a session), p1 in 2026; one
    # submitted-only record and an enrolment do not count.
    TrainingRecord.objects.create(person=t1, course=course, completed_on=dt.date(2025, 6, 30))
    TrainingRecord.objects.create(person=p1, course=course, completed_on=dt.date(2026, 1, 2))
    other_course = Course.objects.create(code="ESG-2", title="Two")
    TrainingRecord.objects.create(person=q1, course=other_course, completed_on=dt.date(2026, 3, 3), state="submitted")
    TrainingRecord.objects.create(person=p2, course=other_course, completed_on=None)
    report = sessions.yearly_report()
    assert report == [
        {"year": 2026, "sessions": 1, "attendances": 0, "attendees": 0, "suppliers_attending": 0,
         "persons_completed": 1, "suppliers_completed": 1, "suppliers_trained": 1},
        {"year": 2025, "sessions": 2, "attendances": 4, "attendees": 3, "suppliers_attending": 2,
         "persons_completed": 1, "suppliers_completed": 1, "suppliers_trained": 3},
    ]


def test_ticking_attendance_in_the_portal(role_users, own_supplier, other_supplier, course, client_as):
    session = TrainingSession.objects.create(code="W-1", held_on=clock.days_ago(1), topic="Forced labour")
    mine = TrainingPerson.objects.create(supplier=own_supplier, person_ref="E-1")
    theirs = TrainingPerson.objects.create(supplier=other_supplier, person_ref="X-1")
    analyst = client_as("procurement_analyst")
    page = analyst.get("/training/sessions/W-1/?supplier=OWN-1")
    assert page.status_code == 200 and "E-1" in page.content.decode()
    response = analyst.post("/training/sessions/W-1/?supplier=OWN-1",
                            {"attended": [str(mine.pk)], "new_refs": "E-2\n\n  new@Example.com\n"})
    assert response.status_code == 302
    assert sorted(session.attendances.values_list("person__person_ref", flat=True)) == ["E-1", "E-2",
                                                                                        "new@example.com"]
    # Unticking removes; another supplier's person cannot be ticked here.
    analyst.post("/training/sessions/W-1/?supplier=OWN-1", {"attended": [str(mine.pk)]})
    assert list(session.attendances.values_list("person__person_ref", flat=True)) == ["E-1"]
    refused = analyst.post("/training/sessions/W-1/?supplier=OWN-1", {"attended": [str(theirs.pk)]})
    assert refused.status_code == 400 and "Only persons of this supplier" in refused.content.decode()
    assert list(session.attendances.values_list("person__person_ref", flat=True)) == ["E-1"]
    # Procurement only: a supplier user never sees sessions and their attendees; a viewer reads.
    assert client_as("supplier_user").get("/training/sessions/W-1/").status_code == 403
    assert client_as("supplier_user").get("/training/report/").status_code == 403
    assert client_as("viewer").get("/training/sessions/W-1/").status_code == 200
    assert client_as("viewer").post("/training/sessions/W-1/?supplier=OWN-1", {}).status_code == 403


def test_adding_a_session_in_the_portal(role_users, course, client_as):
    analyst = client_as("procurement_analyst")
    response = analyst.post("/training/sessions/", {"code": "W-7", "held_on": clock.today().isoformat(),
                                                    "topic": "Working hours", "course": "ESG-101"})
    assert response.status_code == 302
    assert TrainingSession.objects.get(code="W-7").course == course
    again = analyst.post("/training/sessions/", {"code": "W-7", "held_on": "1999-01-01", "topic": "x"})
    assert again.status_code == 400
    errors = again.context["form"].errors
    assert "exists" in errors["code"][0] and "before 2000" in errors["held_on"][0]
    assert TrainingSession.objects.count() == 1
    future = TrainingSession.objects.create(code="W-8", held_on=clock.today() + dt.timedelta(days=2), topic="x")
    page = analyst.get(f"/training/sessions/{future.code}/").content.decode()
    assert "after today" in page


def test_report_api_and_page(role_users, own_supplier, course, api_as, client_as):
    session = TrainingSession.objects.create(code="W-1", held_on=clock.today(), topic="x")
    SessionAttendance.objects.create(session=session,
                                     person=TrainingPerson.objects.create(supplier=own_supplier, person_ref="p"))
    body = api_as("viewer").get("/api/v1/training-report/").json()
    year = clock.today().year
    assert body["years"][0]["year"] == year and body["years"][0]["attendees"] == 1
    assert "p" not in str(body["years"][0].values()).split("'")
    assert api_as("viewer").get(f"/api/v1/training-report/?year={year - 1}").json() == {"years": []}
    assert api_as("viewer").get("/api/v1/training-report/?year=20x5").status_code == 400
    assert api_as("supplier_user").get("/api/v1/training-report/").status_code == 403
    assert "Suppliers trained" in client_as("viewer").get("/training/report/").content.decode()
