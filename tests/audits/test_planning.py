"""Audit planning rules (audits.planning): proposals for all gaps, overdue plans, schedule
warnings, the register of audit firms; and audits_plan with chosen sites."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from audits import planning, services
from audits.models import Audit, AuditFirm

D = dt.date


@pytest.fixture
def analyst(role_users):
    return role_users["procurement_analyst"]


@pytest.fixture
def gaps(own_supplier, other_supplier, make_supplier, make_site, make_audit):
    as_of = D(2026, 1, 1)
    never = make_site(own_supplier, "OWN-F1")
    soon = make_site(other_supplier, "OTH-F1")
    make_audit(soon, conducted_on=D(2024, 3, 1))  # valid until 2026-02-28
    later = make_site(own_supplier, "OWN-F2")
    make_audit(later, conducted_on=D(2024, 7, 1))  # valid until 2026-06-30
    spend = {other_supplier.pk: Decimal("500"), own_supplier.pk: Decimal("100")}
    return as_of, spend, never, soon, later


def test_proposals_reach_the_chosen_date_biggest_spend_first(gaps):
    as_of, spend, *_ = gaps
    codes = lambda frame: list(frame["site_code"])  # noqa: E731
    assert codes(planning.plan_proposals(as_of, until=D(2026, 3, 1), spend_rank=spend)) == ["OTH-F1", "OWN-F1"]
    # A site whose audit is valid through the chosen date is not proposed; one day later it is.
    assert codes(planning.plan_proposals(as_of, until=D(2026, 6, 30), spend_rank=spend)) == ["OTH-F1", "OWN-F1"]
    assert codes(planning.plan_proposals(as_of, until=D(2026, 7, 1), spend_rank=spend)) == [
        "OTH-F1", "OWN-F1", "OWN-F2"]
    frame = planning.plan_proposals(as_of, until=D(2026, 7, 1), spend_rank=spend)
    assert list(frame["next_due"]) == [D(2026, 2, 28), as_of, D(2026, 6, 30)]
    assert list(frame["spend_basis"]) == [Decimal("500"), Decimal("100"), Decimal("100")]


def test_plan_chosen_sites_with_their_own_firm_and_due_date(gaps, analyst):
    as_of, spend, never, soon, later = gaps
    chosen = {soon.pk: {"audit_firm": "SGS", "due_by": D(2026, 2, 1)}, never.pk: {"audit_firm": "", "due_by": None}}
    planned = services.audits_plan(as_of=as_of, until=D(2026, 7, 1), actor=analyst, spend_rank=spend,
                                   choices=chosen)
    assert [(a.site_id, a.audit_firm, a.due_by) for a in planned] == [
        (soon.pk, "SGS", D(2026, 2, 1)), (never.pk, "", as_of)]
    assert not later.audits.filter(status="planned").exists()
    # A site already planned is refused by name, and nothing is written.
    count = Audit.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.audits_plan(as_of=as_of, until=D(2026, 7, 1), actor=analyst, spend_rank=spend,
                             choices={soon.pk: {}, later.pk: {}})
    assert "OTH-F1" in str(refused.value) and Audit.objects.count() == count


def test_an_implausible_chosen_due_date_is_refused(gaps, analyst):
    as_of, spend, never, *_ = gaps
    with pytest.raises(ValidationError):
        services.audits_plan(as_of=as_of, actor=analyst, spend_rank=spend,
                             choices={never.pk: {"due_by": D(3000, 1, 1)}})
    assert not never.audits.exists()


@pytest.mark.parametrize(("status", "conducted_on", "due_by", "overdue"), [
    ("planned", None, D(2026, 1, 9), True),
    ("planned", None, D(2026, 1, 10), False),  # due today: not yet overdue
    ("scheduled", D(2026, 1, 9), D(2026, 3, 1), True),  # the scheduled end has passed
    ("in_progress", D(2026, 1, 12), D(2026, 1, 1), False),  # ends later: the end date counts
    ("planned", None, None, False),
    ("closed", D(2026, 1, 5), D(2026, 1, 1), False),
])
def test_a_plan_is_overdue_once_its_expected_date_has_passed(own_supplier, make_site, make_audit, status,
                                                             conducted_on, due_by, overdue):
    today = D(2026, 1, 10)
    audit = make_audit(make_site(own_supplier, "OWN-F9"), status=status, conducted_on=conducted_on, due_by=due_by)
    assert planning.plan_overdue(audit, today) is overdue
    annotated = planning.with_plan_overdue(Audit.objects.filter(pk=audit.pk), today).get()
    assert annotated.plan_overdue is overdue


def test_firm_warnings_follow_the_register(db):
    AuditFirm.objects.create(name="ELEVATE", approved=True)
    AuditFirm.objects.create(name="Old Firm Ltd", approved=False)
    assert planning.firm_warning("elevate") is None
    assert planning.firm_warning("  ＥＬＥＶＡＴＥ ") is None  # full-width letters, spaces
    assert planning.firm_warning("") is None
    assert "not in the register" in planning.firm_warning("Unknown Audits")
    assert "not approved" in planning.firm_warning("old firm  ltd")
    assert planning.approved_firm_names() == ["ELEVATE"]


def test_schedule_warnings_name_a_date_after_the_due_date(db):
    AuditFirm.objects.create(name="SGS")
    audit = Audit(due_by=D(2026, 3, 1), start_date=D(2026, 3, 2), conducted_on=D(2026, 3, 4), audit_firm="SGS")
    [warning] = planning.schedule_warnings(audit)
    assert "2026-03-04" in warning and "2026-03-01" in warning
    audit.conducted_on = D(2026, 3, 1)
    audit.start_date = D(2026, 2, 27)
    audit.audit_firm = "Someone"
    assert planning.schedule_warnings(audit) == ["Someone is not in the register of audit firms."]
