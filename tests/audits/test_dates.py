import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audits import dates
from audits.rules import latest_full_audits
from core.quarter import within_months_before

D = dt.date


@pytest.mark.parametrize(("end", "valid_until", "expires_on"), [
    (D(2024, 10, 1), D(2026, 9, 30), D(2026, 10, 1)),
    (D(2024, 3, 31), D(2026, 3, 30), D(2026, 3, 31)),
    (D(2023, 12, 31), D(2025, 12, 30), D(2025, 12, 31)),
    # Leap day: 28 Feb of the anniversary year is still within the 24 months.
    (D(2024, 2, 29), D(2026, 2, 28), D(2026, 3, 1)),
    (D(2024, 2, 28), D(2026, 2, 27), D(2026, 2, 28)),
    (D(2022, 3, 1), D(2024, 2, 29), D(2024, 3, 1)),
    (D(2022, 2, 28), D(2024, 2, 27), D(2024, 2, 28)),
])
def test_full_audit_is_valid_for_two_years_from_its_end_date(end, valid_until, expires_on):
    assert dates.audit_valid_until(end) == valid_until
    assert dates.audit_expires_on(end) == expires_on
    assert dates.cycle_status(end, valid_until, expiring_days=0) == dates.VALID
    assert dates.cycle_status(end, expires_on) == dates.EXPIRED


@given(end=st.dates(D(2019, 1, 1), D(2030, 12, 31)), offset=st.integers(0, 1200),
       months=st.sampled_from([12, 24, 36]))
def test_cycle_validity_agrees_with_the_scorecard_window_and_the_engine_pick(end, offset, months):
    """scorecard.md section 4: valid at D when conducted within the validity months before D;
    the cycle pages (valid_until, status) and the engine's pick (audits.rules) agree."""
    as_of = end + dt.timedelta(days=offset)
    valid = within_months_before(end, as_of, months)
    assert (as_of <= dates.audit_valid_until(end, months)) == valid
    assert (dates.cycle_status(end, as_of, 0, months) != dates.EXPIRED) == valid
    picked = latest_full_audits(np.array([1]), np.array(["vap_full"], dtype=object),
                                np.array([end], dtype="datetime64[ns]"), np.array([150.0]),
                                np.array(["A"], dtype=object), as_of=as_of, validity_months=months)
    assert (len(picked) == 1) == valid


@pytest.mark.parametrize(("last", "as_of", "status"), [
    (None, D(2026, 1, 1), dates.NEVER_AUDITED),
    (D(2025, 1, 1), D(2026, 1, 1), dates.VALID),
    # valid until 2026-12-31; no longer valid at as_of + 90 days
    (D(2025, 1, 1), D(2026, 10, 3), dates.EXPIRING),
    (D(2025, 1, 1), D(2026, 10, 2), dates.VALID),
    (D(2025, 1, 1), D(2026, 12, 31), dates.EXPIRING),
    (D(2025, 1, 1), D(2027, 1, 1), dates.EXPIRED),
])
def test_cycle_status(last, as_of, status):
    assert dates.cycle_status(last, as_of) == status


def test_expiring_horizon_is_configurable():
    assert dates.cycle_status(D(2025, 1, 1), D(2026, 12, 1), expiring_days=10) == dates.VALID
    assert dates.cycle_status(D(2025, 1, 1), D(2026, 12, 1), expiring_days=31) == dates.EXPIRING


OPENED = D(2025, 3, 10)


@pytest.mark.parametrize(("severity", "health_safety", "cap_due", "correction_due"), [
    ("priority", False, D(2025, 3, 17), D(2025, 6, 8)),  # 7 days from discovery, 90 days
    ("priority", True, D(2025, 3, 17), D(2025, 4, 9)),  # health & safety: 30 days
    ("major", False, D(2025, 3, 31), D(2025, 9, 6)),  # 14 days after the report, 180 days
    ("major", True, D(2025, 3, 31), D(2025, 9, 6)),  # H&S shortcut only for priority
    ("minor", False, D(2025, 3, 31), D(2025, 12, 5)),  # 270 days
    ("risk", False, D(2025, 3, 31), D(2025, 12, 5)),
    ("ofi", False, None, None),  # a plan is only recommended
])
def test_default_deadlines_per_severity(severity, health_safety, cap_due, correction_due):
    terms = dates.DEFAULT_TERMS[severity]
    assert dates.finding_deadlines(terms, opened_on=OPENED, audit_end=D(2025, 3, 10),
                                   report_received_on=D(2025, 3, 17),
                                   health_and_safety=health_safety) == (cap_due, correction_due)


def test_cap_clock_falls_back_to_the_audit_end_without_a_report_date():
    terms = dates.DEFAULT_TERMS["major"]
    assert dates.finding_deadlines(terms, opened_on=OPENED, audit_end=D(2025, 3, 8))[0] == D(2025, 3, 22)


def test_nothing_is_due_later_than_18_months_after_the_audit():
    terms = dates.DeadlineTerms(cap_days=14, cap_clock="report", correction_days=900)
    cap_due, correction_due = dates.finding_deadlines(terms, opened_on=D(2024, 8, 31), audit_end=D(2024, 8, 31))
    assert correction_due == D(2026, 2, 28)
    assert cap_due == D(2024, 9, 14)


def test_finding_opened_after_the_audit_is_still_capped_by_the_audit_date():
    terms = dates.DEFAULT_TERMS["minor"]
    _, correction_due = dates.finding_deadlines(terms, opened_on=D(2026, 1, 1), audit_end=D(2024, 12, 1))
    assert correction_due == D(2026, 6, 1)
