"""The pure scoring engine: scorecard.md sections 3-8 computed over whole data frames.

``compute_quarter(inputs, methodology)`` turns the frames of ``scoring.inputs`` into the
stored results of one quarter: a score row per scored supplier, the long table of
indicator points and the coverage metrics. It knows nothing of Django: only pandas,
numpy, the standard library and ``core.quarter`` / ``core.memory`` / ``scoring.inputs`` /
``scoring.methodology`` / ``scoring.derived`` (the derived sources of section 9) /
``audits.rules`` (the pure audit rules it shares with the audit selectors).

Everything is vectorised over the supplier axis. Suppliers are put in their final
order (basis descending, code ascending) first and every intermediate result is an
array indexed by that position; per-supplier aggregates are ``np.bincount`` sums over
rows that were sorted first, so the order in which floats are added never depends on
the order of the input rows (permutation invariance) nor on which other suppliers are
in the same call (chunking invariance). Python loops run over the indicators and the
categories only; the last step, building the per-row Python objects the callers store
(Decimals, flag tuples, QBR dicts), is a plain comprehension.

Rounding (section 6: "2 decimals, rounded half up"): scores are computed in binary
floating point, so a result that is exactly ``84.995`` on paper may come out as
``84.99499999999999``. ``_half_up`` first rounds ``x * 100`` to 6 decimals (absorbing
representation error, which is ~1e-12 here) and then takes ``floor(. + 0.5)``; exact
halves therefore round up, and a genuine value would have to lie within 1e-8 of a
half cent to be rounded differently from exact arithmetic.

Money (the spend basis and the coverage shares) is ``Decimal`` throughout; comparisons
with the target are exact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate, compress

import numpy as np
import pandas as pd

from audits.rules import latest_full_audits
from core.memory import release_freed_memory
from core.quarter import months_before
from scoring import derived
from scoring.inputs import VALUE_PRECEDENCE, ScoringInputs
from scoring.methodology import (
    AUDIT,
    CATEGORY_KEYS,
    EMISSIONS,
    MINERALS_REPORTS,
    REPORTED,
    SOURCES,
    TRAINING,
    IndicatorSpec,
    MethodologyParams,
    source_error,
)

__all__ = [
    "ECOVADIS_ONLY",
    "FLAGS",
    "FULL",
    "MISSING",
    "NOT_APPLICABLE",
    "POINT_COLUMNS",
    "SCORE_COLUMNS",
    "VALUE",
    "STATUS_NAMES",
    "EngineResult",
    "PointsTable",
    "compute_quarter",
    "score_from_points",
    "scores_from_points",
]

FULL = "full"
ECOVADIS_ONLY = "ecovadis_only"

# Indicator statuses (points table).
VALUE = "value"
MISSING = "missing"
NOT_APPLICABLE = "not_applicable"
_S_VALUE, _S_MISSING, _S_NA = 0, 1, 2
STATUS_NAMES = np.array([VALUE, MISSING, NOT_APPLICABLE], dtype=object)  # by status code

# Flags (section 6).
FLAG_TERMINATION_REVIEW = "termination_review"
FLAG_NO_VALID_AUDIT = "no_valid_audit"
FLAG_AUDIT_EXPIRING = "audit_expiring"
FLAG_OPEN_PRIORITY = "open_priority_finding"
FLAG_LOW_COMPLETENESS = "low_completeness"
FLAG_NO_ECOVADIS = "no_ecovadis"
FLAGS = tuple(
    sorted(
        (
            FLAG_TERMINATION_REVIEW,
            FLAG_NO_VALID_AUDIT,
            FLAG_AUDIT_EXPIRING,
            FLAG_OPEN_PRIORITY,
            FLAG_LOW_COMPLETENESS,
            FLAG_NO_ECOVADIS,
        )
    )
)
LOW_COMPLETENESS_BELOW = 0.75
GATE_GRADE = "X"

# Section 4. The audit validity period and the "expiring" horizon come from the
# methodology; the other windows are fixed by the indicator definitions.
SAQ_TYPE = "saq"
COUNTED_SEVERITIES = ("priority", "major", "minor")
ON_TIME_WINDOW_MONTHS = 12  # RBA-06: due_on within the 12 months before D
SAQ_WINDOW_MONTHS = 12  # RBA-07: SAQ within the 12 months before D
ZERO_TOLERANCE_WINDOW_MONTHS = 24  # RBA-09: opened within the 24 months before D
# RBA-07 "same day: the higher risk".
SAQ_RISK_RANK = {"low": 1, "medium": 2, "high": 3}
# RBA-08: an empty recognition counts as "none"; a site without a valid full audit as
# "no_valid_audit" (keys of the mapping table).
RECOGNITION_EMPTY = "none"
RECOGNITION_NO_AUDIT = "no_valid_audit"

AUDIT_INDICATORS = ("RBA-01", "RBA-02", "RBA-03", "RBA-04", "RBA-05", "RBA-06", "RBA-07", "RBA-08", "RBA-09")
ECOVADIS_SCORE = "ECO-01"
GHG_INDICATOR = "ENV-01"
SBTI_INDICATOR = "ENV-04"
SBTI_NONE = "none"

BOOL_SPELLINGS = {
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "1": True,
    "0": False,
    "y": True,
    "n": False,
}
NUMERIC_KINDS = ("percent", "score", "scaled", "count", "change")

QBR_ESG = "esg"
COVERAGE_METRICS = ("scorecard", "audit", "sbti", "ghg_disclosure", "foc")
# Section 9, "Factory of Choice coverage": the one program a recognition may have.
FOC_PROGRAM = "rba_foc"

SCORE_COLUMNS = [
    "supplier_id",
    "supplier_code",
    "population",
    "basis",
    "score",
    "grade",
    *CATEGORY_KEYS,
    "completeness",
    "flags",
    "qbr_total",
    "qbr_incomplete",
    "qbr_components",
]
POINT_COLUMNS = ["supplier_id", "indicator_code", "raw", "points", "status", "source"]

# A computation that lets go of at least this many input rows gives their pages back to the
# system (``core.memory.release_freed_memory``; a whole quarter: millions), not a small one (a
# supplier's decomposition in a page request).
RELEASE_AFTER_ROWS = 100_000

# Decimal context for money: bases have up to ~14 fractional digits after FX
# conversion; 60 significant digits keep sums and cross-multiplications exact.
_MONEY = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_UP)
_CENT = Decimal("0.01")
_COMPLETENESS_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class PointsTable:
    """The per-indicator results of one computation, one row per scored supplier (in the
    order of ``EngineResult.scores``) and one column per methodology indicator (in
    methodology order): the wide form of ``EngineResult.points``, 17 bytes a cell where the
    long frame takes six columns a row."""

    supplier_ids: np.ndarray  # int64 (n,)
    codes: tuple[str, ...]  # (k,)
    sources: tuple[str, ...]  # (k,) where each indicator's raw value comes from (section 9)
    raw: np.ndarray  # object (n, k): bool / float / str raw value, None when there is none
    points: np.ndarray  # float64 (n, k): NaN unless the status is ``value``
    status: np.ndarray  # int8 (n, k): index into ``STATUS_NAMES``

    def frame(self) -> pd.DataFrame:
        """The long ``points`` frame (``POINT_COLUMNS``): supplier-major, methodology order."""
        n, k = self.raw.shape
        return pd.DataFrame(
            {
                "supplier_id": pd.Series(np.repeat(self.supplier_ids, k), dtype=np.int64),
                "indicator_code": pd.Series(np.tile(np.array(self.codes, dtype=object), n), dtype=object),
                "raw": pd.Series(self.raw.ravel(), dtype=object),
                "points": pd.Series(self.points.ravel(), dtype=float),
                "status": pd.Series(STATUS_NAMES[self.status.ravel()], dtype=object),
                "source": pd.Series(np.tile(np.array(self.sources, dtype=object), n), dtype=object),
            },
            columns=POINT_COLUMNS,
        )


@dataclass(frozen=True)
class EngineResult:
    """What one quarter's computation produces (see the module docstring).

    ``scores`` and ``coverage`` are built from the computed arrays when first asked for
    (``make_scores`` / ``make_coverage``, each called once), that is after ``compute_quarter``
    has returned and let go of its inputs and intermediate columns: the per-supplier Python
    objects they hold (QBR component dictionaries, one gap dictionary per supplier and
    metric) are never alive together with those (#13, peak memory at 100,000 suppliers)."""

    table: PointsTable  # the points by supplier and indicator, rows in the order of ``scores``
    make_scores: Callable[[], pd.DataFrame] = dataclasses.field(repr=False)
    make_coverage: Callable[[], dict] = dataclasses.field(repr=False)

    @functools.cached_property
    def scores(self) -> pd.DataFrame:
        """SCORE_COLUMNS, one row per scored supplier, basis desc / code asc."""
        return self.make_scores()

    @functools.cached_property
    def coverage(self) -> dict:
        """Section 7, JSON-ready; the caller adds "base_currency"."""
        return self.make_coverage()

    @functools.cached_property
    def points(self) -> pd.DataFrame:
        """POINT_COLUMNS, one row per (scored supplier, methodology indicator), built from
        ``table`` when first asked for (the recalculation writes from ``table``)."""
        return self.table.frame()


@dataclass
class _Column:
    """One indicator over all suppliers: raw value, points and status, by position."""

    raw: np.ndarray  # object
    points: np.ndarray  # float64, NaN unless status is value
    status: np.ndarray  # int8 status code

    @classmethod
    def empty(cls, n: int, status: int = _S_MISSING) -> _Column:
        return cls(
            raw=np.full(n, None, dtype=object),
            points=np.full(n, np.nan),
            status=np.full(n, status, dtype=np.int8),
        )


# --------------------------------------------------------------------------- helpers


def _half_up(values: np.ndarray) -> np.ndarray:
    """Round half up to 2 decimals, as integer cents (float array, NaN kept)."""
    return np.floor(np.round(np.asarray(values, dtype=float) * 100.0, 6) + 0.5)


class _Interned(dict):
    """``interned[key]``: ``make(key)``, made once per distinct key and then the same object
    for every equal key. For immutable values that repeat over a quarter's suppliers
    (Decimals): one object per distinct value instead of one per supplier, less memory and
    fewer constructions. A dict lookup per read (``__missing__`` only on a new key)."""

    __slots__ = ("_make",)

    def __init__(self, make):
        super().__init__()
        self._make = make

    def __missing__(self, key):
        value = self[key] = self._make(key)
        return value


def _cents_to_decimals(cents: np.ndarray) -> list:
    """Integer cents (float array, NaN for none) to ``Decimal('12.34')`` / None; equal
    amounts share one (immutable) Decimal object, as a quarter's scores repeat."""
    decimal_of = _Interned(lambda value: Decimal(int(value)).scaleb(-2))
    return [None if c != c else decimal_of[c] for c in cents.tolist()]


def _to_decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, np.integer)):
        return Decimal(int(value))
    return Decimal(str(value))


