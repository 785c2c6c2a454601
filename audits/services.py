"""Writes on audits, findings and corrective action plans.

Every function validates before it saves and refuses an invalid transition with a
``ValidationError`` naming the field and the reason; every change to a finding or its
CAP is recorded in the change log (who, when, what).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from audits import dates, escalation, notifications, planning, selectors
from audits.models import (
    CONDUCTED_STATUSES,
    FULL_AUDIT_TYPES,
    HEALTH_AND_SAFETY_SECTION,
    ZERO_TOLERANCE_PROVISIONS,
    Audit,
    AuditStatus,
    AuditType,
    CapEvidence,
    CapManager,
    CapState,
    CapTransition,
    ClosureMethod,
    CorrectiveAction,
    Finding,
    FindingStatus,
    Provision,
    Severity,
    Standard,
)
from core import roles, uploads
from core.history import actor_fields, history_context, record_bulk_history, stamp
from core.importing import NOT_GIVEN, ImportResult, given, upsert
from core.quarter import MAX_YEAR, MIN_YEAR, ImplausibleDate, ensure_plausible_date
from core.quarter import today as business_day
from suppliers.models import Site
from suppliers.services import ensure_supplier_user_may_submit

# --------------------------------------------------------------------------- helpers


def jsonable(value):
    """A value as the change log stores it: dates and decimals as text, other values unchanged."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def _changes(old: dict, new: dict) -> dict:
    return {name: [jsonable(old.get(name)), jsonable(value)] for name, value in new.items()
            if old.get(name) != value}


def _require_procurement_writer(actor, what: str) -> None:
    if actor is not None and not isinstance(actor, str) and not roles.can_write_master_data(actor):
        raise PermissionDenied(f"Only procurement can {what}.")


# --------------------------------------------------------------------------- audits

ALLOWED_AUDIT_STATUS = {
    AuditStatus.PLANNED: {AuditStatus.SCHEDULED, AuditStatus.CANCELLED},
    AuditStatus.SCHEDULED: {AuditStatus.PLANNED, AuditStatus.IN_PROGRESS, AuditStatus.CANCELLED},
    AuditStatus.IN_PROGRESS: {AuditStatus.REPORT_PENDING, AuditStatus.CANCELLED},
    AuditStatus.REPORT_PENDING: {AuditStatus.CORRECTIVE_ACTIONS_OPEN, AuditStatus.CLOSED},
    AuditStatus.CORRECTIVE_ACTIONS_OPEN: {AuditStatus.CLOSED},
    AuditStatus.CLOSED: {AuditStatus.CORRECTIVE_ACTIONS_OPEN},
    AuditStatus.CANCELLED: set(),
}

AUDIT_EDITABLE_FIELDS = (
    "category", "protocol", "audit_firm", "rba_audit_id", "start_date", "conducted_on", "due_by", "report_received_on",
    "score", "section_scores", "recognition", "saq_risk", "parent", "report_file", "responsible_analyst",
)


def _type_errors(audit: Audit) -> dict[str, str]:
    """Score and risk band against the audit type."""
    errors: dict[str, str] = {}
    if audit.score is not None:
        if audit.audit_type == AuditType.SAQ:
            errors["score"] = "an SAQ has no audit score"
        elif not (0 <= audit.score <= 200):
            errors["score"] = "the score must lie between 0 and 200"
    if audit.saq_risk and audit.audit_type != AuditType.SAQ:
        errors["saq_risk"] = "only an SAQ has a risk band"
    if audit.audit_type == AuditType.SAQ and audit.status in CONDUCTED_STATUSES and not audit.saq_risk:
        errors["saq_risk"] = "a completed SAQ needs its risk band (low, medium or high)"
    return errors


def _parent_errors(audit: Audit) -> dict[str, str]:
    """Only a closure audit has a parent: a full audit of the same site."""
    if audit.audit_type != AuditType.VAP_CLOSURE:
        return {"parent": "only a closure audit has a parent audit"} if audit.parent_id is not None else {}
    parent = audit.parent
    if parent is None:
        return {"parent": "a closure audit needs the full audit it follows up"}
    if parent.audit_type not in FULL_AUDIT_TYPES:
        return {"parent": "the parent of a closure audit must be a full audit"}
    if parent.site_id != audit.site_id:
        return {"parent": "the parent audit is at another site"}
    return {}


def _year_errors(audit: Audit) -> dict[str, str]:
    """Dates within the supported years."""
    errors = {}
    for name in ("start_date", "conducted_on", "due_by", "report_received_on"):
        day = getattr(audit, name, None)
        if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR:
            errors[name] = f"the date must lie between the years {MIN_YEAR} and {MAX_YEAR}"
    return errors


def _order_errors(audit: Audit) -> dict[str, str]:
    """Start before end; an audit that took place has an end date, not in the future."""
    errors = {}
    if audit.start_date and audit.conducted_on and audit.start_date > audit.conducted_on:
        errors["conducted_on"] = "the end date is before the start date"
    if audit.status in CONDUCTED_STATUSES and audit.conducted_on is None:
        errors["conducted_on"] = "an audit that took place needs its end date"
    if audit.conducted_on and audit.status in CONDUCTED_STATUSES and audit.conducted_on > business_day():
        errors["conducted_on"] = "an audit cannot have taken place in the future"
    return errors


def audit_errors(audit: Audit) -> dict[str, str]:
    """Checks of one audit's fields against each other (type, score, risk, parent, dates):
    field name → message, empty when the audit is consistent. The order checks (start
    before end, not in the future) run only once every other check passed."""
    errors = {**_type_errors(audit), **_parent_errors(audit), **_year_errors(audit)}
    return errors or _order_errors(audit)


