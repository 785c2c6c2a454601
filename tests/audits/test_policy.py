"""The methodology in force for a quarter and the audit-cycle parameters read from it
(validity months, expiring days, coverage target) everywhere: audit cycle, planning,
reminders' population."""

import datetime as dt
from decimal import Decimal

import pytest

from audits import policy
from audits import selectors as audit_selectors
from core.quarter import Quarter
from scoring import selectors
from scoring.methodology_drafts import draft_create
from scoring.models import CoverageSnapshot, Methodology, ScoreRun
from scoring.services import methodology_publish

D = dt.date
Q3 = Quarter.parse("2026-Q3")


@pytest.fixture
def v2(db):
    draft = draft_create(version="v2", based_on=Methodology.objects.get(version="v1"), description="", actor="test")
    Methodology.objects.filter(pk=draft.pk).update(audit_validity_months=36, expiring_days=30,
                                                    coverage_target=Decimal("0.5"))
    draft.refresh_from_db()
    return methodology_publish(methodology=draft, actor="test")


def stored_with(methodology, quarter):
    run = ScoreRun.objects.create(quarter=str(quarter), methodology=methodology, status="succeeded")
    CoverageSnapshot.objects.create(quarter=str(quarter), run=run, methodology=methodology, data={},
                                    audit_met=True, all_met=True)


def test_a_quarter_without_stored_results_uses_the_current_published_methodology(v2):
    assert selectors.methodology_in_force(Q3).version == "v2"
    assert policy.policy_for(Q3) == policy.AuditPolicy(validity_months=36, expiring_days=30,
                                                       coverage_target=Decimal("0.5"), methodology="v2")


def test_a_stored_quarter_keeps_the_methodology_that_produced_it(v2):
    stored_with(Methodology.objects.get(version="v1"), Q3)
    assert selectors.methodology_in_force(Q3).version == "v1"
    assert policy.policy_at(D(2026, 8, 15)).validity_months == 24
    assert policy.policy_at(D(2026, 10, 1)).validity_months == 36  # 2026-Q4: nothing stored


def test_without_a_published_methodology_the_defaults_apply(db, settings):
    Methodology.objects.all().delete()
    settings.COVERAGE_TARGET = Decimal("0.9")
    assert policy.policy_for(Q3) == policy.AuditPolicy(validity_months=24, expiring_days=90,
                                                       coverage_target=Decimal("0.9"))


def test_the_audit_cycle_reads_validity_and_horizon_from_the_methodology(v2, own_supplier, make_site, make_audit):
    site = make_site(own_supplier, "S1")
    make_audit(site, conducted_on=D(2024, 3, 1), audit_ref="A1")
    row = audit_selectors.site_cycle_status(D(2026, 8, 1)).iloc[0]
    # v2: valid 36 months (to 2027-02-28), expiring 30 days ahead.
    assert (row["status"], row["valid_until"]) == ("valid", D(2027, 2, 28))
    stored_with(Methodology.objects.get(version="v1"), Q3)
    row = audit_selectors.site_cycle_status(D(2026, 8, 1)).iloc[0]
    assert (row["status"], row["valid_until"]) == ("expired", D(2026, 2, 28))


def test_last_closed_population_uses_the_target_in_force(v2, make_supplier, settings):
    from suppliers.models import SpendRecord, Supplier

    settings.BASE_CURRENCY = "USD"
    for code, amount in (("BIG", 600), ("MID", 300), ("SMALL", 100)):
        SpendRecord.objects.create(supplier=make_supplier(code), quarter="2026-Q2", amount=Decimal(amount),
                                   currency="USD")
    # 2026-09-29 lies in 2026-Q3: the last closed quarter is 2026-Q2, under v2's 0.5 target.
    population = audit_selectors.last_closed_population(D(2026, 9, 29))
    assert dict(zip(population["supplier_code"], population["population"], strict=True)) == {
        "BIG": "full", "MID": "ecovadis_only", "SMALL": "ecovadis_only"}
    # On a quarter's last day that quarter is closed: 2026-Q3 counts, and its spend moves SMALL first.
    SpendRecord.objects.create(supplier=Supplier.objects.get(code="SMALL"), quarter="2026-Q3",
                               amount=Decimal(5000), currency="USD")
    population = audit_selectors.last_closed_population(D(2026, 9, 30))
    assert population["supplier_code"].tolist()[0] == "SMALL" and population["population"].tolist()[0] == "full"


def test_planning_reads_the_horizon_and_validity_in_force(v2, own_supplier, make_site, make_audit, role_users):
    from audits.services import audits_plan

    analyst = role_users["procurement_analyst"]
    site = make_site(own_supplier, "S1")
    # Under v1 (24 months, 90 days) this audit is valid until 2026-09-30 and due on 2026-08-01;
    # under v2 (36 months, 30 days) it is valid for another year: nothing to plan.
    make_audit(site, conducted_on=D(2024, 10, 1), audit_ref="A1")
    assert audits_plan(as_of=D(2026, 8, 1), actor=analyst) == []
    stored_with(Methodology.objects.get(version="v1"), Q3)
    planned = audits_plan(as_of=D(2026, 8, 1), actor=analyst)
    assert [(audit.site_id, audit.due_by) for audit in planned] == [(site.pk, D(2026, 9, 30))]
