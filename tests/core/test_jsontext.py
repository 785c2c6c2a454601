"""``core.jsontext``: the large documents' JSON written and read with orjson (#13) carries the
same values as ``json.dumps``/``json.loads``, refuses what ``json.dumps`` refuses, and the
``DocumentJSONField`` stores and returns what a ``JSONField`` would."""

from __future__ import annotations

import collections
import datetime as dt
import json
import math
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection, models, transaction
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from core import jsontext
from disclosure.models import EmissionsEstimate

# What PostgreSQL stores: no lone surrogate, no NUL (both refused, tested below).
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_the_text_carries_the_values_json_dumps_would(value):
    text = jsontext.dumps(value)
    assert json.loads(text) == json.loads(json.dumps(value)) == value
    assert jsontext.loads(text) == value
    assert jsontext.dumps_bytes(value) == text.encode()


def test_floats_keep_their_exact_value_in_any_spelling():
    for number in (1e-05, 1e16, -0.0, 5e-324, 0.1 + 0.2, 123456789.125, 1 / 3):
        assert json.loads(jsontext.dumps(number)) == number
        assert str(json.loads(jsontext.dumps(number))) == str(number)  # the same float, sign of zero included


class Colour(models.TextChoices):
    RED = "red"


Pair = collections.namedtuple("Pair", "left right")


@pytest.mark.parametrize("value", [
    {"colour": Colour.RED}, collections.OrderedDict(b=1, a=2), {"pair": Pair(1, "x")},
    [np.float64(0.5), np.str_("s")], collections.Counter(a=3), {"safe": SafeString("<b>")},
])
def test_subclasses_of_json_types_are_written_as_json_dumps_writes_them(value):
    assert json.loads(jsontext.dumps(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", [
    {"at": dt.datetime(2026, 12, 2, tzinfo=dt.UTC)}, {"on": dt.date(2026, 12, 2)}, {"amount": Decimal("1.50")},
    {"set": {1, 2}}, [np.int64(3)], [object()],
])
def test_what_json_dumps_refuses_is_refused(value):
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        jsontext.dumps(value)


@pytest.mark.parametrize("value", [
    {1: "an int key"},  # json.dumps would write "1": refused, so no key changes type
    {np.str_("k"): 1},
    [2**64],
])
def test_what_would_change_on_the_way_is_refused(value):
    with pytest.raises(TypeError):
        jsontext.dumps(value)


@pytest.mark.parametrize("value", [
    {"share": float("nan")}, [1.0, float("inf")], {"deep": [{"x": -float("inf")}, None]}, {"code": "A\x00B"},
])
def test_what_postgresql_refused_is_refused(value):
    with pytest.raises(ValueError):
        jsontext.dumps(value)


def test_a_null_beside_finite_floats_is_written():
    assert json.loads(jsontext.dumps({"a": None, "b": [1.5, None]})) == {"a": None, "b": [1.5, None]}


def test_a_text_orjson_cannot_read_is_read_as_json_loads_reads_it():
    assert math.isnan(jsontext.loads("[NaN]")[0])
    assert jsontext.loads(b"[1.5]") == [1.5]
    with pytest.raises(json.JSONDecodeError):
        jsontext.loads("{not json")


@pytest.mark.django_db
def test_a_document_field_stores_and_returns_the_document():
    document = {"quarter": "2026-Q3", "suppliers": [
        {"supplier": "SV-é", "tco2e": 1e-05, "share": 0.30000000000000004, "estimated": True, "method": None,
         "nested": {"a": [1, 2.5, "x"]}}]}
    row = EmissionsEstimate.objects.create(quarter="2026-Q3", data=document)
    assert EmissionsEstimate.objects.get(pk=row.pk).data == document
    assert EmissionsEstimate.objects.filter(pk=row.pk).values_list("data", flat=True).get() == document
    table = EmissionsEstimate._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT CAST(data AS text) FROM {table} WHERE id = %s", [row.pk])  # noqa: S608 - model metadata
        stored_text = cursor.fetchone()[0]
    assert json.loads(stored_text) == document  # the column holds the document's text
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                           "WHERE attrelid = %s::regclass AND attname = 'data'", [table])
            assert cursor.fetchone()[0] == "json"  # kept as written: no jsonb parse on each write


@pytest.mark.django_db
def test_a_document_field_refuses_what_json_dumps_refuses():
    with pytest.raises(TypeError), transaction.atomic():
        EmissionsEstimate.objects.create(quarter="2026-Q3", data={"total_tco2e": Decimal("1")})
    assert not EmissionsEstimate.objects.exists()


@pytest.mark.django_db
def test_a_document_field_refuses_a_non_finite_float_and_stores_nothing():
    with pytest.raises(ValueError), transaction.atomic():
        EmissionsEstimate.objects.create(quarter="2026-Q3", data={"total_tco2e": float("nan")})
    assert not EmissionsEstimate.objects.exists()
