"""The dashboard's audit-cycle summary of a day, computed once by the one cycle rule
(``audits.selectors.site_cycle_status``) and stored (``core.summaries``).

The summary is recomputed when the business day changes (audits move from valid to
expiring to expired at midnight), when the audit policy in force changes, and when an
audit, site, supplier or site recognition is inserted, updated or deleted (their newest
id and history id are part of the fingerprint). It covers every site: the dashboard is a
procurement page and procurement sees every supplier (``suppliers.selectors.visible_suppliers``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from audits import dates
from audits.models import Audit, CapState, CorrectiveAction, Finding, FindingStatus, Severity, SiteRecognition
from audits.policy import policy_at
from audits.selectors import overdue_conditions, site_cycle_status
from core.summaries import Computed, latest_changes, stored
from suppliers.models import Site, Supplier

KEY = "audit-cycle"
# Expiring sites kept in the summary: the dashboard shows the first few, the cycle page lists all.
EXPIRING_ROWS = 10
ROW_FIELDS = ("site_id", "site_code", "site_name", "supplier_code", "valid_until", "status",
              "upcoming_audit_ref", "upcoming_audit_date")
DATE_FIELDS = ("valid_until", "upcoming_audit_date")
SOURCES = (Audit, Site, Supplier, SiteRecognition)


def cycle_summary(as_of: dt.date) -> dict:
    """The audit cycle of the relevant sites (production, active; scorecard.md section 4)
    at ``as_of``, with the validity and expiring horizon in force (``audits.policy``):
    ``{"day": date, "counts": {status: n for every cycle status}, "expiring_count": n,
    "expiring": [row, …]}``; ``expiring`` holds the first ``EXPIRING_ROWS`` expiring sites,
    soonest ``valid_until`` first then by site code, each with ``ROW_FIELDS`` (dates as
    ``datetime.date``). Three queries when the stored summary is fresh (policy,
    fingerprint, summary); otherwise ``site_cycle_status`` runs once and is stored."""
    policy = policy_at(as_of)
    fingerprint = "|".join([as_of.isoformat(), str(policy.validity_months), str(policy.expiring_days),
                            policy.methodology, latest_changes(SOURCES)])
    summary = stored(KEY, fingerprint, lambda: _compute(as_of, policy.expiring_days, policy.validity_months))
    payload = dict(summary.payload)
    payload["day"] = dt.date.fromisoformat(payload["day"])
    payload["expiring"] = [_dates_back(row) for row in payload["expiring"]]
    return payload


def _compute(as_of: dt.date, expiring_days: int, validity_months: int) -> Computed:
    frame = site_cycle_status(as_of, expiring_days=expiring_days, validity_months=validity_months)
    rows = frame[frame["relevant"].astype(bool)] if len(frame) else frame
    counts = dict.fromkeys(dates.CYCLE_STATUSES, 0)
    for status, n in (rows["status"].value_counts().items() if len(rows) else []):
        counts[status] = int(n)
    expiring = rows[rows["status"] == dates.EXPIRING].to_dict("records") if len(rows) else []
    expiring.sort(key=lambda row: (row["valid_until"] or dt.date.max, row["site_code"]))
    return Computed(payload={
        "day": as_of.isoformat(), "counts": counts, "expiring_count": len(expiring),
        "expiring": [_json_row(row) for row in expiring[:EXPIRING_ROWS]],
    })


def _json_row(row: dict) -> dict:
    out = {name: row.get(name) for name in ROW_FIELDS}
    for name in DATE_FIELDS:
        out[name] = out[name].isoformat() if out[name] is not None else None
    return out


def _dates_back(row: dict) -> dict:
    row = dict(row)
    for name in DATE_FIELDS:
        row[name] = dt.date.fromisoformat(row[name]) if row[name] else None
    return row


# --------------------------------------------------------------------------- open findings

FINDINGS_KEY = "open-findings"
FINDING_SOURCES = (Finding, CorrectiveAction)


def open_findings_counts(findings: QuerySet[Finding], as_of: dt.date) -> dict:
    """Counts over ``findings`` still open (status ``open``): ``total``, ``cap_overdue``
    and ``correction_overdue`` at ``as_of`` (``audits.selectors.overdue_conditions``),
    ``awaiting_review`` (CAP submitted) and one count per severity value. One aggregate query."""
    overdue = overdue_conditions(as_of)
    return findings.filter(status=FindingStatus.OPEN).aggregate(
        total=Count("id"),
        cap_overdue=Count("id", filter=overdue["cap_overdue"]),
        correction_overdue=Count("id", filter=overdue["correction_overdue"]),
        awaiting_review=Count("id", filter=Q(corrective_action__state=CapState.SUBMITTED)),
        **{severity: Count("id", filter=Q(severity=severity)) for severity in Severity.values},
    )


def open_findings(as_of: dt.date) -> dict:
    """``open_findings_counts`` over every finding at ``as_of``, stored until the day
    changes or a finding or CAP is inserted, updated or deleted. Two queries when fresh."""
    fingerprint = "|".join([as_of.isoformat(), latest_changes(FINDING_SOURCES)])
    summary = stored(FINDINGS_KEY, fingerprint,
                     lambda: Computed(payload=open_findings_counts(Finding.objects.all(), as_of)))
    return dict(summary.payload)
