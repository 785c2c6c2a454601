"""Turning an engine result into stored ``QuarterlyScore`` rows, written in bulk.

On PostgreSQL the rows go in with ``COPY`` (an order of magnitude faster than INSERTs
for 100,000 suppliers with their per-indicator points); elsewhere with ``bulk_create``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from core import jsontext
from scoring import engine
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
# Suppliers whose stored rows are built and written at a time (``score_rows``): bounds the
# points JSON texts held (about 3 KB a supplier).
SCORE_CHUNK_SUPPLIERS = 5_000


class _EntryTexts:
    """The JSON texts of point entries, made once per distinct value over the whole quarter
    and kept as small integer references per entry: ``entries(rows)`` builds the entry texts
    of some rows only.

    Per-entry arrays (one entry = one supplier and indicator): ``code_index`` (int, into
    ``codes``), ``raw`` (object), ``points`` (float); ``status`` and ``source`` are each
    given as (reference per entry, texts) (``_text_table``, or the engine's status codes and
    the methodology's one source per indicator, which need no per-entry object).
    Within one indicator all raw values have one type, so a per-indicator table of texts
    cannot confuse ``True`` with ``1.0``; equal values such as ``0.0`` and ``-0.0`` take the
    text of the first one met in entry order (the same whatever rows are later asked for).
    """

    def __init__(self, codes, code_index: np.ndarray, raw: np.ndarray, points: np.ndarray,
                 status: tuple[np.ndarray, np.ndarray], source: tuple[np.ndarray, np.ndarray]):
        self.code_index = code_index
        self.prefix = np.array([f'{json.dumps(code)}: {{"raw": ' for code in codes] or [""], dtype=object)
        self.raw_ref = np.empty(len(code_index), dtype=np.int32)
        tables, offset = [], 0
        for j in range(len(codes)):
            mask = code_index == j
            if not mask.any():
                continue
            positions, texts = _text_table(raw[mask], lambda value: _cached_raw_text(value, {}))
            self.raw_ref[mask] = positions + offset
            tables.append(texts)
            offset += len(texts)
        self.raw_texts = np.concatenate(tables) if tables else np.empty(0, dtype=object)
        distinct, inverse = np.unique(np.round(np.asarray(points, dtype=float), 6), return_inverse=True)
        self.points_ref = inverse.reshape(-1).astype(np.int32)
        self.points_texts = np.array(["null" if v != v else repr(float(v)) for v in distinct] or [""], dtype=object)
        self.status_ref, self.status_texts = status
        self.source_ref, self.source_texts = source

    def entries(self, rows) -> list[str]:
        """The entry texts of ``rows`` (positions or a slice), in that order."""
        return (self.prefix[self.code_index[rows]] + self.raw_texts[self.raw_ref[rows]] + ', "points": '
                + self.points_texts[self.points_ref[rows]] + self.status_texts[self.status_ref[rows]]
                + self.source_texts[self.source_ref[rows]]).tolist()


def _status_text(status) -> str:
    return f', "status": "{status}"'


def _source_text(source) -> str:
    return f', "source": {json.dumps(source)}}}'


def _table_texts(table) -> _EntryTexts:
    """The entry texts of an engine ``PointsTable`` (entries supplier-major, methodology order).
    The status texts are indexed by the table's status codes and the source texts by the
    indicator (one source each): no object per entry for either."""
    n, k = table.raw.shape
    code_index = np.tile(np.arange(k, dtype=np.int16), n)
    status = (table.status.ravel(), np.array([_status_text(name) for name in engine.STATUS_NAMES], dtype=object))
    source = (code_index, np.array([_source_text(source) for source in table.sources] or [""], dtype=object))
    return _EntryTexts(table.codes, code_index, table.raw.ravel(), table.points.ravel(), status, source)


def points_json_by_supplier(points: pd.DataFrame, *, chunk_rows: int = POINTS_CHUNK_ROWS) -> dict[int, str]:
    """{supplier_id: JSON text of {code: {"raw", "points", "status", "source"}}} for every supplier
    (``source``: where the raw value came from, scorecard.md section 9), from a long points
    frame (``engine.POINT_COLUMNS``, any row order; a supplier's entries keep their order).

    Built with array operations: a 100,000-supplier quarter has 3.2 million entries. Texts
    are made once per distinct value over the whole frame (``_EntryTexts``) and the entries
    are concatenated about ``chunk_rows`` at a time (whole suppliers), so the entry texts of
    the whole quarter are never held at once.
    """
    if points.empty:
        return {}
    code_index, codes = pd.factorize(points["indicator_code"].to_numpy(dtype=object))
    texts_of = _EntryTexts(list(codes), code_index, points["raw"].to_numpy(dtype=object),
                           points["points"].to_numpy(dtype=float),
                           _text_table(points["status"].to_numpy(dtype=object), _status_text),
                           _text_table(points["source"].to_numpy(dtype=object), _source_text))
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
        entries = texts_of.entries(order[low:high])
        for start, end in zip((starts[group:last] - low).tolist(), (ends[group:last] - low).tolist(), strict=True):
            texts[int(ids[low + start])] = "{" + ", ".join(entries[start:end]) + "}"
        group = last
    return texts


def _text_table(values: np.ndarray, text_of) -> tuple[np.ndarray, np.ndarray]:
    """(reference per value, texts): ``text_of`` applied once per distinct value (equal
    values, as a dict sees them, share one text; None and NaN are one missing value, given
    ``text_of(None)``, the last text)."""
    positions, distinct = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([text_of(value) for value in distinct] + [text_of(None)], dtype=object)
    return np.where(positions < 0, len(texts) - 1, positions).astype(np.int32), texts


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


def score_rows(run: ScoreRun, result, *, chunk_suppliers: int = SCORE_CHUNK_SUPPLIERS) -> Iterator[tuple]:
    """One tuple per scored supplier, in ``COLUMNS`` order, ranked as the engine sorted them;
    official unless the run is a preview. ``result``: an ``engine.EngineResult``.

    Built column by column: texts that repeat (the flags, the point entries) are made once
    per distinct value and spread with array indexing. The rows are made ``chunk_suppliers``
    at a time as they are iterated (the points JSON of the whole quarter is never held).
    """
    scores = result.scores
    count = len(scores)
    if not count:
        return iter(())
    supplier_ids = scores["supplier_id"].to_numpy(dtype=np.int64)
    table = result.table
    if not np.array_equal(table.supplier_ids, supplier_ids):
        raise ValueError("the points table's rows are not the scores' rows")
    entry_texts = _table_texts(table)
    k = len(table.codes)
    flag_codes, flag_sets = pd.factorize(scores["flags"].map(tuple), sort=False)
    sorted_sets = [sorted(flags) for flags in flag_sets]
    flags_json = np.array([json.dumps(flags) for flags in sorted_sets] or [""], dtype=object)[flag_codes]
    flags_text = np.array([";".join(flags) for flags in sorted_sets] or [""], dtype=object)[flag_codes]
    computed_at = timezone.now()
    constant = itertools.repeat

    def chunk_rows(low: int, high: int) -> list[tuple]:
        size = high - low
        entries = entry_texts.entries(slice(low * k, high * k)) if k else []
        points_text = ["{" + ", ".join(entries[i * k:(i + 1) * k]) + "}" if k else "{}" for i in range(size)]
        part = scores.iloc[low:high]
        components = [jsontext.dumps({name: (None if score is None else float(score))
                                      for name, score in (value or {}).items()})
                      for value in part["qbr_components"].tolist()]
        basis = [Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP) for value in part["basis"].tolist()]
        columns = [
            constant(run.pk, size), supplier_ids[low:high].tolist(), constant(run.quarter, size),
            constant(run.methodology_id, size), part["population"].tolist(), range(low + 1, high + 1),
            basis,
            *(part[name].tolist() for name in ("score", "grade", "rba", "environment", "minerals", "ecovadis",
                                                "esg_disclosure", "completeness")),
            flags_json[low:high].tolist(), flags_text[low:high].tolist(), part["qbr_total"].tolist(),
            part["qbr_incomplete"].to_numpy(dtype=bool).tolist(), components, points_text,
            constant(not run.preview, size), constant(computed_at, size),
        ]
        return list(zip(*columns, strict=True))

    def rows() -> Iterator[tuple]:
        for low in range(0, count, chunk_suppliers):
            yield from chunk_rows(low, min(count, low + chunk_suppliers))

    return rows()


def replace_quarter_scores(quarter: str, methodology_id: int, rows: Iterable[tuple]) -> None:
    """Delete the (quarter, methodology) rows and write the new ones (call inside a
    transaction), consuming ``rows`` (tuples in ``COLUMNS`` order) as they come. Other
    versions' results of the quarter stay."""
    QuarterlyScore.objects.filter(quarter=quarter, methodology_id=methodology_id).delete()
    if connection.vendor == "postgresql":
        _copy(rows)
        return
    rows = iter(rows)
    while batch := list(itertools.islice(rows, 2000)):
        instances = []
        for values in batch:
            fields = dict(zip(COLUMNS, values, strict=True))
            for name in JSON_COLUMNS:
                fields[name] = json.loads(fields[name])
            instances.append(QuarterlyScore(**fields))
        QuarterlyScore.objects.bulk_create(instances, batch_size=2000)


def _copy(rows: Iterable[tuple]) -> None:
    """``COPY`` the rows, a thread sending them while the next ones are built: the rows are
    made in chunks (``score_rows``) while the server parses and indexes the previous ones, so
    neither waits for the other (up to psycopg's queue of about 32 MB of COPY text)."""
    table = QuarterlyScore._meta.db_table
    statement = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(
            statement, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
        for row in rows:
            copy.write_row(row)
