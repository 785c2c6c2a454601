"""Spend basis and the 95%-of-spend population (scorecard.md section 2), as pure functions.

Money is summed with ``decimal.Decimal``: the population walk compares a cumulative sum
with ``target * total``, and binary floats would move a supplier that sits exactly on
the boundary (95 + 5 with target 0.95) to the wrong side.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import numpy as np
import pandas as pd

from core.quarter import Quarter

FULL = "full"
ECOVADIS_ONLY = "ecovadis_only"

# Amounts have up to 4 decimals and rates up to 10: products and sums need more than
# the default 28 significant digits to stay exact.
MONEY_CONTEXT = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP)

BASIS_COLUMNS = ["supplier_id", "supplier_code", "basis"]
POPULATION_COLUMNS = ["supplier_id", "supplier_code", "basis", "population"]


class MissingFxRates(ValueError):
    """Spend in the window has a (quarter, currency) without an FX rate."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = sorted(pairs)
        listed = ", ".join(f"{quarter} {currency}" for quarter, currency in self.pairs)
        super().__init__(f"missing FX rates for: {listed}")


def _decimal_sum(values) -> Decimal:
    with decimal.localcontext(MONEY_CONTEXT):
        return sum(values, Decimal(0))


def spend_basis(spend: pd.DataFrame, fx: pd.DataFrame, quarter: Quarter, base_currency: str) -> pd.DataFrame:
    """Sum each supplier's spend in the four quarters ending with ``quarter`` in the base currency.

    ``spend``: supplier_id, supplier_code, quarter_ordinal, currency, amount (Decimal).
    ``fx``: quarter_ordinal, currency, rate_to_base (Decimal).
    Returns supplier_id, supplier_code, basis (Decimal) for every supplier with a row in
    the window, including those whose basis is zero or negative.
    Raises ``MissingFxRates`` naming every (quarter, currency) pair without a rate.
    """
    window = {q.ordinal for q in quarter.window(4)}
    rows = spend.loc[spend["quarter_ordinal"].isin(window), ["supplier_id", "supplier_code", "quarter_ordinal",
                                                             "currency", "amount"]]
    if rows.empty:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in BASIS_COLUMNS})

    rates = fx.loc[fx["quarter_ordinal"].isin(window), ["quarter_ordinal", "currency", "rate_to_base"]]
    rows = rows.merge(rates, on=["quarter_ordinal", "currency"], how="left")
    is_base = rows["currency"] == base_currency
    rows["rate_to_base"] = rows["rate_to_base"].astype(object).where(~is_base, Decimal(1))

    missing = rows.loc[rows["rate_to_base"].isna(), ["quarter_ordinal", "currency"]].drop_duplicates()
    if not missing.empty:
        raise MissingFxRates(
            [(str(Quarter.from_ordinal(int(o))), str(c)) for o, c in missing.itertuples(index=False)]
        )

    with decimal.localcontext(MONEY_CONTEXT):
        rows["amount_base"] = [amount * rate for amount, rate in zip(rows["amount"], rows["rate_to_base"], strict=True)]
    basis = (
        rows.groupby(["supplier_id", "supplier_code"], sort=False)["amount_base"]
        .agg(_decimal_sum)
        .rename("basis")
        .reset_index()
    )
    return basis[BASIS_COLUMNS]


def assign_populations(basis: pd.DataFrame, target: Decimal) -> pd.DataFrame:
    """Rank suppliers with a positive basis and split them into full and EcoVadis-only.

    Walking basis descending (ties: supplier code ascending), a supplier is in the full
    population when the cumulative basis *before* it is ``< target * total``, so the
    supplier that crosses the target is included.
    """
    scored = basis.loc[[value > 0 for value in basis["basis"]], BASIS_COLUMNS].copy()
    if scored.empty:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in POPULATION_COLUMNS})

    # Decimal objects sort exactly; a stable two-pass sort gives code ascending within ties.
    scored = scored.sort_values("supplier_code", kind="stable")
    scored = scored.sort_values("basis", ascending=False, kind="stable").reset_index(drop=True)
    with decimal.localcontext(MONEY_CONTEXT):
        running = np.cumsum(scored["basis"].to_numpy(dtype=object))
        threshold = target * running[-1]
        before = running - scored["basis"].to_numpy(dtype=object)
        is_full = [value < threshold for value in before]
    scored["population"] = np.where(is_full, FULL, ECOVADIS_ONLY)
    return scored[POPULATION_COLUMNS]
