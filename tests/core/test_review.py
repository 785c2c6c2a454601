"""``core.review.record_reviews``: the decision, who and when, and a reviewed row's
``auto_now`` fields moved to the review time as any other write moves them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.review import record_review
from disclosure.models import EmissionInventory, InventoryState

pytestmark = pytest.mark.django_db


def test_a_review_moves_the_updated_at_of_the_reviewed_row(own_supplier, role_users):
    with time_machine.travel(dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC), tick=False):
        inventory = EmissionInventory.objects.create(supplier=own_supplier, year=2025, scope1_tco2e=10,
                                                     state=InventoryState.SUBMITTED)
    reviewed_at = dt.datetime(2026, 2, 10, 15, 30, tzinfo=dt.UTC)
    with time_machine.travel(reviewed_at, tick=False):
        record_review(inventory, state=InventoryState.ACCEPTED, actor=role_users["procurement_analyst"])
    assert inventory.updated_at == reviewed_at
    inventory.refresh_from_db()
    assert (inventory.state, inventory.reviewed_at, inventory.updated_at) == (
        InventoryState.ACCEPTED, reviewed_at, reviewed_at)
    assert inventory.reviewed_by == role_users["procurement_analyst"]

