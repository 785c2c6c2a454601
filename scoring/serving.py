"""What the pages and the API serve of a recalculated quarter without reading the whole
coverage snapshot on each request (#13): the dashboard's coverage digest, the compressed
``/api/v1/coverage/`` response and each metric's gap list as pages.

All come from the ``CoverageSnapshot`` the recalculation stored and are kept in
``core.summaries`` under a fingerprint naming that snapshot (id, run, time written): a new
run of the quarter makes them stale and the next read recomputes them. ``refresh_quarter``
computes them all at once; the recalculation calls it after the results are stored, so the
first request after a run finds them ready.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip

from django.db.models import Count

from audits import summaries as audit_summaries
from core import jsontext
from core.models import StoredSummary
from core.summaries import Computed, item_page, stored
from scoring.models import CoverageSnapshot, QuarterlyScore
from scoring.selectors import of_version
from suppliers.models import Supplier

METRICS = ("audit", "scorecard", "sbti", "ghg_disclosure", "foc")
# Gaps of each metric kept in the digest (the dashboard shows the audit metric's first ones).
DIGEST_GAPS = 10
# Level 1: a third of level 6's time on a 21 MB document (0.13 against 0.39 s), 11% larger (4.2 MB).
GZIP_LEVEL = 1
# Compressed coverage documents kept per process (about 4 MB each at 100,000 suppliers): the
# quarters being read, each under the fingerprint of the snapshot it was made from.
BODY_CACHE = 4


def _fingerprint(quarter: str) -> str | None:
    """The snapshot's identity (one query, the data left unread), ``None`` without one."""
    row = (CoverageSnapshot.objects.filter(quarter=quarter, official=True)
           .values_list("id", "run_id", "computed_at").first())
    return None if row is None else f"{row[0]}/{row[1]}/{row[2].isoformat()}"


def _snapshot_data(quarter: str) -> dict:
    return CoverageSnapshot.objects.filter(quarter=quarter, official=True).values_list("data", flat=True).get()


def coverage_summary(quarter: str) -> StoredSummary | None:
    """The quarter's stored coverage summary: ``payload`` is the digest (``digest``); its
    ``body`` (the snapshot's JSON compressed with gzip, the contract's full shape) is left
    unread: ``coverage_body``. ``None`` when the quarter has no snapshot. Two queries when
    fresh."""
    fingerprint = _fingerprint(quarter)
    return None if fingerprint is None else _coverage_stored(quarter, fingerprint)


def _coverage_stored(quarter: str, fingerprint: str, *, with_body: bool = False) -> StoredSummary:
    return stored(f"coverage:{quarter}", fingerprint, lambda: _coverage(quarter, _snapshot_data(quarter)),
                  with_body=with_body)


def coverage_body(quarter: str) -> bytes | None:
    """The quarter's full coverage document (the contract's shape) as the gzip-compressed JSON
    ``coverage_summary`` stores, ``None`` when the quarter has no snapshot.

    The body is kept in this process under the official snapshot's fingerprint (its id, run
    and time written; up to ``BODY_CACHE`` of them, least recently read dropped first): a
    request for a body already read costs the fingerprint query alone, instead of reading the
    megabytes again. A new run of the quarter or a new official version changes the
    fingerprint, so its document is read (or computed) afresh. One query when kept, two when
    stored, more when stale (computed and stored)."""
    fingerprint = _fingerprint(quarter)
    return None if fingerprint is None else _body(quarter, fingerprint)


@functools.lru_cache(maxsize=BODY_CACHE)
def _body(quarter: str, fingerprint: str) -> bytes:
    """The body of the coverage summary stored under ``fingerprint`` (computed when stale)."""
    return bytes(_coverage_stored(quarter, fingerprint, with_body=True).body)


def forget_bodies() -> None:
    """Drop the coverage bodies kept in this process (tests whose rolled-back ids repeat)."""
    _body.cache_clear()


def score_count(quarter: str, *, grade: str = "", population: str = "") -> int | None:
    """How many official scores the quarter has (of ``grade`` and ``population`` when given),
    from the stored digest's grade distribution instead of counting the rows: the page counts
    of the scores API and the supplier list at 100,000 suppliers (#13). ``None`` when the
    quarter has no coverage snapshot (the caller counts). Two queries when fresh.

    Exact: the digest is stored under the official snapshot's fingerprint, and the official
    scores of a quarter are written with that snapshot in one transaction (a new run or a new
    official version makes the digest stale)."""
    summary = coverage_summary(quarter)
    if summary is None:
        return None
    return sum(entry.get(population or "total", 0) for entry in summary.payload["grades"]
               if not grade or entry["grade"] == grade)


def gap_summary(quarter: str, metric: str) -> StoredSummary | None:
    """The metric's gap list stored as items (``core.summaries.item_page``), biggest spend
    first, each ``{"supplier", "spend", "cumulative_share"}`` as in the contract;
    ``payload`` holds ``{"metric", "share", "target", "met", "count"}``. ``None`` when the
    quarter has no snapshot or the snapshot lacks the metric. Two queries when fresh."""
    fingerprint = _fingerprint(quarter)
    if fingerprint is None:
        return None
    summary = stored(f"coverage-gaps:{quarter}:{metric}", fingerprint,
                     lambda: _gaps(metric, _snapshot_data(quarter)))
    return summary if summary.payload.get("metric") else None


def gap_items(summary: StoredSummary, offset: int, limit: int) -> list[dict]:
    """A page of a ``gap_summary``'s gaps (positions from 0). One query."""
    return item_page(summary, offset, limit)


