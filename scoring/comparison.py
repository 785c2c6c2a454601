"""Two methodology versions' results of one quarter side by side (docs/scoring.md,
"Comparing versions"): the grade migration matrix, the suppliers whose population or gate
differs, the largest score changes with the indicators that drive them, and the coverage
metrics under each. Read from stored results (an official run or a preview), never computed
here: two queries for the matrix and lists whatever the number of suppliers, two more for
the drivers of the largest changes. ``stored_compare`` keeps the answer (``core.summaries``)
until either version's results are replaced or a supplier changes, so the comparison page
and API read one stored row instead of both versions' results on every request."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal

import pandas as pd
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import OuterRef, Subquery

from core.quarter import Quarter
from core.summaries import Computed, latest_changes, stored
from scoring import engine
from scoring.models import CoverageSnapshot, Methodology, QuarterlyScore
from suppliers.models import Supplier

GRADES = ("A", "B", "C", "D", engine.GATE_GRADE)
LARGEST = 20
DRIVERS = 3


@dataclass
class Driver:
    code: str
    title: str
    before: float  # score points the indicator brought under the base version
    after: float  # ... under the other version
    effect: float  # after − before


@dataclass
class Comparison:
    quarter: str
    base: str
    other: str
    suppliers: int  # scored under both
    grades: tuple[str, ...]
    matrix: list[list[int]]  # [base grade][other grade]
    moved_grade: int
    population_changes: list[dict] = field(default_factory=list)
    gate_changes: list[dict] = field(default_factory=list)
    largest: list[dict] = field(default_factory=list)
    coverage: dict = field(default_factory=dict)  # {version: coverage JSON}
    only_base: int = 0
    only_other: int = 0


def _frame(quarter: Quarter, methodology: Methodology) -> pd.DataFrame:
    rows = (QuarterlyScore.objects.filter(quarter=str(quarter), methodology=methodology).order_by()
            .values_list("supplier_id", "supplier__code", "supplier__name", "score", "grade", "population",
                         "flags_text", "rank"))
    frame = pd.DataFrame.from_records(list(rows), columns=["supplier_id", "code", "name", "score", "grade",
                                                           "population", "flags", "rank"])
    frame["gated"] = frame["flags"].str.contains(engine.FLAG_TERMINATION_REVIEW, regex=False)
    return frame.set_index("supplier_id")


def compare(quarter: Quarter, base: Methodology, other: Methodology, *, largest: int = LARGEST,
            with_coverage: bool = True) -> Comparison:
    """``base`` and ``other``'s stored results of ``quarter`` side by side (see the module);
    ``coverage`` left empty without ``with_coverage``."""
    left, right = _frame(quarter, base), _frame(quarter, other)
    both = left.join(right, how="inner", suffixes=("_base", "_other"))
    grades = tuple(dict.fromkeys([*GRADES, *sorted(set(both["grade_base"]) | set(both["grade_other"]))]))
    counts = both.groupby(["grade_base", "grade_other"]).size().to_dict() if len(both) else {}
    matrix = [[int(counts.get((g1, g2), 0)) for g2 in grades] for g1 in grades]
    both["change"] = [Decimal(a) - Decimal(b) for a, b in zip(both["score_other"], both["score_base"], strict=True)]
    comparison = Comparison(
        quarter=str(quarter), base=base.version, other=other.version, suppliers=len(both), grades=grades,
        matrix=matrix, moved_grade=int((both["grade_base"] != both["grade_other"]).sum()),
        only_base=len(left.index.difference(right.index)), only_other=len(right.index.difference(left.index)))
    keep = ["code", "name", "score_base", "score_other", "grade_base", "grade_other", "population_base",
            "population_other", "change"]
    rows = both.rename(columns={"code_base": "code", "name_base": "name"})
    comparison.population_changes = _records(rows[rows["population_base"] != rows["population_other"]], keep)
    gates = rows[rows["gated_base"] != rows["gated_other"]]
    comparison.gate_changes = [{**record, "gated_other": bool(flag)} for record, flag in
                               zip(_records(gates, keep), gates["gated_other"], strict=True)]
    order = rows.assign(size=[abs(c) for c in rows["change"]]).sort_values(["size", "code"], ascending=[False, True])
    top = order[order["size"] > 0].head(largest)
    comparison.largest = _records(top, keep, index=True)
    _attach_drivers(comparison.largest, quarter, base, other)
    if with_coverage:
        comparison.coverage = _coverage(quarter, base, other)
    return comparison


DECIMAL_FIELDS = ("score_base", "score_other", "change")
LAYOUT = "2"  # the stored payload's shape: a payload of another shape is recomputed


def stored_compare(quarter: Quarter, base: Methodology, other: Methodology, *,
                   with_coverage: bool = True) -> Comparison:
    """``compare(quarter, base, other)`` as stored (``stored_page``); with ``with_coverage``
    (the API) each version's coverage JSON read from its snapshot (one more query)."""
    result, _metrics = stored_page(quarter, base, other)
    if with_coverage:
        result.coverage = _coverage(quarter, base, other)
    return result


