import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audits import services
from audits.models import Audit, AuditStatus, CapState, CapTransition, CorrectiveAction, Finding, TerminationReview
from tests import clock
from tests.history import changes

D = dt.date


@pytest.fixture
def site(own_supplier, make_site):
    return make_site(own_supplier, "OWN-1-F1")


@pytest.fixture
def analyst(role_users):
    return role_users["procurement_analyst"]


@pytest.fixture
def reported_audit(site, make_audit):
    return make_audit(site, conducted_on=D(2025, 3, 10), status="report_pending", report_received_on=D(2025, 3, 20),
                      audit_firm="Firm", audit_ref="VAP-1")


def message(exc_info) -> dict:
    return exc_info.value.message_dict


# --------------------------------------------------------------------------- audits


def test_audit_lifecycle_from_plan_to_closure(site, analyst, provision):
    audit = services.audit_create(site=site, audit_type="vap_full", actor=analyst, audit_ref="NEW-1")
    assert audit.status == "planned" and audit.valid_until is None
    audit = services.audit_schedule(audit=audit, actor=analyst, audit_firm="Firm", start_date=D(2025, 3, 3),
                                    conducted_on=D(2025, 3, 5))
    assert audit.status == "scheduled"
    for status in ("in_progress", "report_pending"):
        audit = services.audit_change_status(audit=audit, status=status, actor=analyst)
    assert audit.valid_until == D(2027, 3, 4)
    audit = services.audit_update(audit=audit, actor=analyst, report_received_on=D(2025, 3, 20), score=Decimal("170"))
    finding = services.finding_create(audit=audit, provision=provision("A3"), severity="minor",
                                      opened_on=D(2025, 3, 4), actor=analyst)
    audit = services.audit_change_status(audit=audit, status="corrective_actions_open", actor=analyst)
    with pytest.raises(ValidationError) as refused:
        services.audit_change_status(audit=audit, status="closed", actor=analyst)
    assert message(refused) == {"status": ["1 finding(s) of this audit are still open"]}
    cap = finding.corrective_action
    services.cap_update(cap=cap, actor=analyst, root_cause="rc", corrective_action="ca", preventive_action="pa",
                        owner="HR", planned_completion=D(2025, 6, 1))
    for step in (services.cap_submit, services.cap_approve, services.cap_implement):
        step(cap=cap, actor=analyst)
    services.cap_verify(cap=cap, actor=analyst, closed_on=D(2025, 6, 10))
    # Closing the last open finding closes the audit.
    assert Audit.objects.get(pk=audit.pk).status == "closed"
    statuses = [row["changes"]["status"] for row in changes(Audit, "NEW-1") if "status" in row["changes"]]
    assert statuses[1:] == [["planned", "scheduled"], ["scheduled", "in_progress"], ["in_progress", "report_pending"],
                            ["report_pending", "corrective_actions_open"], ["corrective_actions_open", "closed"]]


ALL_STATUSES = [s.value for s in AuditStatus]


@pytest.mark.parametrize("old", ALL_STATUSES)
@pytest.mark.parametrize("new", ALL_STATUSES)
def test_every_audit_status_transition(site, make_audit, analyst, old, new):
    audit = make_audit(site, status=old, start_date=D(2025, 3, 8), conducted_on=D(2025, 3, 10), audit_firm="Firm",
                       report_received_on=D(2025, 3, 20))
    allowed = new == old or new in services.ALLOWED_AUDIT_STATUS[old]
    if allowed:
        assert services.audit_change_status(audit=audit, status=new, actor=analyst).status == new
    else:
        with pytest.raises(ValidationError) as refused:
            services.audit_change_status(audit=audit, status=new, actor=analyst)
        assert f"a {old} audit cannot become {new}" in message(refused)["status"][0]
        assert Audit.objects.get(pk=audit.pk).status == old


def test_scheduling_needs_a_firm_and_dates(site, make_audit, analyst):
    audit = make_audit(site, status="planned", conducted_on=None)
    with pytest.raises(ValidationError) as refused:
        services.audit_change_status(audit=audit, status="scheduled", actor=analyst)
    assert set(message(refused)) == {"audit_firm", "conducted_on"}


