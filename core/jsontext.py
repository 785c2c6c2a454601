"""JSON text of the large documents a recalculation writes and the pages read, with orjson (#13).

A 100,000-supplier quarter writes megabytes of JSON on every run: the coverage snapshot
(about 21 MB) and the emissions estimate (about 7 MB), a gap list of up to one item per
supplier into stored summary blocks, a QBR components object per score row, and the coverage
body the API serves. ``json.dumps`` and ``json.loads`` spent about 3 s of CPU per run on them;
orjson writes the same JSON values about ten times faster and reads them twice as fast.

What differs from ``json.dumps`` is form, not value: no spaces between tokens, non-ASCII
characters as UTF-8 rather than ``\\uXXXX`` escapes, some floats in another, equally exact
spelling (``0.00001`` for ``1e-05``); ``json.loads`` of either text gives equal objects.
Values: dict, list, tuple, str, int, float, bool and None, and subclasses of them (a Django
choices member, ``OrderedDict``, a namedtuple, ``numpy.float64``, ``numpy.str_``), written as
``json.dumps`` writes them. Refused with ``TypeError`` as ``json.dumps`` refuses them: a
datetime or date, a ``Decimal``, a set, a numpy integer, any other object. Refused here though
``json.dumps`` takes them: a dict key that is not exactly ``str`` (``json.dumps`` writes an
``int`` key as a string, so a key would change type on its way to the database), an integer
beyond 64 bits, a string holding a lone surrogate, nesting deeper than 254 levels (all
``TypeError``). Refused with ``ValueError``, as ``jsonb`` refused them: a non-finite float
(NaN, ±Infinity; ``json.dumps`` writes ``NaN``, which is not JSON, and orjson alone would write
``null``) and the NUL character. Taken here and refused by ``json.dumps``: a ``uuid.UUID``
and a plain ``enum.Enum`` member (written as their string and their value).
"""

from __future__ import annotations

import json
import math

import orjson
from django.db import models
from psycopg.types.json import Json

# Datetimes, dataclasses and subclasses of the JSON types go to ``_default``, as json.dumps sees them.
_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def _default(value):
    """A subclass of a JSON type as ``json.dumps`` writes it (the base type's value); anything
    else refused."""
    for base in (str, int, float):
        if isinstance(value, base):
            return getattr(base, f"__{base.__name__}__")(value)  # str.__str__ etc.: the plain value
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list | tuple):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps_bytes(value) -> bytes:
    """The JSON text of ``value`` as UTF-8 bytes (see the module's docstring for what is
    refused: ``TypeError``, ``ValueError``)."""
    text = orjson.dumps(value, default=_default, option=_STRICT)
    # orjson writes a non-finite float as null: the values are looked at only when a null is there.
    if b"null" in text and _has_non_finite(value):
        raise ValueError("Out of range float values are not JSON compliant")
    if b"\\u0000" in text:
        raise ValueError("a string holds the NUL character, which PostgreSQL does not store")
    return text


def dumps(value) -> str:
    """``dumps_bytes`` as ``str`` (a text column of a ``COPY`` row)."""
    return dumps_bytes(value).decode()


def loads(text: str | bytes):
    """The value of a JSON text: the objects ``json.loads`` gives, except that an integer
    beyond 64 bits comes back as a float (orjson's reading; the documents hold none). A text
    orjson refuses and ``json.loads`` reads (``NaN``, a lone surrogate escape, a byte order
    mark) is read by ``json.loads``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _has_non_finite(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


class DocumentJSONField(models.JSONField):
    """A ``JSONField`` for a document of megabytes stored and read whole (the coverage
    snapshot, the emissions estimate): encoded with ``dumps_bytes`` and decoded with
    ``loads``, on every database. On PostgreSQL the column is ``json``, not ``jsonb``: the
    text as written, checked for syntax only (parsing 20 MB into ``jsonb`` took the server
    about 0.8 s of a recalculation's write, and printing it back 0.3 s of each read), and
    selected as ``text`` so that orjson, not psycopg, decodes it. What ``json`` does not offer
    and nothing here uses: key lookups compared with values, containment, equality, ordering,
    ``DISTINCT``, indexes. SQLite keeps its text column. A field given an ``encoder`` or
    ``decoder`` uses them, as a ``JSONField`` does."""

    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def select_format(self, compiler, sql, params):
        sql, params = super().select_format(compiler, sql, params)
        if compiler.connection.vendor == "postgresql" and self.decoder is None:
            return f"({sql})::text", params
        return sql, params

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if self.encoder is not None or hasattr(value, "as_sql"):
            return super().get_db_prep_value(value, connection, prepared=True)
        if connection.vendor == "postgresql":
            return Json(value, dumps=dumps_bytes)
        return dumps(value)

    def from_db_value(self, value, expression, connection):
        if not isinstance(value, str | bytes):  # already decoded (a driver's own JSON loader)
            return value
        if self.decoder is not None:
            return super().from_db_value(value, expression, connection)
        try:
            return loads(value)
        except json.JSONDecodeError:  # as JSONField: a text that is not JSON is returned as it is
            return value
