"""History no path can skip (core/history.py): every door records who, when, what and the
channel; the changes API shows it to procurement only; imports record in bulk; the former
change log is carried over."""

import datetime as dt
from decimal import Decimal

import pytest
from celery import shared_task
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.models import DeadlineRule
from core import roles
from core.history import history_context, record_bulk_history
from suppliers.importers import SpendImporter
from suppliers.models import FxRate, Site, SpendRecord, Supplier
from tests.history import changes


@shared_task(name="tests.core.set_fx_rate")
def set_fx_rate(quarter: str, rate: str) -> None:
    FxRate.objects.create(quarter=quarter, currency="EUR", rate_to_base=Decimal(rate))


def test_an_admin_edit_is_recorded_with_the_user_and_the_admin_channel(role_users):
    admin = role_users["procurement_admin"]
    admin.is_staff = True
    admin.save()
    client = Client()
    client.force_login(admin)
    rule = DeadlineRule.objects.get(severity="minor")
    response = client.post(f"/admin/audits/deadlinerule/{rule.pk}/change/", {
        "cap_days": "21", "cap_clock": rule.cap_clock, "correction_days": str(rule.correction_days),
        "correction_days_health_safety": "", "overall_limit_months": str(rule.overall_limit_months)})
    assert response.status_code == 302
    assert DeadlineRule.objects.get(pk=rule.pk).cap_days == 21
    entry = changes(DeadlineRule, "minor")[-1]
    assert (entry["action"], entry["user"], entry["channel"]) == ("updated", "procurement_admin", "admin")
    # Seeded before history existed: the first recorded row is a full snapshot.
    assert entry["changes"]["cap_days"] == [None, 21]


