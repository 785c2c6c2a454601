from __future__ import annotations

from decimal import Decimal

import pytest

from suppliers.models import FxRate, SpendRecord


@pytest.fixture
def spend(db):
    """spend(supplier, amount, currency="USD", quarter="2026-Q3")"""

    def add(supplier, amount, currency="USD", quarter="2026-Q3"):
        return SpendRecord.objects.create(supplier=supplier, quarter=quarter, currency=currency,
                                          amount=Decimal(str(amount)))

    return add


@pytest.fixture
def fx(db):
    def add(currency, rate, quarter="2026-Q3"):
        return FxRate.objects.create(quarter=quarter, currency=currency, rate_to_base=Decimal(str(rate)))

    return add
