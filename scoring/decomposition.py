"""Why a supplier's score moved between two quarters (docs/scoring.md, "Change decomposition").

With S_m(inputs) the score methodology m gives to a quarter's inputs, old the methodology of
the previous quarter's official result and new the methodology of this quarter's result:

- total change = S_new(this quarter) − S_old(previous quarter)
- method effect = S_new(previous inputs) − S_old(previous inputs)
- data effect = S_new(this quarter) − S_new(previous inputs)

so method + data = total exactly. S_new(previous inputs) is the stored result of the previous
quarter under the new methodology when there is one (an official run or a preview), else the
engine computes it from the previous quarter's inputs of this supplier (``compute_quarter``,
the population split read over every supplier as a recalculation does).

The data effect is split under the new methodology with the engine's own formula
(``engine.score_from_points``): per indicator, weight share × points change (weight over this
quarter's applicable weight; missing counts 0 points); a **rescaling** line when the
applicable weight changed (an indicator becoming applicable or not); one **gate** line when the
termination-review gate turned on or off and one **population** line when the supplier moved
between the full and the EcoVadis-only population (neither splits per indicator); a
**rounding** line for the cents lost by rounding each line, so the lines add up to the data
effect to the cent. Indicators whose status, value and points did not change are not listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from core.quarter import Quarter
from scoring import engine
from scoring.methodology import MethodologyParams
from scoring.models import Methodology, QuarterlyScore

CENT = Decimal("0.01")
INDICATOR, GATE_ON, GATE_OFF, POPULATION, RESCALING, ROUNDING = (
    "indicator", "gate_on", "gate_off", "population", "rescaling", "rounding")
SAME, STORED, COMPUTED = "same", "stored", "computed"


@dataclass(frozen=True)
class Result:
    """What a (quarter, methodology) gave one supplier, as stored."""

    score: Decimal
    grade: str
    population: str
    gated: bool
    points: dict  # {code: {"raw", "points", "status"}}

    @classmethod
    def read(cls, *, score, grade: str, population: str, flags, points: dict | None) -> Result:
        """A result from a stored score's or the engine's columns: ``flags`` a sequence of
        section 6 flags (``None`` for none; gated when it holds the termination review),
        ``points`` ``None`` for none."""
        return cls(score=score, grade=grade, population=population,
                   gated=engine.FLAG_TERMINATION_REVIEW in (flags or []), points=points or {})

    @classmethod
    def of(cls, score: QuarterlyScore) -> Result:
        return cls.read(score=score.score, grade=score.grade, population=score.population, flags=score.flags,
                        points=score.points)


@dataclass
class EffectLine:
    """One line of the data effect. ``effect``: score points (2 decimals); for an indicator
    ``weight_share`` is its weight over the applicable weight (0–1) and before/after its
    status, raw value and points (0–100)."""

    kind: str
    effect: Decimal
    code: str = ""
    title: str = ""
    weight_share: float | None = None
    status_before: str | None = None
    status_after: str | None = None
    raw_before: object = None
    raw_after: object = None
    points_before: float | None = None
    points_after: float | None = None
    population_before: str = ""
    population_after: str = ""


@dataclass
class Decomposition:
    quarter: str
    previous_quarter: str
    methodology: str  # "new": the methodology of this quarter's result
    previous_methodology: str  # "old": the methodology of the previous quarter's official result
    score: Decimal
    grade: str
    previous_score: Decimal
    previous_grade: str
    total: Decimal
    # S_new(previous inputs) and where it came from (SAME, STORED, COMPUTED); None when the
    # previous inputs could not be scored under the new methodology (no method/data split).
    previous_score_new_method: Decimal | None = None
    previous_new_source: str | None = None
    method_effect: Decimal | None = None
    data_effect: Decimal | None = None
    lines: list[EffectLine] = field(default_factory=list)

    @property
    def indicator_lines(self) -> list[EffectLine]:
        return [line for line in self.lines if line.kind == INDICATOR]


def _cents(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _counted(entry: dict | None) -> float:
    """Points an indicator adds to the numerator: its points with a value, else 0."""
    if not entry or entry.get("status") != engine.VALUE or entry.get("points") is None:
        return 0.0
    return float(entry["points"])


def _changed(before: dict | None, after: dict | None) -> bool:
    before, after = before or {}, after or {}
    return any(before.get(key) != after.get(key) for key in ("status", "raw", "points"))


def data_lines(params: MethodologyParams, before: Result, after: Result) -> list[EffectLine]:
    """The data effect S(after) − S(before), both under ``params`` (the new methodology),
    as lines sorted by absolute effect (rounding last) that add up to it exactly."""
    return data_lines_many(params, [(before, after)])[0]


def data_lines_many(params: MethodologyParams, pairs: list[tuple[Result, Result]]) -> list[list[EffectLine]]:
    """``data_lines`` of many (before, after) pairs, the engine's steps run once for all."""
    splittable = [i for i, (before, after) in enumerate(pairs) if not (before.gated or after.gated)
                  and before.population == after.population]
    entries = [(side.points, side.population, False) for i in splittable for side in pairs[i]]
    totals = iter(engine.scores_from_points(params, entries))
    rescored = {i: (next(totals), next(totals)) for i in splittable}
    return [_lines(params, before, after, rescored.get(i)) for i, (before, after) in enumerate(pairs)]


