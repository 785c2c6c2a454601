"""Reads for scoring: methodology parameters and the engine's input frames, one query
per table whatever the number of suppliers."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from django.db import connection
from django.db.models import QuerySet

from audits.policy import AuditPolicy, default_policy
from core.frames import read_frame
from core.loose_scan import distinct_values
from core.quarter import Quarter, current_quarter, months_before
from disclosure.minerals import smelter_list_at
from disclosure.models import (
    Course,
    EmissionInventory,
    InventoryState,
    MineralsReport,
    MineralsReportSmelter,
    TrainingPerson,
    TrainingRecord,
)
from scoring.derived import inventory_years
from scoring.engine import COVERAGE_METRICS
from scoring.inputs import INVENTORY_COLUMNS, QBR_COLUMNS, VALUE_COLUMNS, VALUE_PRECEDENCE
from scoring.methodology import IndicatorSpec, MethodologyParams
from scoring.models import (
    CoverageSnapshot,
    IndicatorValue,
    Methodology,
    MethodologyStatus,
    QbrComponent,
    QuarterlyScore,
    QuarterOfficial,
    ValueState,
)


class NoPublishedMethodology(LookupError):
    pass


def current_methodology() -> Methodology:
    """The most recently published methodology (the default for new runs)."""
    methodology = (Methodology.objects.filter(status=MethodologyStatus.PUBLISHED)
                   .order_by("-published_at", "-id").first())
    if methodology is None:
        raise NoPublishedMethodology("no published methodology: publish one before recalculating")
    return methodology


def methodology_in_force(quarter: Quarter) -> Methodology:
    """The methodology in force for ``quarter``: the one that produced the quarter's stored
    official results (``QuarterOfficial``; its coverage snapshot names it), else the current
    published one. One or two queries; raises ``NoPublishedMethodology`` when neither exists."""
    snapshot = (CoverageSnapshot.objects.filter(quarter=str(quarter), official=True)
                .select_related("methodology").defer("data").first())
    return snapshot.methodology if snapshot is not None else current_methodology()


def audit_policy(quarter: Quarter) -> AuditPolicy:
    """The audit-cycle parameters (validity months, expiring days, coverage target) of the
    methodology in force for ``quarter``; the built-in defaults when no methodology is
    published yet. Named by ``settings.AUDIT_POLICY`` so the audits app can ask for it."""
    try:
        methodology = methodology_in_force(quarter)
    except NoPublishedMethodology:
        return default_policy()
    return AuditPolicy(validity_months=methodology.audit_validity_months, expiring_days=methodology.expiring_days,
                       coverage_target=Decimal(methodology.coverage_target), methodology=methodology.version)


def methodology_params(methodology: Methodology) -> MethodologyParams:
    """The methodology as the engine's ``MethodologyParams`` (indicators by code, weights as Decimal,
    targets and audit parameters). One query."""
    rows = methodology.indicators.select_related("indicator").order_by("indicator__code")
    indicators = tuple(
        IndicatorSpec(
            code=row.indicator.code, category=row.indicator.category, weight=Decimal(row.weight),
            source=row.source or row.indicator.source, normalisation=row.normalisation, params=row.params or {},
            title=row.indicator.title,
        )
        for row in rows
    )
    return MethodologyParams(
        version=methodology.version,
        indicators=indicators,
        coverage_target=Decimal(methodology.coverage_target),
        grade_bands=tuple((grade, Decimal(str(minimum))) for grade, minimum in methodology.grade_bands),
        qbr_weights={name: Decimal(str(weight)) for name, weight in methodology.qbr_weights.items()},
        audit_validity_months=methodology.audit_validity_months,
        expiring_days=methodology.expiring_days,
    )


def values_in_window(quarter: Quarter, supplier_ids=None) -> QuerySet[IndicatorValue]:
    """Accepted indicator values of the quarters Q-3 … Q (scorecard.md section 5), ordered
    by supplier, indicator, then ``VALUE_PRECEDENCE`` descending: the first row of each
    (supplier, indicator) is the value that counts for Q. ``supplier_ids``: ``None`` for
    every supplier, else ids or an id subquery. Lazy; one query when evaluated."""
    accepted = IndicatorValue.objects.filter(state=ValueState.ACCEPTED,
                                             quarter__in=[str(q) for q in quarter.window(4)])
    if supplier_ids is not None:
        accepted = accepted.filter(supplier_id__in=supplier_ids)
    # ``YYYY-Qn`` text sorts in time, so ordering on ``quarter`` is ordering on the quarter.
    return accepted.order_by("supplier_id", "indicator_id", *(f"-{name}" for name, _ in VALUE_PRECEDENCE))


def values_used(quarter: Quarter, supplier_id: int) -> dict[str, IndicatorValue]:
    """Indicator code → the accepted value a run of ``quarter`` uses for one supplier
    (scorecard.md section 5; the first row of ``values_in_window``). One query."""
    used: dict[str, IndicatorValue] = {}
    for value in values_in_window(quarter, [supplier_id]).select_related("indicator"):
        used.setdefault(value.indicator.code, value)
    return used


def values_frame(quarter: Quarter, supplier_ids=None) -> pd.DataFrame:
    """The engine's ``values`` frame (``scoring.inputs``): accepted values of Q-3 … Q,
    streamed (millions of rows). On PostgreSQL only the value that counts per (supplier,
    indicator) is read (``DISTINCT ON`` over ``values_in_window``); elsewhere every value
    of the window is read and the engine picks with the same ``VALUE_PRECEDENCE``.
    ``supplier_ids``: as ``values_in_window`` (``None``: every supplier)."""
    ordinals = {str(q): q.ordinal for q in quarter.window(4)}
    accepted = values_in_window(quarter, supplier_ids)
    if connection.vendor == "postgresql":
        accepted = accepted.distinct("supplier_id", "indicator_id")
    else:
        accepted = accepted.order_by()
    rows = accepted.values_list("id", "supplier_id", "indicator__code", "quarter", "submitted_at", "value")
    return read_frame(rows, [
        ("value_id", "int64"), ("supplier_id", "int64"), ("indicator_code", "str"),
        ("quarter_ordinal", lambda quarters: quarters.map(ordinals).astype("int64")),
        ("submitted_at", "datetime_utc"), ("value", "str"),
    ])[VALUE_COLUMNS]


def inventories_frame(quarter: Quarter) -> pd.DataFrame:
    """The engine's ``inventories`` frame (``scoring.inputs.INVENTORY_COLUMNS``): accepted
    yearly GHG inventories of the years an ``emissions`` source reads at Q's as-of date
    (``scoring.derived.inventory_years``). One query."""
    first, last = inventory_years(quarter.as_of)
    rows = (EmissionInventory.objects.filter(state=InventoryState.ACCEPTED, year__gte=first, year__lte=last)
            .order_by("supplier_id", "year").values_list(*INVENTORY_COLUMNS))
    return read_frame(rows, [
        ("supplier_id", "int64"), ("year", "int64"), ("scope1_tco2e", "decimal"), ("scope2_market_tco2e", "decimal"),
        ("scope2_location_tco2e", "decimal"), ("scope3_tco2e", "decimal"), ("revenue", "decimal"),
        ("revenue_currency", "str"),
    ])


def training_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The engine's (training_persons, training_courses, training_records) frames
    (``scoring.inputs``): every person and course, accepted records only. Three queries."""
    persons = read_frame(
        TrainingPerson.objects.order_by("id").values_list("id", "supplier_id", "is_esg_staff", "active"),
        [("person_id", "int64"), ("supplier_id", "int64"), ("is_esg_staff", "bool"), ("active", "bool")])
    courses = read_frame(Course.objects.order_by("id").values_list("id", "required", "valid_months"),
                         [("course_id", "int64"), ("required", "bool"), ("valid_months", "float")])
    records = read_frame(TrainingRecord.objects.filter(state=InventoryState.ACCEPTED).order_by("id")
                         .values_list("person_id", "course_id", "completed_on"),
                         [("person_id", "int64"), ("course_id", "int64"), ("completed_on", "datetime")])
    return persons, courses, records


