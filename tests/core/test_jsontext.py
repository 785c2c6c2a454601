"""``core.jsontext``: the large documents' JSON written and read with orjson (#13) carries the
same values as ``json.dumps``/``json.loads``, refuses what ``json.dumps`` refuses, and the
``DocumentJSONField`` stores and returns what a ``JSONField`` would."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from core import jsontext
from disclosure.models import EmissionsEstimate

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
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


@pytest.mark.parametrize("value", [
    {1: "an int key"},  # json.dumps would write "1": refused, so no key changes type
    {"at": dt.datetime(2026, 12, 2, tzinfo=dt.UTC)},
    {"on": dt.date(2026, 12, 2)},
    {"amount": Decimal("1.50")},
    [np.int64(3)],
    [np.float64(0.5)],
    {"set": {1, 2}},
])
def test_what_json_dumps_refuses_is_refused(value):
    with pytest.raises(TypeError):
        jsontext.dumps(value)


def test_a_text_orjson_cannot_read_is_read_as_json_loads_reads_it():
    assert jsontext.loads("[18446744073709551616]") == [2**64]
    assert jsontext.loads("[1.5]") == [1.5]
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
        cursor.execute(f"SELECT data FROM {table} WHERE id = %s", [row.pk])  # noqa: S608 - model metadata
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
