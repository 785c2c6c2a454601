"""Request-body parsers of the API: free text is checked once, for every field.

Every string in a JSON, form or multipart body goes through ``core.parsers.check_text``:
NUL, other C0/C1 control characters except TAB, LF and CR, and invisible format,
private-use and surrogate characters answer 400 with a field error naming the character
(``{"name": ["'A\\x07B' contains U+0007 (a control character); remove invisible and
control characters"]}``), before any serializer or database sees them (PostgreSQL refuses
NUL in text). Codes and references are stricter still: their fields
(``core.api.IdentifierField``) also refuse TAB and line breaks. Source: contract.md,
"Trustworthy inputs"; issue "no 500s from input".
"""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ValidationError

from core.parsers import CellError, check_text


def _first_error(value) -> str | None:
    """The ``check_text`` message for the first refused string in ``value`` (a string,
    a list or a dict of them, nested), or None."""
    if isinstance(value, str):
        try:
            check_text(value)
        except CellError as exc:
            return str(exc)
        return None
    if isinstance(value, dict):
        items = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return None
    return next((message for item in items if (message := _first_error(item)) is not None), None)


def check_body(data) -> None:
    """Raise DRF's ``ValidationError`` ``{field: [message]}`` for every top-level field of
    ``data`` (a dict or a ``QueryDict``) holding refused text; nothing otherwise."""
    if hasattr(data, "lists"):
        fields = dict(data.lists())
    elif isinstance(data, dict):
        fields = data
    else:
        message = _first_error(data)
        if message is not None:
            raise ValidationError({"non_field_errors": [message]})
        return
    errors = {}
    for key, value in fields.items():
        message = _first_error(key) or _first_error(value)
        if message is not None:
            errors[key] = [message]
    if errors:
        raise ValidationError(errors)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_body(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_body(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_body(result.data)  # form fields only: uploaded files are checked by core.uploads
        return result