def _money_float(value: Decimal) -> float:
    return float(value.quantize(_CENT, rounding=decimal.ROUND_HALF_UP, context=_MONEY))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        raise ValueError(f"input frame lacks column {name!r}")
    return frame[name]


def _ints(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series).to_numpy(dtype=np.int64) if len(series) else np.zeros(0, dtype=np.int64)


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series).to_numpy(dtype=float, na_value=np.nan) if len(series) else np.zeros(0)


def _bools(series: pd.Series) -> np.ndarray:
    return series.fillna(False).astype(bool).to_numpy() if len(series) else np.zeros(0, dtype=bool)


def _strings(series: pd.Series) -> np.ndarray:
    """Object array of str (None for missing)."""
    return series.to_numpy(dtype=object, na_value=None).copy()


def _dates(series: pd.Series) -> np.ndarray:
    """datetime64[ns] array (NaT for missing); tz-aware values are taken in UTC."""
    if not len(series):
        return np.zeros(0, dtype="datetime64[ns]")
    converted = pd.to_datetime(series)
    if getattr(converted.dt, "tz", None) is not None:
        converted = converted.dt.tz_convert("UTC").dt.tz_localize(None)
    return converted.to_numpy(dtype="datetime64[ns]")


def _day(value: dt.date) -> np.datetime64:
    return np.datetime64(value, "ns")


def _last_of_groups(sorted_keys: np.ndarray) -> np.ndarray:
    """Boolean mask of the last row of each run of equal keys in a sorted array."""
    if not len(sorted_keys):
        return np.zeros(0, dtype=bool)
    return np.r_[sorted_keys[1:] != sorted_keys[:-1], True]


def _within(dates: np.ndarray, as_of: dt.date, months: int) -> np.ndarray:
    """``months_before(D, months) < date <= D`` (NaT: False)."""
    return (dates > _day(months_before(as_of, months))) & (dates <= _day(as_of))


def _param(spec: IndicatorSpec, name: str, default=None) -> float:
    value = spec.params.get(name, default)
    if value is None:
        raise ValueError(f"{spec.code}: normalisation {spec.normalisation!r} needs parameter {name!r}")
    return float(value)


# ----------------------------------------------------------------- normalisations


def _numeric_points(spec: IndicatorSpec, values: np.ndarray) -> np.ndarray:
    """Points of numeric raw values (section 3 / methodology.NORMALISATIONS)."""
    kind = spec.normalisation
    v = np.asarray(values, dtype=float)
    if kind == "percent":
        target = _param(spec, "target", 100)
        # Multiplying by 100 / 100 would add representation error for nothing.
        points = v if target == 100 else v * 100.0 / target
    elif kind == "score":
        points = v
    elif kind == "scaled":
        points = v * 100.0 / _param(spec, "max")
    elif kind == "count":
        points = 100.0 - _param(spec, "step") * v
    elif kind == "change":
        best, worst = _param(spec, "best", -10), _param(spec, "worst", 10)
        points = (worst - v) / (worst - best) * 100.0
    else:
        raise ValueError(f"{spec.code}: normalisation {kind!r} does not apply to a numeric value")
    return np.clip(points, 0.0, 100.0)


def _bool_points(spec: IndicatorSpec, flags: np.ndarray) -> np.ndarray:
    if spec.normalisation != "bool":
        raise ValueError(f"{spec.code}: a yes/no indicator needs the bool normalisation, not {spec.normalisation!r}")
    return np.where(flags, _param(spec, "true", 100), _param(spec, "false", 0)).astype(float)


def _mapping_table(spec: IndicatorSpec) -> dict[str, tuple[str, float]]:
    """Lower-cased code -> (code as spelled in the table, points)."""
    if spec.normalisation != "mapping":
        raise ValueError(f"{spec.code}: a coded indicator needs the mapping normalisation, not {spec.normalisation!r}")
    table = spec.params.get("table")
    if not table:
        raise ValueError(f"{spec.code}: mapping normalisation needs a 'table'")
    return {str(code).strip().lower(): (str(code), float(points)) for code, points in table.items()}


