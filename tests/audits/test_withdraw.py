"""Findings are withdrawn, never deleted: the service, the admin door, scoring and imports."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from audits import services
from audits.importers import FindingImporter
from audits.models import Finding, TerminationReview
from audits.selectors import scoring_frames
from core.importing import ImportFailed
from suppliers.models import Supplier
from tests.history import changes

D = dt.date


@pytest.fixture
def audit(own_supplier, make_site, make_audit):
    return make_audit(make_site(own_supplier, "OWN-1-F1"), status="report_pending",
                      report_received_on=D(2025, 3, 20), audit_ref="VAP-W")


@pytest.fixture
def zero_tolerance(audit, provision, role_users):
    return services.finding_create(audit=audit, provision=provision("A1"), severity="priority",
                                   opened_on=D(2025, 3, 10), actor=role_users["procurement_analyst"],
                                   finding_ref="ZT-1")


def test_withdrawing_reconciles_the_review_and_scoring_ignores_the_finding(zero_tolerance, role_users,
                                                                           own_supplier):
    admin = role_users["procurement_admin"]
    assert Supplier.objects.get(pk=own_supplier.pk).termination_review is True
    assert list(scoring_frames([own_supplier.pk])[2]["finding_ref"]) == ["ZT-1"]
    services.finding_withdraw(finding=zero_tolerance, actor=admin, reason="recorded against the wrong supplier")
    finding = Finding.objects.get(pk=zero_tolerance.pk)
    assert (finding.status, finding.withdrawn_by, finding.withdrawal_reason) == (
        "withdrawn", admin, "recorded against the wrong supplier")
    review = TerminationReview.objects.get()
    assert (review.is_open, review.decision) == (False, "findings_withdrawn")
    assert Supplier.objects.get(pk=own_supplier.pk).termination_review is False
    # scorecard.md section 4: as if never recorded.
    assert scoring_frames([own_supplier.pk])[2].empty
    last = changes(Finding, "ZT-1")[-1]
    assert last["changes"]["status"] == ["open", "withdrawn"]
    assert (last["user"], last["reason"]) == ("procurement_admin", "recorded against the wrong supplier")


def test_only_an_admin_withdraws_and_always_with_a_reason(zero_tolerance, role_users):
    with pytest.raises(PermissionDenied):
        services.finding_withdraw(finding=zero_tolerance, actor=role_users["procurement_analyst"], reason="x")
    with pytest.raises(ValidationError) as refused:
        services.finding_withdraw(finding=zero_tolerance, actor=role_users["procurement_admin"], reason=" ")
    assert refused.value.message_dict == {"reason": ["say why the finding is withdrawn"]}
    assert Finding.objects.get(pk=zero_tolerance.pk).status == "open"


def test_reimporting_a_withdrawn_finding_is_refused(zero_tolerance, role_users, write_csv):
    services.finding_withdraw(finding=zero_tolerance, actor=role_users["procurement_admin"], reason="duplicate")
    path = write_csv("audit_ref,finding_ref,provision_code,severity,opened_on\nVAP-W,ZT-1,A1,priority,2025-03-10\n")
    with pytest.raises(ImportFailed) as failure:
        FindingImporter(actor="test").run(path)
    assert [str(error) for error in failure.value.errors] == [
        f"row 2, column finding_ref: finding 'ZT-1' was withdrawn on {Finding.objects.get().withdrawn_at:%Y-%m-%d}; "
        "a withdrawn finding cannot be imported again"]
    assert Finding.objects.get().status == "withdrawn"


def test_an_analyst_cannot_delete_a_finding_in_the_admin(zero_tolerance, staff_as):
    client = staff_as("procurement_analyst")
    url = f"/admin/audits/finding/{zero_tolerance.pk}/delete/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    bulk = client.post("/admin/audits/finding/", {"action": "delete_selected", "_selected_action": [zero_tolerance.pk],
                                                   "post": "yes"})
    assert bulk.status_code in (200, 302)
    withdraw = client.post("/admin/audits/finding/", {"action": "withdraw", "_selected_action": [zero_tolerance.pk],
                                                      "reason": "no"})
    assert withdraw.status_code in (200, 302)
    assert Finding.objects.get(pk=zero_tolerance.pk).status == "open"
    assert Supplier.objects.get(code="OWN-1").termination_review is True


def test_an_admin_withdraws_through_the_admin_action_with_a_reason(zero_tolerance, staff_as):
    client = staff_as("procurement_admin")
    form = client.post("/admin/audits/finding/", {"action": "withdraw", "_selected_action": [zero_tolerance.pk]})
    assert form.status_code == 200 and b'name="reason"' in form.content
    assert Finding.objects.get(pk=zero_tolerance.pk).status == "open"
    done = client.post("/admin/audits/finding/", {"action": "withdraw", "_selected_action": [zero_tolerance.pk],
                                                  "reason": "raised twice"})
    assert done.status_code == 302
    finding = Finding.objects.get(pk=zero_tolerance.pk)
    assert (finding.status, finding.withdrawal_reason) == ("withdrawn", "raised twice")
    assert changes(Finding, "ZT-1")[-1]["channel"] == "admin"


def test_a_withdrawn_finding_stays_visible_as_withdrawn(zero_tolerance, role_users):
    services.finding_withdraw(finding=zero_tolerance, actor=role_users["procurement_admin"], reason="typo")
    supplier_page = Client()
    supplier_page.force_login(role_users["supplier_user"])
    page = supplier_page.get("/findings/ZT-1/").content.decode()
    assert "Withdrawn" in page and "typo" not in page  # the reason is procurement's
    analyst = Client()
    analyst.force_login(role_users["procurement_analyst"])
    analyst_page = analyst.get("/findings/ZT-1/").content.decode()
    assert "typo" in analyst_page and 'id="changes-h"' in analyst_page and 'id="cap-history-h"' in analyst_page
    assert 'id="changes-h"' not in page


def test_the_api_withdraws_for_admins_only(zero_tolerance, api_as):
    url = f"/api/v1/findings/{zero_tolerance.pk}/withdraw/"
    assert api_as("procurement_analyst").post(url, {"reason": "dup"}, format="json").status_code == 403
    assert api_as("supplier_user").post(url, {"reason": "dup"}, format="json").status_code == 403
    assert api_as("procurement_admin").post(url, {}, format="json").status_code == 400
    assert Finding.objects.get(pk=zero_tolerance.pk).status == "open"
    response = api_as("procurement_admin").post(url, {"reason": "raised twice"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert changes(Finding, "ZT-1")[-1]["channel"] == "api"
