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
"""

from __future__ import annotations

from django.db.models import F

from audits import escalation, selectors, services
from audits.dates import audit_valid_until
from audits.models import (
    FULL_AUDIT_TYPES,
    UPCOMING_STATUSES,
    Audit,
    AuditCategory,
    AuditProtocol,
    AuditStatus,
    AuditType,
    CapState,
    ClosureMethod,
    CorrectiveAction,
    Finding,
    FindingStatus,
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

    def check_row(self, line, values, errors):
        if _present(values, "closed_on") and _present(values, "opened_on") \
                and values["closed_on"] < values["opened_on"]:
            errors.append(RowError(line, "closed_on", "closed_on is before opened_on"))
        if _present(values, "due_on") and _present(values, "opened_on") and values["due_on"] < values["opened_on"]:
            errors.append(RowError(line, "due_on", "due_on is before opened_on"))

    def resolve(self, rows, errors):
        audits = {
            ref: (pk, conducted_on, report_on)
            for ref, pk, conducted_on, report_on in Audit.objects.filter(
                audit_ref__in={r.values["audit_ref"] for r in rows}).values_list(
                "audit_ref", "id", "conducted_on", "report_received_on")
        }
        provisions = selectors.rba_provisions_by_code()
        self.terms = selectors.deadline_terms()
        self.existing = {f.finding_ref: f for f in Finding.objects.filter(
            finding_ref__in=[r.values["finding_ref"] for r in rows])}
        for row in rows:
            v = row.values
            audit = audits.get(v["audit_ref"])
            if audit is None:
                errors.append(RowError(row.line, "audit_ref", f"unknown audit reference '{v['audit_ref']}'"))
            else:
                v["audit_id"], v["audit_end"], v["report_on"] = audit
            provision = provisions.get(v["provision_code"].strip().lower())
            if provision is None:
                errors.append(RowError(row.line, "provision_code",
                                       f"unknown provision code '{v['provision_code']}' (RBA Code 8.0 or 7.0)"))
            else:
                v["provision_id"], v["provision_code"] = provision
            current = self.existing.get(v["finding_ref"])
            if current is not None and current.status == FindingStatus.WITHDRAWN:
                errors.append(RowError(row.line, "finding_ref",
                                       f"finding '{current.finding_ref}' was withdrawn on "
                                       f"{current.withdrawn_at:%Y-%m-%d}; a withdrawn finding cannot be imported "
                                       "again"))
            elif current is not None and not _present(v, "closed_on") and current.closed_on is not None \
                    and current.closed_on < v["opened_on"]:
                errors.append(RowError(row.line, "opened_on",
                                       f"the finding was closed on {current.closed_on}, before this opened_on"))

    def write(self, rows, *, dry_run):
        prepared = []
        for row in rows:
            v = row.values
            current = self.existing.get(v["finding_ref"])
            cap_due, correction_due = services.compute_deadlines(
                severity=v["severity"], provision_code=v["provision_code"], opened_on=v["opened_on"],
                audit_end=v["audit_end"], report_received_on=v["report_on"], terms=self.terms)
            inputs_changed = current is None or (
                current.severity, current.provision_id, current.audit_id, current.opened_on,
            ) != (v["severity"], v["provision_id"], v["audit_id"], v["opened_on"])
            closing = _present(v, "closed_on") and (current is None or current.closed_on != v["closed_on"])
            prepared.append(((v["finding_ref"],), {
                "finding_ref": v["finding_ref"], "audit_id": v["audit_id"], "provision_id": v["provision_id"],
                "severity": v["severity"], "zero_tolerance": v["zero_tolerance"], "opened_on": v["opened_on"],
                "cap_due_on": cap_due if inputs_changed else NOT_GIVEN,
                "correction_due_on": v["due_on"] if _present(v, "due_on") else (
                    correction_due if inputs_changed else NOT_GIVEN),
                # Only a due date the file gives is the contract's due_on (scorecard RBA-06).
                "due_on_given": True if _present(v, "due_on") else (False if inputs_changed else NOT_GIVEN),
                "closed_on": v["closed_on"],
                "closed_via": ClosureMethod.IMPORT if closing else NOT_GIVEN,
                "status": FindingStatus.CLOSED if _present(v, "closed_on") else NOT_GIVEN,
                "description": v["description"], "sample_share": v["sample_share"],
            }))

        defaults = {"zero_tolerance": False, "description": "", "closed_via": "", "status": FindingStatus.OPEN}

        def create(key, values):
            return Finding(**{name: given(value, defaults.get(name)) for name, value in values.items()})

        result, created, changes = upsert(Finding, rows=prepared, existing={(k,): f for k, f in self.existing.items()},
                                          create=create, dry_run=dry_run)
        if dry_run:
            return result
        if created and any(f.pk is None for f in created):  # backends that do not return ids
            ids = dict(Finding.objects.filter(finding_ref__in=[f.finding_ref for f in created])
                       .values_list("finding_ref", "id"))
            for finding in created:
                finding.pk = finding.id = ids[finding.finding_ref]
        caps = CorrectiveAction.objects.bulk_create([
            CorrectiveAction(finding_id=f.pk, manager=services.default_cap_manager(f.severity),
                             state=CapState.VERIFIED_CLOSED if f.closed_on else CapState.NOT_STARTED)
            for f in created
        ], batch_size=2000)
        record_bulk_history(CorrectiveAction, caps)
        touched = [f.pk for f in created] + [instance.pk for instance, _ in changes]
        audit_ids = {f.audit_id for f in created} | {instance.audit_id for instance, _ in changes}
        audit_ids |= {changed["audit_id"][0] for _, changed in changes if "audit_id" in changed}
        services.audits_refresh_status(audit_ids)
        zero_tolerance = [f.pk for f in created if f.zero_tolerance]
        zero_tolerance += [i.pk for i, c in changes if "zero_tolerance" in c and i.zero_tolerance]
        if zero_tolerance:
            reviews = escalation.open_termination_reviews(finding_ids=zero_tolerance, actor=self.actor or self.name)
            result.extra["termination_reviews"] = len(reviews)
        if touched:
            from audits import notifications

            notifications.cancel_stale(finding_ids=touched)
        return result

