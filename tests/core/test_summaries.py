"""A stored summary's list kept in blocks of items (``core.summaries.ITEM_BLOCK`` per row, #13):
every page equals the same slice of the list, whatever blocks it spans; a list is written as
one row per block and replaced whole by the next computation."""

from __future__ import annotations

import pytest

from core import summaries
from core.models import StoredSummaryItem
from core.summaries import Computed, item_page, stored

pytestmark = pytest.mark.django_db

ITEMS = [{"supplier": f"S-{index:03d}", "spend": index * 1.5} for index in range(11)]


def _store(key: str, items: list, fingerprint: str = "one"):
    return stored(key, fingerprint, lambda: Computed(payload={"count": len(items)}, items=items))


def test_every_page_is_the_same_slice_of_the_list(monkeypatch):
    monkeypatch.setattr(summaries, "ITEM_BLOCK", 4)
    summary = _store("gaps", ITEMS)
    assert summary.item_count == 11
    assert list(StoredSummaryItem.objects.filter(summary=summary).order_by("position")
                .values_list("position", "data")) == [(0, ITEMS[0:4]), (4, ITEMS[4:8]), (8, ITEMS[8:11])]
    for offset in range(13):
        for limit in range(0, 14):
            assert item_page(summary, offset, limit) == ITEMS[offset:offset + limit], (offset, limit)


def test_a_page_is_one_query_whatever_blocks_it_spans(monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(summaries, "ITEM_BLOCK", 2)
    summary = _store("gaps", ITEMS)
    with django_assert_num_queries(1):
        assert item_page(summary, 1, 9) == ITEMS[1:10]


def test_a_new_computation_replaces_the_blocks_and_an_empty_list_stores_none(monkeypatch):
    monkeypatch.setattr(summaries, "ITEM_BLOCK", 4)
    first = _store("gaps", ITEMS)
    second = _store("gaps", ITEMS[:5], fingerprint="two")
    assert second.pk == first.pk and second.item_count == 5
    assert list(StoredSummaryItem.objects.filter(summary=second).order_by("position")
                .values_list("position", "data")) == [(0, ITEMS[0:4]), (4, ITEMS[4:5])]
    assert item_page(second, 3, 10) == ITEMS[3:5]
    empty = _store("gaps", [], fingerprint="three")
    assert empty.item_count == 0 and not StoredSummaryItem.objects.filter(summary=empty).exists()
    assert item_page(empty, 0, 50) == []


def test_a_list_stored_in_another_layout_is_computed_again_not_misread(monkeypatch):
    """A summary written one item per row (an earlier version's process during a deploy) or
    with another block size names another layout in its fingerprint: it is recomputed."""
    from core.models import StoredSummary

    old = StoredSummary.objects.create(key="gaps", fingerprint="one", item_count=2)
    StoredSummaryItem.objects.bulk_create([StoredSummaryItem(summary=old, position=position, data=item)
                                           for position, item in enumerate(ITEMS[:2])])
    summary = _store("gaps", ITEMS)
    assert summary.pk == old.pk and summary.item_count == 11 and item_page(summary, 0, 3) == ITEMS[:3]
    computed = []
    monkeypatch.setattr(summaries, "ITEM_BLOCK", 4)
    again = stored("gaps", "one", lambda: computed.append(1) or Computed(payload={}, items=ITEMS))
    assert computed == [1] and item_page(again, 3, 3) == ITEMS[3:6]
    stored("gaps", "one", lambda: computed.append(2) or Computed(payload={}, items=ITEMS))
    assert computed == [1]  # fresh in this layout: read, not computed


def test_a_negative_offset_is_refused():
    summary = _store("gaps", ITEMS)
    with pytest.raises(ValueError, match="before the first item"):
        item_page(summary, -1, 5)
