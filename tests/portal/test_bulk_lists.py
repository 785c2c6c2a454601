"""Bulk actions of the findings board (send reminders, extend due date) and the
supplier list (assign owner): writers only, all or nothing, a reason where it matters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from audits.models import Audit, Finding, Notification, Provision
from suppliers.models import Supplier
from tests import clock
from tests.history import changes


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def late_findings(role_users, own_supplier, other_supplier, make_site):
    """An open major finding of each supplier whose CAP is overdue on the test day."""
    provision = Provision.objects.get(standard="rba", version="8.0", code="A3")
    opened = clock.days_ago(120)
    findings = []
    for supplier in (own_supplier, other_supplier):
        site = make_site(supplier)
        audit = Audit.objects.create(site=site, audit_ref=f"AUD-{supplier.code}", audit_type="vap_full",
                                     status="corrective_actions_open", conducted_on=opened, score=170)
        findings.append(Finding.objects.create(
            audit=audit, finding_ref=f"F-{supplier.code}", provision=provision, severity="major", opened_on=opened,
            cap_due_on=opened + dt.timedelta(days=14), correction_due_on=opened + dt.timedelta(days=90)))
    return findings


def test_board_bulk_forms_only_for_writers(role_users, late_findings):
    page = _client(role_users["procurement_analyst"]).get("/findings/").content.decode()
    assert 'id="bulk-findings"' in page and page.count('name="selected"') == 2
    for role in ("viewer", "supplier_user"):
        page = _client(role_users[role]).get("/findings/").content.decode()
        assert 'id="bulk-findings"' not in page and 'name="selected"' not in page
        for url in ("/bulk/findings/remind/", "/bulk/findings/extend/"):
            response = _client(role_users[role]).post(url, {"selected": [late_findings[0].pk], "deadline": "cap",
                                                            "due_on": clock.today().isoformat(), "reason": "x"})
            assert response.status_code == 403
    assert not Notification.objects.exists()
    assert Finding.objects.filter(cap_due_extended_to__isnull=False).count() == 0


def test_board_sends_reminders_for_the_selected_overdue_caps(role_users, late_findings):
    client = _client(role_users["procurement_admin"])
    response = client.post("/bulk/findings/remind/", {"selected": [f.pk for f in late_findings]}, follow=True)
    # No responsible analyst: every analyst, and the supplier's users (OTHER-1 has none).
    assert "Sent 3 reminders." in response.content.decode()
    assert set(Notification.objects.values_list("finding__finding_ref", "recipient__username")) == {
        ("F-OWN-1", "supplier_user"), ("F-OWN-1", "procurement_analyst"), ("F-OTHER-1", "procurement_analyst")}
    response = client.post("/bulk/findings/remind/", {"selected": []}, follow=True)
    assert "Select at least one finding." in response.content.decode()


def test_board_extends_the_selected_due_dates_with_a_reason_all_or_nothing(role_users, late_findings):
    client = _client(role_users["procurement_admin"])
    new_due = clock.today() + dt.timedelta(days=21)
    ids = [f.pk for f in late_findings]
    response = client.post("/bulk/findings/extend/", {"selected": ids, "deadline": "cap",
                                                      "due_on": new_due.isoformat(), "reason": ""}, follow=True)
    assert "Say why the due date is extended" in response.content.decode()
    Finding.objects.filter(pk=ids[1]).update(status="closed", closed_on=clock.today())
    response = client.post("/bulk/findings/extend/", {"selected": ids, "deadline": "cap",
                                                      "due_on": new_due.isoformat(), "reason": "audit firm busy"},
                           follow=True)
    assert "F-OTHER-1 is not open" in response.content.decode()
    assert not Finding.objects.filter(cap_due_extended_to__isnull=False).exists()

    response = client.post("/bulk/findings/extend/", {"selected": ids[:1], "deadline": "cap",
                                                      "due_on": new_due.isoformat(), "reason": "audit firm busy"},
                           follow=True)
    body = response.content.decode()
    assert f"Extended the due date of 1 finding to {new_due.isoformat()}." in body
    finding = Finding.objects.get(pk=ids[0])
    assert (finding.cap_due_extended_to, finding.due_extension_reason) == (new_due, "audit firm busy")
    assert "extended, given" in client.get(f"/findings/{finding.finding_ref}/").content.decode()


def test_supplier_list_assigns_the_owner_of_the_selected_suppliers(role_users, own_supplier, other_supplier):
    analyst = role_users["procurement_analyst"]
    page = _client(analyst).get("/suppliers/").content.decode()
    assert 'id="bulk-suppliers"' in page
    for role in ("viewer", "supplier_user"):
        page = _client(role_users[role]).get("/suppliers/").content.decode()
        assert 'id="bulk-suppliers"' not in page and 'name="selected"' not in page
        response = _client(role_users[role]).post("/bulk/suppliers/owner/", {
            "selected": [own_supplier.pk], "owner": analyst.pk})
        assert response.status_code == 403
    client = _client(role_users["procurement_admin"])
    response = client.post("/bulk/suppliers/owner/", {"selected": [own_supplier.pk, 999999], "owner": analyst.pk},
                           follow=True)
    assert "Some selected suppliers do not exist" in response.content.decode()
    response = client.post("/bulk/suppliers/owner/", {"selected": [own_supplier.pk],
                                                      "owner": role_users["viewer"].pk}, follow=True)
    assert "Choose an analyst or administrator as the owner." in response.content.decode()
    assert not Supplier.objects.filter(owner__isnull=False).exists()

    response = client.post("/bulk/suppliers/owner/", {"selected": [own_supplier.pk, other_supplier.pk],
                                                      "owner": analyst.pk, "reason": "new category split"},
                           follow=True)
    assert "Owner of 2 suppliers set to procurement_analyst." in response.content.decode()
    assert set(Supplier.objects.filter(owner=analyst).values_list("code", flat=True)) == {"OWN-1", "OTHER-1"}
    [entry] = changes(Supplier, own_supplier.pk, action="updated")
    assert (entry["reason"], entry["user"]) == ("new category split", "procurement_admin")
