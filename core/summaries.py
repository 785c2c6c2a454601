"""Summaries computed once and served to many requests (``core.models.StoredSummary``).

A page that would otherwise compute over every site or supplier on each request (the
dashboard's audit cycle, a quarter's coverage digest) asks ``stored(key, fingerprint,
compute)``: the stored summary is returned when its fingerprint equals the current one,
otherwise ``compute()`` runs once and its result replaces the stored one. The fingerprint
names everything the summary depends on: the business day it was computed for (audits move
from valid to expiring to expired at midnight), the parameters in force and the newest
change of each source table (``latest_changes``: the greatest id and the greatest history
id, so inserts, updates and deletes through any door that records history are seen).

Reading a fresh summary costs one query (plus the fingerprint's); a gap list stored as
items is kept in blocks of ``ITEM_BLOCK`` items (one row each) and read one page at a time
from the blocks the page spans, through the (summary, position) index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from psycopg.copy import QueuedLibpqWriter

from core import jsontext
from core.models import StoredSummary, StoredSummaryItem

ITEM_BATCH = 2000
# Items per stored row of a list (``StoredSummaryItem``): a page of up to 1,000 items reads at
# most five rows, and a 250,000-item gap list is 1,000 rows to write. Every stored fingerprint
# names the layout (``_layout``), so a summary stored with another block size, or one item per
# row by a process of an earlier version, is recomputed instead of misread.
ITEM_BLOCK = 250


@dataclass
class Computed:
    """What ``compute()`` returns: ``payload`` (JSON-ready dict), an optional ``body``
    (bytes served as they are, e.g. gzip-compressed JSON) and optional ``items`` (a list of
    JSON-ready rows read page by page with ``item_page``)."""

    payload: dict
    body: bytes | None = None
    items: list = field(default_factory=list)


def latest_changes(models: Iterable[type]) -> str:
    """``"max_id/max_history_id,…"`` of each model (history id "-" for a model without
    django-simple-history): changes whenever a row is inserted, or is updated or deleted
    with its history recorded (core/history.py: every door records it). One query."""
    quote = connection.ops.quote_name
    parts = []
    for model in models:
        history = getattr(model, "history", None)
        for table in (model, history.model if history is not None else None):
            if table is None:
                parts.append("NULL")
                continue
            # Table and column names come from the models' metadata, quoted; no value is interpolated.
            column, name = quote(table._meta.pk.column), quote(table._meta.db_table)
            parts.append(f"(SELECT MAX({column}) FROM {name})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        values = cursor.fetchone()
    return ",".join(f"{values[i]}/{values[i + 1]}" for i in range(0, len(values), 2))


def stored(key: str, fingerprint: str, compute: Callable[[], Computed], *, with_body: bool = False) -> StoredSummary:
    """The summary stored under ``key`` when its fingerprint is ``fingerprint``; otherwise
    ``compute()`` once, store it (replacing the old one and its items) and return it.
    ``with_body``: also load ``body`` (left out by default: it may be megabytes). One
    query when fresh. Two requests computing at the same time both answer; the later
    write wins (both computed the same thing)."""
    fingerprint = _layout(fingerprint)
    rows = StoredSummary.objects.filter(key=key)
    if not with_body:
        rows = rows.defer("body")
    summary = rows.first()
    if summary is not None and summary.fingerprint == fingerprint:
        return summary
    computed = compute()
    try:
        return _store(key, fingerprint, computed)
    except IntegrityError:  # created meanwhile by a concurrent request: store over it
        return _store(key, fingerprint, computed)


def _layout(fingerprint: str) -> str:
    """``fingerprint`` with the stored list's layout (items per row) it was written with."""
    return f"{fingerprint}|items/{ITEM_BLOCK}"


def _store(key: str, fingerprint: str, computed: Computed) -> StoredSummary:
    with transaction.atomic():
        # The previous payload and body (megabytes for a coverage document) are replaced, not read.
        summary, _ = StoredSummary.objects.defer("payload", "body").update_or_create(key=key, defaults={
            "fingerprint": fingerprint, "payload": computed.payload, "body": computed.body,
            "item_count": len(computed.items)})
        StoredSummaryItem.objects.filter(summary=summary).delete()
        if connection.vendor == "postgresql":
            _copy_items(summary.pk, computed.items)
        else:
            StoredSummaryItem.objects.bulk_create(
                (StoredSummaryItem(summary=summary, position=position, data=block)
                 for position, block in _blocks(computed.items)), batch_size=ITEM_BATCH)
    return summary


def _blocks(items: list) -> Iterator[tuple[int, list]]:
    """(position of the first item, the items) of each ``ITEM_BLOCK`` consecutive items."""
    for position in range(0, len(items), ITEM_BLOCK):
        yield position, items[position:position + ITEM_BLOCK]


def _copy_items(summary_id: int, items: list) -> None:
    """The blocks of a summary's items written with ``COPY`` (a coverage gap list holds up to
    one item per supplier): the JSON text each row's ``data`` would be given by the ORM. A
    thread sends the rows while the next ones are encoded."""
    table = StoredSummaryItem._meta.db_table
    statement = f"COPY {table} (summary_id, position, data) FROM STDIN"  # noqa: S608 - model metadata
    with connection.cursor() as cursor, cursor.cursor.copy(
            statement, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
        for position, block in _blocks(items):
            copy.write_row((summary_id, position, jsontext.dumps(block)))


def item_page(summary: StoredSummary, offset: int, limit: int) -> list:
    """Items ``offset`` to ``offset + limit - 1`` of a stored summary (positions from 0),
    in order; fewer past the end. One query: the blocks the page spans. A negative ``offset``
    is a ``ValueError``."""
    if offset < 0:
        raise ValueError(f"offset {offset} is before the first item")
    if limit <= 0:
        return []
    first = offset - offset % ITEM_BLOCK
    blocks = (StoredSummaryItem.objects.filter(summary=summary, position__gte=first, position__lt=offset + limit)
              .order_by("position").values_list("data", flat=True))
    items = [item for block in blocks for item in block]
    return items[offset - first:offset - first + limit]


def forget(prefix: str) -> int:
    """Delete the stored summaries whose key starts with ``prefix`` (they are recomputed on
    the next read). Returns how many."""
    return StoredSummary.objects.filter(key__startswith=prefix).delete()[1].get(StoredSummary._meta.label, 0)
