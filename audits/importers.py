"""import_audits and import_findings (contract.md): historical audits and findings as
exported from the RBA platform. Validate-then-commit, upsert on the natural key, bulk
reads and writes (a fixed number of queries whatever the number of rows).

Choices this module makes where the contract is silent:

- An imported audit took place: a new one is stored ``closed`` (or ``corrective
  actions open`` once it has open findings); ``valid_until`` follows from the type and
  ``conducted_on``. A ``score`` is refused on an SAQ and accepted on full and closure
  audits. Extra optional columns: ``category``, ``protocol``, ``rba_audit_id``,
  ``start_date``, ``report_received_on``, ``parent_audit_ref`` (closure audits only; a
  full audit at the same site, in the database or in the same file).
- ``provision_code`` is resolved against the RBA Code provisions, newest version first
  (8.0, then 7.0), case-insensitively; an unknown code is a row error.
- ``zero_tolerance`` defaults to false on import, as the contract says (the "Priority
  in A1/A2" default applies only to findings recorded in the app). An imported
  zero-tolerance finding flags its supplier for termination review and notifies admins.
- ``due_on`` is the correction due date; when absent it is computed from the deadline
  table for a new finding (and recomputed when severity, provision, audit or opened
  date change), otherwise the stored date is kept. The CAP due date is always computed.
- ``closed_on`` closes the finding (closed per imported record). Before ``opened_on``
  it is a row error. Optional extra column: ``sample_share`` (percent of the sample).
- Findings are written by ``audits.services.findings_record``, the one write path of
  findings (the API and the portal use it too): the same checks (an SAQ has no findings;
  the audit is under way, reported or closed, never planned, scheduled or cancelled; a
  finding is not opened before its audit started, ``start_date`` or else ``conducted_on``)
  and the same side effects (CAP, audit status, termination review, reminders, history).
"""

from __future__ import annotations

from django.db.models import F

from audits import selectors, services
from audits.dates import audit_valid_until
from audits.models import (
    FULL_AUDIT_TYPES,
    UPCOMING_STATUSES,
    Audit,
    AuditCategory,
    AuditProtocol,
    AuditStatus,
    AuditType,
    Recognition,
    SaqRisk,
    Severity,
)
from audits.policy import policy_at
from core.history import record_bulk_history
from core.importing import NOT_GIVEN, Column, Importer, Kind, RowError, given, upsert
from core.parsers import (
    choice_parser,
    decimal_parser,
    due_date_parser,
    identifier_parser,
    parse_bool,
    past_date_parser,
    text_parser,
)
from core.quarter import today as business_day
from suppliers.models import Site


def _present(values: dict, name: str) -> bool:
    """The cell was given and parsed (a cell that failed to parse is absent)."""
    return values.get(name, NOT_GIVEN) is not NOT_GIVEN