def _lookup(spec, table, lowered: np.ndarray, supplier_codes: np.ndarray, positions: np.ndarray):
    """Canonical codes and points of lower-cased codes; an unknown code raises ValueError."""
    series = pd.Series(lowered, dtype=object)
    canonical = series.map({code: pair[0] for code, pair in table.items()})
    bad = canonical.isna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{spec.code}: unknown code {lowered[first]!r} for supplier {supplier_codes[positions[first]]}"
            f" (expected one of {sorted(code for code, _ in table.values())})"
        )
    points = series.map({code: pair[1] for code, pair in table.items()})
    return canonical.to_numpy(dtype=object), points.to_numpy(dtype=float)


def _normalised_codes(raw: np.ndarray) -> np.ndarray:
    """Strip and lower-case an object array of str/None (None stays None).

    Only the distinct values are normalised: coded columns have a handful of them.
    """
    if not len(raw):
        return np.empty(0, dtype=object)
    codes, uniques = pd.factorize(pd.Series(raw, dtype=object))
    normalised = np.array([str(value).strip().lower() for value in uniques] + [None], dtype=object)
    return normalised[codes]  # code -1 (missing) picks the trailing None


# ------------------------------------------------------------------ frame preparation


@dataclass
class _Population:
    ids: np.ndarray  # int64, final order
    codes: np.ndarray  # object (str)
    basis: np.ndarray  # object, the input values unchanged
    basis_dec: list  # Decimal
    population: np.ndarray  # object (str)
    full: np.ndarray  # bool
    index: pd.Index  # supplier_id -> position

    def positions(self, supplier_ids: np.ndarray) -> np.ndarray:
        if not len(supplier_ids):
            return np.zeros(0, dtype=np.int64)
        return self.index.get_indexer(supplier_ids).astype(np.int64)


def _prepare_population(frame: pd.DataFrame) -> _Population:
    ids = _ints(_column(frame, "supplier_id"))
    codes = np.array([str(code) for code in _column(frame, "supplier_code").tolist()], dtype=object)
    basis = _column(frame, "basis").to_numpy(dtype=object)
    basis_dec = [_to_decimal(value) for value in basis]
    population = np.array([str(p) for p in _column(frame, "population").tolist()], dtype=object)
    unknown = sorted(set(population.tolist()) - {FULL, ECOVADIS_ONLY})
    if unknown:
        raise ValueError(f"unknown population value(s) {unknown}; expected {FULL!r} or {ECOVADIS_ONLY!r}")
    if len(np.unique(ids)) != len(ids):
        raise ValueError("population has duplicate supplier_id rows")
    # Exact Decimal ordering: basis descending, then code ascending (then id, for totality).
    order = sorted(range(len(ids)), key=lambda i: (-basis_dec[i], codes[i], ids[i]))
    order = np.asarray(order, dtype=np.int64)
    ids, codes, basis, population = ids[order], codes[order], basis[order], population[order]
    basis_dec = [basis_dec[i] for i in order.tolist()]
    return _Population(
        ids=ids,
        codes=codes,
        basis=basis,
        basis_dec=basis_dec,
        population=population,
        full=population == FULL,
        index=pd.Index(ids),
    )


@dataclass
class _Sites:
    site_ids: np.ndarray
    pos: np.ndarray  # supplier position
    relevant: np.ndarray  # bool
    index: pd.Index


def _prepare_sites(frame: pd.DataFrame, pop: _Population) -> _Sites:
    site_ids = _ints(_column(frame, "site_id"))
    pos = pop.positions(_ints(_column(frame, "supplier_id")))
    production = _bools(_column(frame, "is_production"))
    status = _strings(_column(frame, "status"))
    keep = pos >= 0
    site_ids, pos, production, status = site_ids[keep], pos[keep], production[keep], status[keep]
    # Within a supplier, sites are in site_id order: per-supplier float sums then add
    # in the same order whatever the input order or the other suppliers present.
    order = np.lexsort((site_ids, pos))
    site_ids, pos, production, status = site_ids[order], pos[order], production[order], status[order]
    if len(np.unique(site_ids)) != len(site_ids):
        raise ValueError("sites has duplicate site_id rows")
    return _Sites(site_ids=site_ids, pos=pos, relevant=production & (status == "active"), index=pd.Index(site_ids))


def _site_rows(sites: _Sites, site_ids: np.ndarray) -> np.ndarray:
    if not len(site_ids):
        return np.zeros(0, dtype=np.int64)
    return sites.index.get_indexer(site_ids).astype(np.int64)


# ------------------------------------------------------------ audit-derived indicators


@dataclass
class _AuditFacts:
    columns: dict  # code -> _Column (raw numeric/bool/code + status; points filled later)
    has_relevant: np.ndarray
    all_relevant_audited: np.ndarray  # RBA-01 == 100 (exact, integer comparison)
    not_all_relevant_audited: np.ndarray  # RBA-01 applicable and < 100
    gate: np.ndarray  # a zero-tolerance finding in the window (RBA-09 = yes)
    expiring: np.ndarray
    open_priority: np.ndarray


@dataclass
class _AuditArrays:
    """The audit and finding rows of one quarter as arrays, with each site's latest valid
    full audit: what every RBA indicator step reads."""

    n: int  # suppliers
    as_of: dt.date
    sites: _Sites
    n_rel: np.ndarray  # relevant sites per supplier
    has_rel: np.ndarray
    # audits
    a_site: np.ndarray  # site row (-1: unknown site)
    a_type: np.ndarray
    a_date: np.ndarray
    a_risk: np.ndarray
    # per site row: its latest valid full audit
    site_has_latest: np.ndarray
    site_latest_date: np.ndarray
    site_latest_score: np.ndarray
    site_latest_recognition: np.ndarray
    rel_audited: np.ndarray  # relevant site with a valid full audit
    n_rel_audited: np.ndarray  # per supplier
    # findings
    f_known: np.ndarray
    f_pos: np.ndarray  # supplier position (-1: unknown site)
    f_sev: np.ndarray
    f_zero: np.ndarray
    f_opened: np.ndarray
    f_due: np.ndarray
    f_closed: np.ndarray

    @property
    def safe_rel(self) -> np.ndarray:
        return np.maximum(self.n_rel, 1)

    def na_unless_relevant(self, column: _Column) -> _Column:
        """RBA-01 … RBA-08 are not applicable to a supplier without a relevant site."""
        column.status[~self.has_rel] = _S_NA
        column.raw[~self.has_rel] = None
        return column


def _audit_arrays(inputs: ScoringInputs, methodology: MethodologyParams, pop: _Population,
                  sites: _Sites) -> _AuditArrays:
    n = len(pop.ids)
    as_of = inputs.quarter.as_of
    n_rel = np.bincount(sites.pos[sites.relevant], minlength=n)

    audits = inputs.audits
    a_site = _site_rows(sites, _ints(_column(audits, "site_id")))
    a_type = _strings(_column(audits, "audit_type"))
    a_date = _dates(_column(audits, "conducted_on"))
    a_score = _floats(_column(audits, "score"))
    a_recognition = _strings(_column(audits, "recognition"))
    known_idx = np.flatnonzero(a_site >= 0)
    latest = known_idx[latest_full_audits(a_site[known_idx], a_type[known_idx], a_date[known_idx],
                                          a_score[known_idx], _strings(_column(audits, "audit_ref"))[known_idx],
                                          as_of=as_of, validity_months=methodology.audit_validity_months)]
    n_sites = len(sites.site_ids)
    site_has_latest = np.zeros(n_sites, dtype=bool)
    site_has_latest[a_site[latest]] = True
    site_latest_date = np.full(n_sites, np.datetime64("NaT"), dtype="datetime64[ns]")
    site_latest_date[a_site[latest]] = a_date[latest]
    site_latest_score = np.full(n_sites, np.nan)
    site_latest_score[a_site[latest]] = a_score[latest]
    site_latest_recognition = np.full(n_sites, None, dtype=object)
    site_latest_recognition[a_site[latest]] = a_recognition[latest]
    rel_audited = sites.relevant & site_has_latest

    # Findings count on all of the supplier's sites, whatever their status.
    findings = inputs.findings
    f_site = _site_rows(sites, _ints(_column(findings, "site_id")))
    f_known = f_site >= 0
    f_pos = np.where(f_known, sites.pos[np.where(f_known, f_site, 0)] if n_sites else -1, -1)
    return _AuditArrays(
        n=n, as_of=as_of, sites=sites, n_rel=n_rel, has_rel=n_rel > 0,
        a_site=a_site, a_type=a_type, a_date=a_date, a_risk=_strings(_column(audits, "saq_risk")),
        site_has_latest=site_has_latest, site_latest_date=site_latest_date, site_latest_score=site_latest_score,
        site_latest_recognition=site_latest_recognition, rel_audited=rel_audited,
        n_rel_audited=np.bincount(sites.pos[rel_audited], minlength=n),
        f_known=f_known, f_pos=f_pos, f_sev=_strings(_column(findings, "severity")),
        f_zero=_bools(_column(findings, "zero_tolerance")), f_opened=_dates(_column(findings, "opened_on")),
        f_due=_dates(_column(findings, "due_on")), f_closed=_dates(_column(findings, "closed_on")),
    )