def test_api_writes_name_the_token_user_and_the_api_channel(api_as, own_supplier):
    response = api_as(roles.PROCUREMENT_ANALYST).patch(f"/api/v1/suppliers/{own_supplier.pk}/",
                                                       {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    entry = changes(Supplier, "OWN-1")[-1]
    assert (entry["user"], entry["channel"], entry["changes"]["name"][1]) == (
        "procurement_analyst", "api", "Renamed")


def test_a_task_records_its_name_as_the_channel(db):
    set_fx_rate.delay("2026-Q3", "1.08")
    [entry] = changes(FxRate)
    assert (entry["action"], entry["channel"], entry["user"]) == ("created", "task:tests.core.set_fx_rate", None)


def test_bulk_history_records_complete_rows_in_one_insert_per_batch(own_supplier, role_users):
    rows = SpendRecord.objects.bulk_create([SpendRecord(supplier=own_supplier, quarter=f"2025-Q{q}", currency="USD",
                                                        amount=Decimal(q)) for q in range(1, 5)])
    with history_context(channel="import:spend.csv", user=role_users["procurement_analyst"], reason="import_spend"), \
            CaptureQueriesContext(connection) as queries:
        assert record_bulk_history(SpendRecord, rows) == 4
    assert len([q for q in queries.captured_queries if q["sql"].startswith("INSERT")]) == 1
    recorded = changes(SpendRecord)
    assert {(r["channel"], r["user"], r["reason"], r["action"]) for r in recorded} == {
        ("import:spend.csv", "procurement_analyst", "import_spend", "created")}
    assert sorted(r["changes"]["amount"][1] for r in recorded) == ["1.0000", "2.0000", "3.0000", "4.0000"]


def test_a_spend_import_records_each_row_with_old_and_new_amounts(own_supplier, role_users):
    header = "supplier_code,quarter,amount,currency\n"
    SpendImporter(actor=role_users["procurement_analyst"]).run((header + "OWN-1,2026-Q1,100,USD\n").encode(),
                                                               filename="q1.csv")
    SpendImporter(actor=role_users["procurement_analyst"]).run((header + "OWN-1,2026-Q1,120,USD\n").encode(),
                                                               filename="q1-fixed.csv")
    created, updated = changes(SpendRecord)
    assert (created["action"], created["channel"]) == ("created", "import:q1.csv")
    assert (updated["action"], updated["channel"], updated["changes"]) == (
        "updated", "import:q1-fixed.csv", {"amount": ["100.0000", "120.0000"]})
    assert updated["user"] == "procurement_analyst"


# --------------------------------------------------------------------------- the changes API


@pytest.fixture
def edited_site(api_as, own_supplier, make_site):
    site = make_site(own_supplier, "OWN-1-F1")
    assert api_as(roles.PROCUREMENT_ANALYST).patch(f"/api/v1/sites/{site.pk}/", {"city": "东莞"},
                                                   format="json").status_code == 200
    return site


@pytest.mark.parametrize("role", [roles.PROCUREMENT_ADMIN, roles.PROCUREMENT_ANALYST, roles.VIEWER])
def test_procurement_reads_the_changes_of_an_object_by_natural_key_or_id(api_as, edited_site, role):
    client = api_as(role)
    by_code = client.get("/api/v1/changes/?entity=site&object=OWN-1-F1")
    assert by_code.status_code == 200
    body = by_code.json()
    assert body["count"] == 2
    assert [row["action"] for row in body["results"]] == ["updated", "created"]
    assert body["results"][0]["changes"] == {"city": ["", "东莞"]}
    assert body["results"][0]["user"] == "procurement_analyst" and body["results"][0]["channel"] == "api"
    assert client.get(f"/api/v1/changes/?entity=site&object={edited_site.pk}").json()["count"] == 2


def test_changes_since_a_moment(api_as, edited_site):
    client = api_as(roles.VIEWER)
    later = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    assert client.get("/api/v1/changes/", {"entity": "site", "since": later}).json()["count"] == 0
    earlier = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    assert client.get("/api/v1/changes/", {"entity": "site", "since": earlier}).json()["count"] == 2
    bad = client.get("/api/v1/changes/?entity=site&since=yesterday")
    assert bad.status_code == 400 and "since" in bad.json()


def test_changes_need_a_known_entity(api_as, db, role_users):
    response = api_as(roles.VIEWER).get("/api/v1/changes/?entity=password")
    assert response.status_code == 400
    assert "finding" in response.json()["entity"][0] and "supplier" in response.json()["entity"][0]


def test_supplier_users_and_anonymous_callers_do_not_read_the_history(api_as, edited_site):
    assert api_as(roles.SUPPLIER_USER).get("/api/v1/changes/?entity=site&object=OWN-1-F1").status_code == 403
    anonymous = api_as(None).get("/api/v1/changes/?entity=site")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == 'Token'


def test_history_panels_on_supplier_finding_and_methodology_pages(edited_site, role_users):
    analyst, supplier = Client(), Client()
    analyst.force_login(role_users[roles.PROCUREMENT_ANALYST])
    supplier.force_login(role_users[roles.SUPPLIER_USER])
    page = analyst.get("/suppliers/OWN-1/").content.decode()
    assert 'id="changes-h"' in page
    assert 'id="changes-h"' not in supplier.get("/suppliers/OWN-1/").content.decode()
    methodology = analyst.get("/scorecard/methodologies/v1/")
    assert methodology.status_code == 200 and 'id="changes-h"' in methodology.content.decode()


# --------------------------------------------------------------------------- the former change log


@pytest.mark.django_db(transaction=True)
def test_change_log_entries_are_carried_into_the_history():
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0004_history_documents_screenings")])
    old = executor.loader.project_state([("core", "0004_history_documents_screenings")]).apps
    supplier = old.get_model("suppliers", "Supplier").objects.create(code="LEG-1", name="Legacy", country="CN",
                                                                     category="production")
    Entry = old.get_model("core", "ChangeLogEntry")
    Entry.objects.create(actor_label="import_suppliers", entity_type="supplier", entity_id="LEG-1",
                         action="status", changes={"status": ["candidate", "active"]}, reason="screened")
    Entry.objects.create(actor_label="import_spend", entity_type="import", entity_id="import_spend", action="import")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    [entry] = changes(Supplier, "LEG-1")
    assert (entry["object_id"], entry["channel"], entry["action"]) == (supplier.pk, "legacy:import_suppliers",
                                                                       "updated")
    assert entry["reason"] == 'status: {"status": ["candidate", "active"]} (screened)'
    assert Site.history.count() == 0
