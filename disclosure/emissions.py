"""The supply-chain emissions estimate (scorecard.md section 11) as a pure function.

``estimate_emissions`` takes frames and plain values and knows nothing of the ORM;
``disclosure.selectors.emissions_estimate`` loads its inputs (one query per table).
Money and emissions are exact ``Decimal`` arithmetic: shares compare a spend basis with a
revenue, and tCO2e are rounded half up to 3 decimals only at the end.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter

import pandas as pd

from core.quarter import Quarter
from disclosure.models import DEFAULT_FACTOR, commodity_key
from suppliers.spend import MONEY_CONTEXT

SUPPLIER_SPECIFIC = "supplier_specific"
SPEND_BASED = "spend_based"
NOT_ESTIMATED = "not_estimated"
METHODS = (SUPPLIER_SPECIFIC, SPEND_BASED, NOT_ESTIMATED)

INVENTORY_COLUMNS = ["supplier_id", "year", "scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e",
                     "revenue", "revenue_currency"]
NO_INVENTORY = (None,) * len(INVENTORY_COLUMNS)
THOUSANDTH = Decimal("0.001")
# The customer's ambition (domain.md, issue #14): 95% of spend with supplier-specific data.
SUPPLIER_SPECIFIC_AMBITION = 0.95


def inventory_years(quarter: Quarter) -> tuple[int, int]:
    """The years Y may take for ``quarter`` (section 9): year(D) - 2 … year(D) - 1."""
    year = quarter.as_of.year
    return year - 2, year - 1


def round_tco2e(value: Decimal) -> Decimal:
    """Half up to 3 decimals (section 11)."""
    return value.quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and value != value) and value is not pd.NA


def latest_inventories(inventories: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """Each supplier's Y inventory: its latest accepted inventory with
    ``year(D) - 2 <= year <= year(D) - 1`` (section 9). ``inventories`` holds accepted rows
    only (INVENTORY_COLUMNS). Returns the same columns, one row per supplier that has one."""
    first, last = inventory_years(quarter)
    window = inventories.loc[(inventories["year"] >= first) & (inventories["year"] <= last), INVENTORY_COLUMNS]
    return window.sort_values(["supplier_id", "year"]).drop_duplicates("supplier_id", keep="last")


def estimate_emissions(*, quarter: Quarter, base_currency: str, population: pd.DataFrame,
                       suppliers: pd.DataFrame, inventories: pd.DataFrame, factors: pd.DataFrame,
                       rates: pd.DataFrame) -> dict:
    """The section 11 report for ``quarter``, in the JSON shape of the contract.

    ``population``: the scored suppliers of Q (``population_for_quarter``): supplier_id,
    supplier_code, basis (Decimal, base currency, the four quarters ending with Q).
    ``suppliers``: supplier_id, commodity. ``inventories``: accepted inventories,
    INVENTORY_COLUMNS (Decimal figures, None when not given). ``factors``: commodity,
    tco2e_per_unit (Decimal; ``*`` = the default factor). ``rates``: currency,
    rate_to_base (Decimal) of quarter Q itself.

    Returns {"quarter", "base_currency", "total_tco2e", "methods": {method: {"suppliers",
    "spend_share", "tco2e"}}, "suppliers": [{"supplier", "method", "tco2e"}]}: tCO2e rounded
    half up to 3 decimals (totals are the rounded sums of unrounded values; null for
    ``not_estimated``), spend shares unrounded (0 when no supplier is scored); suppliers
    ordered by unrounded tCO2e descending then code, not-estimated ones last by code.
    """
    commodity_of = dict(zip(suppliers["supplier_id"].tolist(), suppliers["commodity"].tolist(), strict=True))
    latest = latest_inventories(inventories, quarter)
    # Plain lists, not per-row pandas access (#13): one tuple per supplier's Y inventory.
    inventory_of = {row[0]: row for row in zip(*(latest[column].tolist() for column in INVENTORY_COLUMNS),
                                               strict=True)}
    factor_of = {commodity_key(c): f for c, f in zip(factors["commodity"], factors["tco2e_per_unit"], strict=True)}
    default_factor = factor_of.get(DEFAULT_FACTOR)
    rate_of = dict(zip(rates["currency"], rates["rate_to_base"], strict=True))
    rate_of[base_currency] = Decimal(1)

    factor_for = {}  # a supplier's commodity → its factor, else the default factor, else None
    lines = []  # (code, method, unrounded tCO2e or None, basis)
    with decimal.localcontext(MONEY_CONTEXT):
        for supplier_id, code, basis in zip(population["supplier_id"].tolist(), population["supplier_code"].tolist(),
                                            population["basis"].tolist(), strict=True):
            basis = Decimal(basis)
            inventory = inventory_of.get(supplier_id)
            method, tco2e = NOT_ESTIMATED, None
            _, _, scope1, market, location, revenue, currency = inventory or NO_INVENTORY
            rate = rate_of.get(currency) if inventory is not None else None
            if inventory is not None and _present(revenue) and rate is not None:
                share = min(Decimal(1), basis / (Decimal(revenue) * rate))
                scope2 = market if _present(market) else location
                scope2 = Decimal(scope2) if _present(scope2) else Decimal(0)
                method, tco2e = SUPPLIER_SPECIFIC, (Decimal(scope1) + scope2) * share
            else:
                commodity = commodity_of.get(supplier_id)
                if commodity not in factor_for:  # a few commodities for 100,000 suppliers
                    key = commodity_key(commodity)
                    factor = (factor_of.get(key) if key else None)
                    factor_for[commodity] = default_factor if factor is None else factor
                factor = factor_for[commodity]
                if factor is not None:
                    method, tco2e = SPEND_BASED, basis * Decimal(factor)
            lines.append((str(code), method, tco2e, basis))

        total_basis = sum((line[3] for line in lines), Decimal(0))
        methods = {}
        for method in METHODS:
            chosen = [line for line in lines if line[1] == method]
            method_basis = sum((line[3] for line in chosen), Decimal(0))
            tco2e = None if method == NOT_ESTIMATED else round_tco2e(sum((line[2] for line in chosen), Decimal(0)))
            methods[method] = {
                "suppliers": len(chosen),
                "spend_share": float(method_basis / total_basis) if total_basis else 0.0,
                "tco2e": None if tco2e is None else float(tco2e),
            }
        estimated = [line for line in lines if line[2] is not None]
        total = round_tco2e(sum((line[2] for line in estimated), Decimal(0)))

    estimated.sort(key=itemgetter(0))
    estimated.sort(key=itemgetter(2), reverse=True)  # stable: code ascending within ties
    not_estimated = sorted((line for line in lines if line[2] is None), key=itemgetter(0))
    return {
        "quarter": str(quarter),
        "base_currency": base_currency,
        "total_tco2e": float(total),
        "methods": methods,
        "suppliers": [
            {"supplier": code, "method": method, "tco2e": None if tco2e is None else float(round_tco2e(tco2e))}
            for code, method, tco2e, _ in estimated + not_estimated
        ],
    }