def _rba01_valid_audit_share(data: _AuditArrays) -> _Column:
    """RBA-01: % of relevant sites with a valid full audit."""
    col = _Column.empty(data.n, _S_VALUE)
    col.raw[:] = (data.n_rel_audited * 100.0 / data.safe_rel).astype(object)
    return data.na_unless_relevant(col)


def _rba02_mean_latest_score(data: _AuditArrays) -> _Column:
    """RBA-02: mean score of the latest valid full audits that have a score."""
    sites = data.sites
    scored = data.rel_audited & ~np.isnan(data.site_latest_score)
    score_sum = np.bincount(sites.pos[scored], weights=data.site_latest_score[scored], minlength=data.n)
    score_cnt = np.bincount(sites.pos[scored], minlength=data.n)
    col = _Column.empty(data.n, _S_MISSING)
    has_score = score_cnt > 0
    col.status[has_score] = _S_VALUE
    col.raw[has_score] = (score_sum[has_score] / score_cnt[has_score]).astype(object)
    return data.na_unless_relevant(col)


def _open_counts(data: _AuditArrays, severity: str) -> np.ndarray:
    """Per supplier: findings of ``severity`` open at D (all its sites)."""
    d = _day(data.as_of)
    open_at_d = data.f_known & (data.f_opened <= d) & (np.isnat(data.f_closed) | (data.f_closed > d))
    return np.bincount(data.f_pos[open_at_d & (data.f_sev == severity)], minlength=data.n)


def _rba03_05_open_findings(data: _AuditArrays, severity: str) -> _Column:
    """RBA-03 / RBA-04 / RBA-05: open priority / major / minor findings."""
    col = _Column.empty(data.n, _S_VALUE)
    col.raw[:] = _open_counts(data, severity).astype(float).astype(object)
    return data.na_unless_relevant(col)


def _rba06_closed_on_time(data: _AuditArrays) -> _Column:
    """RBA-06: findings due within the 12 months before D closed on or before due_on."""
    due = (data.f_known & np.isin(data.f_sev, COUNTED_SEVERITIES)
           & _within(data.f_due, data.as_of, ON_TIME_WINDOW_MONTHS))
    n_due = np.bincount(data.f_pos[due], minlength=data.n)
    on_time = due & ~np.isnat(data.f_closed) & (data.f_closed <= data.f_due)
    n_on_time = np.bincount(data.f_pos[on_time], minlength=data.n)
    col = _Column.empty(data.n, _S_NA)
    has_due = n_due > 0
    col.status[has_due] = _S_VALUE
    col.raw[has_due] = (n_on_time[has_due] * 100.0 / n_due[has_due]).astype(object)
    return data.na_unless_relevant(col)


def _rba07_latest_saq(data: _AuditArrays) -> _Column:
    """RBA-07: latest SAQ over relevant sites within 12 months (same day: higher risk)."""
    sites, known = data.sites, data.a_site >= 0
    saq = known & (data.a_type == SAQ_TYPE) & _within(data.a_date, data.as_of, SAQ_WINDOW_MONTHS)
    saq &= sites.relevant[np.where(known, data.a_site, 0)] if len(sites.site_ids) else False
    idx = np.flatnonzero(saq)
    risk = _normalised_codes(data.a_risk[idx])
    risk_rank = np.array([SAQ_RISK_RANK.get(r, 0) for r in risk.tolist()], dtype=np.int64)
    s_pos = sites.pos[data.a_site[idx]] if len(idx) else np.zeros(0, dtype=np.int64)
    order = np.lexsort((risk_rank, data.a_date[idx].view(np.int64), s_pos))
    picked = order[_last_of_groups(s_pos[order])]
    col = _Column.empty(data.n, _S_MISSING)
    col.status[s_pos[picked]] = _S_VALUE
    col.raw[s_pos[picked]] = risk[picked]
    return data.na_unless_relevant(col)


def _rba08_recognition(data: _AuditArrays, methodology: MethodologyParams, pop: _Population,
                       rba08_table: dict | None) -> _Column:
    """RBA-08: mean over relevant sites of the mapped recognition of the latest valid full audit."""
    sites = data.sites
    col = _Column.empty(data.n, _S_VALUE)
    if rba08_table is not None:
        rel_idx = np.flatnonzero(sites.relevant)
        recognition = _normalised_codes(data.site_latest_recognition[rel_idx])
        recognition = np.where(pd.isna(recognition) | (recognition == ""), RECOGNITION_EMPTY, recognition)
        recognition = np.where(data.site_has_latest[rel_idx], recognition, RECOGNITION_NO_AUDIT).astype(object)
        spec08 = methodology.indicator("RBA-08")
        _, site_points = _lookup(spec08, rba08_table, recognition, pop.codes, sites.pos[rel_idx])
        sums = np.bincount(sites.pos[rel_idx], weights=site_points, minlength=data.n)
        col.raw[:] = (sums / data.safe_rel).astype(object)
    return data.na_unless_relevant(col)


def _rba09_zero_tolerance(data: _AuditArrays) -> np.ndarray:
    """RBA-09 (and the gate): a zero-tolerance finding (any severity) opened within the 24 months before D."""
    zero = data.f_known & data.f_zero & _within(data.f_opened, data.as_of, ZERO_TOLERANCE_WINDOW_MONTHS)
    return np.bincount(data.f_pos[zero], minlength=data.n) > 0


def _audit_expiring(data: _AuditArrays, methodology: MethodologyParams) -> np.ndarray:
    """Flag audit_expiring: a relevant site's latest valid full audit no longer valid at D + N days."""
    horizon = months_before(data.as_of + dt.timedelta(days=methodology.expiring_days),
                            methodology.audit_validity_months)
    expiring_site = data.rel_audited & (data.site_latest_date <= _day(horizon))
    return np.bincount(data.sites.pos[expiring_site], minlength=data.n) > 0


