"""Reads of audit data in bulk: the scoring frames, the per-site two-year cycle and the
audit-derived indicator facts of scorecard.md section 4, as of any date.

Every function issues one query per table whatever the number of suppliers.
``supplier_ids``: ``None`` means every supplier; a queryset of ids is used as a
subquery; a long list is not sent as a giant ``IN (...)`` but filtered after a single
unrestricted read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import pandas as pd
from django.db.models import Case, DateField, F, QuerySet, When

from audits import dates
from audits.models import (
    CONDUCTED_STATUSES,
    FULL_AUDIT_TYPES,
    UPCOMING_STATUSES,
    Audit,
    AuditType,
    DeadlineRule,
    Finding,
    FindingStatus,
    Provision,
    Standard,
)
from core.frames import read_frame
from core.quarter import months_before
from suppliers.models import Site

SITE_COLUMNS = ["site_id", "supplier_id", "is_production", "status"]
AUDIT_COLUMNS = ["audit_ref", "site_id", "audit_type", "conducted_on", "score", "recognition", "saq_risk"]
FINDING_COLUMNS = ["finding_ref", "site_id", "severity", "zero_tolerance", "opened_on", "due_on", "closed_on"]

# Above this many ids a list is filtered in pandas after one unrestricted read.
LARGE_ID_LIST = 2000

SupplierIds = Collection[int] | QuerySet | None


# --------------------------------------------------------------------------- helpers


def _restrict(queryset: QuerySet, path: str, supplier_ids: SupplierIds) -> QuerySet:
    if supplier_ids is None:
        return queryset
    if isinstance(supplier_ids, QuerySet) or len(supplier_ids) <= LARGE_ID_LIST:
        return queryset.filter(**{f"{path}__in": supplier_ids})
    return queryset


def _keep(frame: pd.DataFrame, supplier_ids: SupplierIds, column: str = "supplier_id") -> pd.DataFrame:
    """The pandas half of ``_restrict`` for long id lists."""
    if supplier_ids is None or isinstance(supplier_ids, QuerySet) or len(supplier_ids) <= LARGE_ID_LIST:
        return frame
    return frame[frame[column].isin(set(supplier_ids))].reset_index(drop=True)


# --------------------------------------------------------------------------- scoring frames


def scoring_frames(supplier_ids: SupplierIds = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(sites, audits, findings) of the given suppliers, as ``scoring/inputs.py`` documents.

    Three queries. Audits are those that took place (report pending, corrective actions
    open or closed) with an end date; planned and cancelled ones are left out. A
    finding's ``due_on`` is its correction due date when that date was given (imported
    ``due_on`` or set in the app), not when only the deadline table derived it.
    """
    site_rows = (_restrict(Site.objects.all(), "supplier_id", supplier_ids)
                 .order_by("id").values_list("id", "supplier_id", "is_production", "status"))
    sites = _keep(read_frame(site_rows, [("site_id", "int64"), ("supplier_id", "int64"), ("is_production", "bool"),
                                     ("status", "str")]), supplier_ids)

    audit_rows = (
        _restrict(Audit.objects.filter(status__in=CONDUCTED_STATUSES, end_date__isnull=False),
                  "site__supplier_id", supplier_ids)
        .order_by("id")
        .values_list("audit_ref", "site_id", "audit_type", "end_date", "score", "recognition", "saq_risk",
                     "site__supplier_id")
    )
    audits = _keep(read_frame(audit_rows, [
        ("audit_ref", "str"), ("site_id", "int64"), ("audit_type", "str"), ("conducted_on", "datetime"),
        ("score", "float"), ("recognition", "object"), ("saq_risk", "object"), ("supplier_id", "int64"),
    ]), supplier_ids)[AUDIT_COLUMNS]

    finding_rows = (
        # A withdrawn finding is ignored as if never recorded (scorecard.md section 4).
        _restrict(Finding.objects.exclude(status=FindingStatus.WITHDRAWN), "audit__site__supplier_id", supplier_ids)
        .order_by("id")
        .annotate(scored_due_on=Case(When(due_on_given=True, then=F("correction_due_on")), default=None,
                                     output_field=DateField()))
        .values_list("finding_ref", "audit__site_id", "severity", "zero_tolerance", "opened_on",
                     "scored_due_on", "closed_on", "audit__site__supplier_id")
    )
    findings = _keep(read_frame(finding_rows, [
        ("finding_ref", "str"), ("site_id", "int64"), ("severity", "str"), ("zero_tolerance", "bool"),
        ("opened_on", "datetime"), ("due_on", "datetime"), ("closed_on", "datetime"), ("supplier_id", "int64"),
    ]), supplier_ids)[FINDING_COLUMNS]
    return sites, audits, findings


