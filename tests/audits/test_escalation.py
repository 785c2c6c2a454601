import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audits import escalation, services
from audits.models import Finding, Notification, TerminationReview
from suppliers.models import Supplier, SupplierStatusChange
from tests.history import changes

D = dt.date


@pytest.fixture
def admin(role_users):
    user = role_users["procurement_admin"]
    user.email = "admin@example.com"
    user.save()
    return user


@pytest.fixture
def audit(own_supplier, make_site, make_audit):
    return make_audit(make_site(own_supplier, "OWN-1-F1"), status="report_pending",
                      report_received_on=D(2025, 3, 20))


def zero_tolerance_finding(audit, provision, actor, code="A1"):
    return services.finding_create(audit=audit, provision=provision(code), severity="priority",
                                   opened_on=D(2025, 3, 10), actor=actor)


def test_zero_tolerance_finding_flags_supplier_and_notifies_admins_at_once(
        audit, provision, admin, role_users, own_supplier, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        finding = zero_tolerance_finding(audit, provision, role_users["procurement_analyst"])
    assert Supplier.objects.get(pk=own_supplier.pk).termination_review is True
    review = TerminationReview.objects.get()
    assert review.is_open and review.supplier == own_supplier
    assert Finding.objects.get(pk=finding.pk).termination_review == review
    note = Notification.objects.get(kind="zero_tolerance")
    assert note.recipient == admin and note.finding == finding and note.emailed_at is not None
    assert len(mailoutbox) == 1 and "OWN-1" in mailoutbox[0].subject
    flagged = changes(Supplier, "OWN-1", action="updated")[-1]
    assert flagged["changes"]["termination_review"] == [False, True]
    assert flagged["reason"] == "zero-tolerance finding"


def test_further_zero_tolerance_findings_join_the_open_review(audit, provision, admin):
    zero_tolerance_finding(audit, provision, admin)
    zero_tolerance_finding(audit, provision, admin, code="A2")
    review = TerminationReview.objects.get()
    assert review.findings.count() == 2
    assert escalation.open_termination_reviews(actor="test") == []  # nothing left to escalate


def test_keep_with_conditions_is_recorded_and_clears_the_flag(audit, provision, admin, own_supplier):
    zero_tolerance_finding(audit, provision, admin)
    review = TerminationReview.objects.get()
    with pytest.raises(ValidationError) as refused:
        escalation.termination_review_decide(review=review, decision="keep_with_conditions", reason="remediated",
                                             actor=admin)
    assert refused.value.message_dict == {
        "conditions": ["state the conditions under which the supplier is kept"]}
    escalation.termination_review_decide(review=review, decision="keep_with_conditions", reason="fees repaid",
                                         conditions="quarterly SVAP audits for two years", actor=admin)
    review.refresh_from_db()
    assert (review.decision, review.decided_by, review.reason) == ("keep_with_conditions", admin, "fees repaid")
    assert review.decided_at is not None
    supplier = Supplier.objects.get(pk=own_supplier.pk)
    assert supplier.termination_review is False and supplier.status == "active"
    with pytest.raises(ValidationError) as refused:
        escalation.termination_review_decide(review=review, decision="terminate", reason="x", actor=admin)
    assert refused.value.message_dict == {"decision": ["this review has already been decided"]}


def test_terminate_decision_terminates_the_supplier(audit, provision, admin, own_supplier):
    zero_tolerance_finding(audit, provision, admin)
    review = TerminationReview.objects.get()
    escalation.termination_review_decide(review=review, decision="terminate", reason="forced labour confirmed",
                                         actor=admin)
    supplier = Supplier.objects.get(pk=own_supplier.pk)
    assert (supplier.status, supplier.termination_review) == ("terminated", False)
    change = SupplierStatusChange.objects.get(supplier=supplier, to_status="terminated")
    # The reason stays on the review (procurement only); the supplier-visible history names it.
    assert change.changed_by == admin and change.reason == f"termination review #{review.pk} decision"
    review.refresh_from_db()
    assert review.reason == "forced labour confirmed"


def test_only_admins_decide(audit, provision, admin, role_users):
    zero_tolerance_finding(audit, provision, admin)
    with pytest.raises(PermissionDenied):
        escalation.termination_review_decide(review=TerminationReview.objects.get(), decision="terminate",
                                             reason="x", actor=role_users["procurement_analyst"])


def test_a_new_zero_tolerance_finding_after_a_decision_opens_a_new_review(audit, provision, admin, own_supplier):
    zero_tolerance_finding(audit, provision, admin)
    escalation.termination_review_decide(review=TerminationReview.objects.get(), decision="keep_with_conditions",
                                         reason="r", conditions="c", actor=admin)
    zero_tolerance_finding(audit, provision, admin, code="A2")
    assert TerminationReview.objects.count() == 2
    assert TerminationReview.objects.filter(decided_at__isnull=True).count() == 1
    assert Supplier.objects.get(pk=own_supplier.pk).termination_review is True


def test_marking_a_finding_zero_tolerance_later_escalates(audit, make_finding, admin, own_supplier):
    finding = make_finding(audit, severity="major", code="A5")
    services.finding_update(finding=finding, actor=admin, zero_tolerance=True)
    assert Supplier.objects.get(pk=own_supplier.pk).termination_review is True