class GapItems:
    """A ``gap_summary``'s gaps as a sequence a paginator reads a page at a time:
    ``count()`` from the summary (no query), a slice in one query. Each item is the
    contract's gap with its ``position`` (1 = biggest spend)."""

    def __init__(self, summary: StoredSummary):
        self.summary = summary

    def count(self) -> int:
        return self.summary.item_count

    def __len__(self) -> int:
        return self.summary.item_count

    def __getitem__(self, index: slice) -> list[dict]:
        if not isinstance(index, slice):
            raise TypeError("gap items are read by slices")
        start, stop, _ = index.indices(self.count())
        if stop <= start:
            return []
        return [{"position": start + offset + 1, **gap}
                for offset, gap in enumerate(gap_items(self.summary, start, stop - start))]


def refresh_quarter(quarter: str) -> None:
    """Compute and store every summary of the quarter's coverage snapshot now (reading its
    data once, and only when a summary is stale); nothing without a snapshot. Called after a
    recalculation stored its results, and by the nightly ``refresh_daily``."""
    fingerprint = _fingerprint(quarter)
    if fingerprint is None:
        return
    loaded: list[dict] = []

    def data() -> dict:
        if not loaded:
            loaded.append(_snapshot_data(quarter))
        return loaded[0]

    stored(f"coverage:{quarter}", fingerprint, lambda: _coverage(quarter, data()))
    for metric in METRICS:
        stored(f"coverage-gaps:{quarter}:{metric}", fingerprint, lambda metric=metric: _gaps(metric, data()))


def refresh_daily(day: dt.date) -> dict:
    """What the first dashboard request of ``day`` would otherwise compute, stored now (run
    by beat after midnight, ``scoring.tasks.refresh_summaries``): the audit-cycle summary and
    the open-findings counts of ``day`` (``audits.summaries``, whose fingerprint holds the
    day: audits move from valid to expiring to expired at midnight) and the coverage
    summaries of every quarter with official results (``refresh_quarter``). Idempotent: a
    summary whose fingerprint is current is only read, so a second run computes nothing.
    Returns ``{"day": ISO date, "quarters": [quarter, …]}``."""
    audit_summaries.cycle_summary(day)
    audit_summaries.open_findings(day)
    quarters = sorted(CoverageSnapshot.objects.filter(official=True).values_list("quarter", flat=True))
    for quarter in quarters:
        refresh_quarter(quarter)
    return {"day": day.isoformat(), "quarters": quarters}


def _coverage(quarter: str, data: dict) -> Computed:
    body = gzip.compress(jsontext.dumps_bytes(data), compresslevel=GZIP_LEVEL, mtime=0)
    return Computed(payload=_digest(quarter, data), body=body)


def metric_rows(data: dict) -> list[dict]:
    """The section 7 metrics of a coverage document as rows ``{"name", "share", "target",
    "met", "gaps"}`` (``gaps``: how many), in ``METRICS`` order. No query."""
    metrics = data.get("metrics", {})
    return [{"name": name, "share": float(metric["share"]), "target": float(metric["target"]),
             "met": bool(metric["met"]), "gaps": len(metric.get("gaps", []))}
            for name in METRICS if (metric := metrics.get(name)) is not None]


def snapshot_digest(snapshot: CoverageSnapshot) -> dict:
    """The digest (as ``coverage_summary``'s payload) of any version's snapshot, computed on
    request: the dashboard of a version that is not official (``?methodology=``)."""
    digest = _digest(str(snapshot.quarter), snapshot.data)
    if not snapshot.official:
        digest["grades"] = grade_distribution(str(snapshot.quarter), snapshot.methodology_id)
    return digest


def _digest(quarter: str, data: dict) -> dict:
    """``{"metrics": [{"name", "share", "target", "met", "gaps"}], "gaps": {metric: first
    DIGEST_GAPS gaps with "supplier_name"}, "grades": [{"grade", "full", "ecovadis_only",
    "total"}] (A to X)}``."""
    metrics = data.get("metrics", {})
    rows = metric_rows(data)
    first_gaps = {row["name"]: [dict(gap) for gap in metrics[row["name"]].get("gaps", [])[:DIGEST_GAPS]]
                  for row in rows}
    codes = {gap["supplier"] for gaps in first_gaps.values() for gap in gaps}
    names = dict(Supplier.objects.filter(code__in=codes).values_list("code", "name"))
    for gaps in first_gaps.values():
        for gap in gaps:
            gap["supplier_name"] = names.get(gap["supplier"], "")
    return {"metrics": rows, "gaps": first_gaps, "grades": grade_distribution(quarter)}


def grade_distribution(quarter: str, methodology_id: int | None = None) -> list[dict]:
    """Suppliers per grade and population in the quarter (A to X), of the official results
    or of ``methodology_id``'s: one aggregate query."""
    scores = of_version(QuarterlyScore.objects.filter(quarter=quarter), methodology_id)
    rows = scores.order_by().values("grade", "population").annotate(n=Count("id"))
    grades: dict[str, dict] = {}
    for row in rows:
        entry = grades.setdefault(row["grade"], {"grade": row["grade"], "full": 0, "ecovadis_only": 0, "total": 0})
        entry[row["population"]] = row["n"]
        entry["total"] += row["n"]
    order = {grade: index for index, grade in enumerate("ABCDX")}
    return sorted(grades.values(), key=lambda entry: order.get(entry["grade"], 99))


def _gaps(metric: str, data: dict) -> Computed:
    values = data.get("metrics", {}).get(metric)
    if values is None:
        return Computed(payload={})
    gaps = values.get("gaps", [])
    return Computed(payload={"metric": metric, "share": values["share"], "target": values["target"],
                             "met": values["met"], "count": len(gaps)}, items=gaps)