def _lines(params: MethodologyParams, before: Result, after: Result, rescored) -> list[EffectLine]:
    data = after.score - before.score
    if before.gated or after.gated:
        if before.gated and after.gated:
            return []
        return [EffectLine(kind=GATE_ON if after.gated else GATE_OFF, effect=data)]
    if before.population != after.population:
        return [EffectLine(kind=POPULATION, effect=data, population_before=before.population,
                           population_after=after.population)]
    old, new = rescored
    full = after.population == engine.FULL
    lines = []
    for spec in params.indicators:
        if not full and spec.code != engine.ECOVADIS_SCORE:
            continue
        entry_before, entry_after = before.points.get(spec.code), after.points.get(spec.code)
        if not _changed(entry_before, entry_after):
            continue
        share = 1.0  # the tail: the score is ECO-01's points
        if full:
            share = float(spec.weight) / new.applicable_weight if new.applicable_weight > 0 else 0.0
        effect = share * (_counted(entry_after) - _counted(entry_before))
        lines.append(EffectLine(
            kind=INDICATOR, effect=_cents(effect), code=spec.code, title=spec.title, weight_share=share,
            status_before=(entry_before or {}).get("status"), status_after=(entry_after or {}).get("status"),
            raw_before=(entry_before or {}).get("raw"), raw_after=(entry_after or {}).get("raw"),
            points_before=(entry_before or {}).get("points"), points_after=(entry_after or {}).get("points")))
    if full and old.applicable_weight != new.applicable_weight:
        # S1 − S0 = Σ w·Δp / D1 + N0·(1/D1 − 1/D0): the second term is the rescaling.
        before_mean = old.numerator / old.applicable_weight if old.applicable_weight > 0 else 0.0
        after_mean = old.numerator / new.applicable_weight if new.applicable_weight > 0 else 0.0
        lines.append(EffectLine(kind=RESCALING, effect=_cents(after_mean - before_mean)))
    lines.sort(key=lambda line: (-abs(line.effect), line.code))
    rounding = data - sum((line.effect for line in lines), Decimal(0))
    if rounding:
        lines.append(EffectLine(kind=ROUNDING, effect=rounding))
    return lines


def _computed_previous(quarter: Quarter, methodology: Methodology, supplier_id: int) -> Result | None:
    """S_new(previous inputs) by the engine: the supplier's inputs of ``quarter`` under
    ``methodology``; ``None`` when the supplier is not scored then (or FX rates are missing)."""
    from scoring import results, services
    from scoring.selectors import methodology_params
    from suppliers.spend import MissingFxRates

    params = methodology_params(methodology)
    try:
        inputs = services.supplier_inputs(quarter, params, supplier_id)
    except MissingFxRates:
        return None
    if inputs is None:
        return None
    result = engine.compute_quarter(inputs, params)
    if result.scores.empty:
        return None
    row = result.scores.iloc[0]
    points = json.loads(results.points_json_by_supplier(result.points).get(supplier_id, "{}"))
    return Result.read(score=row["score"], grade=row["grade"], population=row["population"], flags=row["flags"],
                       points=points)


def _assemble(quarter: str, previous: str, new: Methodology, old: Methodology, current: Result,
              before_old: Result, before_new: Result | None, source: str | None,
              lines: list[EffectLine] | None) -> Decomposition:
    """The decomposition of one supplier from its three results (the one rule for a supplier
    and for a whole quarter)."""
    decomposition = Decomposition(
        quarter=quarter, previous_quarter=previous, methodology=new.version, previous_methodology=old.version,
        score=current.score, grade=current.grade, previous_score=before_old.score, previous_grade=before_old.grade,
        total=current.score - before_old.score)
    if before_new is None:
        return decomposition
    decomposition.previous_score_new_method = before_new.score
    decomposition.previous_new_source = source
    decomposition.method_effect = before_new.score - before_old.score
    decomposition.data_effect = current.score - before_new.score
    decomposition.lines = lines or []
    return decomposition