def test_leaving_report_pending_needs_the_report_date(site, make_audit, analyst):
    audit = make_audit(site, status="report_pending")
    with pytest.raises(ValidationError) as refused:
        services.audit_change_status(audit=audit, status="corrective_actions_open", actor=analyst)
    assert message(refused) == {"report_received_on": ["record when the report was received"]}


def test_closure_audit_needs_a_full_parent_at_the_same_site(site, own_supplier, make_site, make_audit, analyst):
    with pytest.raises(ValidationError) as refused:
        services.audit_create(site=site, audit_type="vap_closure", actor=analyst)
    assert message(refused) == {"parent": ["a closure audit needs the full audit it follows up"]}
    elsewhere = make_audit(make_site(own_supplier, "OWN-1-F9"))
    with pytest.raises(ValidationError) as refused:
        services.audit_create(site=site, audit_type="vap_closure", actor=analyst, parent=elsewhere)
    assert message(refused) == {"parent": ["the parent audit is at another site"]}
    saq = make_audit(site, audit_type="saq")
    with pytest.raises(ValidationError):
        services.audit_create(site=site, audit_type="vap_closure", actor=analyst, parent=saq)
    full = make_audit(site)
    closure = services.audit_create(site=site, audit_type="vap_closure", actor=analyst, parent=full)
    assert closure.parent == full and closure.valid_until is None
    with pytest.raises(ValidationError) as refused:
        services.audit_create(site=site, audit_type="vap_full", actor=analyst, parent=full)
    assert message(refused) == {"parent": ["only a closure audit has a parent audit"]}


def test_score_and_risk_band_rules(site, analyst):
    with pytest.raises(ValidationError) as refused:
        services.audit_create(site=site, audit_type="saq", actor=analyst, score=Decimal("100"))
    assert message(refused) == {"score": ["an SAQ has no audit score"]}
    with pytest.raises(ValidationError) as refused:
        services.audit_create(site=site, audit_type="vap_full", actor=analyst, saq_risk="low")
    assert message(refused) == {"saq_risk": ["only an SAQ has a risk band"]}
    with pytest.raises(ValidationError) as refused:
        services.audit_create(site=site, audit_type="vap_full", actor=analyst, score=Decimal("201"))
    assert message(refused) == {"score": ["the score must lie between 0 and 200"]}
    with pytest.raises(ValidationError) as refused:
        services.audit_create(site=site, audit_type="saq", actor=analyst, status="closed", conducted_on=D(2025, 1, 1))
    assert "saq_risk" in message(refused)


def test_valid_until_follows_the_end_date(site, analyst):
    audit = services.audit_create(site=site, audit_type="equivalent_third_party", actor=analyst, status="closed",
                                  conducted_on=D(2024, 2, 29), report_received_on=D(2024, 3, 5))
    assert audit.valid_until == D(2026, 2, 28)
    audit = services.audit_update(audit=audit, actor=analyst, conducted_on=D(2024, 3, 1))
    assert Audit.objects.get(pk=audit.pk).valid_until == D(2026, 2, 28)
    audit = services.audit_update(audit=audit, actor=analyst, conducted_on=D(2024, 3, 2))
    assert Audit.objects.get(pk=audit.pk).valid_until == D(2026, 3, 1)


# --------------------------------------------------------------------------- planning


def test_planning_creates_audits_for_due_sites_biggest_spend_first(own_supplier, other_supplier, make_supplier,
                                                                   make_site, make_audit, analyst):
    small = make_supplier("SMALL")
    as_of = D(2026, 1, 1)
    make_site(small, "SMALL-F1")
    never = make_site(own_supplier, "OWN-F1")
    expiring = make_site(other_supplier, "OTH-F1")
    make_audit(expiring, conducted_on=D(2024, 2, 1))
    ok = make_site(own_supplier, "OWN-F2")
    make_audit(ok, conducted_on=D(2025, 6, 1))
    make_site(own_supplier, "OWN-F3", is_production=False)
    already = make_site(own_supplier, "OWN-F4")
    make_audit(already, status="planned", conducted_on=None)
    spend = {other_supplier.pk: Decimal("500"), own_supplier.pk: Decimal("100")}
    planned = services.audits_plan(as_of=as_of, actor=analyst, spend_rank=spend, audit_firm="Firm")
    assert [a.site.code for a in planned] == ["OTH-F1", "OWN-F1", "SMALL-F1"]
    assert planned[0].due_by == D(2026, 1, 31) and planned[1].due_by == as_of
    assert all(a.status == "planned" and a.audit_type == "vap_full" and a.audit_firm == "Firm" for a in planned)
    # Planned once: the sites now have an upcoming audit.
    assert services.audits_plan(as_of=as_of, actor=analyst, spend_rank=spend) == []
    assert never.audits.count() == 1