def minerals_frames(quarter: Quarter) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The engine's (minerals_reports, minerals_rows, smelters) frames (``scoring.inputs``):
    accepted CMRT/EMRT reports dated within the 12 months before Q's as-of date, their
    smelter rows, and the smelter list with each smelter's status in force at that date.
    Three queries."""
    as_of = quarter.as_of
    reports = MineralsReport.objects.filter(state=InventoryState.ACCEPTED, declaration_date__lte=as_of,
                                            declaration_date__gt=months_before(as_of, 12))
    report_frame = read_frame(
        reports.order_by("id").values_list("id", "supplier_id", "template", "declaration_date"),
        [("report_id", "int64"), ("supplier_id", "int64"), ("template", "str"), ("declaration_date", "datetime")])
    rows = read_frame(
        MineralsReportSmelter.objects.filter(report__in=reports).order_by("report_id", "row").values_list(
            "report_id", "row", "metal", "smelter_id_input", "smelter_lookup", "smelter_name", "country",
            "smelter_identification"),
        [("report_id", "int64"), ("row", "int64"), ("metal", "str"), ("smelter_id_input", "str"),
         ("smelter_lookup", "str"), ("smelter_name", "str"), ("country", "str"), ("smelter_identification", "str")])
    smelters = read_frame(
        smelter_list_at(as_of).order_by("id").values_list("smelter_id", "metal", "name", "status_at"),
        [("smelter_id", "str"), ("metal", "str"), ("name", "str"), ("status", "object")])
    return report_frame, rows, smelters


def qbr_frame(quarter: Quarter) -> pd.DataFrame:
    """The engine's ``qbr`` frame: non-ESG QBR components of ``quarter`` (``QBR_COLUMNS``). One query."""
    rows = QbrComponent.objects.filter(quarter=str(quarter)).values_list("supplier_id", "component", "score")
    return read_frame(rows, [("supplier_id", "int64"), ("component", "str"), ("score", "float")])[QBR_COLUMNS]