def _audit_facts(inputs: ScoringInputs, methodology: MethodologyParams, pop: _Population, sites: _Sites,
                 rba08_table: dict | None) -> _AuditFacts:
    """RBA-01 … RBA-09 (scorecard.md section 4) and the audit facts behind flags and metrics."""
    data = _audit_arrays(inputs, methodology, pop, sites)
    gate = _rba09_zero_tolerance(data)
    rba09 = _Column.empty(data.n, _S_VALUE)
    rba09.raw[:] = gate.astype(object)
    columns = {
        "RBA-01": _rba01_valid_audit_share(data),
        "RBA-02": _rba02_mean_latest_score(data),
        "RBA-03": _rba03_05_open_findings(data, "priority"),
        "RBA-04": _rba03_05_open_findings(data, "major"),
        "RBA-05": _rba03_05_open_findings(data, "minor"),
        "RBA-06": _rba06_closed_on_time(data),
        "RBA-07": _rba07_latest_saq(data),
        "RBA-08": _rba08_recognition(data, methodology, pop, rba08_table),
        "RBA-09": rba09,
    }
    return _AuditFacts(
        columns=columns,
        has_relevant=data.has_rel,
        all_relevant_audited=data.has_rel & (data.n_rel_audited == data.n_rel),
        not_all_relevant_audited=data.has_rel & (data.n_rel_audited < data.n_rel),
        gate=gate,
        expiring=_audit_expiring(data, methodology),
        open_priority=_open_counts(data, "priority") > 0,
    )


def _foc_recognised(inputs: ScoringInputs, sites: _Sites, n: int) -> np.ndarray:
    """Section 9, "Factory of Choice coverage": per supplier, ≥ 1 relevant site and every
    relevant site holds an ``rba_foc`` recognition with ``awarded_on <= D <= expires_on``.
    Recognitions of unknown or non-relevant sites and of other programs are ignored."""
    frame = inputs.recognitions
    as_of = _day(inputs.quarter.as_of)
    r_site = _site_rows(sites, _ints(_column(frame, "site_id")))
    program = _strings(_column(frame, "program"))
    valid = ((r_site >= 0) & (program == FOC_PROGRAM)
             & (_dates(_column(frame, "awarded_on")) <= as_of) & (_dates(_column(frame, "expires_on")) >= as_of))
    site_recognised = np.zeros(len(sites.site_ids), dtype=bool)
    site_recognised[r_site[valid]] = True
    n_rel = np.bincount(sites.pos[sites.relevant], minlength=n)
    n_rel_recognised = np.bincount(sites.pos[sites.relevant & site_recognised], minlength=n)
    return (n_rel > 0) & (n_rel_recognised == n_rel)


def _audit_points(spec: IndicatorSpec, column: _Column, pop: _Population) -> _Column:
    """Fill the points of an audit-derived column from its raw values."""
    is_value = column.status == _S_VALUE
    idx = np.flatnonzero(is_value)
    raw = column.raw[idx]
    if spec.code == "RBA-07":
        table = _mapping_table(spec)
        canonical, points = _lookup(spec, table, raw, pop.codes, idx)
        column.raw[idx] = canonical
    elif spec.code == "RBA-08":
        _mapping_table(spec)  # the per-site mapping was applied already: the mean IS the points
        points = raw.astype(float)
    elif spec.code == "RBA-09":
        points = _bool_points(spec, raw.astype(bool))
    else:
        points = _numeric_points(spec, raw.astype(float))
    column.points[idx] = points
    return column


# ---------------------------------------------------------------- reported indicators


