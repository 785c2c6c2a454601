"""The disclosure admin pages: visible to administrators, read-only with history (the
records change through their services: imports, the portal's submissions and reviews)."""

import datetime as dt

import pytest
from django.urls import reverse

from disclosure.models import (
    Course,
    EmissionInventory,
    MineralsReport,
    Smelter,
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
    Smelter.objects.create(smelter_id="CID000001", metal="tin", name="Alpha Tin", status="conformant",
                           as_of=dt.date(2026, 1, 1))
    MineralsReport.objects.create(supplier=own_supplier, template="cmrt", version="6.5",
                                  declaration_date=dt.date(2026, 3, 1))
    return course


@pytest.mark.parametrize("model", [Course, TrainingPerson, TrainingRecord, TrainingSession, EmissionInventory,
                                   Smelter, MineralsReport])
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


@pytest.mark.parametrize("model", [Smelter, MineralsReport])
def test_admin_cannot_delete_or_change_the_minerals_records(admin_client, records, model):
    opts = model._meta
    obj = model.objects.get()
    delete = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    bulk = admin_client.post(changelist, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client.post(change, {"name": "Changed", "version": "9.9"}).status_code == 403
    stored = model.objects.get(pk=obj.pk)
    assert {f.attname: getattr(stored, f.attname) for f in opts.concrete_fields} == \
        {f.attname: getattr(obj, f.attname) for f in opts.concrete_fields}
