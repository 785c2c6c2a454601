"""Reading query results into typed pandas frames, one query, in bounded memory.

``values_list`` rows are Python tuples of Python objects (~300 bytes a row); a
recalculation reads millions of rows. ``read_frame`` streams the query in chunks and
turns each chunk into compact typed columns at once, so at most one chunk of tuples is
alive at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from django.db.models import QuerySet

CHUNK_ROWS = 100_000

# kind → converter of a list of Python values into a typed Series
_CONVERTERS: dict[str, Callable[[list], pd.Series]] = {
    "str": lambda values: pd.Series(values, dtype=str),
    "object": lambda values: pd.Series(values, dtype=object),
    "int64": lambda values: pd.Series(np.fromiter(values, dtype=np.int64, count=len(values))),
    "bool": lambda values: pd.Series(np.fromiter(values, dtype=bool, count=len(values))),
    "float": lambda values: pd.Series(np.fromiter((np.nan if v is None else float(v) for v in values),
                                                  dtype="float64", count=len(values))),
    "datetime": lambda values: pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]"),
    "datetime_utc": lambda values: pd.to_datetime(pd.Series(values, dtype=object), utc=True),
}


def frame_from_rows(rows: list[tuple], spec: list[tuple[str, str]]) -> pd.DataFrame:
    """``spec``: (column name, kind) in the order of the tuples; kinds as ``_CONVERTERS``
    or a callable taking the list of values."""
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in spec]
    return pd.DataFrame({
        name: (kind(list(values)) if callable(kind) else _CONVERTERS[kind](list(values)))
        for (name, kind), values in zip(spec, columns, strict=True)
    })


def read_frame(queryset: QuerySet, spec: list[tuple[str, str]], *, chunk_rows: int = CHUNK_ROWS) -> pd.DataFrame:
    """Stream a ``values_list`` queryset (one query) into a typed frame."""
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
