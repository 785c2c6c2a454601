"""import_indicator_values and import_qbr_components (contract.md)."""

from __future__ import annotations

from core.importing import Column, Importer, Kind, RowError, given, upsert
from core.parsers import CellError, choice_parser, decimal_parser, identifier_parser, parse_past_quarter, text_parser
from scoring.models import Indicator, QbrComponent, QbrComponentName
from scoring.selectors import current_methodology, methodology_params
from scoring.services import ImportedValue, indicator_values_import
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
        values = [ImportedValue(supplier_id=r.values["supplier_id"], quarter=str(r.values["quarter"]),
                                indicator_id=r.values["indicator_id"], value=r.values["value"],
                                source=given(r.values["source"]), evidence_ref=given(r.values["evidence_ref"]))
                  for r in rows]
        return indicator_values_import(values=values, actor=self.actor or self.name, dry_run=dry_run)


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