def _check_audit(audit: Audit) -> None:
    errors = audit_errors(audit)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def audit_create(*, site, audit_type: str, actor, status: str = AuditStatus.PLANNED, audit_ref: str = "",
                 **fields) -> Audit:
    """Record an audit. New audits start ``planned`` unless an earlier audit is being
    recorded after the fact (``report_pending``, ``corrective_actions_open``, ``closed``)."""
    if status == AuditStatus.CANCELLED:
        raise ValidationError({"status": "an audit cannot be created cancelled"})
    audit = Audit(site=site, audit_type=audit_type, status=status,
                  audit_ref=audit_ref or _generated_ref(site.code), **fields)
    _check_audit(audit)
    audit.valid_until = audit.computed_valid_until()
    stamp(audit, actor=actor).save()
    return audit


def _generated_ref(site_code: str) -> str:
    return f"AUD-{site_code}-{uuid.uuid4().hex[:8].upper()}"


@transaction.atomic
def audit_update(*, audit: Audit, actor, **fields) -> Audit:
    """Change an audit's editable fields (``AUDIT_EDITABLE_FIELDS``); checks them against each other
    (``audit_errors``), keeps ``valid_until`` in step and records the change. Raises ``ValidationError``."""
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    unknown = set(fields) - set(AUDIT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "this field cannot be changed here"))
    if audit.status == AuditStatus.CANCELLED:
        raise ValidationError({"status": "a cancelled audit cannot be changed"})
    old = {name: getattr(audit, name) for name in fields}
    for name, value in fields.items():
        setattr(audit, name, value)
    _check_audit(audit)
    audit.valid_until = audit.computed_valid_until()
    stamp(audit, actor=actor).save()
    changes = _changes(old, fields)
    if changes:
        notifications.cancel_stale()
    return audit


@transaction.atomic
def audit_change_status(*, audit: Audit, status: str, actor, note: str = "") -> Audit:
    """Move an audit along planned → scheduled → in progress → report pending →
    corrective actions open → closed (or cancelled before it takes place)."""
    audit = Audit.objects.select_for_update(of=("self",)).select_related("parent").get(pk=audit.pk)
    old = audit.status
    if status == old:
        return audit
    allowed = ALLOWED_AUDIT_STATUS.get(old, set())
    if status not in allowed:
        names = ", ".join(sorted(allowed)) or "none (final)"
        raise ValidationError({"status": f"a {old} audit cannot become {status}; allowed: {names}"})
    errors = {}
    if status == AuditStatus.SCHEDULED:
        if audit.audit_type != AuditType.SAQ and not audit.audit_firm:
            errors["audit_firm"] = "assign an audit firm before scheduling"
        if audit.start_date is None or audit.conducted_on is None:
            errors["conducted_on"] = "set the start and end dates before scheduling"
    leaves_report_pending = old == AuditStatus.REPORT_PENDING and status == AuditStatus.CORRECTIVE_ACTIONS_OPEN
    if ((status == AuditStatus.CLOSED or leaves_report_pending) and audit.report_received_on is None
            and audit.audit_type != AuditType.SAQ):
        errors["report_received_on"] = "record when the report was received"
    if status == AuditStatus.CLOSED:
        open_count = selectors.open_findings_count(audit.pk)
        if open_count:
            errors["status"] = f"{open_count} finding(s) of this audit are still open"
    if errors:
        raise ValidationError(errors)
    audit.status = status
    _check_audit(audit)
    audit.valid_until = audit.computed_valid_until()
    stamp(audit, actor=actor, reason=note).save()
    if status in CONDUCTED_STATUSES or status == AuditStatus.CANCELLED:
        notifications.cancel_stale()
    return audit


@transaction.atomic
def audit_schedule(*, audit: Audit, actor, start_date: dt.date, conducted_on: dt.date, audit_firm: str = "") -> Audit:
    """Assign the firm and dates of a planned audit and mark it scheduled."""
    if audit.status not in (AuditStatus.PLANNED, AuditStatus.SCHEDULED):
        raise ValidationError({"status": f"a {audit.status} audit cannot be (re)scheduled"})
    fields = {"start_date": start_date, "conducted_on": conducted_on}
    if audit_firm:
        fields["audit_firm"] = audit_firm
    audit = audit_update(audit=audit, actor=actor, **fields)
    if audit.status == AuditStatus.PLANNED:
        audit = audit_change_status(audit=audit, status=AuditStatus.SCHEDULED, actor=actor)
    return audit


@transaction.atomic
def audits_plan(*, as_of: dt.date, actor, horizon_days: int | None = None, limit: int | None = None,
                audit_firm: str = "", spend_rank: dict[int, object] | None = None, until: dt.date | None = None,
                choices: dict[int, dict] | None = None) -> list[Audit]:
    """Create a planned full audit for every site ``audits.planning.plan_proposals`` proposes
    at ``as_of`` (never audited, expired, or expiring before ``until`` / within
    ``horizon_days``, by default the methodology's expiring days; no upcoming full audit
    yet), biggest supplier spend first, then earliest due date. ``limit`` keeps the first
    ones. ``choices`` (``{site_id: {"audit_firm", "due_by"}}``, from the portal's "plan all
    gaps") keeps only those sites, each with its own firm and due date (default: the
    proposal's); a site no longer proposed is refused (``ValidationError``), nothing
    written. Returns the audits created, in the proposal order."""
    proposals = planning.plan_proposals(as_of, until=until, horizon_days=horizon_days, spend_rank=spend_rank)
    if choices is not None:
        missing = sorted(set(choices) - set(proposals["site_id"].astype(int)))
        if missing:
            codes = ", ".join(Site.objects.filter(pk__in=missing).order_by("code").values_list("code", flat=True))
            raise ValidationError({"sites": _("No longer due or already planned: %(sites)s.") % {
                "sites": codes or ", ".join(map(str, missing))}})
        proposals = proposals[proposals["site_id"].astype(int).isin(list(choices))]
    if limit is not None:
        proposals = proposals.head(limit)
    planned, errors = [], {}
    for row in proposals.itertuples(index=False):
        chosen = (choices or {}).get(int(row.site_id), {})
        due_by = chosen.get("due_by") or row.next_due
        firm = chosen.get("audit_firm", audit_firm) or ""
        audit = Audit(audit_ref=_generated_ref(row.site_code), site_id=row.site_id, audit_type=AuditType.VAP_FULL,
                      status=AuditStatus.PLANNED, due_by=due_by, audit_firm=firm,
                      responsible_analyst_id=row.responsible_analyst_id)
        problems = audit_errors(audit) if choices is not None else {}
        if problems:
            errors[row.site_code] = "; ".join(str(message) for message in problems.values())
        planned.append(audit)
    if errors:
        raise ValidationError({"sites": [f"{code}: {text}" for code, text in errors.items()]})
    Audit.objects.bulk_create(planned, batch_size=1000)
    with history_context(user=actor, reason="audit plan"):
        record_bulk_history(Audit, planned)
    return planned