def test_planning_limit(own_supplier, make_site, analyst):
    for i in range(3):
        make_site(own_supplier, f"OWN-F{i}")
    assert len(services.audits_plan(as_of=D(2026, 1, 1), actor=analyst, limit=2, spend_rank={})) == 2


# --------------------------------------------------------------------------- findings


def test_finding_create_computes_deadlines_and_starts_a_cap(reported_audit, analyst, provision):
    finding = services.finding_create(audit=reported_audit, provision=provision("B1"), severity="priority",
                                      opened_on=D(2025, 3, 10), actor=analyst, description="Exit blocked")
    assert finding.cap_due_on == D(2025, 3, 17)  # priority: 7 days from discovery
    assert finding.correction_due_on == D(2025, 4, 9)  # health & safety priority: 30 days
    assert finding.zero_tolerance is False
    cap = CorrectiveAction.objects.get(finding=finding)
    assert (cap.state, cap.manager) == ("not_started", "rba")
    [entry] = changes(Finding, finding.finding_ref)
    assert entry["action"] == "created" and entry["user"] == analyst.username
    assert entry["changes"]["correction_due_on"] == [None, "2025-04-09"]
    major = services.finding_create(audit=reported_audit, provision=provision("A3"), severity="major",
                                    opened_on=D(2025, 3, 10), actor=analyst)
    assert major.cap_due_on == D(2025, 4, 3)  # 14 days after the report was received
    assert major.corrective_action.manager == "customer"


def test_priority_a1_or_a2_is_zero_tolerance_by_default(reported_audit, analyst, provision, own_supplier):
    finding = services.finding_create(audit=reported_audit, provision=provision("A2"), severity="priority",
                                      opened_on=D(2025, 3, 10), actor=analyst)
    assert finding.zero_tolerance is True
    own_supplier.refresh_from_db()
    assert own_supplier.termination_review is True
    assert TerminationReview.objects.get().findings.get() == finding
    kept = services.finding_create(audit=reported_audit, provision=provision("A1"), severity="priority",
                                   opened_on=D(2025, 3, 10), actor=analyst, zero_tolerance=False)
    assert kept.zero_tolerance is False
    major = services.finding_create(audit=reported_audit, provision=provision("A1"), severity="major",
                                    opened_on=D(2025, 3, 10), actor=analyst)
    assert major.zero_tolerance is False


@pytest.mark.parametrize(("status", "audit_type", "expected"), [
    ("closed", "vap_full", {"audit": ["findings cannot be added to a closed audit"]}),
    ("cancelled", "vap_full", {"audit": ["findings cannot be added to a cancelled audit"]}),
    ("planned", "vap_full", {"audit": ["findings cannot be added to a planned audit"]}),
    ("report_pending", "saq", {"audit": ["an SAQ has no findings"]}),
])
def test_finding_refused_on_an_audit_that_cannot_take_one(site, make_audit, analyst, provision, status, audit_type,
                                                          expected):
    audit = make_audit(site, status=status, audit_type=audit_type)
    with pytest.raises(ValidationError) as refused:
        services.finding_create(audit=audit, provision=provision("A3"), severity="minor", opened_on=D(2025, 3, 10),
                                actor=analyst)
    assert message(refused) == expected
    assert Finding.objects.count() == 0


