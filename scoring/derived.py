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
from disclosure.rmi_constants import CMRT, EMRT, NOT_LISTED, NOT_YET_IDENTIFIED, normalise_smelter_id
from scoring.inputs import INVENTORY_COLUMNS

__all__ = ["INVENTORY_COLUMNS", "EmissionsRaw", "MineralsRaw", "emissions_raw", "inventory_years", "minerals_counted",
           "minerals_raw", "minerals_rows", "training_raw"]


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


# --------------------------------------------------------------------------- minerals_reports

MINERALS_METALS = {CMRT: ("tin", "tantalum", "tungsten", "gold"), EMRT: ("cobalt",)}  # the metals scored
_LOOKUP_OPTIONS = (NOT_LISTED, NOT_YET_IDENTIFIED)
CONFORMANT = "conformant"  # disclosure.models.RmapStatus.CONFORMANT (a Django choice: not imported here)


def _key(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.split().str.join(" ").str.lower()


def _smelter_ids(series: pd.Series) -> np.ndarray:
    return series.fillna("").astype(str).map(normalise_smelter_id).to_numpy(dtype=object)


def minerals_rows(rows: pd.DataFrame, smelters: pd.DataFrame, metals) -> pd.DataFrame:
    """Each smelter row of a report as section 9 reads it, before counting units: its metal,
    its smelter id and its list status. The one rule of the score (``minerals_counted``) and
    of a report's page.

    ``rows``: ``MINERALS_ROW_COLUMNS`` (report_id, row, metal, smelter_id_input,
    smelter_lookup, smelter_name, country, smelter_identification); ``smelters``:
    ``SMELTER_COLUMNS`` (smelter_id, metal, name, status: the status in force at D, None when
    the list had none yet); ``metals``: the metals read (rows of other metals are left out).

    Metal compared trimmed and case-insensitively. A row's id is its Smelter Identification,
    else its typed id, both normalised by ``disclosure.rmi_constants.normalise_smelter_id`` (trimmed,
    upper-cased); a row with neither whose name (Smelter Name, else the look-up's name)
    matches exactly one list entry of the same metal (trimmed, case-insensitive) takes its id.
    Returns report_id, row, metal, smelter_id ("" without), name, country, kind ("id" |
    "no_id" | "not_yet_identified"), status (the list's status of (id, metal), None when not
    listed or without a status at D), name_key, country_key; ordered by report_id, row."""
    columns = ["report_id", "row", "metal", "smelter_id", "name", "country", "kind", "status", "name_key",
               "country_key"]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = pd.DataFrame({
        "report_id": pd.to_numeric(rows["report_id"]).to_numpy(dtype=np.int64),
        "row": pd.to_numeric(rows["row"]).to_numpy(dtype=np.int64),
        "metal": _key(rows["metal"]).to_numpy(dtype=object),
    })
    frame = frame.assign(
        lookup=_key(rows["smelter_lookup"]).to_numpy(dtype=object),
        identification=_smelter_ids(rows["smelter_identification"]),
        typed=_smelter_ids(rows["smelter_id_input"]),
        name_written=rows["smelter_name"].fillna("").astype(str).str.strip().to_numpy(),
        lookup_written=rows["smelter_lookup"].fillna("").astype(str).str.strip().to_numpy(),
        country=rows["country"].fillna("").astype(str).str.strip().to_numpy(),
    )
    frame = frame[frame["metal"].isin(metals)]
    frame["smelter_id"] = np.where(frame["identification"] != "", frame["identification"], frame["typed"])
    frame["name"] = np.where(frame["name_written"] != "", frame["name_written"],
                             np.where(frame["lookup"].isin(_LOOKUP_OPTIONS), "", frame["lookup_written"]))
    listed = pd.DataFrame({"smelter_id": _smelter_ids(smelters["smelter_id"]),
                           "metal": smelters["metal"].astype(str).to_numpy(),
                           "name_key": _key(smelters["name"]).to_numpy(),
                           "status": smelters["status"].to_numpy(dtype=object)})
    unique_names = listed.drop_duplicates(["metal", "name_key"], keep=False)
    by_name = dict(zip(zip(unique_names["metal"], unique_names["name_key"], strict=True),
                       unique_names["smelter_id"], strict=True))
    name_key = _key(frame["name"])
    no_id = frame["smelter_id"] == ""
    matched = [by_name.get((m, k), "") if missing and k else sid for m, k, missing, sid in
               zip(frame["metal"], name_key, no_id, frame["smelter_id"], strict=True)]
    frame["smelter_id"] = np.asarray(matched, dtype=object) if len(frame) else frame["smelter_id"]
    not_yet = (frame["lookup"] == NOT_YET_IDENTIFIED) & (frame["smelter_id"] == "")
    frame["kind"] = np.where(not_yet, "not_yet_identified", np.where(frame["smelter_id"] != "", "id", "no_id"))
    frame["name_key"] = _key(frame["name"])
    frame["country_key"] = _key(frame["country"])
    frame = frame.sort_values(["report_id", "row"])
    status = listed.drop_duplicates(["smelter_id", "metal"]).set_index(["smelter_id", "metal"])["status"]
    looked_up = status.reindex(pd.MultiIndex.from_arrays([frame["smelter_id"], frame["metal"]])).to_numpy(
        dtype=object) if len(frame) else np.zeros(0, dtype=object)
    frame = frame.assign(status=[s if isinstance(s, str) else None for s in looked_up])
    return frame[columns].reset_index(drop=True)


def minerals_counted(rows: pd.DataFrame, smelters: pd.DataFrame, metals) -> pd.DataFrame:
    """The counted smelter rows of section 9 (MIN-02, MIN-04), one per counted unit.

    ``rows``, ``smelters``, ``metals`` and each row's metal, id and status as
    ``minerals_rows`` reads them. Units: once per (report, metal, id); rows still without an
    id once per (report, metal, name, country); "Smelter not yet identified" rows once per
    (report, metal). Returns report_id, row (the first row of the unit), metal, smelter_id
    ("" without), name, country, kind ("id" | "no_id" | "not_yet_identified"), status,
    conformant (bool)."""
    columns = ["report_id", "row", "metal", "smelter_id", "name", "country", "kind", "status", "conformant"]
    frame = minerals_rows(rows, smelters, metals)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    units = pd.concat([
        frame[frame["kind"] == "id"].drop_duplicates(["report_id", "metal", "smelter_id"]),
        frame[frame["kind"] == "no_id"].drop_duplicates(["report_id", "metal", "name_key", "country_key"]),
        frame[frame["kind"] == "not_yet_identified"].drop_duplicates(["report_id", "metal"]),
    ]).sort_values(["report_id", "row"])
    units["conformant"] = (units["kind"] == "id") & (units["status"] == CONFORMANT)
    return units[columns].reset_index(drop=True)


@dataclass(frozen=True)
class MineralsRaw:
    """Raw values of the ``minerals_reports`` source per supplier position: ``min01`` and
    ``min03`` bool (never missing); ``min02`` and ``min04`` float (NaN = missing)."""

    min01: np.ndarray
    min02: np.ndarray
    min03: np.ndarray
    min04: np.ndarray


def latest_minerals_reports(reports: pd.DataFrame, positions: np.ndarray, as_of: dt.date,
                            template: str) -> pd.DataFrame:
    """The latest ``template`` report per supplier position dated within the 12 months before
    D (``D - 12 months < date <= D``, section 1): latest date, same date the later import
    (higher report_id). Returns columns pos, report_id."""
    if reports.empty:
        return pd.DataFrame({"pos": pd.Series(dtype="int64"), "report_id": pd.Series(dtype="int64")})
    dates = pd.to_datetime(reports["declaration_date"]).to_numpy(dtype="datetime64[ns]")
    low = np.datetime64(months_before(as_of, 12), "ns")
    keep = ((positions >= 0) & (reports["template"].to_numpy(dtype=object) == template)
            & (dates > low) & (dates <= np.datetime64(as_of, "ns")))
    frame = pd.DataFrame({"pos": positions[keep], "date": dates[keep],
                          "report_id": pd.to_numeric(reports["report_id"]).to_numpy(dtype=np.int64)[keep]})
    latest = frame.sort_values(["pos", "date", "report_id"]).drop_duplicates("pos", keep="last")
    return latest[["pos", "report_id"]]


def minerals_raw(reports: pd.DataFrame, rows: pd.DataFrame, smelters: pd.DataFrame, positions: np.ndarray, n: int,
                 as_of: dt.date) -> MineralsRaw:
    """MIN-01 … MIN-04 from accepted CMRT/EMRT reports (section 9).

    ``reports``: ``MINERALS_REPORT_COLUMNS`` (report_id, supplier_id, template "cmrt"/"emrt",
    declaration_date); ``positions``: the supplier position of each report (-1: ignored);
    ``rows``: their smelter rows (``minerals_counted``); ``smelters``: the list with the
    status in force at D.

    MIN-01 / MIN-03 = a CMRT / EMRT dated within the 12 months before D. MIN-02 = 100 ×
    conformant / counted over the latest such CMRT's tin, tantalum, tungsten and gold units;
    MIN-04 the same over the latest EMRT's cobalt units; nothing counted or no report:
    missing."""
    flags, shares = {}, {}
    for template, metals in MINERALS_METALS.items():
        flag = np.zeros(n, dtype=bool)
        share = np.full(n, np.nan)
        latest = latest_minerals_reports(reports, positions, as_of, template)
        flag[latest["pos"].to_numpy(dtype=np.int64)] = True
        chosen = rows[pd.to_numeric(rows["report_id"]).isin(set(latest["report_id"].tolist()))] if len(rows) else rows
        units = minerals_counted(chosen, smelters, metals)
        if len(units):
            counts = units.groupby("report_id")["conformant"].agg(["size", "sum"])
            report_pos = dict(zip(latest["report_id"].tolist(), latest["pos"].tolist(), strict=True))
            for report_id, size, conformant in zip(counts.index, counts["size"], counts["sum"], strict=True):
                share[report_pos[int(report_id)]] = 100.0 * float(conformant) / float(size)
        flags[template], shares[template] = flag, share
    return MineralsRaw(flags["cmrt"], shares["cmrt"], flags["emrt"], shares["emrt"])
