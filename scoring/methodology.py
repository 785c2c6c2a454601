"""Methodology parameters as plain values, and the shipped default (scorecard.md v1).

The engine only ever sees a ``MethodologyParams``; the database models (``Methodology``,
``MethodologyIndicator``) are turned into one by ``scoring.selectors``. Keeping the
parameters ORM-free lets the engine and its tests run without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

CATEGORIES = (
    ("rba", "RBA compliance"),
    ("environment", "Environment"),
    ("minerals", "Responsible minerals"),
    ("ecovadis", "EcoVadis"),
    ("esg_disclosure", "ESG disclosure"),
)
CATEGORY_KEYS = tuple(key for key, _ in CATEGORIES)

# Normalisation kinds (scorecard.md section 3). ``params`` per kind:
#   percent  {"target": number (default 100)}   points = clamp(v / target * 100, 0, 100)
#   score    {}                                 points = clamp(v, 0, 100)
#   scaled   {"max": number}                    points = clamp(v / max * 100, 0, 100)   (RBA-02: max 200)
#   count    {"step": number}                   points = max(0, 100 - step * v)
#   bool     {"true": pts, "false": pts}        default true 100, false 0
#   mapping  {"table": {code: pts}}             codes case-insensitive at input
#   change   {"best": -10, "worst": 10}         points = clamp((worst - v) / (worst - best) * 100, 0, 100)
NORMALISATIONS = ("percent", "score", "scaled", "count", "bool", "mapping", "change")
# Kinds whose raw input must lie in 0..100 (values outside are refused at input).
BOUNDED_0_100 = ("percent", "score")


# Sources of an indicator's raw value. ``audit`` and ``reported`` are the catalogue's
# (sections 4 and 5); a methodology version may choose a derived source instead for the
# indicators listed here (section 9).
AUDIT = "audit"
REPORTED = "reported"
EMISSIONS = "emissions"
TRAINING = "training"
MINERALS_REPORTS = "minerals_reports"
DERIVED_SOURCES = {
    EMISSIONS: ("ENV-01", "ENV-02", "ENV-05"),
    TRAINING: ("ESG-04",),
    MINERALS_REPORTS: ("MIN-01", "MIN-02", "MIN-03", "MIN-04"),
}
# Derived sources whose data the product does not hold yet: refused with this reason.
UNAVAILABLE_SOURCES: dict[str, str] = {}
SOURCES = (AUDIT, REPORTED, *DERIVED_SOURCES)


def source_error(code: str, catalogue_source: str, source: str) -> str | None:
    """Why indicator ``code`` (catalogue source ``audit`` or ``reported``) cannot take its raw
    value from ``source`` (scorecard.md section 9), or None when it can. An audit-derived
    indicator keeps ``audit``; a reported one may be ``reported`` or a derived source that
    lists it and whose data the product holds."""
    if catalogue_source == AUDIT:
        return None if source == AUDIT else f"{code} is audit-derived; its source cannot change"
    if source == REPORTED:
        return None
    if source not in DERIVED_SOURCES:
        return f"unknown source '{source}'; expected one of: {', '.join(s for s in SOURCES if s != AUDIT)}"
    if code not in DERIVED_SOURCES[source]:
        return (f"{code} cannot take the source '{source}' (it serves "
                f"{', '.join(DERIVED_SOURCES[source])})")
    if source in UNAVAILABLE_SOURCES:
        return UNAVAILABLE_SOURCES[source]
    return None


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    category: str  # one of CATEGORY_KEYS
    weight: Decimal
    source: str  # "audit", "reported" or a derived source of DERIVED_SOURCES (section 9)
    normalisation: str  # one of NORMALISATIONS
    params: dict = field(default_factory=dict)
    title: str = ""


@dataclass(frozen=True)
class MethodologyParams:
    version: str
    indicators: tuple[IndicatorSpec, ...]
    coverage_target: Decimal = Decimal("0.95")
    # (grade, minimum rounded score), best first; the last band catches everything else.
    grade_bands: tuple[tuple[str, Decimal], ...] = (
        ("A", Decimal("85")),
        ("B", Decimal("70")),
        ("C", Decimal("50")),
        ("D", Decimal("0")),
    )
    qbr_weights: dict = field(
        default_factory=lambda: {
            "quality": Decimal("30"),
            "delivery": Decimal("25"),
            "cost": Decimal("20"),
            "service": Decimal("15"),
            "esg": Decimal("10"),
        }
    )
    audit_validity_months: int = 24
    expiring_days: int = 90

    def indicator(self, code: str) -> IndicatorSpec:
        for spec in self.indicators:
            if spec.code == code:
                return spec
        raise KeyError(code)

    @property
    def total_weight(self) -> Decimal:
        return sum((spec.weight for spec in self.indicators), Decimal(0))

    def category_weights(self) -> dict[str, Decimal]:
        weights = {key: Decimal(0) for key in CATEGORY_KEYS}
        for spec in self.indicators:
            weights[spec.category] += spec.weight
        return weights


def _spec(code, category, weight, source, normalisation, title, **params) -> IndicatorSpec:
    return IndicatorSpec(code, category, Decimal(weight), source, normalisation, params, title)


CDP_GRADES = {"A": 100, "A-": 90, "B": 75, "B-": 65, "C": 50, "C-": 40, "D": 25, "D-": 15, "F": 0}
SBTI_STATUSES = {"none": 0, "committed": 40, "near_term_validated": 80, "net_zero_validated": 100}
SAQ_RISK = {"low": 100, "medium": 60, "high": 20}
RECOGNITION = {"platinum": 100, "gold": 85, "silver": 70, "none": 40, "no_valid_audit": 0}

V1_INDICATORS = (
    _spec("RBA-01", "rba", 5, "audit", "percent", "Active production sites with a valid full audit (%)"),
    _spec("RBA-02", "rba", 6, "audit", "scaled", "Mean latest valid full-audit score (0-200)", max=200),
    _spec("RBA-03", "rba", 5, "audit", "count", "Open Priority findings", step=100),
    _spec("RBA-04", "rba", 4, "audit", "count", "Open Major findings", step=40),
    _spec("RBA-05", "rba", 2, "audit", "count", "Open Minor findings", step=10),
    _spec("RBA-06", "rba", 4, "audit", "percent", "Findings due in the last 12 months closed on time (%)"),
    _spec("RBA-07", "rba", 3, "audit", "mapping", "Risk level of the latest SAQ", table=SAQ_RISK),
    _spec("RBA-08", "rba", 2, "audit", "mapping", "Mean recognition of latest valid full audits",
          table=RECOGNITION),
    _spec("RBA-09", "rba", 4, "audit", "bool", "Zero-tolerance finding in the last 24 months", true=0, false=100),
    _spec("ENV-01", "environment", 3, "reported", "bool", "Scope 1+2 GHG inventory disclosed"),
    _spec("ENV-02", "environment", 2, "reported", "bool", "Scope 3 GHG inventory disclosed"),
    _spec("ENV-03", "environment", 3, "reported", "mapping", "CDP climate score", table=CDP_GRADES),
    _spec("ENV-04", "environment", 4, "reported", "mapping", "Science Based Targets status", table=SBTI_STATUSES),
    _spec("ENV-05", "environment", 3, "reported", "change", "YoY change of Scope 1+2 intensity (%)",
          best=-10, worst=10),
    _spec("ENV-06", "environment", 3, "reported", "percent", "Renewable share of electricity (%)"),
    _spec("ENV-07", "environment", 3, "reported", "percent", "Production sites with valid ISO 14001 (%)"),
    _spec("ENV-08", "environment", 2, "reported", "percent", "Waste diverted from landfill (%)"),
    _spec("ENV-09", "environment", 2, "reported", "percent", "Post-consumer recycled fibre in packaging (%)",
          target=70),
    _spec("MIN-01", "minerals", 3, "reported", "bool", "CMRT (3TG) submitted for the current year"),
    _spec("MIN-02", "minerals", 4, "reported", "percent", "3TG smelters RMAP-conformant (%)"),
    _spec("MIN-03", "minerals", 2, "reported", "bool", "EMRT (cobalt, mica) submitted"),
    _spec("MIN-04", "minerals", 3, "reported", "percent", "Cobalt refiners RMAP-conformant (%)"),
    _spec("MIN-05", "minerals", 3, "reported", "bool", "Minerals policy aligned with OECD guidance"),
    _spec("ECO-01", "ecovadis", 7, "reported", "score", "EcoVadis overall score"),
    _spec("ECO-02", "ecovadis", 2, "reported", "score", "EcoVadis Environment theme score"),
    _spec("ECO-03", "ecovadis", 2, "reported", "score", "EcoVadis Labor & Human Rights theme score"),
    _spec("ECO-04", "ecovadis", 2, "reported", "score", "EcoVadis Ethics theme score"),
    _spec("ECO-05", "ecovadis", 2, "reported", "score", "EcoVadis Sustainable Procurement theme score"),
    _spec("ESG-01", "esg_disclosure", 3, "reported", "bool", "Sustainability report published within 18 months"),
    _spec("ESG-02", "esg_disclosure", 2, "reported", "bool", "Report prepared with GRI, SASB or ISSB"),
    _spec("ESG-03", "esg_disclosure", 2, "reported", "bool", "ESG data externally assured"),
    _spec("ESG-04", "esg_disclosure", 3, "reported", "percent", "ESG staff who completed our ESG courses (%)"),
)

V1 = MethodologyParams(version="v1", indicators=V1_INDICATORS)
