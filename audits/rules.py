"""Pure audit rules over arrays (no ORM), written once for the scoring engine and the
audit selectors alike.

``latest_full_audits`` is scorecard.md section 4's "latest valid full audit" of a site
with its tie-break; ``scoring.engine`` (RBA-01, RBA-02, RBA-08, ``audit_expiring``) and
``audits.selectors.site_cycle_status`` (the two-year cycle pages, reminders, planning,
the workbook) both pick through it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.quarter import months_before

# Types that are full audits: closure audits never renew validity, an SAQ is no audit.
FULL_AUDIT_TYPES = ("vap_full", "equivalent_third_party")


def latest_full_audits(site_keys: np.ndarray, audit_types: np.ndarray, conducted_on: np.ndarray,
                       scores: np.ndarray, audit_refs: np.ndarray, *, as_of: dt.date,
                       validity_months: int | None = None) -> np.ndarray:
    """Positions of each site's latest full audit at ``as_of`` (scorecard.md section 4).

    Candidates are full audits (``FULL_AUDIT_TYPES``) conducted on or before ``as_of``;
    with ``validity_months``, only the ones *valid* at ``as_of``: conducted after
    ``months_before(as_of, validity_months)``. Per site the latest ``conducted_on`` wins;
    on the same day the higher score (no score ranks lowest), then the greater
    ``audit_ref``. Without ``validity_months`` the pick is the same audit whenever the
    site has a valid one (an older audit is never valid when a later one is not).

    Arrays of equal length: ``site_keys`` int (any key naming the site), ``audit_types``
    str, ``conducted_on`` datetime64 (NaT: never a candidate), ``scores`` float (NaN: no
    score), ``audit_refs`` str. Returns int64 positions into them, one per site with a
    candidate, ordered by site key.
    """
    site_keys = np.asarray(site_keys, dtype=np.int64)
    conducted_on = np.asarray(conducted_on, dtype="datetime64[ns]")
    scores = np.asarray(scores, dtype=float)
    candidate = np.isin(np.asarray(audit_types, dtype=object), FULL_AUDIT_TYPES)
    candidate &= conducted_on <= np.datetime64(as_of, "ns")
    if validity_months is not None:
        candidate &= conducted_on > np.datetime64(months_before(as_of, validity_months), "ns")
    idx = np.flatnonzero(candidate)
    if not len(idx):
        return np.zeros(0, dtype=np.int64)
    refs = pd.factorize(pd.Series(np.asarray(audit_refs, dtype=object)[idx], dtype=object).fillna(""),
                        sort=True)[0]
    order = idx[np.lexsort((
        refs,
        np.where(np.isnan(scores[idx]), -np.inf, scores[idx]),
        conducted_on[idx].view(np.int64),
        site_keys[idx],
    ))]
    sorted_sites = site_keys[order]
    return order[np.r_[sorted_sites[1:] != sorted_sites[:-1], True]].astype(np.int64)
