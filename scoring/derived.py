"""Derived raw values of scorecard.md section 9, as pure functions over data frames.

A methodology version may take some reported indicators from data the product holds
instead of from indicator values (``scoring.methodology.DERIVED_SOURCES``). Each function
here computes the raw values at D for every supplier of a population, by position; the
engine normalises them as section 3 says. Nothing here knows Django: the frames come from
``scoring.selectors`` (see ``scoring.inputs`` for their columns).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.quarter import months_before
from scoring.inputs import INVENTORY_COLUMNS

__all__ = ["INVENTORY_COLUMNS", "EmissionsRaw", "emissions_raw", "inventory_years", "training_raw"]


def inventory_years(as_of: dt.date) -> tuple[int, int]:
    """The years an ``emissions`` computation at D reads: Y lies in year(D)-2 … year(D)-1 and
    ENV-05 needs Y-1 as well, so year(D)-3 … year(D)-1."""
    return as_of.year - 3, as_of.year - 1


@dataclass(frozen=True)
class EmissionsRaw:
    """Raw values of the ``emissions`` source per supplier position.

    ``env01``/``env02``: bool (never missing); ``env05``: float, NaN = missing."""

    env01: np.ndarray
    env02: np.ndarray
    env05: np.ndarray


def _numbers(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series.astype(object).where(series.notna(), None)).to_numpy(dtype=float,
                                                                                     na_value=np.nan)


def emissions_raw(inventories: pd.DataFrame, positions: np.ndarray, n: int, as_of: dt.date) -> EmissionsRaw:
    """ENV-01, ENV-02 and ENV-05 from accepted yearly inventories (section 9).

    ``inventories``: ``INVENTORY_COLUMNS`` (figures as Decimal or float, None/NaN when not
    given; one row per supplier and year); ``positions``: the supplier position of each
    row (-1: not a scored supplier, ignored); ``n``: number of suppliers.

    - Y = the latest inventory year with year(D)-2 <= Y <= year(D)-1 (whatever its source);
    - ENV-01 = Y exists; ENV-02 = the Y inventory has a scope 3 figure (0 included);
    - ENV-05 = 100 × (intensity(Y) / intensity(Y-1) - 1), intensity = (scope1 + scope2) /
      revenue, scope 2 market-based when both years have it, else location-based when both
      have it, else missing; both revenues needed in the same currency; no Y, no Y-1 or
      intensity(Y-1) = 0: missing (NaN).
    """
    env01 = np.zeros(n, dtype=bool)
    env02 = np.zeros(n, dtype=bool)
    env05 = np.full(n, np.nan)
    if not len(inventories):
        return EmissionsRaw(env01, env02, env05)
    year = pd.to_numeric(inventories["year"]).to_numpy(dtype=np.int64)
    first_y, last_y = as_of.year - 2, as_of.year - 1
    keep = (positions >= 0) & (year >= first_y - 1) & (year <= last_y)
    frame = pd.DataFrame({
        "pos": positions[keep], "year": year[keep],
        "s1": _numbers(inventories["scope1_tco2e"])[keep],
        "s2m": _numbers(inventories["scope2_market_tco2e"])[keep],
        "s2l": _numbers(inventories["scope2_location_tco2e"])[keep],
        "s3": _numbers(inventories["scope3_tco2e"])[keep],
        "rev": _numbers(inventories["revenue"])[keep],
        "cur": inventories["revenue_currency"].to_numpy(dtype=object)[keep],
    })
    candidates = frame[frame["year"] >= first_y]
    latest = candidates.sort_values(["pos", "year"]).drop_duplicates("pos", keep="last")
    pos_y = latest["pos"].to_numpy(dtype=np.int64)
    env01[pos_y] = True
    env02[pos_y] = ~np.isnan(latest["s3"].to_numpy(dtype=float))

    before = frame.set_index(["pos", "year"])
    wanted = pd.MultiIndex.from_arrays([latest["pos"].to_numpy(), latest["year"].to_numpy() - 1])
    prior = before.reindex(wanted)  # Y-1 of each supplier with a Y (NaN rows when absent)
    y = {name: latest[name].to_numpy() for name in ("s1", "s2m", "s2l", "rev", "cur")}
    p = {name: prior[name].to_numpy() for name in prior.columns}
    s2m_y, s2m_p = np.asarray(y["s2m"], dtype=float), p["s2m"].astype(float)
    s2l_y, s2l_p = np.asarray(y["s2l"], dtype=float), p["s2l"].astype(float)
    market = ~np.isnan(s2m_y) & ~np.isnan(s2m_p)
    location = ~market & ~np.isnan(s2l_y) & ~np.isnan(s2l_p)
    s2_y = np.where(market, s2m_y, np.where(location, s2l_y, np.nan))
    s2_p = np.where(market, s2m_p, np.where(location, s2l_p, np.nan))
    rev_y, rev_p = np.asarray(y["rev"], dtype=float), p["rev"].astype(float)
    cur_y = np.asarray(y["cur"], dtype=object)
    cur_p = p["cur"].astype(object)
    same_currency = np.array([bool(a) and isinstance(b, str) and a == b for a, b in zip(cur_y, cur_p, strict=True)],
                             dtype=bool)
    emissions_y = np.asarray(y["s1"], dtype=float) + s2_y
    emissions_p = p["s1"].astype(float) + s2_p
    ok = (~np.isnan(emissions_y) & ~np.isnan(emissions_p) & ~np.isnan(rev_y) & ~np.isnan(rev_p)
          & (rev_y > 0) & (rev_p > 0) & same_currency & (emissions_p != 0))
    # intensity(Y) / intensity(Y-1) = (E_Y × R_{Y-1}) / (E_{Y-1} × R_Y); one division.
    ratio = np.where(ok, emissions_y * np.where(ok, rev_p, 1.0) / np.where(ok, emissions_p * rev_y, 1.0), np.nan)
    env05[pos_y] = np.where(ok, 100.0 * (ratio - 1.0), np.nan)
    return EmissionsRaw(env01, env02, env05)


def training_raw(persons: pd.DataFrame, courses: pd.DataFrame, records: pd.DataFrame, positions: np.ndarray,
                 n: int, as_of: dt.date) -> np.ndarray:
    """ESG-04 from training records (section 9): per supplier position, 100 × trained / staff
    (float; NaN = missing).

    ``persons``: ``TRAINING_PERSON_COLUMNS``, ``positions`` the supplier position of each
    person row (-1: ignored); ``courses``: ``TRAINING_COURSE_COLUMNS`` (``valid_months`` NaN =
    a completion never expires); ``records``: accepted ``TRAINING_RECORD_COLUMNS`` rows
    (``completed_on`` NaT = enrolled).

    Staff = persons with ``is_esg_staff`` and ``active``. A person is trained at D when, for
    every required course, they have a record with ``completed_on <= D`` and, when the course
    has ``valid_months``, ``completed_on > D - valid_months months`` (section 1). No staff, or
    no required course: missing.
    """
    raw = np.full(n, np.nan)
    required = courses[courses["required"].fillna(False).astype(bool)]
    if required.empty or persons.empty:
        return raw
    # A supplier's persons are those appearing in its (accepted) training records.
    person_ids = pd.to_numeric(persons["person_id"]).to_numpy(dtype=np.int64)
    record_person_ids = pd.to_numeric(records["person_id"]).to_numpy(dtype=np.int64) if len(records) \
        else np.zeros(0, dtype=np.int64)
    appears = np.isin(person_ids, record_person_ids)
    staff = (persons["is_esg_staff"].fillna(False).astype(bool).to_numpy()
             & persons["active"].fillna(False).astype(bool).to_numpy() & (positions >= 0) & appears)
    staff_count = np.bincount(positions[staff], minlength=n)

    # The earliest valid completion day of each required course (exclusive lower bound).
    day = np.datetime64(as_of, "ns")
    months = pd.to_numeric(required["valid_months"]).to_numpy(dtype=float, na_value=np.nan)
    bounds = np.array([np.datetime64("NaT", "ns") if m != m else np.datetime64(months_before(as_of, int(m)), "ns")
                       for m in months.tolist()], dtype="datetime64[ns]")
    course_index = pd.Index(pd.to_numeric(required["course_id"]).to_numpy(dtype=np.int64))
    rec_course = course_index.get_indexer(pd.to_numeric(records["course_id"]).to_numpy(dtype=np.int64)) \
        if len(records) else np.zeros(0, dtype=np.int64)
    completed = pd.to_datetime(records["completed_on"]).to_numpy(dtype="datetime64[ns]") if len(records) \
        else np.zeros(0, dtype="datetime64[ns]")
    is_required = rec_course >= 0
    lower = bounds[np.where(is_required, rec_course, 0)] if len(bounds) else completed
    valid = (is_required & ~np.isnat(completed) & (completed <= day)
             & (np.isnat(lower) | (completed > np.where(np.isnat(lower), day, lower))))
    done = pd.DataFrame({"person_id": pd.to_numeric(records["person_id"]).to_numpy(dtype=np.int64)[valid]
                         if len(records) else np.zeros(0, dtype=np.int64),
                         "course": rec_course[valid]}).drop_duplicates()
    courses_done = done.groupby("person_id").size()
    trained = staff & (courses_done.reindex(person_ids).fillna(0).to_numpy() == len(required))
    trained_count = np.bincount(positions[trained], minlength=n)
    has_staff = staff_count > 0
    raw[has_staff] = 100.0 * trained_count[has_staff] / staff_count[has_staff]
    return raw
