"""The History panels in words: each recorded change's field by its label in the page's
language and its values as a reader sees them (choice labels, yes/no, the version or code
a reference points to, weights as "quality 30, delivery 25"), instead of column names and
stored values. ``core.history.describe`` keeps the raw values for the API."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scoring.models import Methodology, MethodologyIndicator

# Labels of fields whose model gives none in words (the methodology pages' own labels).
FIELD_LABELS: dict[tuple[type[models.Model], str], Promise] = {
    (Methodology, "version"): gettext_lazy("Version"),
    (Methodology, "description"): gettext_lazy("Description"),
    (Methodology, "status"): gettext_lazy("Status"),
    (Methodology, "based_on"): gettext_lazy("Based on"),
    (Methodology, "coverage_target"): gettext_lazy("Coverage target"),
    (Methodology, "grade_bands"): gettext_lazy("Grade bands"),
    (Methodology, "qbr_weights"): gettext_lazy("QBR weights"),
    (Methodology, "audit_validity_months"): gettext_lazy("Audit validity (months)"),
    (Methodology, "expiring_days"): gettext_lazy("Expiring horizon (days)"),
    (Methodology, "created_by"): gettext_lazy("Created by"),
    (Methodology, "published_at"): gettext_lazy("Published"),
    (Methodology, "published_by"): gettext_lazy("Published by"),
    (MethodologyIndicator, "methodology"): gettext_lazy("Methodology"),
    (MethodologyIndicator, "indicator"): gettext_lazy("Indicator"),
    (MethodologyIndicator, "weight"): gettext_lazy("Weight"),
    (MethodologyIndicator, "normalisation"): gettext_lazy("Normalisation"),
    (MethodologyIndicator, "params"): gettext_lazy("Parameters"),
    (MethodologyIndicator, "source"): gettext_lazy("Source"),
}

EMPTY = "—"
# A stored document's keys come back in any order (jsonb): the QBR components in reading
# order, other keys alphabetically.
KEY_ORDER = ("quality", "delivery", "cost", "service", "esg")


def field_label(model: type[models.Model], name: str) -> str:
    """The field's label in the active language: ``FIELD_LABELS``, else the model's
    ``verbose_name`` (translated where the model gives one), else the name in words."""
    if (model, name) in FIELD_LABELS:
        return str(FIELD_LABELS[(model, name)])
    try:
        return capfirst(str(model._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:
        return capfirst(name.replace("_", " "))


def _structure_text(value) -> str:
    """Weights, bands and parameters: ``{"quality": "30"}`` → "quality 30";
    ``[["A", "85"], ["B", "70"]]`` → "A 85 · B 70"."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: (KEY_ORDER.index(key) if key in KEY_ORDER else len(KEY_ORDER), key))
        return ", ".join(f"{key} {_structure_text(value[key])}" for key in keys) or EMPTY
    if isinstance(value, list | tuple):
        return " · ".join(_structure_text(item) if isinstance(item, dict) else
                          " ".join(str(part) for part in item) if isinstance(item, list | tuple) else str(item)
                          for item in value) or EMPTY
    return str(value)


def value_text(field: models.Field | None, value, related: dict) -> str:
    """One stored value as a reader sees it; ``related`` maps (model, pk) → its text."""
    if value is None or value == "":
        return EMPTY
    if field is not None and field.is_relation and field.many_to_one:
        return related.get((field.related_model, value), f"#{value}")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict | list):
        return _structure_text(value)
    return str(value)


def _related_texts(model: type[models.Model], entries: list[dict]) -> dict:
    """The text of every referenced row of the entries, one query per referenced model."""
    wanted: dict[type[models.Model], set] = {}
    for entry in entries:
        for name, pair in entry["changes"].items():
            field = _field(model, name)
            if field is not None and field.is_relation and field.many_to_one:
                wanted.setdefault(field.related_model, set()).update(v for v in pair if v not in (None, ""))
    texts = {}
    for related, ids in wanted.items():
        for row in related._default_manager.filter(pk__in=ids):
            texts[(related, row.pk)] = _row_text(row)
    return texts


def _row_text(row) -> str:
    for attribute in ("version", "code", "username"):
        if hasattr(row, attribute):
            return str(getattr(row, attribute))
    return str(row)


def _field(model: type[models.Model], name: str) -> models.Field | None:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def readable(model: type[models.Model], entries: list[dict]) -> list[dict]:
    """Add ``readable``: ``[(label, old text, new text), …]`` to each ``describe`` entry."""
    related = _related_texts(model, entries)
    for entry in entries:
        entry["readable"] = [
            (field_label(model, name), value_text(_field(model, name), old, related),
             value_text(_field(model, name), new, related))
            for name, (old, new) in entry["changes"].items()]
    return entries