def audits_refresh_status(audit_ids) -> int:
    """After findings changed in bulk: an audit already past its report with an open
    finding is ``corrective_actions_open``; one whose findings are all closed is ``closed``."""
    open_finding = Finding.objects.filter(audit_id=OuterRef("pk"), status=FindingStatus.OPEN)
    base = Audit.objects.filter(pk__in=list(audit_ids))
    reopen = list(base.filter(status=AuditStatus.CLOSED).filter(Exists(open_finding)).values_list("pk", flat=True))
    close = list(base.filter(status=AuditStatus.CORRECTIVE_ACTIONS_OPEN).exclude(Exists(open_finding))
                 .values_list("pk", flat=True))
    now = timezone.now()
    Audit.objects.filter(pk__in=reopen).update(status=AuditStatus.CORRECTIVE_ACTIONS_OPEN, updated_at=now)
    Audit.objects.filter(pk__in=close).update(status=AuditStatus.CLOSED, updated_at=now)
    record_bulk_history(Audit, Audit.objects.filter(pk__in=reopen + close), updated=True)
    return len(reopen) + len(close)


# --------------------------------------------------------------------------- findings

FINDING_EDITABLE_FIELDS = ("description", "sample_share", "cap_due_on", "correction_due_on", "zero_tolerance")
FINDABLE_AUDIT_STATUSES = (AuditStatus.IN_PROGRESS, AuditStatus.REPORT_PENDING, AuditStatus.CORRECTIVE_ACTIONS_OPEN)
# An import records the findings of audits that took place, closed ones included (an imported
# audit is stored ``closed``; its open findings move it to ``corrective_actions_open``).
IMPORTABLE_AUDIT_STATUSES = (*FINDABLE_AUDIT_STATUSES, AuditStatus.CLOSED)


class FindingChannel:
    """Where findings come from (``findings_record``). ``APP``: the API and the portal, one
    finding of an audit under way, never an existing reference. ``IMPORT``: historical
    records (contract.md ``import_findings``), an upsert on ``finding_ref``."""

    APP = "app"
    IMPORT = "import"


@dataclass
class FindingRow:
    """One finding to record. ``NOT_GIVEN`` (optional fields): a new finding takes the
    default, an existing one (imports) keeps its value. Dates are ``datetime.date``,
    ``sample_share`` a percent (0–100)."""

    audit_id: int
    provision_id: int
    severity: str
    opened_on: dt.date
    finding_ref: str = ""
    zero_tolerance: Any = NOT_GIVEN
    description: Any = NOT_GIVEN
    sample_share: Any = NOT_GIVEN
    cap_due_on: Any = NOT_GIVEN
    correction_due_on: Any = NOT_GIVEN
    closed_on: Any = NOT_GIVEN


@dataclass
class FindingsRecorded:
    """What ``findings_record`` wrote: counts, the created findings, ``(finding, {field: (old,
    new)})`` per updated one, and the termination reviews the zero-tolerance findings joined."""

    result: ImportResult
    created: list[Finding]
    changes: list[tuple[Finding, dict]]
    termination_reviews: list


@dataclass
class _FindingFacts:
    """Everything the checks and the write need, read in a fixed number of queries."""

    audits: dict[int, Audit]
    provisions: dict[int, Provision]
    existing: dict[str, Finding]
    terms: dict


def _finding_facts(rows: list[FindingRow], *, lock: bool) -> _FindingFacts:
    audits = Audit.objects.filter(pk__in={row.audit_id for row in rows})
    if lock:
        audits = audits.select_for_update()
    refs = [row.finding_ref for row in rows if row.finding_ref]
    return _FindingFacts(
        audits={audit.pk: audit for audit in audits},
        provisions={p.pk: p for p in Provision.objects.filter(pk__in={row.provision_id for row in rows})
                    .only("id", "code", "standard")},
        existing={f.finding_ref: f for f in Finding.objects.filter(finding_ref__in=refs)} if refs else {},
        terms=selectors.deadline_terms(),
    )


def finding_date_errors(*, opened_on, names: dict[str, str] | None = None, **dates_given) -> dict[str, str]:
    """A finding's due dates (``cap_due_on``, ``correction_due_on``) and ``closed_on``
    against its ``opened_on``: field → message, empty when in order. ``names`` renames a
    field in the messages (an import calls ``correction_due_on`` ``due_on``)."""
    names = names or {}
    errors = {}
    for name, day in dates_given.items():
        if day not in (None, NOT_GIVEN) and opened_on not in (None, NOT_GIVEN) and day < opened_on:
            errors[name] = f"{names.get(name, name)} is before {names.get('opened_on', 'opened_on')}"
    return errors


