"""Turning an engine result into stored ``QuarterlyScore`` rows, written in bulk.

On PostgreSQL the rows go in with ``COPY`` (an order of magnitude faster than INSERTs
for 100,000 suppliers with their per-indicator points); elsewhere with ``bulk_create``.
"""

from __future__ import annotations

import itertools
import json
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone

from scoring.models import QuarterlyScore, ScoreRun

CENT = Decimal("0.01")
COLUMNS = [
    "run_id", "supplier_id", "quarter", "methodology_id", "population", "rank", "spend_basis", "score", "grade",
    "rba", "environment", "minerals", "ecovadis", "esg_disclosure", "completeness", "flags", "flags_text",
    "qbr_total", "qbr_incomplete", "qbr_components", "points", "official", "computed_at",
]
JSON_COLUMNS = {"flags", "qbr_components", "points"}


# Entries turned into text at a time (whole suppliers): bounds the intermediate texts.
POINTS_CHUNK_ROWS = 200_000


def points_json_by_supplier(points: pd.DataFrame, *, chunk_rows: int = POINTS_CHUNK_ROWS) -> dict[int, str]:
    """{supplier_id: JSON text of {code: {"raw", "points", "status", "source"}}} for every supplier
    (``source``: where the raw value came from, scorecard.md section 9).

    Built with array operations: a 100,000-supplier quarter has 3.2 million entries. Texts
    are made once per distinct value over the whole frame (within one indicator all raw
    values have one type, so a value cache cannot confuse ``True`` with ``1.0``; equal
    values such as ``0.0`` and ``-0.0`` take the text of the first one met) and spread as
    references; the entries are then concatenated about ``chunk_rows`` at a time (whole
    suppliers), so the entry texts of the whole quarter are never held at once.
    """
    if points.empty:
        return {}
    codes = points["indicator_code"].to_numpy(dtype=object)
    raw = points["raw"].to_numpy(dtype=object)
    raw_text = np.empty(len(points), dtype=object)
    entry_prefix = np.empty(len(points), dtype=object)
    for code in pd.unique(codes):
        mask = codes == code
        raw_text[mask] = _texts_of(raw[mask], lambda value: _cached_raw_text(value, {}))
        entry_prefix[mask] = f'{json.dumps(code)}: {{"raw": '
    values = np.round(points["points"].to_numpy(dtype=float), 6)
    distinct, inverse = np.unique(values, return_inverse=True)
    points_text = np.array(["null" if v != v else repr(float(v)) for v in distinct], dtype=object)[inverse]
    status_text = _texts_of(points["status"].to_numpy(dtype=object), lambda s: f', "status": "{s}"')
    source_text = _texts_of(points["source"].to_numpy(dtype=object), lambda s: f', "source": {json.dumps(s)}}}')
    # One text per supplier: entries grouped by a stable sort (methodology order kept within
    # a supplier), then joined between group boundaries.
    ids = points["supplier_id"].to_numpy(dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    texts: dict[int, str] = {}
    group = 0
    while group < len(starts):
        last = max(int(np.searchsorted(starts, starts[group] + chunk_rows, side="left")), group + 1)
        low, high = int(starts[group]), int(ends[last - 1])
        rows = order[low:high]
        entries = (entry_prefix[rows] + raw_text[rows] + ', "points": ' + points_text[rows] + status_text[rows]
                   + source_text[rows]).tolist()
        for start, end in zip((starts[group:last] - low).tolist(), (ends[group:last] - low).tolist(), strict=True):
            texts[int(ids[low + start])] = "{" + ", ".join(entries[start:end]) + "}"
        group = last
    return texts


def _texts_of(values: np.ndarray, text_of) -> np.ndarray:
    """``text_of`` applied once per distinct value (equal values, as a dict sees them, share
    one text; None and NaN are one missing value, given ``text_of(None)``), spread back by
    array indexing."""
    positions, distinct = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([text_of(value) for value in distinct] + [text_of(None)], dtype=object)
    return texts[positions]  # the sentinel -1 picks the last text, the missing value's


def _cached_raw_text(value, cache: dict) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "null"
    text = cache.get(value)
    if text is None:
        text = cache[value] = json.dumps(_json_raw(value), ensure_ascii=False)
    return text


def _json_raw(raw):
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None
    if hasattr(raw, "item"):  # numpy scalar
        raw = raw.item()
    if isinstance(raw, bool | str | int):
        return raw
    if isinstance(raw, float):
        return round(raw, 6)
    return str(raw)


def score_rows(run: ScoreRun, result) -> list[tuple]:
    """One tuple per scored supplier, in ``COLUMNS`` order, ranked as the engine sorted them;
    official unless the run is a preview.

    Built column by column: texts that repeat (the flags, the points of a supplier) are made
    once per distinct value and spread with array indexing; the columns are zipped once.
    """
    scores = result.scores
    count = len(scores)
    if not count:
        return []
    supplier_ids = scores["supplier_id"].to_numpy(dtype=np.int64)
    points = points_json_by_supplier(result.points)
    points_text = pd.Series(supplier_ids).map(points).fillna("{}").to_numpy(dtype=object)
    flag_codes, flag_sets = pd.factorize(scores["flags"].map(tuple), sort=False)
    sorted_sets = [sorted(flags) for flags in flag_sets]
    flags_json = np.array([json.dumps(flags) for flags in sorted_sets] or [""], dtype=object)[flag_codes]
    flags_text = np.array([";".join(flags) for flags in sorted_sets] or [""], dtype=object)[flag_codes]
    components = [json.dumps({k: (None if v is None else float(v)) for k, v in (value or {}).items()})
                  for value in scores["qbr_components"].tolist()]
    basis = [Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP) for value in scores["basis"].tolist()]
    constant = itertools.repeat
    columns = [
        constant(run.pk, count), supplier_ids.tolist(), constant(run.quarter, count),
        constant(run.methodology_id, count), scores["population"].tolist(), range(1, count + 1), basis,
        *(scores[name].tolist() for name in ("score", "grade", "rba", "environment", "minerals", "ecovadis",
                                              "esg_disclosure", "completeness")),
        flags_json.tolist(), flags_text.tolist(), scores["qbr_total"].tolist(),
        scores["qbr_incomplete"].to_numpy(dtype=bool).tolist(), components, points_text.tolist(),
        constant(not run.preview, count), constant(timezone.now(), count),
    ]
    return list(zip(*columns, strict=True))


def replace_quarter_scores(quarter: str, methodology_id: int, rows: list[tuple]) -> None:
    """Delete the (quarter, methodology) rows and write the new ones (call inside a
    transaction). Other versions' results of the quarter stay."""
    QuarterlyScore.objects.filter(quarter=quarter, methodology_id=methodology_id).delete()
    if connection.vendor == "postgresql":
        _copy(rows)
        return
    instances = []
    for values in rows:
        fields = dict(zip(COLUMNS, values, strict=True))
        for name in JSON_COLUMNS:
            fields[name] = json.loads(fields[name])
        instances.append(QuarterlyScore(**fields))
    QuarterlyScore.objects.bulk_create(instances, batch_size=2000)


def _copy(rows: list[tuple]) -> None:
    table = QuarterlyScore._meta.db_table
    statement = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
