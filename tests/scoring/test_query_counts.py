"""The recalculation reads and writes in bulk: its query count does not grow with suppliers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import Audit, Finding, Provision
from core.quarter import Quarter
from scoring import services
from scoring.models import Indicator, IndicatorValue, QbrComponent, RunStatus
from suppliers.models import Site, SpendRecord, Supplier

pytestmark = pytest.mark.django_db


def build(count: int, offset: int) -> None:
    provision = Provision.objects.first()
    eco = Indicator.objects.get(code="ECO-01")
    for n in range(offset, offset + count):
        supplier = Supplier.objects.create(code=f"Q-{n:04d}", name=f"Q {n}", country="CN", category="production")
        SpendRecord.objects.create(supplier=supplier, quarter="2026-Q3", currency="USD", amount=1000 - n)
        site = Site.objects.create(supplier=supplier, code=f"Q-{n:04d}-F", name="f", country="CN")
        audit = Audit.objects.create(site=site, audit_ref=f"QA-{n}", audit_type="vap_full", status="closed",
                                     conducted_on=dt.date(2026, 1, 10), score=170, recognition="silver")
        Finding.objects.create(audit=audit, finding_ref=f"QF-{n}", provision=provision, severity="minor",
                               opened_on=dt.date(2026, 1, 10), correction_due_on=dt.date(2026, 6, 1))
        IndicatorValue.objects.create(supplier=supplier, quarter="2026-Q3", indicator=eco, value="55",
                                      state="accepted", submitted_at="2026-08-01T00:00Z")
        QbrComponent.objects.create(supplier=supplier, quarter="2026-Q3", component="quality", score=80)


# The stored gap lists (scoring.serving) are written 2,000 items per INSERT, and not at all
# when a list is empty: counted apart, bounded by the number of lists at these sizes.
SUMMARY_ITEMS = 'INSERT INTO "core_storedsummaryitem"'


def queries_of_a_run() -> int:
    with CaptureQueriesContext(connection) as captured:
        run = services.score_run_now(quarter=Quarter.parse("2026-Q3"), actor="test")
    assert run.status == RunStatus.SUCCEEDED, run.error
    items = [q for q in captured.captured_queries if q["sql"].startswith(SUMMARY_ITEMS)]
    assert len(items) <= 4
    return len(captured.captured_queries) - len(items)


def test_query_count_is_the_same_for_5_and_40_suppliers():
    build(5, 0)
    queries_of_a_run()  # the first run of a quarter also creates its lock and coverage rows
    small = queries_of_a_run()
    build(35, 5)
    large = queries_of_a_run()
    assert large == small
    assert large < 100