def _plausible(day, *, what: str, future: bool = False) -> str | None:
    try:
        ensure_plausible_date(day, what=what, future=future)
    except ImplausibleDate as exc:
        return str(exc)
    return None


def _audit_error(audit: Audit | None, channel: str) -> str | None:
    """Why ``audit`` cannot take findings through ``channel``, or ``None``."""
    if audit is None:
        return "unknown audit"
    if audit.audit_type == AuditType.SAQ:
        return "an SAQ has no findings"
    allowed = IMPORTABLE_AUDIT_STATUSES if channel == FindingChannel.IMPORT else FINDABLE_AUDIT_STATUSES
    if audit.status not in allowed:
        return f"findings cannot be added to a {audit.status} audit"
    return None


def _reference_errors(row: FindingRow, facts: _FindingFacts, channel: str) -> dict[str, str]:
    """The reference against the findings already recorded."""
    current = facts.existing.get(row.finding_ref) if row.finding_ref else None
    if current is None:
        return {}
    if current.status == FindingStatus.WITHDRAWN:
        return {"finding_ref": f"finding '{current.finding_ref}' was withdrawn on {current.withdrawn_at:%Y-%m-%d}; "
                               "a withdrawn finding cannot be imported again"}
    if channel != FindingChannel.IMPORT:
        return {"finding_ref": f"a finding '{current.finding_ref}' already exists"}
    if row.closed_on is NOT_GIVEN and current.closed_on is not None and current.closed_on < row.opened_on:
        return {"opened_on": f"the finding was closed on {current.closed_on}, before this opened_on"}
    return {}


def _date_errors(row: FindingRow, audit: Audit) -> dict[str, str]:
    """Plausible dates (contract.md), not opened before the audit started, due and closing
    dates not before the opening."""
    errors: dict[str, str] = {}
    problem = _plausible(row.opened_on, what="opened_on")
    if problem:
        errors["opened_on"] = problem
    elif audit.conducted_on and row.opened_on < (audit.start_date or audit.conducted_on):
        # Without a start date the audit's first day is its end date (conducted_on).
        errors["opened_on"] = (f"the finding cannot be opened before the audit started "
                               f"({audit.start_date or audit.conducted_on})")
    dated = {name: getattr(row, name) for name in ("cap_due_on", "correction_due_on", "closed_on")}
    for name, day in dated.items():
        problem = day not in (None, NOT_GIVEN) and _plausible(day, what=name, future=name != "closed_on")
        if problem:
            errors[name] = problem
    for name, message in finding_date_errors(opened_on=row.opened_on, **dated).items():
        errors.setdefault(name, message)
    return errors


def _row_errors(row: FindingRow, facts: _FindingFacts, channel: str) -> dict[str, str]:
    """The checks of one row, in order; an audit that cannot take findings stops the rest."""
    audit = facts.audits.get(row.audit_id)
    problem = _audit_error(audit, channel)
    if problem:
        return {"audit": problem}
    errors: dict[str, str] = {}
    if row.provision_id not in facts.provisions:
        errors["provision"] = "unknown provision"
    if row.severity not in Severity.values:
        errors["severity"] = f"'{row.severity}' is not a severity"
    errors.update(_reference_errors(row, facts, channel))
    for name, message in _date_errors(row, audit).items():
        errors.setdefault(name, message)
    share = row.sample_share
    if share not in (None, NOT_GIVEN) and not 0 <= share <= 100:
        errors["sample_share"] = "the share of the sample is a percent between 0 and 100"
    return errors


def findings_check(rows: list[FindingRow], *, channel: str) -> list[tuple[int, dict[str, str]]]:
    """Every check ``findings_record`` makes, without writing: ``(position in rows, {field:
    message})`` for each refused row, empty when all rows can be recorded. A fixed number of
    queries whatever the number of rows."""
    facts = _finding_facts(rows, lock=False)
    return [(index, errors) for index, row in enumerate(rows) if (errors := _row_errors(row, facts, channel))]


def _refusal(refused: list[tuple[int, dict[str, str]]], count: int) -> ValidationError:
    if count == 1:
        return ValidationError(refused[0][1])
    by_field: dict[str, list[str]] = {}
    for index, errors in refused:
        for name, message in errors.items():
            by_field.setdefault(name, []).append(f"row {index + 1}: {message}")
    return ValidationError(by_field)