class AuditImporter(Importer):
    name = "import_audits"
    key = ("audit_ref",)
    columns = (
        Column("audit_ref", identifier_parser(max_length=80), kind=Kind.CODE),
        Column("site_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("audit_type", choice_parser(AuditType.values, what="audit type"), kind=Kind.CHOICE),
        Column("audit_firm", text_parser(max_length=255), required=False, default=""),
        # Every imported audit took place: not after today, not before 2000 (contract.md).
        Column("conducted_on", past_date_parser(what="conducted_on"), kind=Kind.DATE),
        Column("score", decimal_parser(minimum=0, maximum=200, places=2), required=False, kind=Kind.AMOUNT),
        Column("recognition", choice_parser(Recognition.values, what="recognition"), required=False,
               kind=Kind.CHOICE),
        Column("saq_risk", choice_parser(SaqRisk.values, what="SAQ risk band"), required=False, kind=Kind.CHOICE),
        # Optional extras (not in the contract's list, welcome by it).
        Column("category", choice_parser(AuditCategory.values, what="audit category"), required=False, default="",
               kind=Kind.CHOICE),
        Column("protocol", choice_parser(AuditProtocol.values, what="protocol"), required=False, default="",
               kind=Kind.CHOICE),
        Column("rba_audit_id", identifier_parser(max_length=64), required=False, default="", kind=Kind.CODE),
        Column("start_date", past_date_parser(what="start_date"), required=False, kind=Kind.DATE),
        Column("report_received_on", past_date_parser(what="report_received_on"), required=False, kind=Kind.DATE),
        Column("parent_audit_ref", identifier_parser(max_length=80), required=False, kind=Kind.CODE),
    )

    def check_row(self, line, values, errors):
        audit_type = values.get("audit_type", NOT_GIVEN)
        if audit_type is NOT_GIVEN:
            return
        if audit_type == AuditType.SAQ:
            if _present(values, "score"):
                errors.append(RowError(line, "score", "an SAQ has no audit score; leave the cell empty"))
            if values.get("saq_risk", NOT_GIVEN) is NOT_GIVEN and "saq_risk" in values:
                errors.append(RowError(line, "saq_risk", "required for an SAQ (low, medium or high)"))
        elif _present(values, "saq_risk"):
            errors.append(RowError(line, "saq_risk", "only an SAQ has a risk band; leave the cell empty"))
        if _present(values, "parent_audit_ref"):
            if audit_type != AuditType.VAP_CLOSURE:
                errors.append(RowError(line, "parent_audit_ref", "only a closure audit has a parent audit"))
            elif values["parent_audit_ref"] == values.get("audit_ref"):
                errors.append(RowError(line, "parent_audit_ref", "an audit cannot be its own parent"))
        if _present(values, "start_date") and _present(values, "conducted_on") \
                and values["start_date"] > values["conducted_on"]:
            errors.append(RowError(line, "start_date", "the start date is after conducted_on"))

    def resolve(self, rows, errors):
        site_ids = dict(Site.objects.filter(code__in={r.values["site_code"] for r in rows}).values_list("code", "id"))
        refs = {r.values["audit_ref"] for r in rows}
        parent_refs = {r.values["parent_audit_ref"] for r in rows if _present(r.values, "parent_audit_ref")}
        self.existing = {
            audit.audit_ref: audit
            for audit in Audit.objects.filter(audit_ref__in=refs | parent_refs).annotate(
                parent_ref=F("parent__audit_ref"))
        }
        in_file = {r.values["audit_ref"]: r for r in rows}
        for row in rows:
            values = row.values
            values["site_id"] = site_ids.get(values["site_code"])
            if values["site_id"] is None:
                errors.append(RowError(row.line, "site_code", f"unknown site code '{values['site_code']}'"))
        for row in rows:
            values = row.values
            if not _present(values, "parent_audit_ref"):
                continue
            parent_ref = values["parent_audit_ref"]
            if parent_ref in in_file:
                parent_values = in_file[parent_ref].values
                parent_type, parent_site = parent_values["audit_type"], parent_values["site_id"]
            elif parent_ref in self.existing:
                parent_type, parent_site = self.existing[parent_ref].audit_type, self.existing[parent_ref].site_id
            else:
                errors.append(RowError(row.line, "parent_audit_ref", f"unknown audit reference '{parent_ref}'"))
                continue
            if parent_type not in FULL_AUDIT_TYPES:
                errors.append(RowError(row.line, "parent_audit_ref", f"'{parent_ref}' is not a full audit"))
            elif values["site_id"] is not None and parent_site != values["site_id"]:
                errors.append(RowError(row.line, "parent_audit_ref", f"'{parent_ref}' is at another site"))

    def write(self, rows, *, dry_run):
        existing = {(ref,): audit for ref, audit in self.existing.items()}
        validity_months = policy_at(business_day()).validity_months
        prepared = []
        for row in rows:
            v = row.values
            audit_type = v["audit_type"]
            current = self.existing.get(v["audit_ref"])
            status = NOT_GIVEN
            if current is None or current.status in UPCOMING_STATUSES:
                status = AuditStatus.CLOSED
            values = {
                "audit_ref": v["audit_ref"], "site_id": v["site_id"], "audit_type": audit_type,
                "audit_firm": v["audit_firm"], "conducted_on": v["conducted_on"],
                # An SAQ never keeps a score, nor any other audit a risk band.
                "score": None if audit_type == AuditType.SAQ else v["score"],
                "recognition": v["recognition"],
                "saq_risk": v["saq_risk"] if audit_type == AuditType.SAQ else None,
                "category": v["category"], "protocol": v["protocol"], "rba_audit_id": v["rba_audit_id"],
                "start_date": v["start_date"], "report_received_on": v["report_received_on"],
                "valid_until": (audit_valid_until(v["conducted_on"], validity_months) if audit_type in FULL_AUDIT_TYPES
                                else None),
                "status": status,
            }
            prepared.append(((v["audit_ref"],), values))

        # Parents are compared by reference (a parent may be created by this same file).
        # A row that is no longer a closure audit loses its parent.
        parent_changes: dict[str, str | None] = {}
        for row in rows:
            v = row.values
            current = self.existing.get(v["audit_ref"])
            if _present(v, "parent_audit_ref"):
                if current is None or current.parent_ref != v["parent_audit_ref"]:
                    parent_changes[v["audit_ref"]] = v["parent_audit_ref"]
            elif v["audit_type"] != AuditType.VAP_CLOSURE and current is not None and current.parent_ref:
                parent_changes[v["audit_ref"]] = None

        if not dry_run:
            # Before the type changes, or the "parent only for closure audits" check would fail.
            orphans = [ref for ref, parent in parent_changes.items() if parent is None]
            Audit.objects.filter(audit_ref__in=orphans).update(parent=None)
        defaults = {"audit_firm": "", "category": "", "protocol": "", "rba_audit_id": ""}

        def create(key, values):
            return Audit(**{name: given(value, defaults.get(name)) for name, value in values.items()})

        result, created, changes = upsert(Audit, rows=prepared, existing=existing, create=create, dry_run=dry_run)
        changed_refs = {instance.audit_ref for instance, _ in changes}
        created_refs = {audit.audit_ref for audit in created}
        late_updates = [ref for ref in parent_changes if ref not in created_refs and ref not in changed_refs]
        result.updated += len(late_updates)
        result.unchanged -= len(late_updates)
        if dry_run:
            return result
        new_parents = {child: parent for child, parent in parent_changes.items() if parent}
        if new_parents:
            ids = dict(Audit.objects.filter(audit_ref__in=set(new_parents) | set(new_parents.values()))
                       .values_list("audit_ref", "id"))
            Audit.objects.bulk_update([Audit(id=ids[child], parent_id=ids[parent])
                                       for child, parent in new_parents.items()], ["parent"], batch_size=1000)
        if parent_changes:  # parents are set after the rows exist: record where they ended up
            record_bulk_history(Audit, Audit.objects.filter(audit_ref__in=list(parent_changes)), updated=True)
        return result


class FindingImporter(Importer):
    name = "import_findings"
    key = ("finding_ref",)
    columns = (
        Column("audit_ref", identifier_parser(max_length=80), kind=Kind.CODE),
        Column("finding_ref", identifier_parser(max_length=80), kind=Kind.CODE),
        Column("provision_code", identifier_parser(max_length=20), kind=Kind.CODE),
        Column("severity", choice_parser(Severity.values, what="severity"), kind=Kind.CHOICE),
        Column("zero_tolerance", parse_bool, required=False, default=False, kind=Kind.BOOL),
        Column("opened_on", past_date_parser(what="opened_on"), kind=Kind.DATE),
        Column("due_on", due_date_parser(what="due_on"), required=False, kind=Kind.DATE),
        Column("closed_on", past_date_parser(what="closed_on"), required=False, kind=Kind.DATE),
        Column("description", text_parser(max_length=10000), required=False, default=""),
        Column("sample_share", decimal_parser(minimum=0, maximum=100, places=2), required=False,
               kind=Kind.PERCENT),
    )

    # Columns of the file → fields of ``audits.services.FindingRow``, for the row errors.
    column_of = {"audit": "audit_ref", "provision": "provision_code", "correction_due_on": "due_on"}

    def check_row(self, line, values, errors):
        dated = {name: values.get(key, NOT_GIVEN) for name, key in
                 (("correction_due_on", "due_on"), ("closed_on", "closed_on"))}
        for name, message in services.finding_date_errors(
                opened_on=values.get("opened_on", NOT_GIVEN), names={"correction_due_on": "due_on"}, **dated).items():
            errors.append(RowError(line, self.column_of.get(name, name), message))

    def resolve(self, rows, errors):
        audits = dict(Audit.objects.filter(audit_ref__in={r.values["audit_ref"] for r in rows})
                      .values_list("audit_ref", "id"))
        provisions = selectors.rba_provisions_by_code()
        resolved = []
        for row in rows:
            v = row.values
            v["audit_id"] = audits.get(v["audit_ref"])
            if v["audit_id"] is None:
                errors.append(RowError(row.line, "audit_ref", f"unknown audit reference '{v['audit_ref']}'"))
            provision = provisions.get(v["provision_code"].strip().lower())
            if provision is None:
                errors.append(RowError(row.line, "provision_code",
                                       f"unknown provision code '{v['provision_code']}' (RBA Code 8.0 or 7.0)"))
            else:
                v["provision_id"], v["provision_code"] = provision
            if v["audit_id"] is not None and provision is not None:
                resolved.append(row)
        # Every other check is the one of findings recorded through the API and the portal.
        for index, refused in services.findings_check(self.finding_rows(resolved),
                                                      channel=services.FindingChannel.IMPORT):
            for name, message in refused.items():
                errors.append(RowError(resolved[index].line, self.column_of.get(name, name), message))

    @staticmethod
    def finding_rows(rows) -> list[services.FindingRow]:
        return [services.FindingRow(
            audit_id=v["audit_id"], provision_id=v["provision_id"], severity=v["severity"], opened_on=v["opened_on"],
            finding_ref=v["finding_ref"], zero_tolerance=v["zero_tolerance"], description=v["description"],
            sample_share=v["sample_share"], correction_due_on=v["due_on"], closed_on=v["closed_on"],
        ) for v in (row.values for row in rows)]

    def write(self, rows, *, dry_run):
        # A dry run writes too: the import's transaction is rolled back (core.importing).
        recorded = services.findings_record(self.finding_rows(rows), actor=self.actor or self.name,
                                            channel=services.FindingChannel.IMPORT)
        result = recorded.result
        if recorded.termination_reviews:
            result.extra["termination_reviews"] = len(recorded.termination_reviews)
        return result
