"""How a stored score breaks down into its indicators, and where the points to gain are.

Read from what the recalculation stored (``QuarterlyScore.points``: per indicator the
status, the raw value and the points 0-100), never recomputed; used by the supplier page,
the API and the PDF report card alike (scorecard.md section 6: the score is the weighted
mean of the applicable indicators' points; missing counts 0, not applicable is left out;
an EcoVadis-only supplier is scored on ECO-01 alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from scoring.engine import FLAG_TERMINATION_REVIEW
from scoring.methodology import MethodologyParams
from scoring.models import QuarterlyScore

TOP_GAINS = 5
ECOVADIS = "ECO-01"


@dataclass(frozen=True)
class Gain:
    code: str
    title: str
    points: float | None  # None: missing (scores 0)
    gain: float  # score points the supplier would gain with full points


@dataclass
class BreakdownRow:
    code: str
    title: str
    category: str
    weight: Decimal
    source: str
    status: str  # "scored", "missing", "not_applicable"... as stored by the run
    raw: object
    points: float | None  # 0-100, None when missing
    contribution: float | None  # score points this indicator brings (None: not counted)
    value: object = None  # the reported IndicatorValue the run used, when the page attaches it


def _counts(population: str, code: str) -> bool:
    return population == "full" or code == ECOVADIS


def breakdown(score: QuarterlyScore, params: MethodologyParams) -> list[BreakdownRow]:
    """One row per indicator of ``params`` (the score's methodology as
    ``scoring.selectors.methodology_params`` reads it: indicators in code order), with the
    points and the contribution to the score: weight × points / applicable weight, where the
    applicable weight leaves out not-applicable indicators (EcoVadis-only: ECO-01 alone).
    The contributions add up to the stored score. ``source`` is the version's (a derived
    source of section 9 where the version takes one). No query."""
    points = score.points or {}
    applicable = sum((spec.weight for spec in params.indicators
                      if _counts(score.population, spec.code)
                      and (points.get(spec.code) or {}).get("status") != "not_applicable"), Decimal(0))
    rows = []
    for spec in params.indicators:
        entry = points.get(spec.code) or {}
        current = entry.get("points")
        contribution = None
        if _counts(score.population, spec.code) and entry.get("status") != "not_applicable" and applicable:
            contribution = float(spec.weight) * (current or 0.0) / float(applicable)
        rows.append(BreakdownRow(code=spec.code, title=spec.title, category=spec.category, weight=spec.weight,
                                 source=spec.source, status=entry.get("status", "missing"), raw=entry.get("raw"),
                                 points=current, contribution=contribution))
    return rows


def is_gated(flags) -> bool:
    """True when the stored flags say the termination gate forced the score to 0
    (scorecard.md section 6): no indicator can raise the score while it holds."""
    return FLAG_TERMINATION_REVIEW in (flags or ())


def points_to_gain(params: MethodologyParams, population: str, points: dict, top: int = TOP_GAINS, *,
                   flags=()) -> list[Gain]:
    """The ``top`` indicators whose full points would raise the stored score the most,
    biggest gain first (ties by code); none for a gated supplier (``flags`` holds the
    termination-review flag: the gate keeps the score at 0 whatever the indicators).

    Full scorecard: weight × (100 − points) / applicable weight (missing = 0 points,
    not applicable left out, scorecard.md section 6). EcoVadis-only: ECO-01 alone.
    Gains below 0.005 score points are left out.
    """
    if is_gated(flags):
        return []
    specs = [spec for spec in params.indicators
             if (points.get(spec.code) or {}).get("status") != "not_applicable"]
    if population != "full":
        specs = [spec for spec in specs if spec.code == ECOVADIS]
    applicable = float(sum((spec.weight for spec in specs), Decimal(0)))
    if not applicable:
        return []
    gains = []
    for spec in specs:
        current = (points.get(spec.code) or {}).get("points")
        gain = float(spec.weight) * (100 - (current or 0.0)) / applicable
        if gain >= 0.005:
            gains.append(Gain(code=spec.code, title=spec.title, points=current, gain=gain))
    gains.sort(key=lambda item: (-item.gain, item.code))
    return gains[:top]