@transaction.atomic
def findings_record(rows: list[FindingRow], *, actor, channel: str) -> FindingsRecorded:
    """The one write path of findings: record ``rows`` (new findings, and for
    ``channel=IMPORT`` changes to existing ones by ``finding_ref``) in bulk, with every side
    effect of a finding, in a fixed number of queries whatever the number of rows.

    Checks (``findings_check``; any refused row: ``ValidationError``, field → message (for
    several rows prefixed ``row N:``), nothing written): the audit is not an SAQ and can take
    findings (under way or reported; an import also takes ``closed`` audits), the finding is
    not opened before the audit started nor outside the plausible dates (contract.md), due
    and closing dates not before ``opened_on``, ``sample_share`` 0–100, a withdrawn reference
    is never recorded again, an existing reference only by an import.

    Writes: the finding (deadlines from the deadline table unless given; a changed severity,
    provision, audit or opened date recomputes them), its CAP (manager by severity, ``not_started``,
    or ``verified_closed`` for a finding imported closed), the audits' status
    (``audits_refresh_status``), the termination review of every zero-tolerance finding
    (``escalation.open_termination_reviews``), stale reminders cancelled, and a historical row
    for each (``core.history``, user ``actor``).

    Defaults of a new finding: ``zero_tolerance`` true for a Priority finding against A1/A2 in
    the app, false in an import (contract.md); ``due_on_given`` (the scorecard's RBA-06 due
    date) true in the app, where the due date is set when the finding is recorded, and in an
    import only when the file gives ``due_on``.
    """
    facts = _finding_facts(rows, lock=True)
    refused = [(index, errors) for index, row in enumerate(rows) if (errors := _row_errors(row, facts, channel))]
    if refused:
        raise _refusal(refused, len(rows))
    importing = channel == FindingChannel.IMPORT
    prepared = []
    for row in rows:
        audit = facts.audits[row.audit_id]
        provision = facts.provisions[row.provision_id]
        current = facts.existing.get(row.finding_ref) if row.finding_ref else None
        cap_due, correction_due = compute_deadlines(
            severity=row.severity, provision_code=provision.code, opened_on=row.opened_on,
            audit_end=audit.conducted_on, report_received_on=audit.report_received_on, terms=facts.terms)
        inputs_changed = current is None or (
            current.severity, current.provision_id, current.audit_id, current.opened_on,
        ) != (row.severity, row.provision_id, row.audit_id, row.opened_on)
        due_given = row.correction_due_on not in (None, NOT_GIVEN)
        closed = row.closed_on not in (None, NOT_GIVEN)
        zero_tolerance = row.zero_tolerance
        if current is None and zero_tolerance in (None, NOT_GIVEN):
            zero_tolerance = False if importing else default_zero_tolerance(row.severity, provision)
        prepared.append(((row.finding_ref or f"{audit.audit_ref}-F{uuid.uuid4().hex[:6].upper()}",), {
            "audit_id": row.audit_id, "provision_id": row.provision_id, "severity": row.severity,
            "opened_on": row.opened_on,
            "zero_tolerance": NOT_GIVEN if zero_tolerance is None else zero_tolerance,
            "cap_due_on": (row.cap_due_on if row.cap_due_on not in (None, NOT_GIVEN)
                           else cap_due if inputs_changed else NOT_GIVEN),
            "correction_due_on": row.correction_due_on if due_given else (
                correction_due if inputs_changed else NOT_GIVEN),
            # Only a due date given is an import's due_on (scorecard RBA-06).
            "due_on_given": True if due_given or not importing else (False if inputs_changed else NOT_GIVEN),
            "closed_on": row.closed_on if closed else NOT_GIVEN,
            "closed_via": ClosureMethod.IMPORT if closed and (current is None or current.closed_on != row.closed_on)
            else NOT_GIVEN,
            "status": FindingStatus.CLOSED if closed else NOT_GIVEN,
            "description": NOT_GIVEN if row.description is None else row.description,
            "sample_share": row.sample_share,
        }))

    defaults = {"zero_tolerance": False, "description": "", "closed_via": "", "status": FindingStatus.OPEN}

    def create(key, values):
        return Finding(finding_ref=key[0], **{name: given(value, defaults.get(name)) for name, value in values.items()})

    with history_context(user=actor):
        result, created, changes = upsert(
            Finding, rows=prepared, existing={(ref,): f for ref, f in facts.existing.items()}, create=create,
            dry_run=False)
        if created and any(f.pk is None for f in created):  # backends that do not return ids
            ids = dict(Finding.objects.filter(finding_ref__in=[f.finding_ref for f in created])
                       .values_list("finding_ref", "id"))
            for finding in created:
                finding.pk = finding.id = ids[finding.finding_ref]
        caps = CorrectiveAction.objects.bulk_create([
            CorrectiveAction(finding_id=f.pk, manager=default_cap_manager(f.severity),
                             state=CapState.VERIFIED_CLOSED if f.closed_on else CapState.NOT_STARTED)
            for f in created
        ], batch_size=2000)
        record_bulk_history(CorrectiveAction, caps)
        audit_ids = {f.audit_id for f in created} | {instance.audit_id for instance, _ in changes}
        audit_ids |= {changed["audit_id"][0] for _, changed in changes if "audit_id" in changed}
        audits_refresh_status(audit_ids)
        zero_tolerance_ids = [f.pk for f in created if f.zero_tolerance]
        zero_tolerance_ids += [i.pk for i, c in changes if "zero_tolerance" in c and i.zero_tolerance]
        reviews = (escalation.open_termination_reviews(finding_ids=zero_tolerance_ids, actor=actor)
                   if zero_tolerance_ids else [])
        touched = [instance.pk for instance, _ in changes]
        if touched:  # a new finding has no reminder yet
            notifications.cancel_stale(finding_ids=touched)
    return FindingsRecorded(result=result, created=created, changes=changes, termination_reviews=reviews)


def default_zero_tolerance(severity: str, provision: Provision) -> bool:
    """A Priority finding against A1 (forced labour) or A2 (young workers) is zero-tolerance
    unless said otherwise."""
    return (severity == Severity.PRIORITY and provision.standard == Standard.RBA
            and provision.code.upper() in ZERO_TOLERANCE_PROVISIONS)


def default_cap_manager(severity: str) -> str:
    """Who manages a new finding's CAP: RBA for a Priority finding, the customer otherwise (domain.md)."""
    return CapManager.RBA if severity == Severity.PRIORITY else CapManager.CUSTOMER


def compute_deadlines(*, severity: str, provision_code: str, opened_on: dt.date, audit_end: dt.date | None,
                      report_received_on: dt.date | None, terms: dict | None = None):
    """(CAP due, correction due) from the deadline table."""
    terms = terms or selectors.deadline_terms()
    return dates.finding_deadlines(
        terms[severity], opened_on=opened_on, audit_end=audit_end, report_received_on=report_received_on,
        health_and_safety=provision_code.upper().startswith(HEALTH_AND_SAFETY_SECTION),
    )


