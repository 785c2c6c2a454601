"""Demo indicator values and QBR components, consistent with the v1 indicator types."""

from __future__ import annotations

import random
from decimal import Decimal

from django.utils import timezone

from core.quarter import Quarter
from scoring.methodology import V1
from scoring.models import Indicator, IndicatorValue, QbrComponent, ValueOrigin, ValueState

CDP = ["A", "A-", "B", "B-", "C", "C-", "D", "F"]
SBTI = ["none", "committed", "near_term_validated", "net_zero_validated"]


def _raw_value(rng: random.Random, spec, maturity: float) -> str:
    kind = spec.normalisation
    if kind == "bool":
        return "true" if rng.random() < maturity else "false"
    if kind == "mapping":
        table = CDP if spec.code == "ENV-03" else SBTI
        index = min(len(table) - 1, max(0, int(rng.gauss((1 - maturity) * len(table), 1.2))))
        return table[index] if spec.code == "ENV-03" else table[len(table) - 1 - index]
    if kind == "change":
        return f"{rng.uniform(-15, 8):.1f}"
    return f"{min(100.0, max(0.0, rng.gauss(maturity * 100, 15))):.1f}"


def seed_indicator_values(*, suppliers, rng: random.Random, quarters: list[Quarter]) -> int:
    """Values for the last quarters; a few submissions wait for review."""
    indicators = dict(Indicator.objects.values_list("code", "id"))
    reported = [spec for spec in V1.indicators if spec.source == "reported"]
    now = timezone.now()
    rows = []
    for supplier in suppliers:
        maturity = rng.betavariate(4, 2)
        has_ecovadis = rng.random() < 0.8
        for quarter in quarters[-4:]:
            for spec in reported:
                if spec.category == "ecovadis" and not has_ecovadis:
                    continue
                if rng.random() < 0.25:
                    continue  # not reported every quarter; the latest in the window counts
                rows.append(IndicatorValue(
                    supplier=supplier, quarter=str(quarter), indicator_id=indicators[spec.code],
                    value=_raw_value(rng, spec, maturity), source=_source(spec, quarter),
                    evidence_ref=f"DOC-{supplier.code}-{spec.code}-{quarter}", origin=ValueOrigin.IMPORT,
                    state=ValueState.ACCEPTED, submitted_at=now, submitted_by_label="seed_demo", reviewed_at=now,
                ))
    IndicatorValue.objects.bulk_create(rows, batch_size=5000)
    pending = []
    for supplier in rng.sample(list(suppliers), min(12, len(suppliers))):
        spec = rng.choice(reported)
        pending.append(IndicatorValue(
            supplier=supplier, quarter=str(quarters[-1]), indicator_id=indicators[spec.code],
            value=_raw_value(rng, spec, 0.9), source="",
            evidence_ref=f"UPLOAD-{supplier.code}-{spec.code}", origin=ValueOrigin.SUPPLIER,
            state=ValueState.SUBMITTED, submitted_at=now, submitted_by_label="supplier portal",
        ))
    IndicatorValue.objects.bulk_create(pending)
    return len(rows) + len(pending)


def _source(spec, quarter: Quarter) -> str:
    if spec.category == "ecovadis":
        return f"EcoVadis scorecard {quarter.year}"
    if spec.code.startswith("ENV-0") and spec.code in ("ENV-01", "ENV-02", "ENV-03"):
        return f"CDP {quarter.year}"
    if spec.category == "minerals":
        return f"CMRT/EMRT {quarter.year}"
    return f"Supplier report {quarter.year}"


def seed_qbr_components(*, suppliers, rng: random.Random, quarters: list[Quarter]) -> int:
    rows = []
    for supplier in suppliers:
        for quarter in quarters[-4:]:
            for component in ("quality", "delivery", "cost", "service"):
                if rng.random() < 0.06:
                    continue  # a missing component makes an incomplete card
                rows.append(QbrComponent(supplier=supplier, quarter=str(quarter), component=component,
                                         score=Decimal(f"{min(100, max(0, rng.gauss(78, 10))):.2f}")))
    QbrComponent.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
