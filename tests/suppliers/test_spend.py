"""Spend basis and the 95%-of-spend population (scorecard.md section 2), hand-computed."""

from __future__ import annotations

from decimal import Decimal as D

import pandas as pd
import pytest

from core.quarter import Quarter
from suppliers.spend import ECOVADIS_ONLY, FULL, MissingFxRates, assign_populations, spend_basis

Q = Quarter.parse("2026-Q3")


def spend(*rows):
    frame = pd.DataFrame(rows, columns=["supplier_id", "supplier_code", "quarter", "currency", "amount"])
    frame["quarter_ordinal"] = [Quarter.parse(q).ordinal for q in frame["quarter"]]
    frame["amount"] = [D(str(a)) for a in frame["amount"]]
    return frame


def fx(*rows):
    frame = pd.DataFrame(rows, columns=["quarter", "currency", "rate_to_base"])
    frame["quarter_ordinal"] = [Quarter.parse(q).ordinal for q in frame["quarter"]]
    frame["rate_to_base"] = [D(str(r)) for r in frame["rate_to_base"]]
    return frame


def basis_of(frame) -> dict[str, D]:
    return dict(zip(frame["supplier_code"], frame["basis"], strict=True))


def test_basis_sums_four_quarters_converted_with_each_quarters_rate_and_nets_credit_notes():
    rows = spend(
        (1, "A", "2025-Q3", "USD", "999"),  # outside the window
        (1, "A", "2025-Q4", "CNY", "1000"),
        (1, "A", "2026-Q3", "CNY", "1000"),
        (1, "A", "2026-Q2", "USD", "-50.5"),
        (2, "B", "2026-Q4", "USD", "500"),  # after Q
    )
    rates = fx(("2025-Q4", "CNY", "0.14"), ("2026-Q3", "CNY", "0.1385"), ("2025-Q3", "CNY", "0.2"))
    assert basis_of(spend_basis(rows, rates, Q, "USD")) == {"A": D("140") + D("138.5") - D("50.5")}


def test_missing_fx_rate_names_every_pair_in_the_window_only():
    rows = spend((1, "A", "2026-Q1", "EUR", "10"), (1, "A", "2026-Q3", "CNY", "10"), (1, "A", "2025-Q1", "JPY", "1"))
    with pytest.raises(MissingFxRates) as error:
        spend_basis(rows, fx(("2026-Q2", "EUR", "1.1")), Q, "USD")
    assert error.value.pairs == [("2026-Q1", "EUR"), ("2026-Q3", "CNY")]
    assert "2026-Q1 EUR" in str(error.value)


def test_base_currency_needs_no_rate_and_is_configurable():
    rows = spend((1, "A", "2026-Q3", "EUR", "10"))
    assert basis_of(spend_basis(rows, fx(), Q, "EUR")) == {"A": D("10")}


def population(**basis):
    frame = pd.DataFrame({"supplier_id": range(len(basis)), "supplier_code": list(basis),
                          "basis": [D(str(v)) for v in basis.values()]})
    result = assign_populations(frame, D("0.95"))
    return list(zip(result["supplier_code"], result["population"], strict=True))


def test_the_supplier_that_crosses_the_target_is_full():
    # T = 100; cumulative before C is 90 < 95, so C (crossing to 96) is full; D starts at 96.
    assert population(A=60, B=30, C=6, D=3, E=1) == [
        ("A", FULL), ("B", FULL), ("C", FULL), ("D", ECOVADIS_ONLY), ("E", ECOVADIS_ONLY)]


def test_exactly_reaching_the_target_stops_the_full_population():
    # Cumulative before B is 95, not < 95: B is in the tail (exact decimal arithmetic).
    assert population(A=95, B=5) == [("A", FULL), ("B", ECOVADIS_ONLY)]
    assert population(A="0.95", B="0.05") == [("A", FULL), ("B", ECOVADIS_ONLY)]


def test_ties_are_broken_by_supplier_code_ascending():
    assert population(Z=40, B=40, M=20) == [("B", FULL), ("Z", FULL), ("M", FULL)]
    assert population(Z=50, B=50, M=1) == [("B", FULL), ("Z", FULL), ("M", ECOVADIS_ONLY)]


def test_zero_and_negative_basis_are_not_scored():
    assert population(A=10, B=0, C=-5) == [("A", FULL)]


def test_no_positive_basis_gives_an_empty_population():
    assert population(A=0) == []