def stored_page(quarter: Quarter, base: Methodology, other: Methodology) -> tuple[Comparison, dict[str, list]]:
    """``compare(quarter, base, other)`` without its coverage JSON, and each version's
    coverage metric rows (``scoring.serving.metric_rows``: name, share, target, met, number
    of gaps), as stored (``core.summaries.stored``): recomputed only when a run replaced
    either version's results of the quarter (the run ids of their coverage snapshots) or a
    supplier was added, changed or removed (codes and names are listed). The snapshots' JSON
    (gap lists of every supplier) is never read on a fresh request. Three queries when
    fresh, whatever the number of suppliers."""
    from scoring.serving import metric_rows

    runs = dict(CoverageSnapshot.objects.filter(quarter=str(quarter), methodology__in=[base, other])
                .values_list("methodology_id", "run_id"))
    fingerprint = f"{LAYOUT}|{runs.get(base.pk)}/{runs.get(other.pk)}|{latest_changes([Supplier])}"

    def compute() -> Computed:
        coverage = _coverage(quarter, base, other)
        payload = {"comparison": asdict(compare(quarter, base, other, with_coverage=False)),
                   "metrics": {version: metric_rows(data) if data else [] for version, data in coverage.items()}}
        return Computed(payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)))

    payload = stored(f"compare:{quarter}:{base.pk}:{other.pk}", fingerprint, compute).payload
    return _from_payload(payload["comparison"]), payload["metrics"]


def _coverage(quarter: Quarter, base: Methodology, other: Methodology) -> dict:
    """``{version: coverage JSON or None}`` of both versions' snapshots. One query."""
    data = dict(CoverageSnapshot.objects.filter(quarter=str(quarter), methodology__in=[base, other])
                .values_list("methodology_id", "data"))
    return {methodology.version: data.get(methodology.pk) for methodology in (base, other)}


def _from_payload(payload: dict) -> Comparison:
    """A ``Comparison`` back from its stored JSON (Decimals and drivers restored)."""

    def row(record: dict) -> dict:
        restored = {**record, **{key: Decimal(record[key]) for key in DECIMAL_FIELDS if record.get(key) is not None}}
        if "drivers" in record:
            restored["drivers"] = [Driver(**driver) for driver in record["drivers"]]
        return restored

    return Comparison(**{**payload, "grades": tuple(payload["grades"]),
                         **{name: [row(record) for record in payload[name]]
                            for name in ("population_changes", "gate_changes", "largest")}})


def _records(frame: pd.DataFrame, columns: list[str], *, index: bool = False) -> list[dict]:
    records = frame.sort_values("code")[columns] if not index else frame[columns]
    return [{"supplier_id": int(supplier_id), **record} for supplier_id, record in
            zip(records.index, records.to_dict("records"), strict=True)]


