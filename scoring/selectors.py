"""Reads for scoring: methodology parameters and the engine's input frames, one query
per table whatever the number of suppliers."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from django.db import connection

from core.frames import read_frame
from core.quarter import Quarter, current_quarter
from scoring.inputs import QBR_COLUMNS, VALUE_COLUMNS
from scoring.methodology import IndicatorSpec, MethodologyParams
from scoring.models import (
    CoverageSnapshot,
    Indicator,
    IndicatorValue,
    Methodology,
    MethodologyStatus,
    QbrComponent,
    QuarterlyScore,
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


def methodology_params(methodology: Methodology) -> MethodologyParams:
    rows = methodology.indicators.select_related("indicator").order_by("indicator__code")
    indicators = tuple(
        IndicatorSpec(
            code=row.indicator.code, category=row.indicator.category, weight=Decimal(row.weight),
            source=row.indicator.source, normalisation=row.normalisation, params=row.params or {},
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


def values_frame(quarter: Quarter) -> pd.DataFrame:
    """Accepted reported values of the quarters Q-3 … Q (streamed: millions of rows)."""
    ordinals = {str(q): q.ordinal for q in quarter.window(4)}
    codes = dict(Indicator.objects.values_list("id", "code"))
    accepted = IndicatorValue.objects.filter(state=ValueState.ACCEPTED, quarter__in=list(ordinals))
    if connection.vendor == "postgresql":
        # Only the value section 5 picks (latest quarter, then latest submission, then the
        # higher id) can count: let the database drop the others. ``YYYY-Qn`` sorts in time.
        accepted = accepted.order_by("supplier_id", "indicator_id", "-quarter", "-submitted_at", "-id").distinct(
            "supplier_id", "indicator_id")
    rows = accepted.values_list("id", "supplier_id", "indicator_id", "quarter", "submitted_at", "value")
    return read_frame(rows, [
        ("value_id", "int64"), ("supplier_id", "int64"),
        ("indicator_code", lambda ids: pd.Series([codes[i] for i in ids], dtype=str)),
        ("quarter_ordinal", lambda quarters: pd.Series([ordinals[q] for q in quarters], dtype="int64")),
        ("submitted_at", "datetime_utc"), ("value", "str"),
    ])[VALUE_COLUMNS]


def qbr_frame(quarter: Quarter) -> pd.DataFrame:
    rows = QbrComponent.objects.filter(quarter=str(quarter)).values_list("supplier_id", "component", "score")
    frame = pd.DataFrame.from_records(list(rows), columns=QBR_COLUMNS)
    frame["score"] = frame["score"].astype(float)
    return frame


def stored_scores(quarter: Quarter):
    return (QuarterlyScore.objects.filter(quarter=str(quarter))
            .select_related("supplier", "methodology", "run").order_by("rank"))


def scored_quarters() -> list[str]:
    """Quarters whose stored scores come from a successful run, up to the current quarter,
    newest first; the first is the default quarter of every page, export and API list.

    A run that scored nobody stores no scores, and a quarter after the current one cannot be
    recalculated; neither can become the default (docs/reliability.md, "The calendar")."""
    current = str(current_quarter())
    quarters = (QuarterlyScore.objects.filter(quarter__lte=current).order_by()
                .values_list("quarter", flat=True).distinct())
    return sorted(set(quarters), reverse=True)


def coverage_snapshot(quarter: Quarter) -> CoverageSnapshot | None:
    return CoverageSnapshot.objects.filter(quarter=str(quarter)).select_related("run", "methodology").first()


def score_history(scores: list[QuarterlyScore]) -> list[dict]:
    """Scores by quarter, oldest first, with the change against the previous quarter and the
    indicators whose points moved (why did the score move?)."""
    history = []
    previous = None
    for score in scores:
        entry = {"quarter": score.quarter, "methodology": score.methodology.version, "population": score.population,
                 "score": score.score, "grade": score.grade, "change": None, "moved_indicators": []}
        if previous is not None:
            entry["change"] = score.score - previous.score
            moved = []
            for code, now in sorted(score.points.items()):
                before = previous.points.get(code, {}).get("points")
                if now.get("points") != before:
                    moved.append({"code": code, "before": before, "after": now.get("points")})
            entry["moved_indicators"] = moved
        history.append(entry)
        previous = score
    return history