@transaction.atomic
def finding_create(*, audit: Audit, provision: Provision, severity: str, opened_on: dt.date, actor,
                   description: str = "", zero_tolerance: bool | None = None, sample_share: Decimal | None = None,
                   finding_ref: str = "", cap_due_on: dt.date | None = None,
                   correction_due_on: dt.date | None = None) -> Finding:
    """Record one finding of an audit under way or reported (the API and the portal):
    ``findings_record`` with one row, so with the same checks and side effects as an import.
    Its deadlines come from the deadline table unless given, its CAP starts ``not_started``;
    a zero-tolerance finding opens a termination review at once. Raises ``ValidationError``."""
    row = FindingRow(audit_id=audit.pk, provision_id=provision.pk, severity=severity, opened_on=opened_on,
                     finding_ref=finding_ref, zero_tolerance=zero_tolerance, description=description,
                     sample_share=sample_share, cap_due_on=cap_due_on, correction_due_on=correction_due_on)
    [finding] = findings_record([row], actor=actor, channel=FindingChannel.APP).created
    return Finding.objects.select_related("audit", "provision").get(pk=finding.pk)


@transaction.atomic
def finding_update(*, finding: Finding, actor, reason: str = "", **fields) -> Finding:
    """Change the description, sample share, due dates or zero-tolerance flag of an open
    finding. A changed due date cancels the reminders sent for the old one."""
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    unknown = set(fields) - set(FINDING_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "this field cannot be changed here"))
    if not finding.is_open:
        raise ValidationError({"status": "a closed finding cannot be changed"})
    for name in ("cap_due_on", "correction_due_on"):
        value = fields.get(name)
        if value is not None and value < finding.opened_on:
            raise ValidationError({name: "the due date is before the opened date"})
        if value is not None and value.year > MAX_YEAR:
            raise ValidationError({name: f"the date must lie before the year {MAX_YEAR + 1}"})
    old = {name: getattr(finding, name) for name in fields}
    for name, value in fields.items():
        setattr(finding, name, value)
    changes = _changes(old, fields)
    if not changes:
        return finding
    if "correction_due_on" in changes:
        finding.due_on_given = True  # set by hand: the scorecard's due_on from now on
    stamp(finding, actor=actor, reason=reason).save()
    if "cap_due_on" in changes or "correction_due_on" in changes:
        notifications.cancel_stale(finding_ids=[finding.pk])
    if finding.zero_tolerance and finding.termination_review_id is None:
        escalation.open_termination_reviews(finding_ids=[finding.pk], actor=actor)
    return finding


EXTENDABLE_DEADLINES = {"cap": "cap_due_on", "correction": "correction_due_on"}
BULK_FINDINGS_LIMIT = 500


@transaction.atomic
def findings_extend_due(*, finding_ids, deadline: str, due_on: dt.date | None, reason: str, actor) -> list[Finding]:
    """Extend the ``deadline`` (``cap`` or ``correction``) of each selected open finding to
    ``due_on``, with ``reason`` (the portal's bulk action and ``POST findings/{id}/extend/``).

    The extension moves the WORKING due date (``Finding.cap_due_extended_to`` /
    ``correction_due_extended_to``): reminders and "overdue" use it
    (``selectors.overdue_conditions``) and the reminders sent for the old date are
    cancelled; the given ``cap_due_on`` / ``correction_due_on`` stay, and the scorecard's
    RBA-06 keeps counting against them (scorecard.md section 4). The finding's history row
    carries the reason; ``due_extension_reason`` keeps the latest.

    All or nothing: ``ValidationError`` keyed ``findings``/``deadline``/``due_on``/``reason``
    when nothing (or more than ``BULK_FINDINGS_LIMIT``) is selected, the reason is blank,
    the new date lies before the business day or after the year ``MAX_YEAR``, or a selected
    finding is not open, has no such due date or already has one on or after ``due_on``;
    ``PermissionDenied`` unless ``actor`` is a procurement writer. A fixed number of queries.
    """
    if actor is None or isinstance(actor, str) or not roles.can_write_master_data(actor):
        raise PermissionDenied(_("Only procurement analysts and administrators extend due dates."))
    ids = list(dict.fromkeys(finding_ids))
    field = EXTENDABLE_DEADLINES.get(deadline)
    _check_extension_request(ids, field, due_on, reason)
    reason = reason.strip()
    findings = list(Finding.objects.select_for_update().filter(pk__in=ids).order_by("finding_ref"))
    if len(findings) < len(ids):
        raise ValidationError({"findings": _("Some selected findings do not exist; nothing was changed.")})
    refused = [_extension_refusal(finding, field, due_on) for finding in findings]
    refused = [text for text in refused if text]
    if refused:
        raise ValidationError({"findings": _("Nothing was extended: %(problems)s") % {
            "problems": "; ".join(refused[:10])}})
    extended = selectors.WORKING_DUE[field]
    now = timezone.now()
    for finding in findings:
        setattr(finding, extended, due_on)
        finding.due_extension_reason, finding.updated_at = reason, now
    Finding.objects.filter(pk__in=ids).update(**{extended: due_on}, due_extension_reason=reason, updated_at=now)
    with history_context(user=actor, reason=reason):
        record_bulk_history(Finding, findings, updated=True)
    notifications.cancel_stale(finding_ids=ids)
    return findings


def _check_extension_request(ids: list, field: str | None, due_on: dt.date | None, reason: str) -> None:
    errors = {}
    if not ids:
        errors["findings"] = _("Select at least one finding.")
    elif len(ids) > BULK_FINDINGS_LIMIT:
        errors["findings"] = _("Select at most %(limit)d findings at once.") % {"limit": BULK_FINDINGS_LIMIT}
    if field is None:
        errors["deadline"] = _("Choose the CAP due date or the correction due date.")
    if due_on is None:
        errors["due_on"] = _("Give the new due date.")
    elif due_on < business_day():
        errors["due_on"] = _("The new due date lies in the past.")
    elif due_on.year > MAX_YEAR:
        errors["due_on"] = _("The date must lie before the year %(year)d.") % {"year": MAX_YEAR + 1}
    if not (reason or "").strip():
        errors["reason"] = _("Say why the due date is extended; the reason is kept in the finding's history.")
    if errors:
        raise ValidationError(errors)