class UnknownMethodology(LookupError):
    """``?methodology=`` names no methodology version."""


def results_methodology(quarter: Quarter, version: str | None = None) -> Methodology | None:
    """The methodology whose stored results of ``quarter`` a reader shows: the version named
    (``?methodology=``; ``UnknownMethodology`` when there is none) or the quarter's official
    one (``None`` when the quarter has no official results). One query."""
    if version:
        methodology = Methodology.objects.filter(version=version).first()
        if methodology is None:
            raise UnknownMethodology(f"no methodology version {version!r}")
        return methodology
    official = QuarterOfficial.objects.filter(quarter=str(quarter)).select_related("methodology").first()
    return official.methodology if official is not None else None


def of_version(results: QuerySet, methodology: Methodology | int | None = None) -> QuerySet:
    """``results`` (stored scores or coverage snapshots; lazy) narrowed to those computed with
    ``methodology`` (a ``Methodology`` or its id) or, when ``None``, to each quarter's official
    version's: what every reader shows unless a version is asked for (``?methodology=``)."""
    if methodology is None:
        return results.filter(official=True)
    return results.filter(methodology=methodology)


def version_scores(quarter: Quarter, methodology: Methodology | None = None) -> QuerySet[QuarterlyScore]:
    """The stored scores of ``quarter`` computed with ``methodology`` (``None``: the official
    ones). Lazy, unordered."""
    return of_version(QuarterlyScore.objects.filter(quarter=str(quarter)), methodology)


def stored_scores(quarter: Quarter, methodology: Methodology | None = None):
    """The quarter's stored scores (official, or of ``methodology``) by rank, with supplier,
    methodology and run."""
    return version_scores(quarter, methodology).select_related("supplier", "methodology", "run").order_by("rank")


def scored_quarters() -> list[str]:
    """Quarters with official stored scores from a successful run, up to the current quarter,
    newest first; the first is the default quarter of every page, export and API list.

    A run that scored nobody stores no scores, and a quarter after the current one cannot be
    recalculated; neither can become the default (docs/reliability.md, "The calendar"). A
    quarter that has only previews is not scored."""
    # A loose index scan: one probe of an official partial index per quarter instead of
    # reading every stored score; the quarters with official results only (previews are not
    # a quarter's scores).
    return distinct_values(QuarterlyScore, "quarter", descending=True, where="quarter <= %s AND official",
                           params=[str(current_quarter())])


