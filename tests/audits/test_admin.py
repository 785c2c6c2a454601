import datetime as dt

import pytest
from django.urls import reverse

from audits.models import Audit, CorrectiveAction, DeadlineRule, Finding, Notification, Provision, TerminationReview
from tests.history import changes


@pytest.fixture
def setup(own_supplier, make_site, make_audit, make_finding, role_users):
    audit = make_audit(make_site(own_supplier, "OWN-1-F1"), status="corrective_actions_open")
    finding = make_finding(audit)
    review = TerminationReview.objects.create(supplier=own_supplier)
    Notification.objects.create(key="k", recipient=role_users["procurement_admin"], kind="cap_overdue", subject="s")
    return {"audit": audit, "finding": finding, "review": review}


@pytest.mark.parametrize("model", [Audit, Finding, CorrectiveAction, Provision, DeadlineRule, Notification,
                                   TerminationReview])
def test_admin_pages_render(admin_client, setup, model):
    opts = model._meta
    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    obj = model.objects.first()
    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])).status_code \
        == 200


def test_admin_finding_edit_goes_through_the_service(admin_client, setup):
    finding = setup["finding"]
    url = reverse("admin:audits_finding_change", args=[finding.pk])
    response = admin_client.post(url, {
        "zero_tolerance": "", "description": "updated", "sample_share": "", "cap_due_on": "2025-03-24",
        "correction_due_on": "2025-12-31",
        "corrective_action-TOTAL_FORMS": "1", "corrective_action-INITIAL_FORMS": "1",
        "corrective_action-MIN_NUM_FORMS": "0", "corrective_action-MAX_NUM_FORMS": "1",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    finding.refresh_from_db()
    assert (finding.description, finding.correction_due_on) == ("updated", dt.date(2025, 12, 31))
    entry = changes(Finding, finding.finding_ref)[-1]
    assert entry["changes"]["description"][1] == "updated" and entry["channel"] == "admin"


def test_admin_audit_form_refuses_an_saq_score(admin_client, setup):
    audit = setup["audit"]
    Audit.objects.filter(pk=audit.pk).update(audit_type="saq", saq_risk="low", score=None, valid_until=None)
    response = admin_client.post(reverse("admin:audits_audit_change", args=[audit.pk]), {
        "saq_risk": "low", "score": "150", "conducted_on": "2025-03-10", "section_scores": "{}",
        "findings-TOTAL_FORMS": "1", "findings-INITIAL_FORMS": "1", "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "1000", "findings-0-id": setup["finding"].pk, "findings-0-audit": audit.pk,
    })
    assert response.status_code == 200
    assert "an SAQ has no audit score" in response.content.decode()
    assert Audit.objects.get(pk=audit.pk).score is None