# The name the issue uses for the same read.
audit_frames = scoring_frames


# --------------------------------------------------------------------------- the two-year cycle

CYCLE_COLUMNS = [
    "site_id", "site_code", "site_name", "supplier_id", "supplier_code", "supplier_status",
    "is_production", "site_status", "relevant",
    "last_full_audit_id", "last_full_audit_ref", "last_full_audit_on", "score", "recognition",
    "responsible_analyst_id", "valid_until", "status", "next_due",
    "upcoming_audit_id", "upcoming_audit_ref", "upcoming_audit_status", "upcoming_audit_date",
]


def site_cycle_status(as_of: dt.date, supplier_ids: SupplierIds = None, *,
                      expiring_days: int = dates.DEFAULT_EXPIRING_DAYS) -> pd.DataFrame:
    """One row per site (``CYCLE_COLUMNS``) with its two-year audit cycle at ``as_of``.

    ``status``: ``valid`` / ``expiring`` (no longer valid ``expiring_days`` later) /
    ``expired`` / ``never_audited``, from the site's latest full audit that ended on or
    before ``as_of`` (same day: the higher score, then the greater reference, as the
    scoring engine picks it). ``valid_until`` is that audit's last valid day and
    ``next_due`` the date the next full audit is due (``valid_until``; ``as_of`` for a
    site never audited). ``upcoming_*`` names the earliest planned, scheduled or
    in-progress full audit. ``relevant``: a production site with status active
    (scorecard.md section 4). Dates are ``datetime.date`` or ``None``. Three queries.
    """
    site_rows = list(
        _restrict(Site.objects.all(), "supplier_id", supplier_ids).order_by("code").values_list(
            "id", "code", "name", "supplier_id", "supplier__code", "supplier__status", "is_production", "status")
    )
    sites = _keep(pd.DataFrame.from_records(site_rows, columns=[
        "site_id", "site_code", "site_name", "supplier_id", "supplier_code", "supplier_status", "is_production",
        "site_status"]), supplier_ids)

    audit_rows = list(
        _restrict(Audit.objects.filter(audit_type__in=FULL_AUDIT_TYPES, status__in=CONDUCTED_STATUSES,
                                       end_date__lte=as_of), "site__supplier_id", supplier_ids)
        .values_list("site_id", "id", "audit_ref", "end_date", "score", "recognition", "responsible_analyst_id")
    )
    latest = pd.DataFrame.from_records(audit_rows, columns=[
        "site_id", "last_full_audit_id", "last_full_audit_ref", "last_full_audit_on", "score", "recognition",
        "responsible_analyst_id"])
    if len(latest):
        latest["_score_rank"] = [(-1.0 if s is None else float(s)) for s in latest["score"]]
        latest = (latest.sort_values(["site_id", "last_full_audit_on", "_score_rank", "last_full_audit_ref"])
                  .drop_duplicates("site_id", keep="last").drop(columns="_score_rank"))

    upcoming_rows = list(
        _restrict(Audit.objects.filter(audit_type__in=FULL_AUDIT_TYPES, status__in=UPCOMING_STATUSES),
                  "site__supplier_id", supplier_ids)
        .values_list("site_id", "id", "audit_ref", "status", "end_date", "due_by")
    )
    upcoming = pd.DataFrame.from_records(upcoming_rows, columns=[
        "site_id", "upcoming_audit_id", "upcoming_audit_ref", "upcoming_audit_status", "end_date", "due_by"])
    if len(upcoming):
        upcoming["upcoming_audit_date"] = [e if e is not None else d
                                           for e, d in zip(upcoming["end_date"], upcoming["due_by"], strict=True)]
        upcoming["_order"] = [d or dt.date.max for d in upcoming["upcoming_audit_date"]]
        upcoming = upcoming.sort_values(["site_id", "_order", "upcoming_audit_ref"]).drop_duplicates("site_id")
    upcoming = upcoming.drop(columns=["end_date", "due_by", "_order"], errors="ignore")
    if "upcoming_audit_date" not in upcoming:
        upcoming["upcoming_audit_date"] = []

    frame = sites.merge(latest, on="site_id", how="left").merge(upcoming, on="site_id", how="left")
    frame = frame.astype(object).where(frame.notna(), None)
    last_on = frame["last_full_audit_on"].tolist()
    frame["valid_until"] = [dates.audit_valid_until(d) if d is not None else None for d in last_on]
    frame["status"] = [dates.cycle_status(d, as_of, expiring_days) for d in last_on]
    frame["next_due"] = [until if until is not None else as_of for until in frame["valid_until"]]
    frame["relevant"] = [bool(p) and s == "active" for p, s in zip(frame["is_production"], frame["site_status"],
                                                                    strict=True)]
    for column in ("site_id", "supplier_id", "last_full_audit_id", "upcoming_audit_id", "responsible_analyst_id"):
        frame[column] = [None if v is None else int(v) for v in frame[column]]
    return frame[CYCLE_COLUMNS].reset_index(drop=True)