def decompose(supplier_id: int, quarter: Quarter, *, previous: Quarter | None = None,
              methodology: Methodology | None = None, compute: bool = True,
              official: list[QuarterlyScore] | None = None,
              params: MethodologyParams | None = None) -> Decomposition | None:
    """The change of one supplier's score from ``previous`` (default: the quarter before)
    to ``quarter``: this quarter's result of ``methodology`` (default: the official one)
    against the previous quarter's official result. ``None`` when either is not stored.
    ``compute``: score the previous inputs with the engine when no stored result of the new
    methodology exists (one read of the previous quarter's inputs for this supplier).
    ``official``: the supplier's official stored scores (with their methodology) already
    read, any quarters: the official results are picked from them instead of read again.
    ``params``: ``scoring.selectors.methodology_params`` of the current result's methodology
    when already read (used when its version is that methodology's). Two to four queries,
    none for what is given."""
    from scoring.selectors import methodology_params, version_scores

    previous = previous or quarter.previous()

    def official_of(wanted: Quarter) -> QuarterlyScore | None:
        return next((row for row in official if row.quarter == str(wanted)), None)

    if official is not None and methodology is None:
        current = official_of(quarter)
    else:
        current = version_scores(quarter, methodology).filter(supplier_id=supplier_id).select_related(
            "methodology").first()
    if official is not None:
        before_old = official_of(previous)
    else:
        before_old = version_scores(previous).filter(supplier_id=supplier_id).select_related("methodology").first()
    if current is None or before_old is None:
        return None
    new, old = current.methodology, before_old.methodology
    before_new, source = None, None
    if new.pk == old.pk:
        before_new, source = Result.of(before_old), SAME
    else:
        stored = version_scores(previous, new).filter(supplier_id=supplier_id).first()
        if stored is not None:
            before_new, source = Result.of(stored), STORED
        elif compute:
            before_new, source = _computed_previous(previous, new, supplier_id), COMPUTED
    if before_new is not None and (params is None or params.version != new.version):
        params = methodology_params(new)
    lines = data_lines(params, before_new, Result.of(current)) if before_new is not None else None
    return _assemble(str(quarter), str(previous), new, old, Result.of(current), Result.of(before_old), before_new,
                     source, lines)


def _stored_results(scores) -> dict[int, Result]:
    """``{supplier_id: Result}`` of a queryset of stored scores, one query, no model objects."""
    return {supplier_id: Result.read(score=score, grade=grade, population=population, flags=flags, points=points)
            for supplier_id, score, grade, population, flags, points in
            scores.order_by().values_list("supplier_id", "score", "grade", "population", "flags", "points")}


def _computed_quarter(quarter: Quarter, methodology: Methodology, supplier_ids: set[int]) -> dict[int, Result]:
    """S_new(previous inputs) of many suppliers by the engine: one read of ``quarter``'s inputs
    (``services.load_inputs``) and one ``compute_quarter`` for all of them."""
    from scoring import results, services
    from scoring.selectors import methodology_params
    from suppliers.spend import MissingFxRates

    params = methodology_params(methodology)
    try:
        computed = engine.compute_quarter(services.load_inputs(quarter, params), params)
    except MissingFxRates:
        return {}
    points = results.points_json_by_supplier(computed.points)
    wanted = computed.scores[computed.scores["supplier_id"].isin(supplier_ids)]
    return {int(row.supplier_id): Result.read(
        score=row.score, grade=row.grade, population=row.population, flags=row.flags,
        points=json.loads(points.get(int(row.supplier_id), "{}"))) for row in wanted.itertuples(index=False)}


def decompose_quarter(quarter: Quarter, *, previous: Quarter | None = None, methodology: Methodology | None = None,
                      compute: bool = True) -> dict[int, Decomposition]:
    """``decompose`` of every supplier with a stored score in both quarters, by supplier id:
    the same decompositions (``_assemble``, ``data_lines_many``) in a fixed number of queries,
    whatever the number of suppliers (the workbook's Movers sheet). ``compute``: the suppliers
    without a stored result of the new methodology in ``previous`` are scored by one engine run
    over ``previous``'s inputs (``services.load_inputs``), not one read per supplier."""
    from scoring.selectors import methodology_params, version_scores

    previous = previous or quarter.previous()
    currents, befores = version_scores(quarter, methodology), version_scores(previous)
    new_id = currents.values_list("methodology_id", flat=True).first()
    old_id = befores.values_list("methodology_id", flat=True).first()
    if new_id is None or old_id is None:
        return {}
    methodologies = Methodology.objects.in_bulk([new_id, old_id])
    new, old = methodologies[new_id], methodologies[old_id]
    current, before_old = _stored_results(currents), _stored_results(befores)
    ids = sorted(current.keys() & before_old.keys())
    before_new, source = {}, {}
    if new.pk == old.pk:
        before_new, source = before_old, dict.fromkeys(ids, SAME)
    else:
        before_new = _stored_results(version_scores(previous, new).filter(supplier_id__in=ids)) if ids else {}
        source = dict.fromkeys(before_new, STORED)
        missing = set(ids) - before_new.keys()
        if compute and missing:
            computed = _computed_quarter(previous, new, missing)
            before_new.update(computed)
            source.update(dict.fromkeys(computed, COMPUTED))
    split = [supplier_id for supplier_id in ids if supplier_id in before_new]
    all_lines = dict(zip(split, data_lines_many(methodology_params(new), [
        (before_new[supplier_id], current[supplier_id]) for supplier_id in split]), strict=True))
    return {supplier_id: _assemble(str(quarter), str(previous), new, old, current[supplier_id],
                                   before_old[supplier_id], before_new.get(supplier_id), source.get(supplier_id),
                                   all_lines.get(supplier_id)) for supplier_id in ids}
