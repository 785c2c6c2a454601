"""JSON text of the large documents a recalculation writes and the pages read, with orjson (#13).

A 100,000-supplier quarter writes megabytes of JSON on every run: the coverage snapshot
(about 20 MB) and the emissions estimate (about 7 MB) into ``jsonb``, a gap list of up to one
item per supplier into stored summary blocks, a QBR components object per score row, and the
coverage body the API serves. ``json.dumps`` and ``json.loads`` spent about 3 s of CPU per run
on them; orjson writes the same JSON values about ten times faster and reads them twice as fast.

What differs from ``json.dumps`` is form, never value: no spaces between tokens, non-ASCII
characters as UTF-8 rather than ``\\uXXXX`` escapes, and some floats in another, equally exact
spelling (``0.00001`` for ``1e-05``); ``json.loads`` of either text gives equal objects.
The types accepted are those ``json.dumps`` accepts (dict with ``str`` keys, list, tuple,
str, int, float, bool, None); anything else, a datetime, a ``Decimal``, a numpy value or a
dict with a non-string key included, raises ``TypeError``. (``json.dumps`` writes an ``int``
key as a string; refusing it keeps a key from changing type on its way to the database.)
A non-finite float (NaN, ±Infinity), which ``json.dumps`` writes as ``NaN`` (not JSON:
``jsonb`` refuses it), orjson writes as ``null``; the documents encoded here hold only floats
made from ``Decimal`` amounts and shares, which are finite.
"""

from __future__ import annotations

import json

import orjson
from django.db import models
from django.db.models.fields.json import KeyTransform
from psycopg.types.json import Json
from psycopg.types.string import TextLoader

# Datetimes, dataclasses and subclasses of the JSON types go to ``_refuse``, as json.dumps refuses them.
_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def _refuse(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps_bytes(value) -> bytes:
    """The JSON text of ``value`` as UTF-8 bytes. ``TypeError`` for a value ``json.dumps``
    cannot encode and for a dict key that is not a ``str``."""
    return orjson.dumps(value, default=_refuse, option=_STRICT)


def dumps(value) -> str:
    """``dumps_bytes`` as ``str`` (a text column of a ``COPY`` row)."""
    return dumps_bytes(value).decode()


def loads(text: str | bytes):
    """The value of a JSON text: the objects ``json.loads`` gives. orjson refuses what
    ``jsonb`` never holds but ``json.loads`` accepts (an integer beyond 64 bits, ``NaN``):
    such a text is read by ``json.loads``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class DocumentJSONField(models.JSONField):
    """A ``JSONField`` for a document of megabytes stored and read whole (the coverage
    snapshot, the emissions estimate): encoded with ``dumps_bytes`` and decoded with
    ``loads``. On PostgreSQL the column is ``json``, not ``jsonb``: the text as written,
    checked for syntax only (parsing 20 MB into ``jsonb`` took the server about 0.8 s of a
    recalculation's write, and turning it back into text 0.3 s of each read). What ``json``
    does not offer and nothing here uses: key lookups compared with ``jsonb`` values,
    containment, equality, indexes. SQLite keeps its text column. A field given an
    ``encoder`` or ``decoder`` uses them, as a ``JSONField`` does."""

    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if connection.vendor == "postgresql" and self.encoder is None and not hasattr(value, "as_sql"):
            return Json(value, dumps=dumps_bytes)
        return super().get_db_prep_value(value, connection, prepared=True)

    def from_db_value(self, value, expression, connection):
        if isinstance(value, str | bytes) and self.decoder is None and not isinstance(expression, KeyTransform):
            try:
                return loads(value)
            except json.JSONDecodeError:  # as JSONField: a text that is not JSON is returned as it is
                return value
        return super().from_db_value(value, expression, connection)


def json_as_text(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: PostgreSQL ``json`` values come to Python as text, as
    Django has ``jsonb`` values come, so that ``DocumentJSONField`` decodes them with
    ``loads`` (psycopg would decode them itself with ``json.loads``)."""
    if connection.vendor == "postgresql":
        connection.connection.adapters.register_loader("json", TextLoader)
