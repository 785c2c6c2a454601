"""The audit-cycle parameters in force for a quarter: the validity period of a full audit,
the "expiring" horizon and the coverage target of the 95%-of-spend population.

They are parameters of the scoring methodology in force for the quarter (scorecard.md
sections 2, 4 and 7; ``scoring.selectors.audit_policy`` says which methodology that is).
The audits app sits below scoring and never imports it: it asks the function named by
the setting ``AUDIT_POLICY`` (a dotted path, ``quarter -> AuditPolicy``). Without that
setting the defaults below apply, with ``settings.COVERAGE_TARGET`` as the target.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string

from audits import dates
from core.quarter import Quarter


@dataclass(frozen=True)
class AuditPolicy:
    """``validity_months``: a full audit is valid at D when conducted within that many
    months before D; ``expiring_days``: "expiring" when no longer valid that many days
    later; ``coverage_target``: share of spend (0-1) of the full-scorecard population;
    ``methodology``: the version these come from ("" for the built-in defaults)."""

    validity_months: int = dates.VALIDITY_MONTHS
    expiring_days: int = dates.DEFAULT_EXPIRING_DAYS
    coverage_target: Decimal = Decimal("0.95")
    methodology: str = ""


def default_policy() -> AuditPolicy:
    return AuditPolicy(coverage_target=Decimal(settings.COVERAGE_TARGET))


def policy_for(quarter: Quarter) -> AuditPolicy:
    """The parameters in force for ``quarter`` (one or two queries through the setting)."""
    path = getattr(settings, "AUDIT_POLICY", "")
    return import_string(path)(quarter) if path else default_policy()


def policy_at(as_of: dt.date) -> AuditPolicy:
    """The parameters in force on ``as_of``: those of the quarter containing it."""
    return policy_for(Quarter.containing(as_of))


def last_closed_quarter(as_of: dt.date) -> Quarter:
    """The latest quarter ended on or before ``as_of`` (``as_of`` itself when it is a quarter's last day)."""
    quarter = Quarter.containing(as_of)
    return quarter if quarter.as_of == as_of else quarter.previous()