def _extension_refusal(finding: Finding, field: str, due_on: dt.date) -> str:
    if not finding.is_open:
        return _("%(ref)s is not open") % {"ref": finding.finding_ref}
    current = getattr(finding, selectors.WORKING_DUE[field]) or getattr(finding, field)
    if current is None:
        return _("%(ref)s has no such due date") % {"ref": finding.finding_ref}
    if current >= due_on:
        return _("%(ref)s is already due on %(due)s") % {"ref": finding.finding_ref, "due": current.isoformat()}
    return ""


@transaction.atomic
def finding_close(*, finding: Finding, actor, closed_on: dt.date | None = None, closure_audit: Audit | None = None,
                  note: str = "") -> Finding:
    """Close a finding: its CAP must be verified (an opportunity for improvement needs
    none). Closed by a closure audit of the same site, or by accepted evidence."""
    _require_procurement_writer(actor, "close findings")
    finding = Finding.objects.select_for_update().select_related("audit").get(pk=finding.pk)
    closed_on = closed_on or business_day()
    if not finding.is_open:
        raise ValidationError({"status": "the finding is already closed"})
    if finding.needs_cap:
        state = CorrectiveAction.objects.filter(finding=finding).values_list("state", flat=True).first()
        if state != CapState.VERIFIED_CLOSED:
            raise ValidationError({"status": f"the finding's CAP is not verified (state: {state or 'none'})"})
    if closed_on < finding.opened_on:
        raise ValidationError({"closed_on": "the closing date is before the opened date"})
    if closed_on > business_day():
        raise ValidationError({"closed_on": "the closing date is in the future"})
    if closure_audit is not None:
        if closure_audit.audit_type != AuditType.VAP_CLOSURE:
            raise ValidationError({"closure_audit": "only a closure audit can close findings"})
        if closure_audit.site_id != finding.audit.site_id:
            raise ValidationError({"closure_audit": "the closure audit is at another site"})
        if closure_audit.status not in CONDUCTED_STATUSES:
            raise ValidationError({"closure_audit": "the closure audit has not taken place yet"})
    finding.status = FindingStatus.CLOSED
    finding.closed_on = closed_on
    finding.closure_audit = closure_audit
    finding.closed_via = ClosureMethod.CLOSURE_AUDIT if closure_audit else ClosureMethod.EVIDENCE
    stamp(finding, actor=actor, reason=note).save()
    audits_refresh_status([finding.audit_id])
    notifications.cancel_stale(finding_ids=[finding.pk])
    return finding


# --------------------------------------------------------------------------- CAPs

CAP_CONTENT_FIELDS = ("root_cause", "corrective_action", "preventive_action", "owner", "planned_completion")
CAP_REQUIRED_FOR_SUBMISSION = CAP_CONTENT_FIELDS

ALLOWED_CAP_STATES = {
    CapState.NOT_STARTED: {CapState.SUBMITTED},
    CapState.SUBMITTED: {CapState.APPROVED, CapState.REJECTED},
    CapState.REJECTED: {CapState.SUBMITTED},
    CapState.APPROVED: {CapState.IMPLEMENTED},
    CapState.IMPLEMENTED: {CapState.VERIFIED_CLOSED},
    CapState.VERIFIED_CLOSED: set(),
}


@transaction.atomic
def finding_withdraw(*, finding: Finding, actor, reason: str) -> Finding:
    """Withdraw a finding recorded in error (procurement admins only; never a deletion).

    The finding stays visible with status ``withdrawn``, who, when and ``reason``; scoring
    ignores it as if it had never been recorded (scorecard.md section 4, through
    ``audits.selectors.scoring_frames``) from the next recalculation on; its reference can
    no longer be imported. Its termination review is reconciled: when no zero-tolerance
    finding of the review remains, the review closes (``findings_withdrawn``) and the
    supplier's flag clears. Its audit's status and reminders follow.
    Raises ``PermissionDenied`` for other roles, ``ValidationError`` without a reason or
    when the finding is already withdrawn.
    """
    if not roles.is_admin(actor):
        raise PermissionDenied("Only a procurement admin can withdraw a finding.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "say why the finding is withdrawn"})
    finding = Finding.objects.select_for_update(of=("self",)).select_related("termination_review").get(pk=finding.pk)
    if finding.status == FindingStatus.WITHDRAWN:
        raise ValidationError({"status": "the finding is already withdrawn"})
    finding.status = FindingStatus.WITHDRAWN
    finding.withdrawn_at = timezone.now()
    finding.withdrawn_by = actor
    finding.withdrawal_reason = reason.strip()
    stamp(finding, actor=actor, reason=finding.withdrawal_reason).save()
    review = finding.termination_review
    if review is not None and review.is_open:
        escalation.termination_review_reconcile(review=review, actor=actor)
    audits_refresh_status([finding.audit_id])
    notifications.cancel_stale(finding_ids=[finding.pk])
    return finding


def cap_for_finding(finding: Finding) -> CorrectiveAction:
    """The finding's CAP, created ``not_started`` if the finding has none yet (imports)."""
    cap, _ = CorrectiveAction.objects.get_or_create(finding=finding,
                                                    defaults={"manager": default_cap_manager(finding.severity)})
    return cap


def _locked_cap(cap: CorrectiveAction, actor=None) -> CorrectiveAction:
    cap = CorrectiveAction.objects.select_for_update().select_related("finding__audit__site").get(pk=cap.pk)
    ensure_supplier_user_may_submit(actor=actor, supplier_id=cap.finding.audit.site.supplier_id)
    if not cap.finding.is_open:
        raise ValidationError({"state": "the finding is closed; its CAP cannot change"})
    return cap


def _move(cap: CorrectiveAction, to: str, actor, note: str = "") -> CorrectiveAction:
    allowed = ALLOWED_CAP_STATES[cap.state]
    if to not in allowed:
        names = ", ".join(sorted(allowed)) or "none (final)"
        raise ValidationError({"state": f"a {cap.state} CAP cannot become {to}; allowed: {names}"})
    old = cap.state
    cap.state = to
    cap.state_changed_at = timezone.now()
    stamp(cap, actor=actor, reason=note).save()
    who = actor_fields(actor)
    CapTransition.objects.create(corrective_action=cap, from_state=old, to_state=to, by=who["actor"],
                                 by_label=who["actor_label"], note=note)
    notifications.notify_cap_step(cap, to, actor)
    return cap


@transaction.atomic
def cap_update(*, cap: CorrectiveAction, actor, **fields) -> CorrectiveAction:
    """Edit the plan's content; only before submission or after a rejection."""
    cap = _locked_cap(cap, actor)
    unknown = set(fields) - set(CAP_CONTENT_FIELDS) - {"manager"}
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "this field cannot be changed here"))
    if "manager" in fields:
        _require_procurement_writer(actor, "change the CAP manager")
    if not cap.is_editable:
        raise ValidationError({"state": f"a {cap.state} CAP cannot be edited"})
    old = {name: getattr(cap, name) for name in fields}
    for name, value in fields.items():
        setattr(cap, name, value)
    changes = _changes(old, fields)
    if changes:
        stamp(cap, actor=actor).save()
    return cap