def supplier_cycle_coverage(as_of: dt.date, supplier_ids: SupplierIds = None, *,
                            expiring_days: int = dates.DEFAULT_EXPIRING_DAYS) -> pd.DataFrame:
    """Per supplier with at least one site: relevant sites, how many hold a valid full
    audit at ``as_of`` and ``covered`` (every relevant site valid; ``None`` without a
    relevant site, where the question does not apply)."""
    cycle = site_cycle_status(as_of, supplier_ids, expiring_days=expiring_days)
    columns = ["supplier_id", "supplier_code", "relevant_sites", "valid_sites", "covered"]
    if cycle.empty:
        return pd.DataFrame(columns=columns)
    cycle["is_valid"] = cycle["status"].isin([dates.VALID, dates.EXPIRING]) & cycle["relevant"].astype(bool)
    grouped = cycle.groupby(["supplier_id", "supplier_code"], sort=True).agg(
        relevant_sites=("relevant", "sum"), valid_sites=("is_valid", "sum")).reset_index()
    grouped["relevant_sites"] = grouped["relevant_sites"].astype(int)
    grouped["valid_sites"] = grouped["valid_sites"].astype(int)
    grouped["covered"] = [None if r == 0 else bool(v == r)
                          for r, v in zip(grouped["relevant_sites"], grouped["valid_sites"], strict=True)]
    return grouped.sort_values("supplier_code")[columns].reset_index(drop=True)


# --------------------------------------------------------------------------- indicator facts

SUMMARY_COLUMNS = [
    "supplier_id", "relevant_sites", "valid_sites", "mean_latest_score",
    "open_priority", "open_major", "open_minor", "due_in_window", "closed_on_time", "on_time_share",
    "latest_saq_on", "latest_saq_risk", "recognitions", "zero_tolerance_24m",
]
_SAQ_RANK = {"low": 1, "medium": 2, "high": 3}


def supplier_audit_summary(as_of: dt.date, supplier_ids: SupplierIds = None) -> pd.DataFrame:
    """The audit facts behind RBA-01 … RBA-09 at ``as_of``, one row per supplier with a
    site (``SUMMARY_COLUMNS``), computed from ``scoring_frames`` (three queries).

    Valid = conducted within the 24 months before ``as_of``; open = opened on or before
    and not closed on or before ``as_of``; on time = closed on or before the correction
    due date, over priority/major/minor findings due within the 12 months before
    ``as_of`` (``on_time_share`` is ``None`` when none was due); the latest SAQ within 12
    months over relevant sites (same day: higher risk); ``recognitions`` maps each
    relevant site id to the recognition of its latest valid full audit (``"none"`` when
    empty, ``None`` without a valid audit).
    """
    sites, audits, findings = scoring_frames(supplier_ids)
    return summarise_frames(sites, audits, findings, as_of)


