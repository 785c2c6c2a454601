"""The columnar reader gives the same typed frame on every database (COPY → pyarrow on
PostgreSQL, the ORM elsewhere): exact decimals, NULL apart from empty text, UTC timestamps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.test.utils import CaptureQueriesContext

from audits.models import Audit
from core.frames import read_frame, read_frames
from core.models import StoredSummary
from scoring.models import Indicator, IndicatorValue
from suppliers.models import Site, SpendRecord, Supplier

pytestmark = pytest.mark.django_db

TRICKY_NAMES = ['plain', 'comma, "quoted"\nand a new line', "", "\\N", "汉字 \t tab"]


@pytest.fixture
def suppliers():
    made = []
    for n, name in enumerate(TRICKY_NAMES):
        supplier = Supplier.objects.create(code=f"F-{n}", name=name, country="CN", category="production",
                                           commodity="" if n % 2 else "chips")
        SpendRecord.objects.create(supplier=supplier, quarter="2026-Q3", currency="USD",
                                   amount=Decimal("1234567890.5678") if n == 1 else Decimal(f"-{n}.0100"))
        made.append(supplier)
    return made


def test_text_decimal_int_bool_columns(suppliers):
    rows = (SpendRecord.objects.order_by("supplier__code")
            .values_list("supplier_id", "supplier__name", "supplier__commodity", "amount", "supplier__publishable"))
    frame = read_frame(rows, [("supplier_id", "int64"), ("name", "str"), ("commodity", "str"),
                              ("amount", "decimal"), ("publishable", "bool")])
    assert list(frame["name"]) == TRICKY_NAMES
    assert list(frame["commodity"]) == ["chips", "", "chips", "", "chips"]
    assert list(frame["amount"]) == [Decimal("-0.0100"), Decimal("1234567890.5678"), Decimal("-2.0100"),
                                      Decimal("-3.0100"), Decimal("-4.0100")]
    assert all(type(value) is Decimal for value in frame["amount"])
    assert frame["supplier_id"].dtype == "int64"
    assert frame["publishable"].dtype == bool
    assert list(frame["supplier_id"]) == [supplier.pk for supplier in suppliers]


def test_nullable_columns_dates_and_timestamps(suppliers):
    site = Site.objects.create(supplier=suppliers[0], code="F-0-S", name="s", country="CN")
    Audit.objects.create(site=site, audit_ref="A-1", audit_type="vap_full", status="closed",
                         conducted_on=dt.date(2026, 1, 10), score=Decimal("170.5"), recognition="gold")
    Audit.objects.create(site=site, audit_ref="A-2", audit_type="saq", status="closed", saq_risk="low")
    eco = Indicator.objects.get(code="ECO-01")
    IndicatorValue.objects.create(supplier=suppliers[0], quarter="2026-Q3", indicator=eco, value="55",
                                  state="accepted", submitted_at="2026-08-01T23:30:15.123456+08:00")
    audits = read_frame(Audit.objects.order_by("audit_ref").values_list(
        "audit_ref", "conducted_on", "score", "recognition", "saq_risk"),
        [("audit_ref", "str"), ("conducted_on", "datetime"), ("score", "float"), ("recognition", "object"),
         ("saq_risk", "object")])
    assert audits["conducted_on"].dtype == "datetime64[ns]"
    assert audits["conducted_on"].iloc[0] == pd.Timestamp("2026-01-10") and pd.isna(audits["conducted_on"].iloc[1])
    assert audits["score"].iloc[0] == 170.5 and pd.isna(audits["score"].iloc[1])
    assert list(audits["recognition"]) == ["gold", None]
    assert list(audits["saq_risk"]) == [None, "low"]
    values = read_frame(IndicatorValue.objects.values_list("indicator__code", "quarter", "submitted_at"),
                        [("indicator_code", "str"), ("quarter_ordinal", lambda q: q.map({"2026-Q3": 8107})),
                         ("submitted_at", "datetime_utc")])
    assert str(values["submitted_at"].dtype) == "datetime64[ns, UTC]"
    assert values["submitted_at"].iloc[0] == pd.Timestamp("2026-08-01T15:30:15.123456Z")
    assert list(values["quarter_ordinal"]) == [8107]
    assert list(values["indicator_code"]) == ["ECO-01"]


def test_no_row_gives_typed_empty_frames():
    spec = [("supplier_id", "int64"), ("amount", "decimal"), ("on", "datetime"), ("name", "str")]
    for rows in (SpendRecord.objects.values_list("supplier_id", "amount", "supplier__created_at", "quarter"),
                 SpendRecord.objects.none().values_list("supplier_id", "amount", "supplier__created_at", "quarter"),
                 SpendRecord.objects.filter(pk__in=[]).values_list("supplier_id", "amount", "supplier__created_at",
                                                                   "quarter")):
        frame = read_frame(rows, spec)
        assert list(frame.columns) == ["supplier_id", "amount", "on", "name"] and frame.empty
        assert frame["supplier_id"].dtype == "int64"


def test_one_query_per_read_counted_with_the_others(suppliers):
    with CaptureQueriesContext(connection) as captured:
        read_frame(SpendRecord.objects.filter(quarter="2026-Q3").values_list("supplier_id", "amount"),
                   [("supplier_id", "int64"), ("amount", "decimal")])
    assert len(captured.captured_queries) == 1
    if connection.vendor == "postgresql":
        assert captured.captured_queries[0]["sql"].startswith("COPY (SELECT")
        assert "'2026-Q3'" in captured.captured_queries[0]["sql"]


def test_dates_nullable_booleans_and_json_as_python_values(suppliers):
    site = Site.objects.create(supplier=suppliers[0], code="F-0-S", name="s", country="CN")
    Audit.objects.create(site=site, audit_ref="A-1", audit_type="vap_full", status="closed",
                         conducted_on=dt.date(2026, 1, 10), score=Decimal("170.5"))
    Audit.objects.create(site=site, audit_ref="A-2", audit_type="saq", status="closed", saq_risk="low")
    rows = (Audit.objects.order_by("audit_ref")
            .annotate(recent=ExpressionWrapper(Q(conducted_on__gt=dt.date(2025, 1, 1)), output_field=BooleanField()))
            .values_list("audit_ref", "conducted_on", "recent"))
    frame = read_frame(rows, [("ref", "str"), ("on", "date"), ("recent", "bool_or_none")])
    assert list(frame["on"]) == [dt.date(2026, 1, 10), None]
    assert type(frame["on"].iloc[0]) is dt.date
    assert frame["recent"].iloc[0] is True and frame["recent"].iloc[1] in (None, False)


def test_json_columns_decode_as_the_orm_does(suppliers):
    StoredSummary.objects.create(key="a", fingerprint="f", payload={"x": [1, 2.50, None], "名": "汉字\n", "d": 1e-7})
    StoredSummary.objects.create(key="b", fingerprint="f", payload=[])
    rows = StoredSummary.objects.order_by("key").values_list("key", "payload")
    frame = read_frame(rows, [("key", "str"), ("payload", "json")])
    assert frame["payload"].tolist() == [payload for _, payload in rows]


def test_read_frames_batches_by_key(suppliers):
    rows = Supplier.objects.values_list("id", "code")
    batches = list(read_frames(rows, [("id", "int64"), ("code", "str")], key="id", batch_rows=2))
    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert [code for batch in batches for code in batch["code"]] == [f"F-{n}" for n in range(len(TRICKY_NAMES))]
    assert list(read_frames(rows.none(), [("id", "int64"), ("code", "str")], key="id")) == []


def test_a_few_rows_read_as_tuples_give_the_same_frame(suppliers):
    """``few=True`` (one supplier's page) reads tuples in one query, and the frame equals the
    columnar read's, column types included."""
    site = Site.objects.create(supplier=suppliers[0], code="F-0-S", name="s", country="CN")
    Audit.objects.create(site=site, audit_ref="A-1", audit_type="vap_full", status="closed",
                         conducted_on=dt.date(2026, 1, 10), score=Decimal("170.5"), recognition="gold")
    Audit.objects.create(site=site, audit_ref="A-2", audit_type="saq", status="closed", saq_risk="low")
    reads = [
        (SpendRecord.objects.order_by("supplier__code").values_list(
            "supplier_id", "supplier__name", "amount", "supplier__publishable"),
         [("supplier_id", "int64"), ("name", "str"), ("amount", "decimal"), ("publishable", "bool")]),
        (Audit.objects.order_by("audit_ref").values_list("audit_ref", "conducted_on", "score", "recognition"),
         [("audit_ref", "str"), ("conducted_on", "datetime"), ("score", "decimal"), ("recognition", "object")]),
        (Audit.objects.order_by("audit_ref").values_list("conducted_on", "score"),
         [("conducted_on", "date"), ("score", "float")]),
    ]
    for rows, spec in reads:
        with CaptureQueriesContext(connection) as queries:
            few = read_frame(rows, spec, few=True)
        assert len(queries) == 1
        assert "CURSOR" not in queries.captured_queries[0]["sql"]
        pd.testing.assert_frame_equal(few, read_frame(rows, spec))
