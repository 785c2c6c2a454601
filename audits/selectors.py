"""Reads of audit data in bulk: the scoring frames, the one definition of "overdue", the
per-site two-year cycle and the population the audit programme covers, as of any date.

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
from django.db.models import BooleanField, Case, DateField, ExpressionWrapper, F, Q, QuerySet, When
from django.db.models.functions import Coalesce, Least
from django.db.models.lookups import LessThan

from audits import dates, rules
from audits.models import (
    CONDUCTED_STATUSES,
    FULL_AUDIT_TYPES,
    UPCOMING_STATUSES,
    Audit,
    CapState,
    DeadlineRule,
    Finding,
    FindingStatus,
    Provision,
    RecognitionProgram,
    Severity,
    SiteRecognition,
    Standard,
)
from audits.policy import last_closed_quarter, policy_at, policy_for
from core.frames import read_frame
from suppliers.models import Site, SiteStatus, SupplierStatus

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


# At most this many suppliers' rows are read as tuples rather than by COPY (core.frames).
FEW_SUPPLIERS = 20


def _few(supplier_ids: SupplierIds) -> bool:
    """True when the selection is a short list of suppliers (a supplier's page)."""
    return supplier_ids is not None and not isinstance(supplier_ids, QuerySet) and len(supplier_ids) <= FEW_SUPPLIERS


def _read(queryset: QuerySet, spec, supplier_ids: SupplierIds) -> pd.DataFrame:
    """``core.frames.read_frame`` of a selection restricted by ``_restrict``: a few suppliers'
    rows (a supplier's page) as tuples, more by the columnar reader."""
    return read_frame(queryset, spec, few=_few(supplier_ids))


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
    sites = _keep(_read(site_rows, [("site_id", "int64"), ("supplier_id", "int64"), ("is_production", "bool"),
                                    ("status", "str")], supplier_ids), supplier_ids)

    audit_rows = (
        _restrict(Audit.objects.filter(status__in=CONDUCTED_STATUSES, conducted_on__isnull=False),
                  "site__supplier_id", supplier_ids)
        .order_by("id")
        .values_list("audit_ref", "site_id", "audit_type", "conducted_on", "score", "recognition", "saq_risk",
                     "site__supplier_id")
    )
    audits = _keep(_read(audit_rows, [
        ("audit_ref", "str"), ("site_id", "int64"), ("audit_type", "str"), ("conducted_on", "datetime"),
        ("score", "float"), ("recognition", "object"), ("saq_risk", "object"), ("supplier_id", "int64"),
    ], supplier_ids), supplier_ids)[AUDIT_COLUMNS]

    finding_rows = (
        # A withdrawn finding is ignored as if never recorded (scorecard.md section 4).
        _restrict(Finding.objects.exclude(status=FindingStatus.WITHDRAWN), "audit__site__supplier_id", supplier_ids)
        .order_by("id")
        .annotate(scored_due_on=Case(When(due_on_given=True, then=F("correction_due_on")), default=None,
                                     output_field=DateField()))
        .values_list("finding_ref", "audit__site_id", "severity", "zero_tolerance", "opened_on",
                     "scored_due_on", "closed_on", "audit__site__supplier_id")
    )
    findings = _keep(_read(finding_rows, [
        ("finding_ref", "str"), ("site_id", "int64"), ("severity", "str"), ("zero_tolerance", "bool"),
        ("opened_on", "datetime"), ("due_on", "datetime"), ("closed_on", "datetime"), ("supplier_id", "int64"),
    ], supplier_ids), supplier_ids)[FINDING_COLUMNS]
    return sites, audits, findings


# --------------------------------------------------------------------------- overdue

# CAP states that still owe procurement a plan. A finding without a CAP row owes one too.
CAP_AWAITING_SUBMISSION = (CapState.NOT_STARTED, CapState.REJECTED)
# An opportunity for improvement only recommends a plan and has no deadline (domain.md,
# the deadline table): it is never overdue. Every other severity, ``risk`` included, is.
NEVER_OVERDUE_SEVERITIES = (Severity.OFI,)


def open_at(as_of: dt.date) -> Q:
    """Findings open at ``as_of`` (scorecard.md section 4): opened on or before it and
    not closed on or before it, and whose CAP is not verified closed. A verified CAP owes
    nothing more even when the finding's closing date (set at verification, or imported)
    falls after ``as_of``; the CAP state is today's, there is no CAP history."""
    return (Q(opened_on__lte=as_of) & (Q(closed_on__isnull=True) | Q(closed_on__gt=as_of))
            & ~Q(corrective_action__state=CapState.VERIFIED_CLOSED))


# The working due dates (docs/audits.md, "Extending a due date"): an extension, else the
# date as given. Reminders and "overdue" use them; the scorecard keeps the given dates.
WORKING_DUE = {"cap_due_on": "cap_due_extended_to", "correction_due_on": "correction_due_extended_to"}


def working_due(field: str, prefix: str = "") -> Coalesce:
    """The working due date of ``field`` (``cap_due_on``/``correction_due_on``) as an
    expression on ``Finding`` (``prefix`` e.g. ``"finding__"`` from a related model)."""
    return Coalesce(f"{prefix}{WORKING_DUE[field]}", f"{prefix}{field}", output_field=DateField())


def _due_before(field: str, as_of: dt.date) -> Q:
    return Q(LessThan(working_due(field), as_of))


def overdue_conditions(as_of: dt.date) -> dict[str, Q]:
    """The one definition of "overdue" at ``as_of``, as filters on ``Finding``.

    ``cap_overdue``: open at ``as_of``, not an opportunity for improvement, working CAP
    due date before ``as_of`` and the CAP still awaiting a plan (no CAP row, ``not_started``
    or ``rejected``; the CAP state is today's, there is no CAP history).
    ``correction_overdue``: open at ``as_of``, not an opportunity for improvement, working
    correction due date before ``as_of``. A due date equal to ``as_of`` is not overdue.
    The working due date is the extension's when one was granted (``WORKING_DUE``).
    Use them in ``filter()``, ``Count(filter=...)`` or through ``with_overdue``.
    """
    late = open_at(as_of) & ~Q(severity__in=NEVER_OVERDUE_SEVERITIES)
    awaiting = Q(corrective_action__isnull=True) | Q(corrective_action__state__in=CAP_AWAITING_SUBMISSION)
    return {
        "cap_overdue": late & _due_before("cap_due_on", as_of) & awaiting,
        "correction_overdue": late & _due_before("correction_due_on", as_of),
    }


def with_overdue(findings: QuerySet[Finding], as_of: dt.date) -> QuerySet[Finding]:
    """``findings`` annotated with booleans ``cap_overdue``, ``correction_overdue`` and
    ``is_overdue`` (either of them) at ``as_of`` (``overdue_conditions``), and
    ``overdue_since``: the earliest working due date that is overdue (the CAP's, the
    correction's), ``None`` when nothing is; ``days_overdue(finding.overdue_since, as_of)``
    counts the days. No extra query."""
    conditions = overdue_conditions(as_of)
    cap, correction = conditions["cap_overdue"], conditions["correction_overdue"]
    conditions["is_overdue"] = cap | correction
    annotated = findings.annotate(**{name: ExpressionWrapper(condition, output_field=BooleanField())
                                     for name, condition in conditions.items()})
    cap_due, correction_due = working_due("cap_due_on"), working_due("correction_due_on")
    return annotated.annotate(overdue_since=Case(
        When(cap & correction, then=Least(cap_due, correction_due)),
        When(cap, then=cap_due), When(correction, then=correction_due),
        default=None, output_field=DateField()))


def days_overdue(overdue_since: dt.date | None, as_of: dt.date) -> int | None:
    """Whole days a finding is overdue at ``as_of``, from ``with_overdue``'s
    ``overdue_since`` (1 the day after the due date); ``None`` when it is not overdue."""
    return None if overdue_since is None else (as_of - overdue_since).days


# --------------------------------------------------------------------------- the two-year cycle

CYCLE_COLUMNS = [
    "site_id", "site_code", "site_name", "supplier_id", "supplier_code", "supplier_status",
    "is_production", "site_status", "relevant",
    "last_full_audit_id", "last_full_audit_ref", "last_full_audit_on", "score", "recognition",
    "responsible_analyst_id", "valid_until", "status", "next_due",
    "upcoming_audit_id", "upcoming_audit_ref", "upcoming_audit_status", "upcoming_audit_date",
]


def site_cycle_status(as_of: dt.date, supplier_ids: SupplierIds = None, *, expiring_days: int | None = None,
                      validity_months: int | None = None) -> pd.DataFrame:
    """One row per site (``CYCLE_COLUMNS``) with its two-year audit cycle at ``as_of``.

    ``status``: ``valid`` / ``expiring`` (no longer valid ``expiring_days`` later) /
    ``expired`` / ``never_audited``, from the site's latest full audit that ended on or
    before ``as_of`` (``audits.rules.latest_full_audits``: same day the higher score,
    then the greater reference, as the scoring engine picks it). ``valid_until`` is that
    audit's last valid day and ``next_due`` the date the next full audit is due
    (``valid_until``; ``as_of`` for a site never audited). ``upcoming_*`` names the
    earliest planned, scheduled or in-progress full audit. ``relevant``: a production
    site with status active (scorecard.md section 4). ``expiring_days`` and
    ``validity_months`` default to the methodology in force at ``as_of``
    (``audits.policy``). Dates are ``datetime.date`` or ``None``. Two queries, the sites and
    their full audits (plus the policy's one or two when a parameter is left out).
    """
    columns = _cycle_columns(as_of, supplier_ids, expiring_days, validity_months)
    return pd.DataFrame({name: pd.Series(values, dtype=object) if isinstance(values, np.ndarray) else values
                         for name, values in ((name, columns[name]) for name in CYCLE_COLUMNS)}, copy=False)


def site_cycle_rows(as_of: dt.date, supplier_ids: SupplierIds = None, *, expiring_days: int | None = None,
                    validity_months: int | None = None) -> list[dict]:
    """The rows of ``site_cycle_status`` as dictionaries of Python values (``None`` for a
    missing one, ids as ``int``), in the same order, without building a frame: a supplier's
    page reads its few sites' cycle this way (#13). Same queries."""
    columns = _cycle_columns(as_of, supplier_ids, expiring_days, validity_months)
    values = [columns[name].tolist() if isinstance(columns[name], np.ndarray) else columns[name]
              for name in CYCLE_COLUMNS]
    return [dict(zip(CYCLE_COLUMNS, row, strict=True)) for row in zip(*values, strict=True)]


def _cycle_columns(as_of: dt.date, supplier_ids: SupplierIds, expiring_days: int | None,
                   validity_months: int | None) -> dict[str, list | np.ndarray]:
    """``CYCLE_COLUMNS`` → the column's values (a list, or an object array of Python values)."""
    if expiring_days is None or validity_months is None:
        policy = policy_at(as_of)
        expiring_days = policy.expiring_days if expiring_days is None else expiring_days
        validity_months = policy.validity_months if validity_months is None else validity_months
    # The columnar reader (core.frames) for many suppliers, the ORM's tuples for a few: either
    # way each column arrives as an object array of the ORM's Python values (dates as
    # datetime.date, scores as Decimal, None for NULL).
    site_rows = (_restrict(Site.objects.all(), "supplier_id", supplier_ids).order_by("code").values_list(
        "id", "code", "name", "supplier_id", "supplier__code", "supplier__status", "is_production", "status"))
    sites = _value_columns(site_rows, [
        ("site_id", "int64"), ("site_code", "str"), ("site_name", "str"), ("supplier_id", "int64"),
        ("supplier_code", "str"), ("supplier_status", "str"), ("is_production", "bool"), ("site_status", "str")],
        supplier_ids, keep="supplier_id")

    # The full audits that took place by ``as_of`` and those still to take place, in one read.
    audit_rows = (
        _restrict(Audit.objects.filter(Q(status__in=CONDUCTED_STATUSES, conducted_on__lte=as_of)
                                       | Q(status__in=UPCOMING_STATUSES), audit_type__in=FULL_AUDIT_TYPES),
                  "site__supplier_id", supplier_ids)
        .values_list("site_id", "id", "audit_ref", "status", "conducted_on", "due_by", "score", "recognition",
                     "responsible_analyst_id", "audit_type")
    )
    audits = _value_columns(audit_rows, [
        ("site_id", "int64"), ("audit_id", "int64"), ("audit_ref", "str"), ("status", "str"),
        ("conducted_on", "date"), ("due_by", "date"), ("score", "decimal"), ("recognition", "object"),
        ("responsible_analyst_id", "float"), ("audit_type", "str")], supplier_ids)
    audit_sites = audits["site_id"].astype(np.int64)
    statuses = audits["status"]
    conducted = np.flatnonzero(np.isin(statuses, CONDUCTED_STATUSES))
    picked = conducted[rules.latest_full_audits(
        audit_sites[conducted], audits["audit_type"][conducted],
        np.array(audits["conducted_on"][conducted], dtype="datetime64[D]").astype("datetime64[ns]"),
        np.array([np.nan if s is None else float(s) for s in audits["score"][conducted]], dtype=float),
        audits["audit_ref"][conducted], as_of=as_of)]

    # Per site the earliest upcoming audit: by its date (end date, else due-by date; none last), then reference.
    upcoming = np.flatnonzero(np.isin(statuses, UPCOMING_STATUSES))
    upcoming_sites = audit_sites[upcoming]
    upcoming_dates = _object_array([e if e is not None else d for e, d in zip(
        audits["conducted_on"][upcoming], audits["due_by"][upcoming], strict=True)])
    order = np.lexsort((
        pd.factorize(audits["audit_ref"][upcoming], sort=True)[0],
        np.fromiter(((d or dt.date.max).toordinal() for d in upcoming_dates), dtype=np.int64, count=len(upcoming)),
        upcoming_sites,
    ))
    first = order[np.r_[True, upcoming_sites[order][1:] != upcoming_sites[order][:-1]][:len(order)]]

    # Each site's latest and upcoming audit, looked up by site id (both picks are one row per site).
    site_ids = sites["site_id"].astype(np.int64)
    latest = _lookup(audit_sites[picked], site_ids)
    soon = _lookup(upcoming_sites[first], site_ids)
    columns = {name: sites[name] for name in ("site_code", "site_name", "supplier_code", "supplier_status",
                                              "is_production", "site_status")}
    for name, source in (("last_full_audit_id", "audit_id"), ("last_full_audit_ref", "audit_ref"),
                         ("last_full_audit_on", "conducted_on"), ("score", "score"), ("recognition", "recognition"),
                         ("responsible_analyst_id", "responsible_analyst_id")):
        columns[name] = latest(audits[source][picked])
    for name, values in (("upcoming_audit_id", audits["audit_id"][upcoming]),
                         ("upcoming_audit_ref", audits["audit_ref"][upcoming]),
                         ("upcoming_audit_status", statuses[upcoming]),
                         ("upcoming_audit_date", upcoming_dates)):
        columns[name] = soon(values[first])
    last_on = columns["last_full_audit_on"].tolist()
    valid_until = [dates.audit_valid_until(d, validity_months) if d is not None else None for d in last_on]
    # Built from lists, these columns take the dtype pandas infers (ids: int64, float64 with a gap, object
    # when all are missing), as they always have.
    columns.update({
        "site_id": site_ids.tolist(), "supplier_id": sites["supplier_id"].tolist(),
        "relevant": [bool(p) and s == "active" for p, s in zip(columns["is_production"], columns["site_status"],
                                                                strict=True)],
        "valid_until": valid_until,
        "status": [dates.cycle_status(d, as_of, expiring_days, validity_months) for d in last_on],
        "next_due": [until if until is not None else as_of for until in valid_until],
    })
    for column in ("last_full_audit_id", "upcoming_audit_id", "responsible_analyst_id"):
        columns[column] = [None if v is None else int(v) for v in columns[column]]
    return columns


def _value_columns(queryset: QuerySet, spec, supplier_ids: SupplierIds, keep: str | None = None
                   ) -> dict[str, np.ndarray]:
    """The rows of a ``values_list`` queryset as column name → object array of Python values
    (``None`` for a missing one). A few suppliers' rows are the ORM's tuples as they come (no
    frame built: the supplier page, #13); more go through ``core.frames.read_frame`` and are
    filtered by ``_keep`` on the column ``keep`` when given. One query."""
    names = [name for name, _ in spec]
    if _few(supplier_ids):
        rows = list(queryset)
        return {name: _object_array(values)
                for name, values in zip(names, zip(*rows, strict=True) if rows else [()] * len(names), strict=True)}
    frame = read_frame(queryset, spec)
    if keep is not None:
        frame = _keep(frame, supplier_ids, keep)
    return {name: _objects(frame[name]) for name in names}


def _object_array(values) -> np.ndarray:
    """A sequence as a one-dimensional object array, each item as it is."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _objects(column: pd.Series) -> np.ndarray:
    """A column as an object array of Python values, ``None`` for a missing one (NaN, NaT, None)."""
    values = column.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return values


def _lookup(keys: np.ndarray, wanted: np.ndarray):
    """``take(values)``: ``values`` (one per sorted unique ``keys``) aligned to ``wanted``, ``None`` where
    ``wanted`` has no key; the left join of one value per key, without a merge."""
    position = np.searchsorted(keys, wanted)
    found = position < len(keys)
    found[found] = keys[position[found]] == wanted[found]

    def take(values: np.ndarray) -> np.ndarray:
        aligned = np.full(len(wanted), None, dtype=object)
        aligned[found] = values[position[found]]
        return aligned

    return take


def supplier_cycle_coverage(as_of: dt.date, supplier_ids: SupplierIds = None, *,
                            expiring_days: int | None = None) -> pd.DataFrame:
    """Per supplier with at least one site: relevant sites, how many hold a valid full
    audit at ``as_of`` and ``covered`` (every relevant site valid; ``None`` without a
    relevant site, where the question does not apply). Columns ``supplier_id``,
    ``supplier_code``, ``relevant_sites``, ``valid_sites`` (int), ``covered``; validity
    as in ``site_cycle_status`` (the methodology in force)."""
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


# --------------------------------------------------------------------------- population


def last_closed_population(as_of: dt.date) -> pd.DataFrame:
    """The scored suppliers of the last closed quarter at ``as_of`` (the latest quarter
    ended on or before it) with their spend basis and population (scorecard.md section 2),
    under the coverage target in force for that quarter (``audits.policy``). Columns
    ``supplier_id``, ``supplier_code``, ``basis`` (Decimal, base currency), ``population``
    (``full`` | ``ecovadis_only``), biggest basis first. The one population that planning,
    the reminders and the demo use. Two queries plus the policy's; raises
    ``suppliers.spend.MissingFxRates`` when a rate of the window is missing.
    """
    from suppliers.services import population_for_quarter

    quarter = last_closed_quarter(as_of)
    return population_for_quarter(quarter=quarter, target=policy_for(quarter).coverage_target)


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
    """Number of the audit's findings still open (withdrawn and closed ones are not). One query."""
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


# --------------------------------------------------------------------------- site recognitions

RECOGNITION_COLUMNS = ["site_id", "program", "awarded_on", "expires_on"]


def recognitions_frame(supplier_ids: SupplierIds = None) -> pd.DataFrame:
    """Site recognitions of the given suppliers' sites, as ``scoring/inputs.py`` documents
    (``recognitions``): site_id int64, program str, awarded_on / expires_on datetime64[ns]
    (``expires_on`` always set: the last valid day). One query."""
    rows = (_restrict(SiteRecognition.objects.all(), "site__supplier_id", supplier_ids)
            .order_by("id").values_list("site_id", "program", "awarded_on", "expires_on", "site__supplier_id"))
    return _keep(_read(rows, [("site_id", "int64"), ("program", "str"), ("awarded_on", "datetime"),
                              ("expires_on", "datetime"), ("supplier_id", "int64")], supplier_ids),
                 supplier_ids)[RECOGNITION_COLUMNS]


def latest_recognitions(as_of: dt.date, site_ids: list[int] | None = None) -> list[dict]:
    """``rba_foc`` recognitions awarded by ``as_of`` of active sites of suppliers not
    terminated (of ``site_ids`` when given), ordered by site, then ``expires_on``, then id:
    the last row of a site is the one expiring last. Keys: id, site_id, site_code,
    supplier_id, supplier_code, owner_id, awarded_on, expires_on. One query."""
    rows = SiteRecognition.objects.filter(
        program=RecognitionProgram.RBA_FOC, awarded_on__lte=as_of, site__status=SiteStatus.ACTIVE,
    ).exclude(site__supplier__status=SupplierStatus.TERMINATED)
    if site_ids is not None:
        rows = rows.filter(site_id__in=list(site_ids))
    return list(rows.order_by("site_id", "expires_on", "id").values(
        "id", "site_id", "awarded_on", "expires_on", site_code=F("site__code"), supplier_id=F("site__supplier_id"),
        supplier_code=F("site__supplier__code"), owner_id=F("site__supplier__owner_id")))


def site_recognitions(site_ids, as_of: dt.date) -> dict[int, dict]:
    """Site id → its Factory of Choice status at ``as_of`` for pages: the latest recognition
    (``latest_recognitions``) with ``valid`` = ``awarded_on <= as_of <= expires_on``
    (section 9). Sites without one are absent. One query."""
    result = {}
    for row in latest_recognitions(as_of, site_ids):
        result[row["site_id"]] = {**row, "valid": row["awarded_on"] <= as_of <= row["expires_on"]}
    return result
