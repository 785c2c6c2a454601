"""Drafting, changing, checking and comparing methodology versions (publishing: ``scoring.services``)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from core.history import history_context, record_bulk_history, stamp
from scoring.methodology import source_error
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
    draft = Methodology(
        version=version, description=description or f"Draft based on {source.version}", based_on=source,
        coverage_target=source.coverage_target, grade_bands=source.grade_bands, qbr_weights=source.qbr_weights,
        audit_validity_months=source.audit_validity_months, expiring_days=source.expiring_days,
        created_by=None if isinstance(actor, str) else actor,
    )
    stamp(draft, actor=actor).save()
    rows = MethodologyIndicator.objects.bulk_create([
        MethodologyIndicator(methodology=draft, indicator_id=row.indicator_id, weight=row.weight,
                             normalisation=row.normalisation, params=row.params, source=row.source)
        for row in source.indicators.all()
    ])
    with history_context(user=actor, reason=f"drafted from {source.version}"):
        record_bulk_history(MethodologyIndicator, rows)
    return draft


def effective_source(row: MethodologyIndicator) -> str:
    """The source a methodology indicator takes its raw value from (section 9): its derived
    source, else the catalogue's (audit or reported)."""
    return row.source or row.indicator.source


@transaction.atomic
def weights_set(*, methodology: Methodology, changes: list[dict], actor) -> None:
    """Change indicator weights, parameters and sources of a draft; every change is logged.

    ``changes``: [{"code", "weight"?, "params"?, "source"?}]. A source must be allowed for the
    indicator (``scoring.methodology.source_error``, scorecard.md section 9)."""
    ensure_draft(methodology)
    rows = {row.indicator.code: row for row in methodology.indicators.select_related("indicator")}
    unknown = [change["code"] for change in changes if change["code"] not in rows]
    if unknown:
        raise ValidationError({"code": f"unknown indicator code(s): {', '.join(unknown)}"})
    problems = {change["code"]: params_errors(change["code"], rows[change["code"]].normalisation, change["params"])
                for change in changes if "params" in change}
    problems = {code: errors for code, errors in problems.items() if errors}
    if problems:
        raise ValidationError({"params": [f"{code}: {'; '.join(errors)}" for code, errors in problems.items()]})
    source_problems = [f"{change['code']}: {problem}" for change in changes if "source" in change
                       for problem in [source_error(change["code"], rows[change["code"]].indicator.source,
                                                    change["source"])] if problem]
    if source_problems:
        raise ValidationError({"source": source_problems})
    for change in changes:
        row = rows[change["code"]]
        if "weight" in change:
            row.weight = Decimal(change["weight"])
        if "params" in change:
            row.params = change["params"]
        if "source" in change:
            # Stored empty when it is the catalogue's own source.
            row.source = "" if change["source"] == row.indicator.source else change["source"]
    changed = [rows[c["code"]] for c in changes]
    MethodologyIndicator.objects.bulk_update(changed, ["weight", "params", "source"])
    with history_context(user=actor):
        record_bulk_history(MethodologyIndicator, changed, updated=True)


def diff(first: Methodology, second: Methodology) -> dict:
    """What differs between two versions: settings and per-indicator weight/parameters."""
    settings_fields = list(SETTING_LABELS)  # the settings a version has, in the order they are shown
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
                                                "params": left.params, "source": effective_source(left)}
        right_view = None if right is None else {"weight": str(right.weight), "normalisation": right.normalisation,
                                                 "params": right.params, "source": effective_source(right)}
        if left_view != right_view:
            indicators[code] = {first.version: left_view, second.version: right_view}
    return {"from": first.version, "to": second.version, "settings": changed_settings, "indicators": indicators}


SETTING_LABELS = {"coverage_target": "coverage target", "grade_bands": "grade bands", "qbr_weights": "QBR weights",
                  "audit_validity_months": "audit validity (months)", "expiring_days": "expiring horizon (days)"}


def plain_number(value) -> str:
    """A number as people write it: 7, 2.5, 0.95 (no trailing zeros, no exponent)."""
    number = _number(value)
    if number is None:
        return str(value)
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _setting_text(name: str, value) -> str:
    if name == "coverage_target":
        return f"{plain_number(Decimal(str(value)) * 100)}%"
    if name == "grade_bands":
        return " · ".join(f"{grade} ≥ {plain_number(minimum)}" for grade, minimum in value)
    if name == "qbr_weights":
        return " · ".join(f"{key} {plain_number(weight)}" for key, weight in value.items())
    return plain_number(value)


