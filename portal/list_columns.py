"""The columns of each exported list page (``portal.exports.Column``), declared once.

Each page's view hands its own filtered rows to ``portal.exports.export_response`` with
these columns; a cell that the page splits or decorates (a supplier's code and name in one
cell, a badge) is one plain value per column here. Person references from training
records are never a column (docs/portal.md, "Exports").
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audits import dates
from audits import selectors as audit_selectors
from core import roles
from portal import indicators
from portal.exports import DATE, DATETIME, NUMBER, SHARE, Column
from portal.templatetags.portal_tags import CYCLE_LABELS, FLAG_LABELS, POPULATION_LABELS


def _yes(value: bool) -> str:
    return _("yes") if value else ""


def _cap(finding):
    return getattr(finding, "corrective_action", None)


# --------------------------------------------------------------------------- suppliers


def supplier_flags(supplier) -> str:
    """The flags the list shows: the termination review first when set, then the stored
    flags of the quarter, each once, as labels joined by "; "."""
    flags = ["termination_review"] if supplier.termination_review else []
    flags += [flag for flag in (supplier.q_flags or "").split(";") if flag and flag not in flags]
    return "; ".join(str(FLAG_LABELS.get(flag, flag)) for flag in flags)


def supplier_columns(user) -> list[Column]:
    """The supplier list: spend rank and basis for procurement only (internal data)."""
    columns = [
        Column(gettext_lazy("Code"), lambda s: s.code),
        Column(gettext_lazy("Name"), lambda s: s.name),
        Column(gettext_lazy("Country"), lambda s: s.country),
        Column(gettext_lazy("Category"), lambda s: s.get_category_display()),
        Column(gettext_lazy("Status"), lambda s: s.get_status_display()),
    ]
    if roles.sees_internal_data(user):
        columns += [Column(gettext_lazy("Spend rank"), lambda s: s.q_rank, NUMBER),
                    Column(gettext_lazy("Spend basis"), lambda s: s.q_spend, NUMBER)]
    return columns + [
        Column(gettext_lazy("Score"), lambda s: s.q_score, NUMBER),
        Column(gettext_lazy("Change"), lambda s: s.q_change, NUMBER),
        Column(gettext_lazy("Grade"), lambda s: s.q_grade),
        Column(gettext_lazy("Population"), lambda s: POPULATION_LABELS.get(s.q_population, s.q_population)),
        Column(gettext_lazy("Flags"), supplier_flags),
    ]


# --------------------------------------------------------------------------- findings


def finding_columns(today) -> list[Column]:
    """The findings board; days overdue at ``today`` (``audits.selectors.days_overdue``)."""
    return [
        Column(gettext_lazy("Finding"), lambda f: f.finding_ref),
        Column(gettext_lazy("Zero tolerance"), lambda f: _yes(f.zero_tolerance)),
        Column(gettext_lazy("Supplier code"), lambda f: f.audit.site.supplier.code),
        Column(gettext_lazy("Supplier"), lambda f: f.audit.site.supplier.name),
        Column(gettext_lazy("Site"), lambda f: f.audit.site.code),
        Column(gettext_lazy("Severity"), lambda f: f.get_severity_display()),
        Column(gettext_lazy("Provision"), lambda f: f.provision.code),
        # The working due dates (an extension's, else as given: reminders and "overdue"),
        # then the dates as given, which the scorecard (RBA-06) counts.
        Column(gettext_lazy("CAP due"), lambda f: f.cap_due_working, DATE),
        Column(gettext_lazy("Correction due"), lambda f: f.correction_due_working, DATE),
        Column(gettext_lazy("CAP due as given"), lambda f: f.cap_due_on, DATE),
        Column(gettext_lazy("Correction due as given"), lambda f: f.correction_due_on, DATE),
        Column(gettext_lazy("Extension reason"), lambda f: f.due_extension_reason),
        Column(gettext_lazy("Days overdue"), lambda f: audit_selectors.days_overdue(f.overdue_since, today), NUMBER),
        Column(gettext_lazy("CAP"), lambda f: _cap(f).get_state_display() if _cap(f) else ""),
        Column(gettext_lazy("Status"), lambda f: f.get_status_display()),
    ]


# --------------------------------------------------------------------------- audits


PLANNED_AUDIT_COLUMNS = [
    Column(gettext_lazy("Date"), lambda a: a.planned_on, DATE),
    Column(gettext_lazy("Audit"), lambda a: a.audit_ref),
    Column(gettext_lazy("Site code"), lambda a: a.site.code),
    Column(gettext_lazy("Site"), lambda a: a.site.name),
    Column(gettext_lazy("Supplier code"), lambda a: a.site.supplier.code),
    Column(gettext_lazy("Type"), lambda a: a.get_audit_type_display()),
    Column(gettext_lazy("Firm"), lambda a: a.audit_firm),
    Column(gettext_lazy("Status"), lambda a: a.get_status_display()),
    Column(gettext_lazy("Overdue"), lambda a: _yes(a.plan_overdue)),
]


def _foc_status(foc) -> str:
    if not foc:
        return ""
    return str(CYCLE_LABELS[dates.VALID] if foc["valid"] else CYCLE_LABELS[dates.EXPIRED])


# Rows are (the site's cycle row of portal.selectors.cycle_rows, its Factory of Choice or None).
AUDIT_CYCLE_COLUMNS = [
    Column(gettext_lazy("Site code"), lambda row: row[0]["site_code"]),
    Column(gettext_lazy("Site"), lambda row: row[0]["site_name"]),
    Column(gettext_lazy("Supplier code"), lambda row: row[0]["supplier_code"]),
    Column(gettext_lazy("Status"), lambda row: CYCLE_LABELS.get(row[0]["status"], row[0]["status"])),
    Column(gettext_lazy("Last full audit"), lambda row: row[0]["last_full_audit_ref"]),
    Column(gettext_lazy("Last full audit on"), lambda row: row[0]["last_full_audit_on"], DATE),
    Column(gettext_lazy("Score"), lambda row: row[0]["score"], NUMBER),
    Column(gettext_lazy("Valid until"), lambda row: row[0]["valid_until"], DATE),
    Column(gettext_lazy("Next audit"), lambda row: row[0]["upcoming_audit_ref"]),
    Column(gettext_lazy("Next audit on"), lambda row: row[0]["upcoming_audit_date"], DATE),
    Column(gettext_lazy("Factory of Choice"), lambda row: _foc_status(row[1])),
    Column(gettext_lazy("Factory of Choice until"), lambda row: row[1]["expires_on"] if row[1] else None, DATE),
]


# --------------------------------------------------------------------------- coverage gaps

# Rows are (position, portal.selectors.GapRow); shares are fractions 0–1.
COVERAGE_GAP_COLUMNS = [
    Column("#", lambda row: row[0], NUMBER),
    Column(gettext_lazy("Supplier code"), lambda row: row[1].supplier_code),
    Column(gettext_lazy("Supplier"), lambda row: row[1].supplier_name),
    Column(gettext_lazy("Spend"), lambda row: row[1].spend, NUMBER),
    Column(gettext_lazy("Adds"), lambda row: row[1].adds, SHARE),
    Column(gettext_lazy("Coverage after"), lambda row: row[1].cumulative_share, SHARE),
]


# --------------------------------------------------------------------------- value queue

VALUE_QUEUE_COLUMNS = [
    Column(gettext_lazy("Supplier code"), lambda v: v.supplier.code),
    Column(gettext_lazy("Supplier"), lambda v: v.supplier.name),
    Column(gettext_lazy("Quarter"), lambda v: v.quarter),
    Column(gettext_lazy("Indicator code"), lambda v: v.indicator.code),
    Column(gettext_lazy("Indicator"), lambda v: indicators.indicator_title(v.indicator.code, v.indicator.title)),
    Column(gettext_lazy("Value"), lambda v: indicators.display_value(v.value, v.indicator.code)),
    Column(gettext_lazy("Raw value"), lambda v: v.value, NUMBER),
    Column(gettext_lazy("Source"), lambda v: v.source),
    Column(gettext_lazy("Evidence"), lambda v: v.evidence_ref),
    Column(gettext_lazy("Submitted"), lambda v: v.submitted_at, DATETIME),
    Column(gettext_lazy("Submitted by"), lambda v: v.submitted_by_label),
]


MATCH_REVIEW_COLUMNS = [
    Column(gettext_lazy("List"), lambda r: r.get_kind_display()),
    Column(gettext_lazy("File"), lambda r: r.file_name),
    Column(gettext_lazy("Row"), lambda r: r.line, NUMBER),
    Column(gettext_lazy("Company"), lambda r: r.company_name),
    Column(gettext_lazy("Country"), lambda r: r.country),
    Column(gettext_lazy("Note"), lambda r: r.note),
    Column(gettext_lazy("Identifier"), lambda r: f"{r.identifier_field} {r.identifier_value}".strip()),
    Column(gettext_lazy("Quarter"), lambda r: r.quarter),
    Column(gettext_lazy("Values"), lambda r: "; ".join(f"{code} = {value}" for code, value
                                                       in (r.payload or {}).get("values", {}).items())),
    Column(gettext_lazy("Candidates"), lambda r: "; ".join(f"{c.get('code')} {c.get('name')} ({c.get('score')})"
                                                           for c in r.candidates or [])),
    Column(gettext_lazy("Status"), lambda r: r.get_status_display()),
    Column(gettext_lazy("Supplier code"), lambda r: r.supplier.code if r.supplier else ""),
    Column(gettext_lazy("Decided by"), lambda r: r.decided_by_label),
    Column(gettext_lazy("Decided"), lambda r: r.decided_at, DATETIME),
    Column(gettext_lazy("Comment"), lambda r: r.comment),
]


# --------------------------------------------------------------------------- screening

# Rows are (candidate supplier, its latest screening or None).
SCREENING_COLUMNS = [
    Column(gettext_lazy("Candidate"), lambda row: row[0].code),
    Column(gettext_lazy("Name"), lambda row: row[0].name),
    Column(gettext_lazy("Country"), lambda row: row[0].country),
    Column(gettext_lazy("Screening"), lambda row: row[1].get_status_display() if row[1] else _("not opened")),
    Column(gettext_lazy("Submitted"), lambda row: row[1].submitted_at if row[1] else None, DATETIME),
    Column(gettext_lazy("Decision"), lambda row: row[1].get_decision_display() if row[1] and row[1].decision else ""),
    Column(gettext_lazy("Decided by"), lambda row: row[1].decided_by_label if row[1] and row[1].decision else ""),
    Column(gettext_lazy("Decided"), lambda row: row[1].decided_at if row[1] and row[1].decision else None, DATETIME),
]


# --------------------------------------------------------------------------- documents


def expiring_document_columns(today) -> list[Column]:
    return [
        Column(gettext_lazy("Expires on"), lambda d: d.expires_on, DATE),
        Column(gettext_lazy("Expired"), lambda d: _yes(d.expires_on < today)),
        Column(gettext_lazy("Supplier code"), lambda d: d.supplier.code),
        Column(gettext_lazy("Supplier"), lambda d: d.supplier.name),
        Column(gettext_lazy("Kind"), lambda d: d.get_kind_display()),
        Column(gettext_lazy("File"), lambda d: d.original_name),
        Column(gettext_lazy("Uploaded"), lambda d: d.uploaded_at, DATETIME),
        Column(gettext_lazy("Uploaded by"), lambda d: d.uploaded_by_label),
    ]