def test_finding_update_records_and_refuses_closed(reported_audit, make_finding, analyst):
    finding = make_finding(reported_audit)
    services.finding_update(finding=finding, actor=analyst, correction_due_on=D(2025, 12, 31), reason="extension")
    entry = changes(Finding, finding.finding_ref)[-1]
    assert entry["changes"] == {"correction_due_on": ["2025-09-06", "2025-12-31"]} and entry["reason"] == "extension"
    assert (entry["action"], entry["user"]) == ("updated", analyst.username)
    with pytest.raises(ValidationError):
        services.finding_update(finding=finding, actor=analyst, correction_due_on=D(2025, 1, 1))
    closed = make_finding(reported_audit, closed_on=D(2025, 5, 1))
    with pytest.raises(ValidationError) as refused:
        services.finding_update(finding=closed, actor=analyst, description="x")
    assert message(refused) == {"status": ["a closed finding cannot be changed"]}


def test_closing_a_finding_whose_cap_is_not_verified_is_refused(reported_audit, make_finding, analyst):
    finding = make_finding(reported_audit, cap_state="implemented")
    with pytest.raises(ValidationError) as refused:
        services.finding_close(finding=finding, actor=analyst, closed_on=D(2025, 6, 1))
    assert message(refused) == {"status": ["the finding's CAP is not verified (state: implemented)"]}
    assert Finding.objects.get(pk=finding.pk).status == "open"


def test_an_opportunity_for_improvement_closes_without_a_cap(reported_audit, make_finding, analyst):
    finding = make_finding(reported_audit, severity="ofi", code="E6")
    services.finding_close(finding=finding, actor=analyst, closed_on=D(2025, 6, 1))
    finding.refresh_from_db()
    assert (finding.status, finding.closed_via) == ("closed", "evidence")
    with pytest.raises(ValidationError) as refused:
        services.finding_close(finding=finding, actor=analyst)
    assert message(refused) == {"status": ["the finding is already closed"]}


def test_finding_close_date_checks(reported_audit, make_finding, analyst):
    finding = make_finding(reported_audit, severity="ofi", code="E6")
    with pytest.raises(ValidationError) as refused:
        services.finding_close(finding=finding, actor=analyst, closed_on=D(2025, 3, 1))
    assert message(refused) == {"closed_on": ["the closing date is before the opened date"]}
    with pytest.raises(ValidationError):
        services.finding_close(finding=finding, actor=analyst, closed_on=clock.today() + dt.timedelta(days=1))


# --------------------------------------------------------------------------- CAPs

CAP_ACTIONS = {
    CapState.SUBMITTED: lambda cap, user: services.cap_submit(cap=cap, actor=user),
    CapState.APPROVED: lambda cap, user: services.cap_approve(cap=cap, actor=user),
    CapState.REJECTED: lambda cap, user: services.cap_reject(cap=cap, actor=user, reason="too vague"),
    CapState.IMPLEMENTED: lambda cap, user: services.cap_implement(cap=cap, actor=user),
    CapState.VERIFIED_CLOSED: lambda cap, user: services.cap_verify(cap=cap, actor=user, closed_on=D(2025, 6, 1)),
}
CONTENT = {"root_cause": "No overtime control", "corrective_action": "Cap weekly hours",
           "preventive_action": "Monthly review", "owner": "HR manager", "planned_completion": D(2025, 6, 1)}


@pytest.mark.parametrize("old", [s.value for s in CapState])
@pytest.mark.parametrize("new", list(CAP_ACTIONS))
def test_every_cap_transition(reported_audit, make_finding, analyst, old, new):
    finding = make_finding(reported_audit, cap_state=old)
    CorrectiveAction.objects.filter(finding=finding).update(**CONTENT)
    cap = CorrectiveAction.objects.get(finding=finding)
    if new in services.ALLOWED_CAP_STATES[old]:
        assert CAP_ACTIONS[new](cap, analyst).state == new
        transition = CapTransition.objects.get(corrective_action=cap)
        assert (transition.from_state, transition.to_state, transition.by) == (old, new, analyst)
        assert changes(CorrectiveAction, cap.pk)[-1]["changes"]["state"] == [old, new]
    else:
        with pytest.raises(ValidationError) as refused:
            CAP_ACTIONS[new](cap, analyst)
        assert f"a {old} CAP cannot become {new}" in message(refused)["state"][0]
        assert CorrectiveAction.objects.get(pk=cap.pk).state == old
        assert not CapTransition.objects.exists()