def _pick_values(inputs: ScoringInputs, pop: _Population) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per indicator code: (supplier positions, value strings) of the value used for Q.

    Among the values of Q-3 … Q, the greatest by ``scoring.inputs.VALUE_PRECEDENCE``
    (latest quarter, then latest submission, then highest value_id). When every (code,
    supplier) has one value (as read on PostgreSQL, which picks already) there is nothing
    to compare: the keys are not even converted.
    """
    values = inputs.values
    pos = pop.positions(_ints(_column(values, "supplier_id")))
    quarter = _ints(_column(values, "quarter_ordinal"))
    q = inputs.quarter.ordinal
    keep = (pos >= 0) & (quarter >= q - 3) & (quarter <= q)
    idx = np.flatnonzero(keep)
    del keep
    if not len(idx):
        return {}
    whole = len(idx) == len(values)  # no copy of each column for the kept rows

    def kept(series: pd.Series) -> pd.Series:
        return series if whole else series.iloc[idx]

    code_idx, code_names = pd.factorize(kept(_column(values, "indicator_code")).astype(object).to_numpy(dtype=object))
    v_pos = pos if whole else pos[idx]
    del pos
    group = code_idx.astype(np.int64) * (len(pop.ids) + 1) + v_pos  # (code, supplier), ordered by code
    # Sort by group only, then keep, key after key, the rows holding their group's maximum
    # (a per-group lexicographic argmax; much cheaper than a 4-key lexsort on millions of rows).
    order = np.argsort(group)
    sorted_group = group[order]
    del group
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    if len(starts) == len(order):
        chosen = order  # one value per (code, supplier): sorted by code, then position
    else:
        lengths = np.diff(np.r_[starts, len(order)])
        candidate = np.ones(len(order), dtype=bool)
        submitted = pd.to_datetime(kept(_column(values, "submitted_at")), utc=True)
        keys = {"quarter_ordinal": lambda: quarter if whole else quarter[idx],
                "submitted_at": lambda: submitted.to_numpy(dtype="datetime64[ns]").view(np.int64),
                "value_id": lambda: _ints(kept(_column(values, "value_id")))}
        for _, column in VALUE_PRECEDENCE:
            key = keys[column]()[order]
            masked = np.where(candidate, key, np.iinfo(np.int64).min)
            candidate &= key == np.repeat(np.maximum.reduceat(masked, starts), lengths)
            del key, masked
        kept_rows = np.flatnonzero(candidate)
        kept_rows = kept_rows[_last_of_groups(sorted_group[kept_rows])]  # one per group even with duplicate ids
        chosen = order[kept_rows]  # sorted by code, then position
    del sorted_group, starts
    raw_values = kept(_column(values, "value")).to_numpy(dtype=object, na_value=None)
    chosen_codes = code_idx[chosen]
    bounds = np.searchsorted(chosen_codes, np.arange(len(code_names) + 1))
    picks = {}
    for j, name in enumerate(code_names):
        rows = chosen[bounds[j]:bounds[j + 1]]
        picks[str(name)] = (v_pos[rows], raw_values[rows])
    return picks


def _parse_bools(spec_code: str, strings: np.ndarray, positions: np.ndarray, pop: _Population) -> np.ndarray:
    lowered = _normalised_codes(strings)
    parsed = pd.Series(lowered, dtype=object).map(BOOL_SPELLINGS)
    bad = parsed.isna().to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        supplier = pop.codes[positions[first]]
        raise ValueError(f"{spec_code}: {strings[first]!r} is not a yes/no value (supplier {supplier})")
    return parsed.to_numpy(dtype=bool)


def _parse_numbers(spec_code: str, strings: np.ndarray, positions: np.ndarray, pop: _Population) -> np.ndarray:
    numbers = pd.to_numeric(pd.Series(strings, dtype=object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    retry = np.flatnonzero(np.isnan(numbers))
    if len(retry):  # tolerate surrounding blanks
        numbers[retry] = pd.to_numeric(pd.Series(strings[retry], dtype=object).str.strip(), errors="coerce")
    bad = ~np.isfinite(numbers)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{spec_code}: {strings[first]!r} is not a number (supplier {pop.codes[positions[first]]})")
    return numbers


def _reported_column(spec: IndicatorSpec, pick, pop: _Population) -> _Column:
    column = _Column.empty(len(pop.ids), _S_MISSING)
    if pick is None:
        return column
    positions, strings = pick
    present = np.array([s is not None for s in strings.tolist()], dtype=bool)
    positions, strings = positions[present], strings[present]
    kind = spec.normalisation
    if kind == "bool":
        flags = _parse_bools(spec.code, strings, positions, pop)
        raw, points = flags.astype(object), _bool_points(spec, flags)
    elif kind == "mapping":
        raw, points = _lookup(spec, _mapping_table(spec), _normalised_codes(strings), pop.codes, positions)
    elif kind in NUMERIC_KINDS:
        numbers = _parse_numbers(spec.code, strings, positions, pop)
        raw, points = numbers.astype(object), _numeric_points(spec, numbers)
    else:
        raise ValueError(f"{spec.code}: unknown normalisation {kind!r}")
    column.raw[positions] = raw
    column.points[positions] = points
    column.status[positions] = _S_VALUE
    return column


# -------------------------------------------------------------------------- coverage


def _coverage(quarter: str, methodology: MethodologyParams, pop: _Population, metrics: dict) -> dict:
    """Section 7, with exact Decimal arithmetic on the basis."""
    target = methodology.coverage_target
    basis = pop.basis_dec
    with decimal.localcontext(_MONEY):
        total = sum(basis, Decimal(0))

        def share_of(mask: np.ndarray) -> Decimal:
            return sum(compress(basis, mask.tolist()), Decimal(0))

        populations = {}
        for name in (FULL, ECOVADIS_ONLY):
            mask = pop.population == name
            amount = share_of(mask)
            populations[name] = {
                "suppliers": int(mask.sum()),
                "spend_share": float(amount / total) if total else 0.0,
            }

        out_metrics = {}
        # A supplier is a gap of up to five metrics: its code and rounded spend are made once.
        gap_heads: dict[int, tuple[str, float]] = {}
        for name in COVERAGE_METRICS:
            denominator_mask, numerator_mask = metrics[name]
            numerator_mask = numerator_mask & denominator_mask
            denominator = share_of(denominator_mask)
            if not denominator:
                out_metrics[name] = {"share": 1.0, "target": float(target), "met": True, "gaps": []}
                continue
            numerator = share_of(numerator_mask)
            gap_idx = np.flatnonzero(denominator_mask & ~numerator_mask).tolist()  # already basis desc, code asc
            gap_basis = [basis[i] for i in gap_idx]
            running = accumulate(gap_basis, initial=numerator)
            next(running)
            for i in gap_idx:
                if i not in gap_heads:
                    gap_heads[i] = (str(pop.codes[i]), _money_float(basis[i]))
            gaps = [
                {
                    "supplier": gap_heads[i][0],
                    "spend": gap_heads[i][1],
                    "cumulative_share": float(cumulative / denominator),
                }
                for i, cumulative in zip(gap_idx, running, strict=True)
            ]
            out_metrics[name] = {
                "share": float(numerator / denominator),
                "target": float(target),
                "met": numerator >= target * denominator,  # exact: share >= target
                "gaps": gaps,
            }
        return {
            "quarter": quarter,
            "total_spend": _money_float(total),
            "target": float(target),
            "populations": populations,
            "metrics": out_metrics,
        }


# ------------------------------------------------------------------------------ QBR


def _qbr(inputs: ScoringInputs, methodology: MethodologyParams, pop: _Population, esg_cents: np.ndarray):
    """QBR total (cents), incomplete flags and a function building the component dicts
    (``_qbr_component_dicts``) (section 8)."""
    n = len(pop.ids)
    names = [str(name) for name in methodology.qbr_weights]
    weights = np.array([float(methodology.qbr_weights[name]) for name in names])
    matrix = np.full((n, len(names)), np.nan)
    qbr = inputs.qbr
    pos = pop.positions(_ints(_column(qbr, "supplier_id")))
    component = _strings(_column(qbr, "component"))
    score = _floats(_column(qbr, "score"))
    col_of = {name: j for j, name in enumerate(names) if name != QBR_ESG}
    comp_idx = np.array([col_of.get(c, -1) for c in component.tolist()], dtype=np.int64)
    keep = (pos >= 0) & (comp_idx >= 0)
    pairs = pos[keep] * len(names) + comp_idx[keep]
    if len(np.unique(pairs)) != len(pairs):
        raise ValueError("qbr has more than one row for a (supplier, component)")
    matrix[pos[keep], comp_idx[keep]] = score[keep]
    if QBR_ESG in names:
        matrix[:, names.index(QBR_ESG)] = esg_cents / 100.0
    present = ~np.isnan(matrix)
    numerator = np.zeros(n)
    denominator = np.zeros(n)
    for j in range(len(names)):  # fixed order of additions
        numerator += np.where(present[:, j], weights[j] * np.nan_to_num(matrix[:, j]), 0.0)
        denominator += np.where(present[:, j], weights[j], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)
    incomplete = ~present.all(axis=1)
    return _half_up(total), incomplete, functools.partial(_qbr_component_dicts, names, matrix, present)


def _qbr_component_dicts(names: list[str], matrix: np.ndarray, present: np.ndarray) -> list[dict]:
    """Per supplier, {component: score} of the components it has (section 8; ``esg`` = the
    stored ESG score), from ``_qbr``'s (supplier, component) matrix."""
    return [
        {name: value for name, value, has in zip(names, row, flags, strict=True) if has}
        for row, flags in zip(matrix.tolist(), present.tolist(), strict=True)
    ]


# ------------------------------------------------------------------------ the engine


def _check_methodology(specs) -> None:
    """Refuse a methodology the engine cannot compute (duplicate or unknown codes, sources, categories)."""
    codes = [spec.code for spec in specs]
    if len(set(codes)) != len(codes):
        raise ValueError("methodology has duplicate indicator codes")
    for spec in specs:
        if spec.source == AUDIT and spec.code not in AUDIT_INDICATORS:
            raise ValueError(f"{spec.code}: no audit-derived computation for this code")
        if spec.source not in SOURCES:
            raise ValueError(f"{spec.code}: unknown source {spec.source!r}")
        if spec.source not in (AUDIT, REPORTED):
            problem = source_error(spec.code, REPORTED, spec.source)
            if problem:
                raise ValueError(f"{spec.code}: {problem}")
        if spec.category not in CATEGORY_KEYS:
            raise ValueError(f"{spec.code}: unknown category {spec.category!r}")


def _derived_raw(specs, inputs: ScoringInputs, pop: _Population) -> dict:
    """Section 9: raw values of the indicators the methodology takes from a derived source,
    code -> bool array (never missing) or float array (NaN = missing), by position. Each
    source's frame is read only when some indicator uses it."""
    sources = {spec.source for spec in specs}
    raw = {}
    if EMISSIONS in sources:
        frame = inputs.inventories
        positions = pop.positions(_ints(_column(frame, "supplier_id")))
        values = derived.emissions_raw(frame, positions, len(pop.ids), inputs.quarter.as_of)
        raw.update({"ENV-01": values.env01, "ENV-02": values.env02, "ENV-05": values.env05})
    if TRAINING in sources:
        persons = inputs.training_persons
        positions = pop.positions(_ints(_column(persons, "supplier_id")))
        raw["ESG-04"] = derived.training_raw(persons, inputs.training_courses, inputs.training_records, positions,
                                             len(pop.ids), inputs.quarter.as_of)
    if MINERALS_REPORTS in sources:
        reports = inputs.minerals_reports
        positions = pop.positions(_ints(_column(reports, "supplier_id")))
        values = derived.minerals_raw(reports, inputs.minerals_rows, inputs.smelters, positions, len(pop.ids),
                                      inputs.quarter.as_of)
        raw.update({"MIN-01": values.min01, "MIN-02": values.min02, "MIN-03": values.min03, "MIN-04": values.min04})
    return raw


