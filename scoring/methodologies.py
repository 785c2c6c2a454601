"""Drafting, changing and comparing methodology versions (publishing: services)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from rest_framework.exceptions import ValidationError

from core.changelog import record_change, record_changes
from scoring.models import Methodology, MethodologyIndicator
from scoring.selectors import current_methodology


def ensure_draft(methodology: Methodology) -> None:
    if methodology.is_published:
        raise ValidationError({"detail": f"methodology {methodology.version} is published and cannot change; "
                                         "create a draft based on it"})


@transaction.atomic
def draft_create(*, version: str, based_on: Methodology | None, description: str, actor) -> Methodology:
    """A new draft copying every parameter of ``based_on`` (default: the current methodology)."""
    if Methodology.objects.filter(version=version).exists():
        raise ValidationError({"version": f"methodology version '{version}' already exists"})
    source = based_on or current_methodology()
    draft = Methodology.objects.create(
        version=version, description=description or f"Draft based on {source.version}", based_on=source,
        coverage_target=source.coverage_target, grade_bands=source.grade_bands, qbr_weights=source.qbr_weights,
        audit_validity_months=source.audit_validity_months, expiring_days=source.expiring_days,
        created_by=None if isinstance(actor, str) else actor,
    )
    MethodologyIndicator.objects.bulk_create([
        MethodologyIndicator(methodology=draft, indicator_id=row.indicator_id, weight=row.weight,
                             normalisation=row.normalisation, params=row.params)
        for row in source.indicators.all()
    ])
    record_change(actor=actor, entity_type="methodology", entity_id=version, action="drafted",
                  changes={"based_on": source.version})
    return draft


@transaction.atomic
def weights_set(*, methodology: Methodology, changes: list[dict], actor) -> None:
    """Change indicator weights (and optionally parameters) of a draft; every change is logged."""
    ensure_draft(methodology)
    rows = {row.indicator.code: row for row in methodology.indicators.select_related("indicator")}
    unknown = [change["code"] for change in changes if change["code"] not in rows]
    if unknown:
        raise ValidationError({"code": f"unknown indicator code(s): {', '.join(unknown)}"})
    log = []
    for change in changes:
        row = rows[change["code"]]
        before = {"weight": str(row.weight), "params": row.params}
        row.weight = Decimal(change["weight"])
        if "params" in change:
            row.params = change["params"]
        log.append(("methodology", methodology.version, "weight",
                    {"indicator": change["code"], "before": before,
                     "after": {"weight": str(row.weight), "params": row.params}}))
    MethodologyIndicator.objects.bulk_update([rows[c["code"]] for c in changes], ["weight", "params"])
    record_changes(actor=actor, entries=log)


def diff(first: Methodology, second: Methodology) -> dict:
    """What differs between two versions: settings and per-indicator weight/parameters."""
    settings_fields = ["coverage_target", "grade_bands", "qbr_weights", "audit_validity_months", "expiring_days"]
    changed_settings = {
        name: {first.version: _plain(getattr(first, name)), second.version: _plain(getattr(second, name))}
        for name in settings_fields if getattr(first, name) != getattr(second, name)
    }
    a = {row.indicator.code: row for row in first.indicators.all()}
    b = {row.indicator.code: row for row in second.indicators.all()}
    indicators = {}
    for code in sorted(set(a) | set(b)):
        left, right = a.get(code), b.get(code)
        left_view = None if left is None else {"weight": str(left.weight), "normalisation": left.normalisation,
                                                "params": left.params}
        right_view = None if right is None else {"weight": str(right.weight), "normalisation": right.normalisation,
                                                 "params": right.params}
        if left_view != right_view:
            indicators[code] = {first.version: left_view, second.version: right_view}
    return {"from": first.version, "to": second.version, "settings": changed_settings, "indicators": indicators}


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value
