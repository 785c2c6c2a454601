"""Audit planning: which sites need a full audit proposed, when a planned audit is overdue,
what to warn about when one is scheduled, and the register of approved audit firms
(docs/audits.md, "Planning").

The due dates come from the two-year cycle (``audits.selectors.site_cycle_status``, the
one home of the cycle rule); the order is the supplier's spend basis of the last closed
quarter, biggest first (``audits.selectors.last_closed_population``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.db.models import Case, DateField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from audits import dates, selectors
from audits.models import UPCOMING_STATUSES, Audit, AuditFirm
from suppliers.matching import normalize_name

# The columns of ``plan_proposals``.
PROPOSAL_COLUMNS = ["site_id", "site_code", "site_name", "supplier_id", "supplier_code", "cycle_status",
                    "valid_until", "next_due", "spend_basis", "responsible_analyst_id"]


def spend_basis_by_supplier(as_of: dt.date) -> dict[int, object]:
    """Supplier id → spend basis (``Decimal``, base currency) of the last closed quarter at
    ``as_of``; empty when the basis cannot be computed (e.g. missing FX rates)."""
    from suppliers.spend import MissingFxRates

    try:
        population = selectors.last_closed_population(as_of)
    except MissingFxRates:
        return {}
    return dict(zip(population["supplier_id"].astype(int), population["basis"], strict=True))


def plan_proposals(as_of: dt.date, *, until: dt.date | None = None, horizon_days: int | None = None,
                   spend_rank: dict[int, object] | None = None) -> pd.DataFrame:
    """The sites a full audit should be planned for at ``as_of`` (``PROPOSAL_COLUMNS``):
    relevant sites (scorecard.md section 4) never audited, expired, or whose audit stops
    being valid before ``until`` (or within ``horizon_days``; by default the methodology's
    expiring days), that have no planned, scheduled or in-progress full audit yet, of a
    supplier that is not terminated. Ordered by the supplier's spend basis (biggest first),
    then the earliest due date, then the site code. A constant number of queries."""
    if until is not None:
        horizon_days = max((until - as_of).days, 0)
    cycle = selectors.site_cycle_status(as_of, expiring_days=horizon_days)
    due = cycle[cycle["relevant"] & cycle["status"].isin([dates.NEVER_AUDITED, dates.EXPIRED, dates.EXPIRING])
                & cycle["upcoming_audit_id"].isna() & (cycle["supplier_status"] != "terminated")]
    if spend_rank is None:
        spend_rank = spend_basis_by_supplier(as_of) if not due.empty else {}
    rows = [
        {"site_id": row.site_id, "site_code": row.site_code, "site_name": row.site_name,
         "supplier_id": row.supplier_id, "supplier_code": row.supplier_code, "cycle_status": row.status,
         "valid_until": row.valid_until, "next_due": row.next_due, "spend_basis": spend_rank.get(row.supplier_id),
         "responsible_analyst_id": row.responsible_analyst_id}
        for row in due.itertuples(index=False)
    ]
    rows.sort(key=lambda r: (-float(r["spend_basis"] or 0), r["next_due"], r["site_code"]))
    return pd.DataFrame(rows, columns=PROPOSAL_COLUMNS)


# --------------------------------------------------------------------------- overdue plans


def planned_on(audit: Audit) -> dt.date | None:
    """The date an audit still to take place is expected: its end date once scheduled, else
    the date it is due by."""
    return audit.conducted_on or audit.due_by


def plan_overdue(audit: Audit, today: dt.date) -> bool:
    """An audit still to take place (planned, scheduled, in progress) whose expected date
    (``planned_on``) has passed at ``today``: the audit did not happen when it should have."""
    day = planned_on(audit)
    return audit.status in UPCOMING_STATUSES and day is not None and day < today


def with_plan_overdue(audits: QuerySet[Audit], today: dt.date) -> QuerySet[Audit]:
    """``audits`` annotated with ``planned_on`` and ``plan_overdue`` (``plan_overdue``'s rule in SQL)."""
    if "planned_on" not in audits.query.annotations:
        audits = audits.annotate(planned_on=Coalesce("conducted_on", "due_by", output_field=DateField()))
    return audits.annotate(
        plan_overdue=Case(When(Q(status__in=UPCOMING_STATUSES) & Q(planned_on__lt=today), then=Value(True)),
                          default=Value(False)),
    )


# --------------------------------------------------------------------------- audit firms


def firm_register() -> dict[str, AuditFirm]:
    """Normalised name (``suppliers.matching.normalize_name``: the contract's exact-name rule)
    → firm of the register. One query."""
    return {normalize_name(firm.name): firm for firm in AuditFirm.objects.all()}


def approved_firm_names() -> list[str]:
    """Names of the approved firms, for suggestions. One query."""
    return list(AuditFirm.objects.filter(approved=True).order_by("name").values_list("name", flat=True))


def firm_warning(name: str, register: dict[str, AuditFirm] | None = None) -> str | None:
    """A sentence when ``name`` (an audit's firm) is not an approved firm of the register;
    None for an approved firm or no firm. Never a refusal: imports keep any text."""
    if not (name or "").strip():
        return None
    register = firm_register() if register is None else register
    firm = register.get(normalize_name(name))
    if firm is None:
        return _("%(firm)s is not in the register of audit firms.") % {"firm": name}
    if not firm.approved:
        return _("%(firm)s is in the register but not approved.") % {"firm": firm.name}
    return None


def schedule_warnings(audit: Audit) -> list[str]:
    """What to tell the person scheduling ``audit`` without refusing it: dates after the date
    the site's cycle needs the audit by, and a firm that is not approved."""
    warnings = []
    if audit.due_by and audit.conducted_on and audit.conducted_on > audit.due_by:
        warnings.append(_("The audit ends on %(end)s, after the date it is due by (%(due)s): the site's audit "
                          "will have lapsed by then.") % {"end": audit.conducted_on.isoformat(),
                                                          "due": audit.due_by.isoformat()})
    elif audit.due_by and audit.start_date and audit.start_date > audit.due_by:
        warnings.append(_("The audit starts on %(start)s, after the date it is due by (%(due)s).") % {
            "start": audit.start_date.isoformat(), "due": audit.due_by.isoformat()})
    firm = firm_warning(audit.audit_firm)
    if firm:
        warnings.append(firm)
    return warnings
