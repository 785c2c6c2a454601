"""Query-parameter filters of the API: identifiers are read like everywhere else.

Every list endpoint filters through ``IdentifierFilterBackend`` (the project's default
filter backend): a filter on a code, a reference, a quarter or a currency reads its value
with ``core.parsers`` before the lookup, so ``?supplier__code=ＳＵＰ－００１`` finds
``SUP-001`` and ``?supplier__code=SUP%E2%80%8B001`` answers 400 naming the zero-width space,
exactly as the serializer fields and the imports do (contract.md, issue "codes and
references are normalised and checked once, at the edge").
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from core.parsers import CellError, normalize_identifier, parse_currency, parse_quarter


def _quarter_text(text: str) -> str:
    return str(parse_quarter(text))


def identifier_reader(model, field_path: str):
    """The parser for a filter on ``field_path`` of ``model`` (``supplier__code``,
    ``audit__audit_ref``, ``quarter``...), or None when the field is not an identifier.
    Identifiers are fields named ``code``, ``quarter``, ``currency`` or ending in ``_ref``
    or ``_code``; a path that does not resolve to a model field is not one."""
    names = field_path.split("__")
    field = None
    for name in names:
        try:
            field = model._meta.get_field(name)
        except (FieldDoesNotExist, AttributeError):
            return None
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    if field is None or field.is_relation:
        return None
    name = field.name
    if name == "quarter":
        return _quarter_text
    if name == "currency":
        return parse_currency
    if name == "code" or name.endswith(("_ref", "_code")):
        return normalize_identifier
    return None


SUPPLIER_CODE_PATHS = ("supplier__code", "person__supplier__code", "site__supplier__code")


def _supplier_alias(data, filters):
    """``?supplier=CODE`` is the documented filter everywhere (docs/api.md); where a list only
    declares the code path, the same value filters it rather than being ignored (an ignored
    filter would answer every row). Returns a copy of ``data`` when it changes it, else None."""
    if "supplier" not in data or "supplier" in filters:
        return None
    alias = next((name for name in SUPPLIER_CODE_PATHS if name in filters), None)
    if alias is None or alias in data:
        return None
    aliased = data.copy()
    aliased.setlist(alias, data.getlist("supplier"))
    return aliased


class IdentifierFilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` that reads identifier query parameters with ``core.parsers``
    (see the module docstring). An unreadable value is a 400 naming the parameter:
    ``{"supplier__code": ["'SUP\\u200b001' contains U+200B ZERO WIDTH SPACE; ..."]}``.
    Other parameters (free text, dates, choices) are left to their filters."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return kwargs
        data = kwargs["data"]
        model = filterset_class._meta.model
        errors = {}
        cleaned = _supplier_alias(data, filterset_class.base_filters)
        data = cleaned if cleaned is not None else data
        for param, flt in filterset_class.base_filters.items():
            if param not in data or flt.method is not None:
                continue
            reader = identifier_reader(model, flt.field_name)
            if reader is None:
                continue
            values = []
            for value in data.getlist(param):
                if value == "":
                    values.append(value)  # an empty filter means "no filter", as before
                    continue
                try:
                    values.append(reader(value))
                except CellError as exc:
                    errors.setdefault(param, []).append(str(exc))
            if cleaned is None:
                cleaned = data.copy()
            cleaned.setlist(param, values)
        if errors:
            raise ValidationError(errors)
        if cleaned is not None:
            kwargs["data"] = cleaned
        return kwargs
