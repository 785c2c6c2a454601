"""Training records (scorecard.md section 9, contract.md "Additions"): import_courses,
import_training_records, the API, and ESG-04 from the source training computed by hand.

D = 2026-09-30 (2026-Q3). A course valid 6 months accepts completions after 2026-03-30
(2026-09-30 − 6 months): 2026-03-30 is too old, 2026-03-31 counts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pandas as pd
import pytest
import time_machine
from django.core.management import call_command

from core.importing import ImportFailed
from disclosure.models import Course, TrainingPerson, TrainingRecord
from disclosure.training import CourseImporter, TrainingRecordImporter
from scoring.inputs import TRAINING_COURSE_COLUMNS, TRAINING_PERSON_COLUMNS, TRAINING_RECORD_COLUMNS
from scoring.methodology import V1
from tests.history import changes
from tests.scoring.test_engine import Case

TODAY = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
COURSES = "course_code,title,title_zh,required,valid_months\n"
RECORDS = "supplier_code,person_ref,is_esg_staff,active,course_code,completed_on,score\n"
TRAINING_V1 = dataclasses.replace(V1, indicators=tuple(
    dataclasses.replace(spec, source="training") if spec.code == "ESG-04" else spec for spec in V1.indicators))


def run(importer_class, text, **kwargs):
    return importer_class(actor="test").run(text.encode("utf-8"), **kwargs)


def errors_of(importer_class, text):
    with pytest.raises(ImportFailed) as failure:
        run(importer_class, text)
    return [str(error) for error in failure.value.errors]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


# ------------------------------------------------------------------------- the computation


class TrainingCase(Case):
    def __init__(self):
        super().__init__()
        self.persons, self.courses, self.records = [], [], []

    def course(self, required=True, valid_months=None):
        course_id = len(self.courses) + 1
        self.courses.append({"course_id": course_id, "required": required,
                             "valid_months": float("nan") if valid_months is None else float(valid_months)})
        return course_id

    def person(self, code, staff=True, active=True, completions=()):
        person_id = 100 + len(self.persons)
        self.persons.append({"person_id": person_id, "supplier_id": self.id(code), "is_esg_staff": staff,
                             "active": active})
        for course_id, day in completions:
            self.records.append({"person_id": person_id, "course_id": course_id, "completed_on": day})

    def inputs(self):
        def frame(rows, columns, types):
            result = pd.DataFrame(rows, columns=columns)
            return result.astype(types) if rows else result

        return dataclasses.replace(
            super().inputs(),
            training_persons=frame(self.persons, TRAINING_PERSON_COLUMNS,
                                   {"person_id": "int64", "supplier_id": "int64"}),
            training_courses=frame(self.courses, TRAINING_COURSE_COLUMNS, {"course_id": "int64"}),
            training_records=frame(self.records, TRAINING_RECORD_COLUMNS,
                                   {"person_id": "int64", "course_id": "int64", "completed_on": "datetime64[ns]"}),
        )


def esg04(result):
    points = result.points[result.points["indicator_code"] == "ESG-04"]
    codes = dict(zip(result.scores["supplier_id"], result.scores["supplier_code"], strict=True))
    return {codes[r.supplier_id]: (r.raw, r.status, r.source) for r in points.itertuples()}


def test_esg04_from_training_at_every_boundary():
    case = TrainingCase()
    six = case.course(valid_months=6)
    forever = case.course()
    optional = case.course(required=False, valid_months=1)
    # A: 4 staff. p1 completion exactly 6 months before D (too old); p2 the day after (valid);
    # p3 completed the forever course only; p4 completed on D itself. A non-ESG person and an
    # inactive ESG person do not count. → trained p2, p4 of 4 = 50.
    case.supplier("A", "100")
    case.value("A", "ESG-04", "100")  # ignored: no fallback to indicator values
    case.person("A", completions=[(six, dt.date(2026, 3, 30)), (forever, dt.date(2020, 1, 1))])
    case.person("A", completions=[(six, dt.date(2026, 3, 31)), (forever, dt.date(2020, 1, 1))])
    case.person("A", completions=[(forever, dt.date(2026, 1, 1)), (optional, dt.date(2026, 9, 1))])
    case.person("A", completions=[(six, dt.date(2026, 9, 30)), (forever, dt.date(2026, 9, 30))])
    case.person("A", staff=False, completions=[(six, dt.date(2026, 9, 1)), (forever, dt.date(2026, 9, 1))])
    case.person("A", active=False, completions=[(six, dt.date(2026, 9, 1)), (forever, dt.date(2026, 9, 1))])
    # B: one staff member completed after D and one only enrolled (no date) → 0.
    case.supplier("B", "90")
    case.person("B", completions=[(six, dt.date(2026, 10, 1)), (forever, dt.date(2026, 1, 1))])
    case.person("B", completions=[(six, None), (forever, None)])
    # C: persons, none of them ESG staff and active → missing; E: no records at all → missing.
    case.supplier("C", "80")
    case.person("C", staff=False, completions=[(six, dt.date(2026, 9, 1))])
    case.supplier("E", "70")
    result = case.run(TRAINING_V1)
    values = esg04(result)
    assert values["A"] == (50.0, "value", "training")
    assert values["B"] == (0.0, "value", "training")
    assert values["C"][1:] == ("missing", "training")
    assert values["E"][1:] == ("missing", "training")
    a_points = result.points[(result.points["indicator_code"] == "ESG-04")]["points"].iloc[0]
    assert a_points == 50.0


def test_no_required_course_gives_missing():
    case = TrainingCase()
    optional = case.course(required=False)
    case.supplier("A", "10")
    case.person("A", completions=[(optional, dt.date(2026, 1, 1))])
    assert esg04(case.run(TRAINING_V1))["A"][1] == "missing"


# ------------------------------------------------------------------------------ imports


@pytest.mark.django_db
def test_import_courses_with_defaults_and_errors():
    result = run(CourseImporter, COURSES + "ESG-101,Code of conduct,行为准则,,\nESG-102,Carbon basics,,no,12\n")
    assert result.created == 2
    first, second = Course.objects.order_by("code")
    assert (first.title_zh, first.required, first.valid_months) == ("行为准则", True, None)
    assert (second.required, second.valid_months) == (False, 12)
    errors = errors_of(CourseImporter, COURSES + "ESG-103,X,,maybe,0\n")
    assert len(errors) == 2
    assert errors[0].startswith("row 2, column required: ")
    assert errors[1] == "row 2, column valid_months: '0' is not a whole number of months of at least 1"
    assert Course.objects.count() == 2


@pytest.mark.django_db
def test_import_training_records_persons_and_refusals(make_supplier):
    make_supplier("S-1")
    make_supplier("S-2")
    run(CourseImporter, COURSES + "ESG-101,Code of conduct,,,\nESG-102,Carbon,,,24\n")
    text = RECORDS + ("S-1,  Li.Wei@Example.COM ,yes,yes,ESG-101,2026-05-01,88\n"
                      "S-1,li.wei@example.com,,,ESG-102,,\n"
                      "S-1,E-0042,no,yes,ESG-101,2026-11-30,\n"
                      "S-2,E-0042,,,ESG-101,,\n")
    result = run(TrainingRecordImporter, text)
    assert result.created == 4
    persons = {(p.supplier.code, p.person_ref): (p.is_esg_staff, p.active) for p in TrainingPerson.objects.all()}
    assert persons == {("S-1", "li.wei@example.com"): (True, True), ("S-1", "E-0042"): (False, True),
                       ("S-2", "E-0042"): (True, True)}
    enrolled = TrainingRecord.objects.get(person__person_ref="li.wei@example.com", course__code="ESG-102")
    assert enrolled.completed_on is None and enrolled.state == "accepted"
    # The latest import sets the person's flags; an empty completion keeps a stored date.
    run(TrainingRecordImporter, RECORDS + "S-1,LI.WEI@example.com,yes,no,ESG-101,,\n")
    person = TrainingPerson.objects.get(person_ref="li.wei@example.com")
    assert (person.is_esg_staff, person.active) == (True, False)
    assert TrainingRecord.objects.get(person=person, course__code="ESG-101").completed_on == dt.date(2026, 5, 1)
    assert changes(TrainingRecord)  # every write is in the history (procurement-only, docs/security.md)

    bad = RECORDS + ("S-1,E-1,yes,yes,ESG-101,2026-01-01,\n"
                     "S-1, E-1 ,no,yes,ESG-102,2026-01-01,\n"
                     "S-1,a@b.c,,,ESG-101,,\n"
                     "S-1,A@B.C,,,ESG-101,,\n"
                     "S-9,E-2,,,ESG-101,,\n"
                     "S-1,E-3,,,NOPE,,\n"
                     "S-1,E-4,,,ESG-101,2026-12-01,\n"
                     "S-1,E-5,,,ESG-101,1999-12-31,101\n")
    errors = "\n".join(errors_of(TrainingRecordImporter, bad))
    assert "row 3, column is_esg_staff: person 'E-1' has is_esg_staff true in row 2" in errors
    assert "row 5, column course_code: duplicate of row 4" in errors
    assert "row 6, column supplier_code" in errors
    assert "row 7, column course_code: unknown course code 'NOPE'" in errors
    assert "row 8, column completed_on: the completion date 2026-12-01 is after today (2026-11-30)" in errors
    assert "row 9, column completed_on: the completion date 1999-12-31 is before 2000-01-01" in errors
    assert "row 9, column score" in errors
    assert TrainingRecord.objects.count() == 4


@pytest.mark.django_db
def test_commands_import_courses_and_records(make_supplier, tmp_path):
    make_supplier("S-1")
    courses = tmp_path / "courses.csv"
    courses.write_text(COURSES + "ESG-101,Code of conduct,,,\n", encoding="utf-8")
    records = tmp_path / "records.csv"
    records.write_text(RECORDS + "S-1,E-1,,,ESG-101,2026-01-01,\n", encoding="utf-8")
    call_command("import_courses", str(courses), stdout=io.StringIO())
    call_command("import_training_records", str(records), "--dry-run", stdout=io.StringIO())
    assert TrainingRecord.objects.count() == 0 and TrainingPerson.objects.count() == 0
    call_command("import_training_records", str(records), stdout=io.StringIO())
    assert TrainingRecord.objects.count() == 1


# ------------------------------------------------------------------------------ API


@pytest.fixture
def records(own_supplier, other_supplier):
    course = Course.objects.create(code="ESG-101", title="Code of conduct")
    own = TrainingRecord.objects.create(person=TrainingPerson.objects.create(supplier=own_supplier, person_ref="E-1"),
                                        course=course, completed_on=dt.date(2026, 1, 1))
    other = TrainingRecord.objects.create(
        person=TrainingPerson.objects.create(supplier=other_supplier, person_ref="secret@other.example"),
        course=course)
    return own, other


@pytest.mark.django_db
def test_supplier_user_reads_its_own_training_records_only(records, api_as):
    own, other = records
    client = api_as("supplier_user")
    rows = client.get("/api/v1/training-records/").json()["results"]
    assert [(r["supplier_code"], r["person_ref"]) for r in rows] == [("OWN-1", "E-1")]
    assert "secret@other.example" not in str(client.get("/api/v1/training-records/").content)
    assert client.get(f"/api/v1/training-records/{other.pk}/").status_code == 404
    assert client.post("/api/v1/training-records/", {"supplier_code": "OWN-1", "person_ref": "E-2",
                                                     "course_code": "ESG-101"}, format="json").status_code == 403
    assert client.get("/api/v1/courses/").status_code == 200


@pytest.mark.django_db
def test_procurement_reads_all_and_writes(records, api_as):
    client = api_as("procurement_analyst")
    assert len(client.get("/api/v1/training-records/").json()["results"]) == 2
    created = client.post("/api/v1/training-records/", {"supplier_code": "OWN-1", "person_ref": " Ann@X.example ",
                                                        "is_esg_staff": False, "course_code": "ESG-101",
                                                        "completed_on": "2026-11-01"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["person_ref"] == "ann@x.example"
    assert TrainingPerson.objects.get(person_ref="ann@x.example").is_esg_staff is False
    future = client.post("/api/v1/training-records/", {"supplier_code": "OWN-1", "person_ref": "E-9",
                                                       "course_code": "ESG-101", "completed_on": "2026-12-01"},
                         format="json")
    assert future.status_code == 400 and "completed_on" in future.json()
    course = client.post("/api/v1/courses/", {"code": "ESG-200", "title": "Carbon", "valid_months": 0}, format="json")
    assert course.status_code == 400 and "valid_months" in course.json()


def test_a_person_without_any_record_is_not_counted():
    case = TrainingCase()
    course = case.course()
    case.supplier("A", "10")
    case.person("A", completions=[(course, dt.date(2026, 1, 1))])
    case.person("A")  # no record left (e.g. deleted): not one of the supplier's persons
    assert esg04(case.run(TRAINING_V1))["A"][:2] == (100.0, "value")
