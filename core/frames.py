"""The one columnar reader: a ``values_list`` queryset into a typed pandas frame, one query.

``read_frame(queryset, spec)`` takes the queryset that states the rows (filters, joins and
ordering stay in the selectors, one definition each) and ``spec``, the (column name, kind)
of each selected field in order. Kinds and the pandas dtype each gives:

    "str"           str (non-null text)
    "object"        object: str, or None for NULL
    "decimal"       object: decimal.Decimal (exact), or None for NULL
    "int64"         int64 (non-null)
    "bool"          bool (non-null)
    "float"         float64, NaN for NULL (a NUMERIC column read as the nearest double)
    "datetime"      datetime64[ns] (a DATE at midnight, NaT for NULL)
    "datetime_utc"  datetime64[ns, UTC] (a timestamp with time zone, NaT for NULL)
    "date"          object: datetime.date, or None for NULL (rows written to files as dates)
    "bool_or_none"  object: True, False, or None for NULL (a boolean expression over NULLs)
    "json"          object: the decoded JSON value (dict, list, …) as a ``JSONField`` gives it
                    (``json.loads``), None for NULL
    a callable      receives the column as a pandas Series of text (object, None for NULL)
                    and returns the Series to store (vectorised mapping such as quarter →
                    ordinal)

On PostgreSQL the queryset is compiled by Django (``query.get_compiler().as_sql()``) and
run as ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` on Django's own connection, so it sees
the current transaction and snapshot (a test's transaction, an export's REPEATABLE READ);
pyarrow parses the stream as it arrives (no Python object per value except where the kind
asks for one: ``decimal`` and ``object``). NUMERIC arrives as text and is turned into
``Decimal`` exactly; timestamps are parsed as UTC by the CSV parser, with no per-value
time zone conversion. The COPY is recorded in ``connection.queries`` like any query.

Elsewhere (SQLite, the laptop default) the rows are streamed from the ORM in chunks of
tuples and each chunk is converted to typed columns at once.

``read_frames(queryset, spec, key=…)`` reads a large result in batches of rows by keyset on
a unique integer column (one query per batch, each through ``read_frame``), so an export
holds one batch at a time.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

CHUNK_ROWS = 100_000
SHARED_TEXTS_MIN_ROWS = 1_000  # below, a text column is converted one string per row
SHARED_TEXTS_SAMPLE_ROWS = 10_000  # the rows whose distinct texts tell whether a column repeats them
COPY_BLOCK_BYTES = 16 << 20
RELEASE_PER_COLUMN_ROWS = 100_000  # from this many rows, Arrow memory is given back column by column

Kind = str | Callable[[pd.Series], pd.Series]
Spec = list[tuple[str, Kind]]


def _to_decimal(values) -> pd.Series:
    return pd.Series([None if v is None or v != v else (v if isinstance(v, Decimal) else Decimal(v))
                      for v in values], dtype=object)


def _texts_to_decimal(texts: list) -> pd.Series:
    """NUMERIC texts of a COPY (None for NULL) as ``Decimal`` (exact), one per value."""
    if None in texts:
        return pd.Series([None if text is None else Decimal(text) for text in texts], dtype=object)
    return pd.Series(list(map(Decimal, texts)), dtype=object)


# kind → converter of a list of Python values (ORM path) into a typed Series
_CONVERTERS: dict[str, Callable[[list], pd.Series]] = {
    "str": lambda values: pd.Series(values, dtype=str),
    "object": lambda values: pd.Series(values, dtype=object),
    "decimal": _to_decimal,
    "int64": lambda values: pd.Series(np.fromiter(values, dtype=np.int64, count=len(values))),
    "bool": lambda values: pd.Series(np.fromiter(values, dtype=bool, count=len(values))),
    "float": lambda values: pd.Series(np.fromiter((np.nan if v is None else float(v) for v in values),
                                                  dtype="float64", count=len(values))),
    "datetime": lambda values: pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]"),
    "datetime_utc": lambda values: pd.to_datetime(pd.Series(values, dtype=object), utc=True)
    .astype("datetime64[ns, UTC]"),
    # The ORM already gives these as Python objects (date, bool or None, decoded JSON).
    "date": lambda values: pd.Series(values, dtype=object),
    "bool_or_none": lambda values: pd.Series(values, dtype=object),
    "json": lambda values: pd.Series(values, dtype=object),
}


def frame_from_rows(rows: list[tuple], spec: Spec) -> pd.DataFrame:
    """``spec``: (column name, kind) in the order of the tuples; kinds as the module says."""
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in spec]
    return pd.DataFrame({
        name: (kind(pd.Series(list(values), dtype=object)).reset_index(drop=True) if callable(kind)
               else _CONVERTERS[kind](list(values)))
        for (name, kind), values in zip(spec, columns, strict=True)
    }, copy=False)  # the columns are new: no copy of them


def empty_from_spec(spec: Spec) -> pd.DataFrame:
    return frame_from_rows([], spec)


def read_frame(queryset: QuerySet, spec: Spec, *, chunk_rows: int = CHUNK_ROWS, few: bool = False) -> pd.DataFrame:
    """The rows of a ``values_list`` queryset as a typed frame (kinds as the module says).
    One query (one ``COPY`` on PostgreSQL). ``few``: the query selects a handful of rows (one
    supplier's), read as tuples: a ``COPY`` and its parser cost more than such a read (the
    supplier page, #13); the frame is the same."""
    if few:
        return frame_from_rows(list(queryset), spec)  # one round trip, no server-side cursor
    if connections[queryset.db].vendor == "postgresql":
        return _read_copy(queryset, spec)
    chunks, batch = [], []
    for row in queryset.iterator(chunk_size=chunk_rows):
        batch.append(row)
        if len(batch) == chunk_rows:
            chunks.append(frame_from_rows(batch, spec))
            batch = []
    if batch or not chunks:
        chunks.append(frame_from_rows(batch, spec))
    if len(chunks) == 1:
        return chunks[0]
    return pd.concat(chunks, ignore_index=True)


def read_frames(queryset: QuerySet, spec: Spec, *, key: str, column: str | None = None,
                batch_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The rows of a ``values_list`` queryset as typed frames of at most ``batch_rows`` rows,
    in ``key`` order: ``key`` is a unique integer field of the queryset's rows (e.g. a
    stored score's ``rank`` within one quarter and version) selected as the spec's column
    ``column`` (default ``key``). Each batch is one ``read_frame`` of the rows after the
    previous batch's last key, so a batch costs one indexed query and the memory held is
    one batch. No frame is yielded when no row matches."""
    column = column or key
    position = [name for name, _ in spec].index(column)
    last = None
    while True:
        rows = queryset.order_by(key)
        if last is not None:
            rows = rows.filter(**{f"{key}__gt": last})
        frame = read_frame(rows[:batch_rows], spec, chunk_rows=batch_rows)
        if len(frame):
            yield frame
        if len(frame) < batch_rows:
            return
        last = int(frame.iloc[-1, position])


# --------------------------------------------------------------------------- PostgreSQL: COPY → pyarrow


def copy_statement(queryset: QuerySet) -> tuple[str, tuple] | None:
    """(``COPY (SELECT …) TO STDOUT (FORMAT csv)``, params) of a queryset, compiled by Django;
    ``None`` when the queryset can match no row (``.none()``, an empty ``__in``)."""
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return None
    return f"COPY ({sql}) TO STDOUT (FORMAT csv)", tuple(params)


class _CopyReader(io.RawIOBase):
    """A readable file over a psycopg ``Copy`` (COPY TO STDOUT): the CopyData messages
    (one per row) are appended to one byte buffer until a read is filled, so each row costs
    one append (no slicing per row)."""

    def __init__(self, copy):
        self._copy = copy
        self._pending = bytearray(copy.read())

    def is_empty(self) -> bool:
        """True when the COPY sent no row (pyarrow refuses an empty CSV stream)."""
        return not self._pending

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        size, pending, read = len(view), self._pending, self._copy.read
        while len(pending) < size:
            block = read()
            if not block:
                break
            pending += block
        take = min(size, len(pending))
        view[:take] = pending[:take]
        del pending[:take]
        return take


def _arrow_types():
    import pyarrow as pa

    return {
        "str": pa.string(), "object": pa.string(), "decimal": pa.string(), "int64": pa.int64(),
        "bool": pa.bool_(), "float": pa.float64(), "datetime": pa.date32(),
        "datetime_utc": pa.timestamp("us", tz="UTC"), "date": pa.date32(), "bool_or_none": pa.bool_(),
        "json": pa.string(),
    }


def read_arrow(queryset: QuerySet, spec: Spec):
    """The queryset's rows as a ``pyarrow.Table`` of the COPY's parsed columns (PostgreSQL
    only): ``decimal``/``object``/callable kinds as string, dates as date32, timestamps as
    UTC microseconds. One ``COPY``; ``None`` when the queryset can match no row."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    statement = copy_statement(queryset)
    if statement is None:
        return None
    connection = connections[queryset.db]
    # Parameters bound on the client (COPY takes none from the server), as Django logs them.
    sql = connection.ops.compose_sql(*statement) if statement[1] else statement[0]
    names = [name for name, _ in spec]
    types = _arrow_types()
    column_types = {name: types["str" if callable(kind) else kind] for name, kind in spec}
    started = time.monotonic()
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        stream = _CopyReader(copy)
        if stream.is_empty():
            table = pa.table({name: pa.array([], type=column_types[name]) for name in names})
        else:
            table = pa_csv.open_csv(
                stream,
                read_options=pa_csv.ReadOptions(column_names=names, block_size=COPY_BLOCK_BYTES,
                                                use_threads=False),
                parse_options=pa_csv.ParseOptions(newlines_in_values=True),
                convert_options=pa_csv.ConvertOptions(
                    column_types=column_types, null_values=[""], strings_can_be_null=True,
                    quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"]),
            ).read_all()
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql,
                                       "time": f"{time.monotonic() - started:.3f}"})
    return table


def _shared_texts(column) -> np.ndarray:
    """An Arrow text column as an object array of ``str`` (None for NULL) in which equal
    texts are one Python object when the column repeats its texts (codes, statuses, raw
    values: millions of rows, a few thousand distinct texts): 8 bytes a row instead of a
    string object each. A column whose first rows are mostly distinct texts (references)
    is converted one string per row, as encoding it would save nothing."""
    column = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    sample = column.slice(0, SHARED_TEXTS_SAMPLE_ROWS)
    if len(column) >= SHARED_TEXTS_MIN_ROWS and len(sample.dictionary_encode().dictionary) * 2 <= len(sample):
        encoded = column.dictionary_encode()
        texts = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
        return texts[encoded.indices.fill_null(-1).to_numpy()]  # -1 (NULL) picks the last: None
    return column.to_numpy(zero_copy_only=False)


def _read_copy(queryset: QuerySet, spec: Spec) -> pd.DataFrame:
    import pyarrow as pa

    table = read_arrow(queryset, spec)
    if table is None:
        return empty_from_spec(spec)
    # Each Arrow column is let go once converted and the Arrow pool's freed memory given back
    # (mimalloc keeps it otherwise: ~40 % of a large read's resident memory): after each column
    # in a large read, so its pandas columns (numpy, on the C heap) do not add to Arrow pages
    # that are no longer used; once at the end of a small one.
    per_column = table.num_rows >= RELEASE_PER_COLUMN_ROWS
    arrow_columns = table.columns
    del table
    columns = {}
    for index, (name, kind) in enumerate(spec):
        column, arrow_columns[index] = arrow_columns[index], None
        if callable(kind) or kind == "object":
            series = pd.Series(_shared_texts(column), dtype=object)
            if callable(kind):
                series = kind(series).reset_index(drop=True)
        elif kind == "decimal":
            series = _texts_to_decimal(column.to_pylist())
        elif kind in ("date", "bool_or_none"):
            series = pd.Series(column.to_pylist(), dtype=object)
        elif kind == "json":
            series = pd.Series([None if text is None else json.loads(text) for text in column.to_pylist()],
                               dtype=object)
        elif kind == "datetime":
            series = column.cast(pa.timestamp("ns")).to_pandas()
        elif kind == "datetime_utc":
            series = column.cast(pa.timestamp("ns", tz="UTC")).to_pandas()
        elif kind == "str":
            series = pd.Series(_shared_texts(column), dtype=str)
        else:
            series = column.to_pandas()
        columns[name] = series
        del column
        if per_column:
            pa.default_memory_pool().release_unused()
    pa.default_memory_pool().release_unused()
    return pd.DataFrame(columns)
