"""Factories for the audits tests (the shared ones live in tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from audits.models import Audit, CorrectiveAction, Finding, Provision
from audits.services import compute_deadlines, default_cap_manager


@pytest.fixture
def provision(db):
    def get(code: str, version: str = "8.0") -> Provision:
        return Provision.objects.get(standard="rba", version=version, code=code)

    return get


@pytest.fixture
def make_audit(db):
    counter = itertools.count(1)

    def make(site, audit_type="vap_full", conducted_on=dt.date(2025, 3, 10), status="closed", audit_ref=None,
             **fields) -> Audit:
        audit = Audit(audit_ref=audit_ref or f"A-{next(counter):04d}", site=site, audit_type=audit_type,
                      conducted_on=conducted_on, status=status, **fields)
        if audit_type == "saq" and status in ("report_pending", "corrective_actions_open", "closed"):
            audit.saq_risk = audit.saq_risk or "low"
        audit.valid_until = audit.computed_valid_until()
        audit.save()
        return audit

    return make


@pytest.fixture
def make_finding(db, provision):
    counter = itertools.count(1)

    def make(audit, severity="major", code="A3", opened_on=None, closed_on=None, finding_ref=None,
             cap_state="not_started", **fields) -> Finding:
        opened_on = opened_on or audit.conducted_on
        cap_due, correction_due = compute_deadlines(severity=severity, provision_code=code, opened_on=opened_on,
                                                    audit_end=audit.conducted_on,
                                                    report_received_on=audit.report_received_on)
        values = {"cap_due_on": cap_due, "correction_due_on": correction_due, **fields}
        finding = Finding.objects.create(
            audit=audit, provision=provision(code), severity=severity, opened_on=opened_on,
            finding_ref=finding_ref or f"F-{next(counter):04d}", closed_on=closed_on,
            status="closed" if closed_on else "open", **values)
        CorrectiveAction.objects.create(finding=finding, manager=default_cap_manager(severity), state=cap_state)
        return finding

    return make


@pytest.fixture
def write_csv(tmp_path):
    counter = itertools.count(1)

    def write(text: str, encoding: str = "utf-8"):
        path = tmp_path / f"file{next(counter)}.csv"
        path.write_bytes(text.encode(encoding))
        return path

    return write