def _derived_column(spec: IndicatorSpec, values: np.ndarray, pop: _Population) -> _Column:
    """A derived raw value normalised as section 3 (bool: always a value; numbers: NaN is missing)."""
    n = len(pop.ids)
    if values.dtype == bool:
        column = _Column.empty(n, _S_VALUE)
        column.raw[:] = values.astype(object)
        column.points[:] = _bool_points(spec, values)
        return column
    column = _Column.empty(n, _S_MISSING)
    present = np.flatnonzero(~np.isnan(values))
    column.raw[present] = values[present].astype(object)
    column.points[present] = _numeric_points(spec, values[present])
    column.status[present] = _S_VALUE
    return column


def _indicator_columns(specs, facts: _AuditFacts, picks: dict, pop: _Population, derived_raw: dict) -> list[_Column]:
    """One column of raw values, points and statuses per indicator, in methodology order. A
    derived source ignores the indicator values (section 9: no fallback)."""
    columns = []
    for spec in specs:
        if spec.source == AUDIT:
            columns.append(_audit_points(spec, facts.columns[spec.code], pop))
        elif spec.source == REPORTED:
            columns.append(_reported_column(spec, picks.get(spec.code), pop))
        else:
            columns.append(_derived_column(spec, derived_raw[spec.code], pop))
    return columns


@dataclass
class _Totals:
    """Weighted sums per supplier (section 6): all indicators and per category."""

    numerator: np.ndarray
    denominator: np.ndarray  # applicable weight
    cat_num: dict
    cat_den: dict
    n_applicable: np.ndarray
    n_value: np.ndarray