@transaction.atomic
def cap_submit(*, cap: CorrectiveAction, actor, note: str = "") -> CorrectiveAction:
    """Supplier or procurement submits the plan (``not_started``/``rejected`` → ``submitted``); the plan
    fields must be filled. Raises ``ValidationError`` / ``PermissionDenied``."""
    cap = _locked_cap(cap, actor)
    if cap.state in (CapState.NOT_STARTED, CapState.REJECTED):
        missing = [name for name in CAP_REQUIRED_FOR_SUBMISSION if not getattr(cap, name)]
        if missing:
            raise ValidationError(dict.fromkeys(missing, "required before the CAP can be submitted"))
    return _move(cap, CapState.SUBMITTED, actor, note)


@transaction.atomic
def cap_approve(*, cap: CorrectiveAction, actor, note: str = "") -> CorrectiveAction:
    """Procurement approves a submitted plan (→ ``approved``). Raises ``ValidationError`` / ``PermissionDenied``."""
    _require_procurement_writer(actor, "approve a CAP")
    cap = _locked_cap(cap, actor)
    return _move(cap, CapState.APPROVED, actor, note)


@transaction.atomic
def cap_reject(*, cap: CorrectiveAction, actor, reason: str) -> CorrectiveAction:
    """Procurement sends a submitted plan back with a reason (→ ``rejected``; the plan is owed again).
    Raises ``ValidationError`` / ``PermissionDenied``."""
    _require_procurement_writer(actor, "reject a CAP")
    if not reason or not reason.strip():
        raise ValidationError({"reason": "say why the CAP is rejected"})
    cap = _locked_cap(cap, actor)
    if cap.state == CapState.SUBMITTED:
        cap.rejection_reason = reason
    return _move(cap, CapState.REJECTED, actor, reason)


@transaction.atomic
def cap_implement(*, cap: CorrectiveAction, actor, note: str = "") -> CorrectiveAction:
    """The supplier reports the approved plan carried out (→ ``implemented``). Raises ``ValidationError``."""
    return _move(_locked_cap(cap, actor), CapState.IMPLEMENTED, actor, note)


@transaction.atomic
def cap_add_evidence(*, cap: CorrectiveAction, actor, file, description: str = "") -> CapEvidence:
    """Attach a file (a Django ``UploadedFile``) to a plan that is still being worked on
    (not yet verified). The file passes ``core.uploads.check_document`` like every
    document (size before reading, type by content, structure); a refusal is a
    ``ValidationError({"file": ...})`` and nothing is stored. A storage that cannot write
    raises ``core.uploads.StorageUnavailable`` (503); no file and no row remain."""
    cap = _locked_cap(cap, actor)
    if cap.state == CapState.VERIFIED_CLOSED:
        raise ValidationError({"state": "the CAP is verified; no more evidence can be added"})
    try:
        uploads.check_document(file)
    except uploads.UploadRefused as exc:
        raise ValidationError({"file": str(exc)}) from exc
    who = actor_fields(actor)
    evidence = stamp(CapEvidence(corrective_action=cap, description=description, uploaded_by=who["actor"]),
                     actor=actor)
    uploads.store_file(evidence.file, uploads.display_name(file.name), File(file))  # full disk: 503, nothing saved
    evidence.save()
    return evidence


@transaction.atomic
def cap_verify(*, cap: CorrectiveAction, actor, closed_on: dt.date | None = None,
               closure_audit: Audit | None = None, note: str = "") -> CorrectiveAction:
    """Verify the implemented plan (by a closure audit or accepted evidence) and close the finding."""
    _require_procurement_writer(actor, "verify a CAP")
    cap = _locked_cap(cap, actor)
    cap = _move(cap, CapState.VERIFIED_CLOSED, actor, note)
    finding_close(finding=cap.finding, actor=actor, closed_on=closed_on, closure_audit=closure_audit, note=note)
    cap.finding.refresh_from_db()
    return cap