def test_submission_needs_the_whole_plan(reported_audit, make_finding, analyst):
    cap = make_finding(reported_audit).corrective_action
    services.cap_update(cap=cap, actor=analyst, root_cause="rc")
    with pytest.raises(ValidationError) as refused:
        services.cap_submit(cap=cap, actor=analyst)
    assert set(message(refused)) == {"corrective_action", "preventive_action", "owner", "planned_completion"}


def test_rejected_plan_is_edited_and_resubmitted(reported_audit, make_finding, analyst, role_users):
    supplier_user = role_users["supplier_user"]
    cap = make_finding(reported_audit).corrective_action
    services.cap_update(cap=cap, actor=supplier_user, **CONTENT)
    services.cap_submit(cap=cap, actor=supplier_user)
    with pytest.raises(ValidationError) as refused:
        services.cap_update(cap=cap, actor=supplier_user, owner="someone else")
    assert message(refused) == {"state": ["a submitted CAP cannot be edited"]}
    with pytest.raises(ValidationError):
        services.cap_reject(cap=cap, actor=analyst, reason="  ")
    services.cap_reject(cap=cap, actor=analyst, reason="root cause is a symptom")
    cap.refresh_from_db()
    assert (cap.state, cap.rejection_reason) == ("rejected", "root cause is a symptom")
    services.cap_update(cap=cap, actor=supplier_user, root_cause="no hours policy")
    services.cap_submit(cap=cap, actor=supplier_user)
    assert list(cap.transitions.values_list("to_state", "by_label")) == [
        ("submitted", "supplier_user"), ("rejected", "procurement_analyst"), ("submitted", "supplier_user")]


def test_supplier_users_cannot_approve_or_verify(reported_audit, make_finding, role_users):
    supplier_user = role_users["supplier_user"]
    cap = make_finding(reported_audit, cap_state="submitted").corrective_action
    for step in (services.cap_approve, services.cap_verify):
        with pytest.raises(PermissionDenied):
            step(cap=cap, actor=supplier_user)
    with pytest.raises(PermissionDenied):
        services.cap_reject(cap=cap, actor=supplier_user, reason="x")
    with pytest.raises(PermissionDenied):
        services.cap_update(cap=cap, actor=supplier_user, manager="auditee")


def test_verification_by_a_closure_audit_closes_the_finding(reported_audit, make_finding, make_audit, analyst, site,
                                                            own_supplier, make_site):
    finding = make_finding(reported_audit, cap_state="implemented")
    other_site = make_site(own_supplier, "OWN-1-F9")
    elsewhere = make_audit(other_site, audit_type="vap_closure", parent=make_audit(other_site),
                           conducted_on=D(2025, 9, 1))
    with pytest.raises(ValidationError) as refused:
        services.cap_verify(cap=finding.corrective_action, actor=analyst, closure_audit=elsewhere,
                            closed_on=D(2025, 9, 1))
    assert message(refused) == {"closure_audit": ["the closure audit is at another site"]}
    assert CorrectiveAction.objects.get(finding=finding).state == "implemented"  # rolled back
    closure = make_audit(site, audit_type="vap_closure", parent=reported_audit, conducted_on=D(2025, 9, 1))
    services.cap_verify(cap=finding.corrective_action, actor=analyst, closure_audit=closure, closed_on=D(2025, 9, 1))
    finding.refresh_from_db()
    assert (finding.status, finding.closed_on, finding.closed_via, finding.closure_audit) == (
        "closed", D(2025, 9, 1), "closure_audit", closure)


def test_a_closed_findings_cap_cannot_change(reported_audit, make_finding, analyst):
    finding = make_finding(reported_audit, closed_on=D(2025, 5, 1), cap_state="approved")
    with pytest.raises(ValidationError) as refused:
        services.cap_implement(cap=finding.corrective_action, actor=analyst)
    assert message(refused) == {"state": ["the finding is closed; its CAP cannot change"]}
