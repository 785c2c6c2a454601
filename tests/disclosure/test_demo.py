"""seed_demo fills disclosure data: factors with a default, two years of inventories for
larger suppliers, site provinces and addresses; the list and the estimate run on it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from core.quarter import Quarter
from disclosure.models import EmissionFactor, EmissionInventory
from disclosure.selectors import emissions_estimate, supplier_list
from suppliers.models import Site

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False)
def test_seed_demo_fills_disclosure_data():
    call_command("seed_demo", "--suppliers", "40", "--seed", "5", "--no-scores", stdout=io.StringIO())
    assert EmissionFactor.objects.filter(commodity="*").exists()
    years = sorted(set(EmissionInventory.objects.values_list("year", flat=True)))
    assert years == [2024, 2025]  # the demo's last quarter is 2026-Q3: Y may be 2024 or 2025
    assert Site.objects.exclude(address="").count() == Site.objects.count()
    assert Site.objects.exclude(province="").exists()
    quarter = Quarter.parse("2026-Q3")
    report = emissions_estimate(quarter)
    assert report["methods"]["supplier_specific"]["suppliers"] > 0
    assert report["methods"]["not_estimated"]["suppliers"] == 0  # the default factor covers everyone
    assert len(supplier_list(quarter)) > 0


@time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False)
def test_seed_demo_fills_training_data():
    from disclosure.models import Course, SessionAttendance, TrainingPerson, TrainingSession
    from disclosure.selectors import training_status

    call_command("seed_demo", "--suppliers", "40", "--seed", "5", "--no-scores", stdout=io.StringIO())
    courses = list(Course.objects.all())
    assert len(courses) >= 4 and all(course.title and course.title_zh for course in courses)
    assert {course.required for course in courses} == {True, False}
    day = dt.date(2026, 11, 30)
    supplier_ids = set(TrainingPerson.objects.values_list("supplier_id", flat=True))
    assert len(supplier_ids) >= 20  # most suppliers have persons
    staff = trained = 0
    for supplier_id in supplier_ids:
        status = training_status(supplier_id, day)
        staff, trained = staff + status.staff, trained + status.trained
    assert 0.2 <= trained / staff <= 0.5  # about a third of the staff trained
    assert TrainingSession.objects.count() == 8
    assert SessionAttendance.objects.count() > 0
    assert not TrainingSession.objects.filter(held_on__gt=day).exists()
