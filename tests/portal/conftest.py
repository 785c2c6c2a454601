"""A small scored world for the portal pages: our supplier (Chinese name) and another,
each with a site, spend, an audit with an open finding; accepted and submitted values;
the last complete quarter recalculated. Every date is relative to the test day
(``tests.clock``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from audits import services as audit_services
from audits.models import Provision
from scoring.models import Indicator, IndicatorValue, ValueOrigin, ValueState
from scoring.services import score_run_now
from suppliers.models import SpendRecord
from tests import clock, files


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def client_as(role_users):
    def make(role: str | None) -> Client:
        client = Client()
        if role is not None:
            client.force_login(role_users[role])
        return client

    return make


def _audit_with_finding(site, actor, *, severity: str, code: str, end: dt.date, ref: str, finding_ref: str):
    audit = audit_services.audit_create(
        site=site, audit_type="vap_full", status="corrective_actions_open", audit_ref=ref, actor=actor,
        audit_firm="Firm", start_date=end - dt.timedelta(days=3), conducted_on=end,
        report_received_on=end + dt.timedelta(days=10), score=Decimal("170"), recognition="silver")
    provision = Provision.objects.get(standard="rba", version="8.0", code=code)
    finding = audit_services.finding_create(audit=audit, provision=provision, severity=severity, opened_on=end,
                                            actor=actor, finding_ref=finding_ref,
                                            description="Overtime above 60 hours in the sample")
    return audit, finding


@pytest.fixture
def world(db, role_users, own_supplier, other_supplier, make_site, make_supplier):
    analyst = role_users["procurement_analyst"]
    today = clock.today()
    quarter = clock.last_closed_quarter()
    own_site = make_site(own_supplier, code="OWN-1-F1", name="深圳工厂")
    other_site = make_site(other_supplier, code="OTHER-1-F1", name="Werk 1")
    SpendRecord.objects.create(supplier=own_supplier, quarter=str(quarter), currency="USD", amount=Decimal("1000"))
    SpendRecord.objects.create(supplier=other_supplier, quarter=str(quarter), currency="USD", amount=Decimal("500"))
    # Ended 700 days ago: still valid today, but it runs out within 90 days (expiring on the
    # audit cycle pages, which look at today). The stored "audit expiring" flag of the scored
    # quarter looks at the quarter's last day instead: see tests/portal/test_suppliers.py.
    own_audit, own_finding = _audit_with_finding(own_site, analyst, severity="major", code="A3",
                                                 end=today - dt.timedelta(days=700), ref="AUD-OWN-1",
                                                 finding_ref="F-OWN-1")
    other_audit, other_finding = _audit_with_finding(other_site, analyst, severity="minor", code="B2",
                                                     end=today - dt.timedelta(days=100), ref="AUD-OTHER-1",
                                                     finding_ref="F-OTHER-1")
    now = timezone.now()
    eco = Indicator.objects.get(code="ECO-01")
    env = Indicator.objects.get(code="ENV-01")
    IndicatorValue.objects.create(supplier=own_supplier, quarter=str(quarter), indicator=eco, value="60",
                                  source="EcoVadis 2026", evidence_ref="https://example.com/ecovadis",
                                  origin=ValueOrigin.IMPORT, state=ValueState.ACCEPTED, submitted_at=now)
    submitted = IndicatorValue.objects.create(
        supplier=own_supplier, quarter=str(quarter), indicator=env, value="true", source="CDP 2026",
        origin=ValueOrigin.SUPPLIER, state=ValueState.SUBMITTED, submitted_at=now,
        submitted_by=role_users["supplier_user"], submitted_by_label="supplier_user")
    run = score_run_now(quarter=quarter, actor=analyst, trigger="command")
    assert run.status == "succeeded", run.error
    candidate = make_supplier("CAND-1", name="Candidate Plastics Ltd", status="candidate")
    return SimpleNamespace(quarter=quarter, today=today, own=own_supplier, other=other_supplier, own_site=own_site,
                           other_site=other_site, own_audit=own_audit, other_audit=other_audit,
                           own_finding=own_finding, other_finding=other_finding, submitted=submitted, run=run,
                           candidate=candidate, analyst=analyst)


PDF_BYTES = files.PDF
PNG_BYTES = files.PNG