def default_quarter() -> str | None:
    """The default quarter (``YYYY-Qn``) of every page, export and API list: the newest of
    ``scored_quarters``, or ``None`` when no quarter has been recalculated. One query."""
    quarters = scored_quarters()
    return quarters[0] if quarters else None


def coverage_snapshot(quarter: Quarter, methodology: Methodology | None = None) -> CoverageSnapshot | None:
    """The quarter's stored coverage metrics (official, or of ``methodology``), or ``None``.
    One query; ``data`` (the coverage document with every gap list: megabytes at 100,000
    suppliers) is read by a second query when a caller reads it, not by callers that only need
    the run, the version or the flags."""
    snapshots = of_version(CoverageSnapshot.objects.filter(quarter=str(quarter)), methodology)
    return snapshots.select_related("run", "methodology").defer("data").first()


def coverage_metrics(data: dict) -> list[tuple[str, dict]]:
    """(name, metric) of a coverage document's section 7 metrics in the engine's order
    (``engine.COVERAGE_METRICS``), then any other by name: one order for every document,
    whatever order its keys were stored in (a document written as ``jsonb`` before migration
    scoring 0019 holds them in ``jsonb``'s order). No query."""
    metrics = data.get("metrics", {})
    names = [name for name in COVERAGE_METRICS if name in metrics]
    return [(name, metrics[name]) for name in names + sorted(set(metrics) - set(names))]


def quarter_versions(quarter: Quarter) -> list[CoverageSnapshot]:
    """Every version with stored results for ``quarter`` (official first, then newest run),
    as their coverage snapshots with run and methodology. One query; ``data`` (the coverage
    JSON with its gap lists) is deferred: reading it is one query per snapshot read."""
    return list(CoverageSnapshot.objects.filter(quarter=str(quarter)).select_related("run", "methodology")
                .defer("data").order_by("-official", "-run__created_at"))


def score_history(scores: list[QuarterlyScore]) -> list[dict]:
    """Scores by quarter, oldest first, with the change against the previous quarter and why
    (``scoring.decomposition``): between two quarters of one methodology the change is all
    data effect, split in ``effects`` (every line, sorted by absolute effect, adding up to the
    change) and ``moved_indicators`` (the indicator lines: code, points before/after, effect);
    across a methodology change ``method_effect``/``data_effect`` are ``None`` here (the
    decomposition endpoint computes them). One query per distinct methodology."""
    from scoring.decomposition import Result, data_lines_many

    history = []
    pairs_by_methodology: dict[int, list[tuple[int, QuarterlyScore, QuarterlyScore]]] = {}
    previous = None
    for index, score in enumerate(scores):
        entry = {"quarter": score.quarter, "methodology": score.methodology.version, "population": score.population,
                 "score": score.score, "grade": score.grade, "change": None, "method_effect": None,
                 "data_effect": None, "effects": [], "moved_indicators": []}
        if previous is not None:
            entry["change"] = score.score - previous.score
            if previous.methodology_id == score.methodology_id:
                pairs_by_methodology.setdefault(score.methodology_id, []).append((index, previous, score))
        history.append(entry)
        previous = score
    for pairs in pairs_by_methodology.values():
        params = methodology_params(pairs[0][2].methodology)
        all_lines = data_lines_many(params, [(Result.of(before), Result.of(after)) for _i, before, after in pairs])
        for (index, _before, _after), lines in zip(pairs, all_lines, strict=True):
            entry = history[index]
            entry.update(method_effect=Decimal(0), data_effect=entry["change"],
                         effects=[{"kind": line.kind, "code": line.code, "effect": line.effect} for line in lines],
                         moved_indicators=[{"code": line.code, "before": line.points_before,
                                            "after": line.points_after, "effect": line.effect}
                                           for line in lines if line.kind == "indicator"])
    return history
