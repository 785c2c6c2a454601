"""The disclosure admin pages: visible to administrators, read-only with history (the
records change through their services: imports, the portal's submissions and reviews)."""

import datetime as dt

import pytest
from django.urls import reverse

from disclosure.models import (
    Course,
    EmissionInventory,
    TrainingPerson,
    TrainingRecord,
    TrainingSession,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(own_supplier):
    course = Course.objects.create(code="RBA-101", title="RBA Code of Conduct basics")
    person = TrainingPerson.objects.create(supplier=own_supplier, person_ref="staff-1")
    TrainingRecord.objects.create(person=person, course=course, completed_on=dt.date(2026, 3, 1))
    TrainingSession.objects.create(code="S-1", held_on=dt.date(2026, 3, 1), topic="Working hours", course=course)
    EmissionInventory.objects.create(supplier=own_supplier, year=2025, scope1_tco2e=10)
    return course


@pytest.mark.parametrize("model", [Course, TrainingPerson, TrainingRecord, TrainingSession, EmissionInventory])
def test_admin_shows_the_records_read_only_with_their_history(admin_client, records, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    page = admin_client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # no save button: nothing changes by hand
    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])).status_code \
        == 200
    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403


def test_admin_cannot_change_an_inventory_by_hand(admin_client, records):
    inventory = EmissionInventory.objects.get()
    url = reverse("admin:disclosure_emissioninventory_change", args=[inventory.pk])
    response = admin_client.post(url, {"supplier": inventory.supplier_id, "year": 2025, "scope1_tco2e": "999"})
    assert response.status_code == 403
    inventory.refresh_from_db()
    assert inventory.scope1_tco2e == 10