def _param_changes(before: dict, after: dict) -> list[tuple[str, str, str]]:
    """(parameter, before, after) for each parameter that differs; a mapping table entry by entry."""
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) or isinstance(new, dict):
            old, new = old or {}, new or {}
            changes += [(f"{key}: {entry}", "—" if entry not in old else plain_number(old[entry]),
                         "—" if entry not in new else plain_number(new[entry]))
                        for entry in sorted(set(old) | set(new)) if old.get(entry) != new.get(entry)]
        else:
            changes.append((key, "—" if old is None else plain_number(old), "—" if new is None else plain_number(new)))
    return changes


def readable_diff(first: Methodology, second: Methodology) -> list[dict]:
    """Only what changed from ``first`` to ``second``, one line each: ``{"code", "title",
    "what", "before", "after"}`` (``code`` empty for a setting); weights and numbers as people
    write them, a mapping table entry by entry. Two queries."""
    lines = [{"code": "", "title": "", "what": SETTING_LABELS[name],
              "before": _setting_text(name, getattr(first, name)), "after": _setting_text(name, getattr(second, name))}
             for name in SETTING_LABELS if _plain(getattr(first, name)) != _plain(getattr(second, name))]
    a = {row.indicator.code: row for row in first.indicators.select_related("indicator")}
    b = {row.indicator.code: row for row in second.indicators.select_related("indicator")}
    for code in sorted(set(a) | set(b)):
        left, right = a.get(code), b.get(code)
        title = (right or left).indicator.title
        if left is None or right is None:
            lines.append({"code": code, "title": title, "what": "indicator",
                          "before": "—" if left is None else f"weight {plain_number(left.weight)}",
                          "after": "—" if right is None else f"weight {plain_number(right.weight)}"})
            continue
        if left.weight != right.weight:
            lines.append({"code": code, "title": title, "what": "weight", "before": plain_number(left.weight),
                          "after": plain_number(right.weight)})
        for what, old, new in (("normalisation", left.normalisation, right.normalisation),
                               ("source", effective_source(left), effective_source(right))):
            if old != new:
                lines.append({"code": code, "title": title, "what": what, "before": old, "after": new})
        lines += [{"code": code, "title": title, "what": what, "before": old, "after": new}
                  for what, old, new in _param_changes(left.params or {}, right.params or {})]
    return lines


def params_text(params: dict) -> str:
    """A parameter set as text: ``target 70``, ``table: A 100 · B 80``; empty: the defaults."""
    parts = []
    for key in sorted(params or {}):
        value = params[key]
        if isinstance(value, dict):
            parts.append(f"{key}: " + " · ".join(f"{entry} {plain_number(points)}" for entry, points in value.items()))
        else:
            parts.append(f"{key} {plain_number(value)}")
    return "; ".join(parts)


SETTING_RANGES = {"audit_validity_months": (1, 120), "expiring_days": (1, 730)}


def settings_set(*, methodology: Methodology, actor, **changes) -> Methodology:
    """Change a draft's settings: ``coverage_target`` (a share, more than 0 and at most 1),
    ``grade_bands`` ([[grade, minimum], …], best first, falling strictly, ending at 0),
    ``qbr_weights`` ({component: weight ≥ 0}, not all 0), ``audit_validity_months`` (1–120),
    ``expiring_days`` (1–730). Raises ``ValidationError`` keyed by setting (nothing saved);
    recorded in the change log."""
    ensure_draft(methodology)
    unknown = set(changes) - set(SETTING_LABELS)
    if unknown:
        raise ValidationError({"detail": f"unknown settings: {', '.join(sorted(unknown))}"})
    errors = _settings_change_errors(methodology, changes)
    if errors:
        raise ValidationError(errors)
    for name, value in changes.items():
        setattr(methodology, name, _setting_value(name, value))
    stamp(methodology, actor=actor).save(update_fields=list(changes))
    return methodology


def _setting_value(name: str, value):
    if name == "coverage_target":
        return _number(value)
    if name in SETTING_RANGES:
        return int(_number(value))
    if name == "grade_bands":
        return [[str(grade), plain_number(minimum)] for grade, minimum in value]
    if name == "qbr_weights":
        return {str(key): plain_number(weight) for key, weight in value.items()}
    return value


