"""import_indicator_values and import_qbr_components (contract.md)."""

from __future__ import annotations

from django.utils import timezone

from core.history import actor_fields, record_bulk_history
from core.importing import Column, Importer, ImportResult, Kind, RowError, given, upsert
from core.parsers import CellError, choice_parser, decimal_parser, identifier_parser, parse_past_quarter, text_parser
from scoring.models import Indicator, IndicatorValue, QbrComponent, QbrComponentName, ValueOrigin, ValueState
from scoring.selectors import current_methodology, methodology_params
from scoring.values import canonical_value
from suppliers.importers import resolve_supplier_codes


class IndicatorValueImporter(Importer):
    """Every imported row is ``accepted``; one value per supplier, quarter and indicator."""

    name = "import_indicator_values"
    key = ("supplier_code", "quarter", "indicator_code")
    columns = (
        Column("supplier_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("quarter", parse_past_quarter, kind=Kind.CODE),
        Column("indicator_code", identifier_parser(max_length=20), kind=Kind.CODE),
        Column("value", text_parser(max_length=60), kind=Kind.VALUE),
        Column("source", text_parser(max_length=200), required=False, default=""),
        Column("evidence_ref", text_parser(max_length=300), required=False, default=""),
    )

    def natural_key(self, row):
        values = row.values
        return (values["supplier_code"], str(values["quarter"]), values["indicator_code"].upper())

    def resolve(self, rows, errors):
        resolve_supplier_codes(rows, errors)
        specs = {spec.code: spec for spec in methodology_params(current_methodology()).indicators}
        indicator_ids = dict(Indicator.objects.values_list("code", "id"))
        for row in rows:
            code = row.values["indicator_code"].upper()
            spec = specs.get(code)
            if spec is None or code not in indicator_ids:
                errors.append(RowError(row.line, "indicator_code", f"unknown indicator code '{code}'"))
                continue
            row.values["indicator_id"] = indicator_ids[code]
            try:
                row.values["value"] = canonical_value(spec, row.values["value"])
            except CellError as exc:
                column = "indicator_code" if spec.source != "reported" else "value"
                errors.append(RowError(row.line, column, str(exc)))

    def write(self, rows, *, dry_run):
        quarters = {str(r.values["quarter"]) for r in rows}
        existing = {
            (v.supplier_id, v.quarter, v.indicator_id): v
            for v in IndicatorValue.objects.filter(origin=ValueOrigin.IMPORT, quarter__in=quarters)
        }
        now = timezone.now()
        who = actor_fields(self.actor or self.name)
        result = ImportResult()
        to_create, to_update = [], []
        for row in rows:
            values = row.values
            key = (values["supplier_id"], str(values["quarter"]), values["indicator_id"])
            fields = {"value": values["value"], "source": given(values["source"]),
                      "evidence_ref": given(values["evidence_ref"])}
            stored = existing.get(key)
            if stored is None:
                to_create.append(IndicatorValue(
                    supplier_id=key[0], quarter=key[1], indicator_id=key[2], origin=ValueOrigin.IMPORT,
                    state=ValueState.ACCEPTED, submitted_at=now, submitted_by=who["actor"],
                    submitted_by_label=who["actor_label"], reviewed_at=now, reviewed_by=who["actor"],
                    **{name: value if value is not None else "" for name, value in fields.items()},
                ))
                continue
            changed = {name: value for name, value in fields.items()
                       if value is not None and getattr(stored, name) != value}
            if not changed and stored.state == ValueState.ACCEPTED:
                result.unchanged += 1
                continue
            for name, value in changed.items():
                setattr(stored, name, value)
            # A changed value is a new submission: it becomes the latest within its quarter.
            stored.state, stored.submitted_at, stored.reviewed_at = ValueState.ACCEPTED, now, now
            stored.submitted_by, stored.submitted_by_label = who["actor"], who["actor_label"]
            to_update.append(stored)
        result.created, result.updated = len(to_create), len(to_update)
        if not dry_run:
            IndicatorValue.objects.bulk_create(to_create, batch_size=2000)
            IndicatorValue.objects.bulk_update(
                to_update, ["value", "source", "evidence_ref", "state", "submitted_at", "reviewed_at",
                            "submitted_by", "submitted_by_label"], batch_size=500)
            record_bulk_history(IndicatorValue, to_create)
            record_bulk_history(IndicatorValue, to_update, updated=True)
        return result


class QbrComponentImporter(Importer):
    name = "import_qbr_components"
    key = ("supplier_code", "quarter", "component")
    columns = (
        Column("supplier_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("quarter", parse_past_quarter, kind=Kind.CODE),
        Column("component", choice_parser(QbrComponentName.values, what="QBR component"), kind=Kind.CHOICE),
        Column("score", decimal_parser(minimum=0, maximum=100, places=2), kind=Kind.PERCENT),
    )

    def resolve(self, rows, errors):
        resolve_supplier_codes(rows, errors)

    def write(self, rows, *, dry_run):
        quarters = {str(r.values["quarter"]) for r in rows}
        existing = {(c.supplier_id, c.quarter, c.component): c
                    for c in QbrComponent.objects.filter(quarter__in=quarters)}
        keyed = []
        for row in rows:
            values = row.values
            key = (values["supplier_id"], str(values["quarter"]), values["component"])
            keyed.append((key, {"supplier_id": key[0], "quarter": key[1], "component": key[2],
                                "score": values["score"]}))
        result, _, _ = upsert(QbrComponent, rows=keyed, existing=existing,
                                          create=lambda key, values: QbrComponent(**values), dry_run=dry_run)
        return result
