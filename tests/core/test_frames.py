"""The columnar reader gives the same typed frame on every database (COPY → pyarrow on
PostgreSQL, the ORM elsewhere): exact decimals, NULL apart from empty text, UTC timestamps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import Audit
from core.frames import read_frame
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