def _settings_change_errors(methodology: Methodology, changes: dict) -> dict[str, str]:
    errors = {}
    if "coverage_target" in changes:
        target = _number(changes["coverage_target"])
        if target is None or not 0 < target <= 1:
            errors["coverage_target"] = "a share more than 0 and at most 1 (0.95 for 95%)"
    for name, (low, high) in SETTING_RANGES.items():
        if name in changes:
            number = _number(changes[name])
            if number is None or number != number.to_integral_value() or not low <= number <= high:
                errors[name] = f"a whole number from {low} to {high}"
    errors.update({name: error for name, error in settings_errors(
        grade_bands=changes.get("grade_bands", methodology.grade_bands),
        qbr_weights=changes.get("qbr_weights", methodology.qbr_weights)).items() if name in changes})
    return errors


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


# Keys the engine needs in the mapping tables of audit-derived indicators.
REQUIRED_TABLE_KEYS = {
    "RBA-07": {"low", "medium", "high"},
    "RBA-08": {"platinum", "gold", "silver", "none", "no_valid_audit"},
}
QBR_COMPONENTS = {"quality", "delivery", "cost", "service", "esg"}


def _number(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        return None


def _is_points(value) -> bool:
    number = _number(value)
    return number is not None and 0 <= number <= 100


def _positive(params: dict, name: str, kind: str, *, required: bool) -> list[str]:
    if name not in params:
        return [f"'{name}' is required for {kind}"] if required else []
    number = _number(params[name])
    return [f"'{name}' must be a number greater than 0"] if number is None or number <= 0 else []


def _count_errors(params: dict) -> list[str]:
    step = _number(params.get("step"))
    return ["'step' must be a number of at least 0"] if step is None or step < 0 else []


def _bool_errors(params: dict) -> list[str]:
    return [f"'{name}' must be points from 0 to 100" for name in ("true", "false")
            if name in params and not _is_points(params[name])]


def _mapping_errors(code: str, params: dict) -> list[str]:
    table = params.get("table")
    if not isinstance(table, dict) or not table:
        return ["'table' must be a non-empty object of code: points"]
    errors = []
    bad = [key for key, value in table.items() if not _is_points(value)]
    if bad:
        errors.append(f"points must be from 0 to 100 for: {', '.join(map(str, bad))}")
    missing = REQUIRED_TABLE_KEYS.get(code, set()) - {str(key).lower() for key in table}
    if missing:
        errors.append(f"the table of {code} needs the codes: {', '.join(sorted(missing))}")
    return errors


def _change_errors(params: dict) -> list[str]:
    best, worst = _number(params.get("best", -10)), _number(params.get("worst", 10))
    return ["'best' and 'worst' must be numbers with best < worst"] if best is None or worst is None or best >= worst \
        else []


def params_errors(code: str, kind: str, params) -> list[str]:
    """Why these normalisation parameters of indicator ``code`` cannot be used (empty when
    they can; scorecard.md section 3 normalisations)."""
    if not isinstance(params, dict):
        return ["params must be an object"]
    checks = {
        "percent": lambda: _positive(params, "target", kind, required=False),
        "scaled": lambda: _positive(params, "max", kind, required=True),
        "count": lambda: _count_errors(params),
        "bool": lambda: _bool_errors(params),
        "mapping": lambda: _mapping_errors(code, params),
        "change": lambda: _change_errors(params),
    }
    check = checks.get(kind)
    return check() if check else []


def settings_errors(*, grade_bands, qbr_weights) -> dict[str, str]:
    """Why grade bands or QBR weights cannot be used (empty when they can)."""
    errors = {}
    bands_ok = isinstance(grade_bands, list) and grade_bands and all(
        isinstance(band, list | tuple) and len(band) == 2 and isinstance(band[0], str) and band[0]
        and _number(band[1]) is not None for band in grade_bands)
    if not bands_ok:
        errors["grade_bands"] = 'a list of [grade, minimum score] pairs, best first, e.g. [["A", "85"], …, ["D", "0"]]'
    else:
        minimums = [_number(band[1]) for band in grade_bands]
        if any(a <= b for a, b in zip(minimums, minimums[1:], strict=False)) or minimums[-1] != 0:
            errors["grade_bands"] = "minimum scores must fall strictly from band to band and end at 0"
    if not isinstance(qbr_weights, dict) or not qbr_weights:
        errors["qbr_weights"] = "an object of component: weight"
    elif set(qbr_weights) - QBR_COMPONENTS:
        errors["qbr_weights"] = f"unknown components: {', '.join(sorted(set(qbr_weights) - QBR_COMPONENTS))}"
    elif any(_number(w) is None or _number(w) < 0 for w in qbr_weights.values()) or not any(
            _number(w) > 0 for w in qbr_weights.values()):
        errors["qbr_weights"] = "weights must be numbers of at least 0, not all 0"
    return errors