def _attach_drivers(rows: list[dict], quarter: Quarter, base: Methodology, other: Methodology) -> None:
    """Per row: the indicators whose contribution (weight over applicable weight × points)
    moved most between the versions, through ``engine.score_from_points``."""
    from scoring.selectors import methodology_params

    if not rows:
        return
    ids = [row["supplier_id"] for row in rows]
    points = {(methodology_id, supplier_id): value for methodology_id, supplier_id, value in
              QuarterlyScore.objects.filter(quarter=str(quarter), methodology__in=[base, other], supplier_id__in=ids)
              .values_list("methodology_id", "supplier_id", "points")}
    params = {base.pk: methodology_params(base), other.pk: methodology_params(other)}
    for row in rows:
        sides = {}
        for methodology in (base, other):
            stored = points.get((methodology.pk, row["supplier_id"]), {})
            population = row["population_base" if methodology is base else "population_other"]
            sides[methodology.pk] = _contributions(params[methodology.pk], stored, population)
        codes = sorted(set(sides[base.pk]) | set(sides[other.pk]))
        titles = {spec.code: spec.title for p in params.values() for spec in p.indicators}
        drivers = [Driver(code=code, title=titles.get(code, ""), before=sides[base.pk].get(code, 0.0),
                          after=sides[other.pk].get(code, 0.0),
                          effect=sides[other.pk].get(code, 0.0) - sides[base.pk].get(code, 0.0)) for code in codes]
        drivers = [driver for driver in drivers if round(driver.effect, 2) != 0]
        drivers.sort(key=lambda driver: (-abs(driver.effect), driver.code))
        row["drivers"] = drivers[:DRIVERS]


def _contributions(params, points: dict, population: str) -> dict[str, float]:
    """Score points each indicator brings: weight × points over the applicable weight (the
    full population), or ECO-01's points (the tail)."""
    if population != engine.FULL:
        entry = points.get(engine.ECOVADIS_SCORE) or {}
        return {engine.ECOVADIS_SCORE: float(entry.get("points") or 0.0)}
    scored = engine.score_from_points(params, points, population=population, gated=False)
    if scored.applicable_weight <= 0:
        return {}
    return {spec.code: float(spec.weight) * float((points.get(spec.code) or {}).get("points") or 0.0)
            / scored.applicable_weight for spec in params.indicators
            if (points.get(spec.code) or {}).get("status") == engine.VALUE}


def migration_suppliers(quarter: Quarter, base: Methodology, other: Methodology, grade_base: str,
                        grade_other: str) -> list[dict]:
    """The suppliers of one matrix cell (base grade × other grade), by code. One query: the
    base version's scores of ``grade_base`` (the ``(quarter, grade)`` index) with the other
    version's row of each supplier (the ``(quarter, methodology, supplier)`` key), so a cell
    reads its own suppliers, not both versions' whole results."""
    other_row = QuarterlyScore.objects.filter(quarter=str(quarter), methodology=other,
                                              supplier_id=OuterRef("supplier_id"))
    rows = (QuarterlyScore.objects.filter(quarter=str(quarter), methodology=base, grade=grade_base)
            .annotate(grade_other=Subquery(other_row.values("grade")[:1]),
                      score_other=Subquery(other_row.values("score")[:1]),
                      population_other=Subquery(other_row.values("population")[:1]))
            .filter(grade_other=grade_other).order_by()
            .values_list("supplier_id", "supplier__code", "supplier__name", "score", "score_other", "grade",
                         "grade_other", "population", "population_other"))
    cell = pd.DataFrame.from_records(list(rows), columns=[
        "supplier_id", "code", "name", "score_base", "score_other", "grade_base", "grade_other", "population_base",
        "population_other"]).set_index("supplier_id")
    cell = cell.assign(change=[Decimal(a) - Decimal(b) for a, b in zip(cell["score_other"], cell["score_base"],
                                                                       strict=True)])
    return _records(cell, ["code", "name", "score_base", "score_other", "grade_base", "grade_other",
                           "population_base", "population_other", "change"])