def summarise_frames(sites: pd.DataFrame, audits: pd.DataFrame, findings: pd.DataFrame,
                     as_of: dt.date) -> pd.DataFrame:
    """Pure part of ``supplier_audit_summary``: frames in, one row per supplier out."""
    day = pd.Timestamp(as_of)
    m24, m12 = pd.Timestamp(months_before(as_of, 24)), pd.Timestamp(months_before(as_of, 12))
    sites = sites.assign(relevant=sites["is_production"].astype(bool) & (sites["status"] == "active"))
    supplier_of = dict(zip(sites["site_id"], sites["supplier_id"], strict=True))
    relevant_site = dict(zip(sites["site_id"], sites["relevant"], strict=True))

    full = audits[audits["audit_type"].isin(list(FULL_AUDIT_TYPES)) & (audits["conducted_on"] > m24)
                  & (audits["conducted_on"] <= day)]
    full = full.assign(_score=full["score"].fillna(-1.0)).sort_values(
        ["site_id", "conducted_on", "_score", "audit_ref"]).drop_duplicates("site_id", keep="last")
    latest = {row.site_id: row for row in full.itertuples(index=False)}

    findings = findings.assign(supplier_id=findings["site_id"].map(supplier_of))
    open_now = findings[(findings["opened_on"] <= day) & (findings["closed_on"].isna() | (findings["closed_on"] > day))]
    counted = findings[findings["severity"].isin(["priority", "major", "minor"])
                       & (findings["due_on"] > m12) & (findings["due_on"] <= day)]
    zero = findings[findings["zero_tolerance"] & (findings["opened_on"] > m24) & (findings["opened_on"] <= day)]

    saqs = audits[(audits["audit_type"] == AuditType.SAQ) & (audits["conducted_on"] > m12)
                  & (audits["conducted_on"] <= day) & audits["site_id"].map(relevant_site).fillna(False).astype(bool)]
    saqs = saqs.assign(supplier_id=saqs["site_id"].map(supplier_of),
                       _rank=saqs["saq_risk"].map(lambda r: _SAQ_RANK.get(str(r).lower(), 0)))
    saqs = saqs.sort_values(["supplier_id", "conducted_on", "_rank"]).drop_duplicates("supplier_id", keep="last")
    latest_saq = {row.supplier_id: row for row in saqs.itertuples(index=False)}

    rows = []
    for supplier_id, group in sites.groupby("supplier_id", sort=True):
        relevant_ids = group.loc[group["relevant"], "site_id"].tolist()
        valid = [latest[s] for s in relevant_ids if s in latest]
        scores = [a.score for a in valid if not np.isnan(a.score)]
        mine_open = open_now[open_now["supplier_id"] == supplier_id]
        mine_due = counted[counted["supplier_id"] == supplier_id]
        on_time = int((mine_due["closed_on"].notna() & (mine_due["closed_on"] <= mine_due["due_on"])).sum())
        saq = latest_saq.get(supplier_id)
        rows.append({
            "supplier_id": int(supplier_id),
            "relevant_sites": len(relevant_ids),
            "valid_sites": len(valid),
            "mean_latest_score": float(np.mean(scores)) if scores else None,
            "open_priority": int((mine_open["severity"] == "priority").sum()),
            "open_major": int((mine_open["severity"] == "major").sum()),
            "open_minor": int((mine_open["severity"] == "minor").sum()),
            "due_in_window": len(mine_due),
            "closed_on_time": on_time,
            "on_time_share": on_time / len(mine_due) if len(mine_due) else None,
            "latest_saq_on": saq.conducted_on.date() if saq is not None else None,
            "latest_saq_risk": saq.saq_risk if saq is not None else None,
            "recognitions": {int(s): ((latest[s].recognition or "none") if s in latest else None)
                             for s in relevant_ids},
            "zero_tolerance_24m": bool((zero["supplier_id"] == supplier_id).any()),
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


# --------------------------------------------------------------------------- reference data


def deadline_terms() -> dict[str, dates.DeadlineTerms]:
    """The deadline table, one query; a severity missing from it falls back to the default."""
    terms = dict(dates.DEFAULT_TERMS)
    for rule in DeadlineRule.objects.all():
        terms[rule.severity] = dates.DeadlineTerms(
            cap_days=rule.cap_days, cap_clock=rule.cap_clock, correction_days=rule.correction_days,
            correction_days_health_safety=rule.correction_days_health_safety,
            overall_limit_months=rule.overall_limit_months,
        )
    return terms


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def rba_provisions_by_code() -> dict[str, tuple[int, str]]:
    """Lower-cased RBA provision code → (provision id, code): the newest version of the
    RBA Code wins (8.0 before 7.0). One query."""
    rows = Provision.objects.filter(standard=Standard.RBA).values_list("id", "version", "code")
    best: dict[str, tuple[tuple, int, str]] = {}
    for pk, version, code in rows:
        key = code.lower()
        rank = _version_key(version)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, pk, code)
    return {key: (pk, code) for key, (_, pk, code) in best.items()}


def open_findings_count(audit_id: int) -> int:
    return Finding.objects.filter(audit_id=audit_id, status=FindingStatus.OPEN).count()


def notifications_for(user) -> QuerySet:
    """The user's own in-app notifications, newest first (cancelled ones are hidden). A
    supplier user's are also kept to its own supplier, whatever was addressed to it."""
    from django.db.models import Q

    from audits.models import Notification
    from core import roles
    from suppliers.selectors import supplier_id_of

    rows = Notification.objects.filter(recipient_id=user.pk, cancelled_at__isnull=True)
    if not roles.is_procurement(user):
        rows = rows.filter(Q(supplier__isnull=True) | Q(supplier_id=supplier_id_of(user)))
    return rows.order_by("-created_at", "-id")
