"""Pages of long lists whose length is already known.

A paginator counts its list before it reads a page; at 100,000 suppliers that ``COUNT(*)`` can
cost more than the page itself (#13). Where the count is stored (the quarter's digest,
``scoring.serving.score_count``), ``Counted`` hands it to Django's ``Paginator`` (and DRF's
page-number pagination, which uses it) so only the page is read.
"""

from __future__ import annotations


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