def _totals(specs, columns: list[_Column], n: int) -> _Totals:
    """A fixed order of float additions (methodology order) per supplier; missing = 0 points."""
    totals = _Totals(numerator=np.zeros(n), denominator=np.zeros(n),
                     cat_num={key: np.zeros(n) for key in CATEGORY_KEYS},
                     cat_den={key: np.zeros(n) for key in CATEGORY_KEYS},
                     n_applicable=np.zeros(n, dtype=np.int64), n_value=np.zeros(n, dtype=np.int64))
    for spec, column in zip(specs, columns, strict=True):
        weight = float(spec.weight)
        applicable = column.status != _S_NA
        has_value = column.status == _S_VALUE
        weighted = np.where(has_value, weight * np.nan_to_num(column.points), 0.0)
        totals.numerator += weighted
        totals.denominator += np.where(applicable, weight, 0.0)
        totals.cat_num[spec.category] += weighted
        totals.cat_den[spec.category] += np.where(applicable, weight, 0.0)
        totals.n_applicable += applicable
        totals.n_value += has_value
    return totals


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _ecovadis(by_code: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(ECO-01 missing, ECO-01 points with missing = 0) per supplier."""
    eco = by_code.get(ECOVADIS_SCORE)
    eco_missing = np.ones(n, dtype=bool) if eco is None else eco.status != _S_VALUE
    eco_points = np.zeros(n) if eco is None else np.where(eco_missing, 0.0, np.nan_to_num(eco.points))
    return eco_missing, eco_points


def _score_cents(totals: _Totals, full: np.ndarray, eco_points: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """Section 6 score in cents: full population rescaled over applicable weight, the tail
    ECO-01 alone; the gate forces 0. A full-population supplier with no applicable weight
    at all (only possible with a custom methodology made of audit indicators) scores 0."""
    raw_score = np.where(full, np.nan_to_num(_ratio(totals.numerator, totals.denominator)), eco_points)
    return np.where(gate, 0.0, _half_up(raw_score))


def _grades(score_cents: np.ndarray, bands, gate: np.ndarray) -> np.ndarray:
    """Grade from the stored (rounded) score; ``X`` under the gate."""
    grade = np.full(len(score_cents), str(bands[-1][0]), dtype=object)
    for band_grade, minimum in reversed(bands[:-1]):
        grade[score_cents >= float(Decimal(minimum) * 100)] = str(band_grade)
    grade[gate] = GATE_GRADE
    return grade


def _subscores(totals: _Totals, full: np.ndarray) -> dict[str, list]:
    """Category subscores (Decimal, 2 decimals; None for the tail or a category not applicable)."""
    subscores = {}
    for key in CATEGORY_KEYS:
        cents = _half_up(_ratio(totals.cat_num[key], totals.cat_den[key]))
        cents[~full] = np.nan
        subscores[key] = _cents_to_decimals(cents)
    return subscores


def _completeness(totals: _Totals, full: np.ndarray) -> list:
    """Indicators with a value / applicable indicators, 4 decimals half up (full population only)."""
    # ratio[with a value, applicable]: one Decimal per distinct pair of counts.
    ratio = _Interned(lambda counts: (Decimal(counts[0]) / Decimal(counts[1])).quantize(
        _COMPLETENESS_QUANTUM, rounding=decimal.ROUND_HALF_UP))
    return [
        ratio[int(v), int(a)] if is_full and a else None
        for v, a, is_full in zip(totals.n_value.tolist(), totals.n_applicable.tolist(), full.tolist(), strict=True)
    ]


def _flags(facts: _AuditFacts, totals: _Totals, full: np.ndarray, eco_missing: np.ndarray) -> list[tuple]:
    """Section 6 flags per supplier, as tuples in ``FLAGS`` order."""
    completeness_ratio = np.where(totals.n_applicable > 0,
                                  totals.n_value / np.maximum(totals.n_applicable, 1), np.nan)
    flag_masks = {
        FLAG_TERMINATION_REVIEW: facts.gate,
        FLAG_NO_VALID_AUDIT: full & facts.not_all_relevant_audited,
        FLAG_AUDIT_EXPIRING: facts.expiring,
        FLAG_OPEN_PRIORITY: facts.open_priority,
        FLAG_LOW_COMPLETENESS: full & (completeness_ratio < LOW_COMPLETENESS_BELOW),
        FLAG_NO_ECOVADIS: ~full & eco_missing,
    }
    flag_rows = zip(*[flag_masks[name].tolist() for name in FLAGS], strict=True) if len(full) else iter(())
    return [tuple(compress(FLAGS, row)) for row in flag_rows]


def _score_frame(pop: _Population, score_cents, grade, subscores, completeness, flags, qbr) -> pd.DataFrame:
    """The ``scores`` output frame (``SCORE_COLUMNS``)."""
    qbr_cents, qbr_incomplete, qbr_component_dicts = qbr
    qbr_components = qbr_component_dicts()
    return pd.DataFrame(
        {
            "supplier_id": pd.Series(pop.ids, dtype=np.int64),
            "supplier_code": pd.Series(pop.codes, dtype=object),
            "population": pd.Series(pop.population, dtype=object),
            "basis": pd.Series(pop.basis, dtype=object),
            "score": pd.Series(_cents_to_decimals(score_cents), dtype=object),
            "grade": pd.Series(grade, dtype=object),
            **{key: pd.Series(subscores[key], dtype=object) for key in CATEGORY_KEYS},
            "completeness": pd.Series(completeness, dtype=object),
            "flags": pd.Series(flags, dtype=object),
            "qbr_total": pd.Series(_cents_to_decimals(qbr_cents), dtype=object),
            "qbr_incomplete": pd.Series(qbr_incomplete, dtype=bool),
            "qbr_components": pd.Series(qbr_components, dtype=object),
        },
        columns=SCORE_COLUMNS,
    )


def _points_table(pop: _Population, specs, columns: list[_Column]) -> PointsTable:
    """The wide points table: one row per supplier position, one column per indicator."""
    n, k = len(pop.ids), len(columns)
    raw_matrix = np.empty((n, k), dtype=object)
    points_matrix = np.empty((n, k))
    status_matrix = np.empty((n, k), dtype=np.int8)
    for j, column in enumerate(columns):
        raw_matrix[:, j] = column.raw
        points_matrix[:, j] = np.where(column.status == _S_VALUE, column.points, np.nan)
        status_matrix[:, j] = column.status
    return PointsTable(supplier_ids=np.asarray(pop.ids, dtype=np.int64), codes=tuple(spec.code for spec in specs),
                       sources=tuple(spec.source for spec in specs), raw=raw_matrix, points=points_matrix,
                       status=status_matrix)


def _coverage_masks(by_code: dict, picks: dict, facts: _AuditFacts, pop: _Population,
                    foc_met: np.ndarray) -> dict:
    """Section 7: per metric (denominator mask, numerator mask). ENV-04 / ENV-01 are read
    from their columns, or from the picked values when the methodology leaves them out."""
    n = len(pop.ids)
    sbti = by_code.get(SBTI_INDICATOR)
    sbti_met = np.zeros(n, dtype=bool)
    if sbti is not None:
        sbti_codes = _normalised_codes(sbti.raw)
        sbti_met = (sbti.status == _S_VALUE) & (sbti_codes != SBTI_NONE)
    elif SBTI_INDICATOR in picks:
        positions, strings = picks[SBTI_INDICATOR]
        lowered = _normalised_codes(strings)
        sbti_met[positions] = pd.notna(lowered) & (lowered != SBTI_NONE)
    ghg = by_code.get(GHG_INDICATOR)
    ghg_met = np.zeros(n, dtype=bool)
    if ghg is not None:
        ghg_met = (ghg.status == _S_VALUE) & np.array([r is True for r in ghg.raw.tolist()], dtype=bool)
    elif GHG_INDICATOR in picks:
        positions, strings = picks[GHG_INDICATOR]
        ghg_met[positions] = _parse_bools(GHG_INDICATOR, strings, positions, pop)
    everyone = np.ones(n, dtype=bool)
    return {
        "scorecard": (everyone, pop.full.copy()),
        "audit": (facts.has_relevant, facts.all_relevant_audited),
        "sbti": (everyone, sbti_met),
        "ghg_disclosure": (everyone, ghg_met),
        "foc": (facts.has_relevant, foc_met),
    }


def compute_quarter(inputs: ScoringInputs, methodology: MethodologyParams) -> EngineResult:
    """Score every supplier of ``inputs.population`` for ``inputs.quarter`` (scorecard.md 3-8).

    Steps: audit-derived facts (section 4), reported values (section 5), indicator
    columns, totals, score and gate, grades, subscores, completeness, flags (section 6),
    QBR (section 8), output frames and coverage (section 7).
    """
    pop = _prepare_population(inputs.population)
    n = len(pop.ids)
    sites = _prepare_sites(inputs.sites, pop)
    specs = methodology.indicators
    _check_methodology(specs)
    codes = [spec.code for spec in specs]

    audit_specs = {spec.code: spec for spec in specs if spec.source == "audit"}
    rba08_table = _mapping_table(audit_specs["RBA-08"]) if "RBA-08" in audit_specs else None
    facts = _audit_facts(inputs, methodology, pop, sites, rba08_table)
    picks = _pick_values(inputs, pop)
    # Nothing below reads the audits, findings or values again: without them here, they are
    # freed before the output is built when the caller holds them no longer (the recalculation).
    # Empty copies, not ``iloc[:0]``: a slice is a view that keeps the whole frame's arrays.
    dropped = len(inputs.audits) + len(inputs.findings) + len(inputs.values)
    inputs = dataclasses.replace(inputs, audits=inputs.audits.iloc[:0].copy(),
                                 findings=inputs.findings.iloc[:0].copy(), values=inputs.values.iloc[:0].copy())
    if dropped >= RELEASE_AFTER_ROWS:
        release_freed_memory()  # their pages (and the steps' above), before the output is built
    columns = _indicator_columns(specs, facts, picks, pop, _derived_raw(specs, inputs, pop))
    by_code = dict(zip(codes, columns, strict=True))

    totals = _totals(specs, columns, n)
    eco_missing, eco_points = _ecovadis(by_code, n)
    score_cents = _score_cents(totals, pop.full, eco_points, facts.gate)
    grade = _grades(score_cents, methodology.grade_bands, facts.gate)
    flags = _flags(facts, totals, pop.full, eco_missing)
    qbr = _qbr(inputs, methodology, pop, score_cents)

    scores = functools.partial(_score_frame, pop, score_cents, grade, _subscores(totals, pop.full),
                               _completeness(totals, pop.full), flags, qbr)
    table = _points_table(pop, specs, columns)
    masks = _coverage_masks(by_code, picks, facts, pop, _foc_recognised(inputs, sites, n))
    coverage = functools.partial(_coverage, str(inputs.quarter), methodology, pop, masks)
    return EngineResult(table=table, make_scores=scores, make_coverage=coverage)


@dataclass(frozen=True)
class PointsScore:
    """One supplier's section 6 result rebuilt from stored per-indicator points."""

    score: Decimal  # 2 decimals, half up; 0 under the gate
    grade: str
    numerator: float  # sum of weight x points over indicators with a value
    applicable_weight: float  # sum of the weights of the applicable indicators


_STATUS_CODES = {VALUE: _S_VALUE, MISSING: _S_MISSING, NOT_APPLICABLE: _S_NA}


def score_from_points(methodology: MethodologyParams, points: dict, *, population: str,
                      gated: bool) -> PointsScore:
    """The score of one supplier from per-indicator points as stored
    (``{code: {"points": float|None, "status": "value"|"missing"|"not_applicable"}}``; an
    indicator absent is missing) under ``methodology``'s weights and grade bands, through the
    steps ``compute_quarter`` takes (``_totals``, ``_ecovadis``, ``_score_cents``, ``_grades``):
    the change decomposition (docs/scoring.md) splits a change with the very formula that
    produced the scores. Normalisation is not redone: the points are taken as they are."""
    return scores_from_points(methodology, [(points, population, gated)])[0]


def scores_from_points(methodology: MethodologyParams, entries: list[tuple[dict, str, bool]]) -> list[PointsScore]:
    """``score_from_points`` for many (points, population, gated) at once: one pass of the
    engine's steps over all of them (a workbook of every supplier's changes)."""
    n = len(entries)
    if n == 0:
        return []
    columns = []
    for spec in methodology.indicators:
        column = _Column.empty(n, _S_MISSING)
        for i, (points, _population, _gated) in enumerate(entries):
            entry = points.get(spec.code)
            if not entry:
                continue
            status = _STATUS_CODES.get(entry.get("status"), _S_MISSING)
            value = entry.get("points")
            if status == _S_VALUE and value is None:
                status = _S_MISSING
            column.status[i] = status
            if status == _S_VALUE:
                column.points[i] = float(value)
        columns.append(column)
    totals = _totals(methodology.indicators, columns, n)
    by_code = {spec.code: column for spec, column in zip(methodology.indicators, columns, strict=True)}
    _eco_missing, eco_points = _ecovadis(by_code, n)
    full = np.array([population == FULL for _points, population, _gated in entries], dtype=bool)
    gate = np.array([bool(gated) for _points, _population, gated in entries], dtype=bool)
    cents = _score_cents(totals, full, eco_points, gate)
    grades = _grades(cents, methodology.grade_bands, gate)
    return [PointsScore(score=score, grade=str(grade), numerator=float(numerator), applicable_weight=float(weight))
            for score, grade, numerator, weight in zip(_cents_to_decimals(cents), grades.tolist(),
                                                       totals.numerator.tolist(), totals.denominator.tolist(),
                                                       strict=True)]
