"""The role matrix on the Django admin: objects whose changes matter are read-only there for
every role (their changes go through services: API, portal, imports, admin actions); only
staff procurement users reach the admin at all; reading writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from audits.models import Audit, CorrectiveAction, Finding, Provision, TerminationReview
from core import roles
from scoring.models import Indicator, IndicatorValue, Methodology, QbrComponent
from suppliers.models import Document, FxRate, Screening, Site, SpendRecord, Supplier, SupplierMembership

READ_ONLY = ["suppliers.supplier", "suppliers.site", "suppliers.spendrecord", "suppliers.fxrate",
             "audits.correctiveaction", "audits.terminationreview", "scoring.indicatorvalue",
             "scoring.qbrcomponent", "scoring.methodology", "suppliers.document", "suppliers.screening"]


@pytest.fixture
def objects(own_supplier, role_users):
    site = Site.objects.create(supplier=own_supplier, code="OWN-1-F1", name="F1", country="CN")
    audit = Audit.objects.create(audit_ref="M-A", site=site, audit_type="vap_full", conducted_on=dt.date(2025, 3, 10),
                                 status="corrective_actions_open")
    finding = Finding.objects.create(audit=audit, provision=Provision.objects.get(version="8.0", code="A3"),
                                     severity="major", opened_on=dt.date(2025, 3, 10), finding_ref="M-F")
    now = timezone.now()
    return {
        "suppliers.supplier": own_supplier, "suppliers.site": site,
        "suppliers.spendrecord": SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q3", currency="USD",
                                                            amount=Decimal("10")),
        "suppliers.fxrate": FxRate.objects.create(quarter="2026-Q3", currency="EUR", rate_to_base=Decimal("1.1")),
        "audits.finding": finding,
        "audits.correctiveaction": CorrectiveAction.objects.create(finding=finding, manager="customer"),
        "audits.terminationreview": TerminationReview.objects.create(supplier=own_supplier),
        "scoring.indicatorvalue": IndicatorValue.objects.create(
            supplier=own_supplier, quarter="2026-Q3", indicator=Indicator.objects.get(code="ENV-06"), value="45",
            submitted_at=now),
        "scoring.qbrcomponent": QbrComponent.objects.create(supplier=own_supplier, quarter="2026-Q3",
                                                            component="quality", score=Decimal("80")),
        "scoring.methodology": Methodology.objects.get(version="v1"),
        "suppliers.document": Document.objects.create(supplier=own_supplier, kind="other", title="t", file="x.pdf",
                                                   original_name="x.pdf", content_type="application/pdf", size=1),
        "suppliers.screening": Screening.objects.create(supplier=own_supplier),
    }


@pytest.mark.parametrize("role", [None, roles.VIEWER, roles.SUPPLIER_USER])
def test_non_staff_users_never_reach_the_admin(role_users, objects, role):
    client = Client()
    if role:
        client.force_login(role_users[role])
    for label in READ_ONLY:
        app, model = label.split(".")
        response = client.get(f"/admin/{app}/{model}/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("role", [roles.PROCUREMENT_ADMIN, roles.PROCUREMENT_ANALYST, roles.VIEWER])
@pytest.mark.parametrize("label", READ_ONLY)
def test_procurement_reads_but_cannot_add_change_or_delete(role_users, objects, role, label, staff_as):
    client = staff_as(role)
    app, model = label.split(".")
    obj = objects[label]
    before = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    base = f"/admin/{app}/{model}/"
    assert client.get(base).status_code == 200
    page = client.get(f"{base}{obj.pk}/change/")
    assert page.status_code == 200 and b'type="submit" value="Save"' not in page.content
    assert client.get(f"{base}{obj.pk}/history/").status_code == 200
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{obj.pk}/change/", {"name": "changed", "supplier": "1"}).status_code == 403
    assert client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(base, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    stored = type(obj).objects.get(pk=obj.pk)
    assert {f.attname: getattr(stored, f.attname) for f in obj._meta.concrete_fields} == before


@pytest.mark.parametrize("label", READ_ONLY)
def test_a_staff_supplier_user_sees_nothing(role_users, objects, label, staff_as):
    client = staff_as(roles.SUPPLIER_USER)
    app, model = label.split(".")
    assert client.get(f"/admin/{app}/{model}/").status_code == 403
    assert client.get(f"/admin/{app}/{model}/{objects[label].pk}/change/").status_code == 403


@pytest.mark.parametrize("role", [roles.PROCUREMENT_ADMIN, roles.PROCUREMENT_ANALYST, roles.VIEWER])
def test_no_role_adds_or_deletes_a_finding_in_the_admin(role_users, objects, role, staff_as):
    """Texts and due dates of an open finding are edited through ``finding_update``; adding
    and deleting are not offered to anyone (an admin withdraws: tests/audits/test_withdraw.py)."""
    client = staff_as(role)
    finding = objects["audits.finding"]
    assert client.get("/admin/audits/finding/add/").status_code == 403
    assert client.post(f"/admin/audits/finding/{finding.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Finding.objects.get(pk=finding.pk).status == "open"


def test_a_documents_supplier_cannot_change_in_the_admin(role_users, objects, other_supplier, staff_as):
    document = objects["suppliers.document"]
    client = staff_as(roles.PROCUREMENT_ADMIN)
    response = client.post(f"/admin/suppliers/document/{document.pk}/change/", {
        "supplier": other_supplier.pk, "kind": "other", "title": "t", "original_name": "x.pdf",
        "content_type": "application/pdf", "size": "1"})
    assert response.status_code == 403
    assert Document.objects.get(pk=document.pk).supplier_id == objects["suppliers.supplier"].pk


def test_only_admins_manage_who_belongs_to_which_supplier(role_users, objects, staff_as):
    membership = SupplierMembership.objects.get()
    analyst = staff_as(roles.PROCUREMENT_ANALYST)
    assert analyst.get("/admin/suppliers/suppliermembership/add/").status_code == 403
    assert analyst.post(f"/admin/suppliers/suppliermembership/{membership.pk}/delete/",
                        {"post": "yes"}).status_code == 403
    admin = staff_as(roles.PROCUREMENT_ADMIN)
    assert admin.get("/admin/suppliers/suppliermembership/add/").status_code == 200
    assert SupplierMembership.objects.filter(pk=membership.pk).exists()


def test_an_audit_edit_in_the_admin_goes_through_the_service_and_keeps_the_status(role_users, objects, staff_as):
    audit = Audit.objects.get(audit_ref="M-A")
    client = staff_as(roles.PROCUREMENT_ANALYST)
    assert client.get("/admin/audits/audit/add/").status_code == 403
    response = client.post(f"/admin/audits/audit/{audit.pk}/change/", {
        "audit_firm": "Firm Z", "conducted_on": "2025-03-10", "section_scores": "{}", "status": "closed",
        "findings-TOTAL_FORMS": "0", "findings-INITIAL_FORMS": "0", "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 302, response.content.decode()[:3000]
    audit.refresh_from_db()
    assert (audit.audit_firm, audit.status) == ("Firm Z", "corrective_actions_open")
    assert Supplier.objects.filter(code="OWN-1").exists()
