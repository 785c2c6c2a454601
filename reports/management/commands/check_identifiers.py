"""List stored identifiers that the identifier rule (contract.md: trimmed, NFKC-normalised,
ASCII letters, digits and ``-_./`` only; ``core.parsers.normalize_identifier``) would refuse or
rewrite. Such rows came in before the rule; they are listed for a person to correct, never
changed here. Exit status 1 when any is found (usable as a deployment check)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from core.parsers import CellError, normalize_identifier

# (label, model path, field): every identifier column that imports, the API and the portal check.
IDENTIFIER_FIELDS = (
    ("supplier code", "suppliers.Supplier", "code"),
    ("site code", "suppliers.Site", "code"),
    ("spend quarter", "suppliers.SpendRecord", "quarter"),
    ("spend currency", "suppliers.SpendRecord", "currency"),
    ("fx quarter", "suppliers.FxRate", "quarter"),
    ("fx currency", "suppliers.FxRate", "currency"),
    ("audit reference", "audits.Audit", "audit_ref"),
    ("RBA audit id", "audits.Audit", "rba_audit_id"),
    ("finding reference", "audits.Finding", "finding_ref"),
    ("indicator code", "scoring.Indicator", "code"),
    ("indicator value quarter", "scoring.IndicatorValue", "quarter"),
    ("QBR component quarter", "scoring.QbrComponent", "quarter"),
)


def stored_identifier_problems() -> list[str]:
    """One line per distinct stored identifier that ``normalize_identifier`` refuses or would
    rewrite: ``"<label> '<value>': <why>"``. One query per field."""
    from django.apps import apps

    problems = []
    for label, model_path, field in IDENTIFIER_FIELDS:
        model = apps.get_model(model_path)
        values = model.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct().order_by(field)
        for value in values.iterator(chunk_size=10_000):
            try:
                normal = normalize_identifier(value)
            except CellError as exc:
                problems.append(f"{label} {exc}")
                continue
            if normal != value:
                problems.append(f"{label} '{value}': would be read as '{normal}'")
    return problems


class Command(BaseCommand):
    help = "List stored codes and references that the identifier rule would refuse or rewrite."

    def handle(self, *args, **options):
        problems = stored_identifier_problems()
        for line in problems:
            self.stdout.write(line)
        self.stdout.write(f"{len(problems)} stored identifier(s) the identifier rule would refuse or rewrite")
        if problems:
            raise SystemExit(1)
