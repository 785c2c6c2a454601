"""Validating a reported raw value against its indicator, at input (import, API, portal).

A value is stored in a canonical text form that the engine can trust: never a silent 0
for an unknown code or an out-of-range percentage.
"""

from __future__ import annotations

from decimal import Decimal

from core.parsers import CellError, choice_parser, decimal_parser, parse_bool
from core.tabular import PercentCell
from scoring.methodology import BOUNDED_0_100, IndicatorSpec

_BOUNDED = decimal_parser(minimum=0, maximum=100)
# Indicators whose raw value is a percentage (0–100, or a change in %): the kinds where a
# percent-formatted Excel cell means its displayed number.
PERCENT_KINDS = (*BOUNDED_0_100, "change")
_NON_NEGATIVE = decimal_parser(minimum=0)
_ANY_NUMBER = decimal_parser()


def canonical_value(spec: IndicatorSpec, text: str) -> str:
    """Parse ``text`` for ``spec`` and return its canonical text, or raise ``CellError``.

    A percent-formatted XLSX cell (``core.tabular.PercentCell``) is its displayed percentage
    for a percent, score or change indicator (0.85 shown as 85% is 85; -0.12 shown as -12% is
    -12) and refused for any other indicator."""
    if spec.source != "reported":
        raise CellError(f"{spec.code} is derived from audits and cannot be reported")
    kind = spec.normalisation
    if isinstance(text, PercentCell):
        if kind not in PERCENT_KINDS:
            raise CellError(f"the cell is formatted as a percentage ({text}); {spec.code} is not a percentage: "
                            "format the cells as Number")
        text = str(text)[:-1]  # the displayed percentage, parsed below like typed text
    if kind == "bool":
        return "true" if parse_bool(text) else "false"
    if kind == "mapping":
        # Best first: JSON columns (PostgreSQL jsonb) do not keep the order of the table's keys.
        table = spec.params.get("table", {})
        codes = sorted(table, key=lambda code: (-float(table[code]), code))
        return choice_parser(codes, what=f"{spec.code} code")(text)
    if kind in BOUNDED_0_100:
        return _plain(_BOUNDED(text))
    if kind in ("count", "scaled"):
        return _plain(_NON_NEGATIVE(text))
    return _plain(_ANY_NUMBER(text))


def _plain(value: Decimal) -> str:
    """Decimal text without exponent or trailing zeros: "72.50" → "72.5", "100" → "100"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
