"""Pages of long lists whose length is already known.

A paginator counts its list before it reads a page; at 100,000 suppliers that ``COUNT(*)`` can
cost more than the page itself (#13). Where the count is stored (the quarter's digest,
``scoring.serving.score_count``), ``Counted`` hands it to Django's ``Paginator`` (and DRF's
page-number pagination, which uses it) so only the page is read. ``page_of`` reads a first page
one row longer than the page instead of counting first: a list that fits on it (most of a
supplier's audits, documents, findings) is read in one query, not two.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


class Counted:
    """``rows`` (a queryset or any sequence read by slices) whose length is ``count``.

    ``count`` must be exactly what ``rows`` holds: it sets the number of pages and the last
    page's end. Slices are handed to ``rows`` as they are (one query for a queryset)."""

    def __init__(self, rows, count: int):
        self.rows = rows
        self._count = count
        # Paginator warns about an unordered queryset; the wrapped one is checked instead.
        self.ordered = getattr(rows, "ordered", True)

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        return self.rows[index]

    def __iter__(self):
        return iter(self.rows)


def page_of(rows, per_page: int, number, *, count: int | None = None) -> Page:
    """``Paginator(rows, per_page).get_page(number)``, the same page, with one query less
    for the first page of a queryset whose count is not given: its first ``per_page + 1``
    rows are read first, and counted only when they do not all fit on the page."""
    if count is not None:
        return Paginator(Counted(rows, count), per_page).get_page(number)
    if not isinstance(rows, QuerySet) or str(number or "1").strip() != "1":
        return Paginator(rows, per_page).get_page(number)
    first = list(rows[:per_page + 1])
    if len(first) <= per_page:  # the whole list: its length is the count
        return Paginator(first, per_page).page(1)
    return Page(first[:per_page], 1, Paginator(Counted(rows, rows.count()), per_page))
