"""Date arithmetic of the audit cycle and of finding deadlines. Pure functions: no ORM.

Validity follows scorecard.md section 4: a full audit is valid at D when it was
conducted within the 24 months before D, i.e. ``months_before(D, 24) < conducted_on <= D``.
Its *expiry date* is the first day on which that no longer holds: the second
anniversary of the end date, or 1 March when the audit ended on 29 February and the
anniversary year has no such day. ``valid_until`` is the day before: the last valid day.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

# Defaults only: the values in force come from the methodology (audits/policy.py).
VALIDITY_MONTHS = 24
DEFAULT_EXPIRING_DAYS = 90


def add_months_clamped(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months; the day is clamped to the target month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def audit_expires_on(conducted_on: dt.date, months: int = VALIDITY_MONTHS) -> dt.date:
    """The first day on which a full audit that ended on ``conducted_on`` is no longer valid."""
    index = conducted_on.year * 12 + conducted_on.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    if conducted_on.day > calendar.monthrange(year, month)[1]:
        # 29 Feb + 2 years: 28 Feb is still within the window, so the audit runs out on 1 Mar.
        return dt.date(year, month, calendar.monthrange(year, month)[1]) + dt.timedelta(days=1)
    return dt.date(year, month, conducted_on.day)


def audit_valid_until(conducted_on: dt.date, months: int = VALIDITY_MONTHS) -> dt.date:
    """The last day on which a full audit that ended on ``conducted_on`` is valid."""
    return audit_expires_on(conducted_on, months) - dt.timedelta(days=1)


RECOGNITION_VALIDITY_MONTHS = 24


def recognition_default_expiry(awarded_on: dt.date) -> dt.date:
    """The last valid day of a recognition given without ``expires_on`` (scorecard.md
    section 9, contract.md "Additions"): the day before ``awarded_on + 24 months``, the
    month arithmetic of section 1 (the day is clamped to the target month's length, so an
    award of 29 Feb 2024 runs to 27 Feb 2026)."""
    return add_months_clamped(awarded_on, RECOGNITION_VALIDITY_MONTHS) - dt.timedelta(days=1)


# --------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class DeadlineTerms:
    """The values of one row of the deadline table (``audits.models.DeadlineRule``)."""

    cap_days: int | None
    cap_clock: str  # "report" | "discovery"
    correction_days: int | None
    correction_days_health_safety: int | None = None
    overall_limit_months: int = 18


# domain.md defaults; the data migration seeds the same table and admins may edit it.
DEFAULT_TERMS = {
    "priority": DeadlineTerms(cap_days=7, cap_clock="discovery", correction_days=90, correction_days_health_safety=30),
    "major": DeadlineTerms(cap_days=14, cap_clock="report", correction_days=180),
    "minor": DeadlineTerms(cap_days=14, cap_clock="report", correction_days=270),
    "risk": DeadlineTerms(cap_days=14, cap_clock="report", correction_days=270),
    "ofi": DeadlineTerms(cap_days=None, cap_clock="report", correction_days=None),
}


def finding_deadlines(terms: DeadlineTerms, *, opened_on: dt.date, audit_end: dt.date | None,
                      report_received_on: dt.date | None = None,
                      health_and_safety: bool = False) -> tuple[dt.date | None, dt.date | None]:
    """(CAP due date, correction due date) of a finding.

    The CAP clock runs from the final report (falling back to the audit end, then the
    opened date) or from discovery; corrections run from the opened date. Nothing falls
    later than ``overall_limit_months`` after the audit end date.
    """
    limit = add_months_clamped(audit_end or opened_on, terms.overall_limit_months)
    cap_due = None
    if terms.cap_days is not None:
        start = opened_on if terms.cap_clock == "discovery" else (report_received_on or audit_end or opened_on)
        cap_due = min(start + dt.timedelta(days=terms.cap_days), limit)
    days = terms.correction_days
    if health_and_safety and terms.correction_days_health_safety is not None:
        days = terms.correction_days_health_safety
    correction_due = None if days is None else min(opened_on + dt.timedelta(days=days), limit)
    return cap_due, correction_due


# --------------------------------------------------------------------------- cycle status

VALID = "valid"
EXPIRING = "expiring"
EXPIRED = "expired"
NEVER_AUDITED = "never_audited"
CYCLE_STATUSES = (VALID, EXPIRING, EXPIRED, NEVER_AUDITED)


def cycle_status(last_full_end: dt.date | None, as_of: dt.date, expiring_days: int = DEFAULT_EXPIRING_DAYS,
                 validity_months: int = VALIDITY_MONTHS) -> str:
    """A site's status from the end date of its latest full audit conducted on or before
    ``as_of``: ``valid``, ``expiring`` (no longer valid ``expiring_days`` later),
    ``expired`` or ``never_audited``."""
    if last_full_end is None:
        return NEVER_AUDITED
    valid_until = audit_valid_until(last_full_end, validity_months)
    if as_of > valid_until:
        return EXPIRED
    if valid_until < as_of + dt.timedelta(days=expiring_days):
        return EXPIRING
    return VALID
