"""A due date set by hand becomes the finding's scorecard due date (RBA-06)."""

import datetime as dt

import pytest

from audits import services
from audits.models import Audit, Finding, Provision

pytestmark = pytest.mark.django_db


def test_changing_the_correction_due_date_by_hand_marks_it_given(make_supplier, make_site, role_users):
    site = make_site(make_supplier("DUE-1"))
    audit = Audit.objects.create(site=site, audit_ref="DUE-A", audit_type="vap_full", status="closed",
                                 conducted_on=dt.date(2026, 1, 10), score=170)
    finding = Finding.objects.create(audit=audit, finding_ref="DUE-F", provision=Provision.objects.first(),
                                     severity="minor", opened_on=dt.date(2026, 1, 10),
                                     correction_due_on=dt.date(2026, 10, 7), due_on_given=False)
    services.finding_update(finding=finding, actor=role_users["procurement_analyst"], reason="agreed with site",
                            correction_due_on=dt.date(2026, 6, 30))
    finding.refresh_from_db()
    assert (finding.correction_due_on, finding.due_on_given) == (dt.date(2026, 6, 30), True)


def test_far_future_audit_dates_are_field_errors_not_crashes(make_supplier, make_site, api_as):
    site = make_site(make_supplier("FAR-1"))
    response = api_as("procurement_analyst").post("/api/v1/audits/", {
        "site_code": site.code, "audit_type": "vap_full", "conducted_on": "9999-12-31"}, format="json")
    assert response.status_code == 400, response.content
    assert "conducted_on" in response.json(), response.json()
    assert Audit.objects.filter(site=site).count() == 0
