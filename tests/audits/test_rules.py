"""``audits.rules.latest_full_audits``: the one "latest valid full audit" pick with its
tie-break (scorecard.md section 4), shared by the engine and the cycle selector."""

import datetime as dt

import numpy as np

from audits.rules import latest_full_audits

D = dt.date


def pick(rows, as_of, validity_months=None):
    """rows: (site, type, conducted_on, score or None, ref) → picked refs by site."""
    sites, types, days, scores, refs = zip(*rows, strict=True)
    positions = latest_full_audits(
        np.array(sites), np.array(types, dtype=object), np.array(days, dtype="datetime64[ns]"),
        np.array([np.nan if s is None else s for s in scores], dtype=float), np.array(refs, dtype=object),
        as_of=as_of, validity_months=validity_months)
    return {rows[p][0]: rows[p][4] for p in positions}


def test_latest_day_wins_then_higher_score_then_greater_ref():
    rows = [
        (1, "vap_full", D(2025, 1, 1), 150.0, "B"),
        (1, "vap_full", D(2025, 1, 1), 190.0, "A"),     # same day, higher score
        (1, "equivalent_third_party", D(2025, 1, 1), None, "Z"),  # no score ranks lowest
        (2, "vap_full", D(2025, 5, 1), 170.0, "X1"),
        (2, "vap_full", D(2025, 5, 1), 170.0, "X2"),    # same day and score: greater ref
        (2, "vap_full", D(2024, 5, 1), 200.0, "OLD"),
    ]
    assert pick(rows, D(2025, 6, 1)) == {1: "A", 2: "X2"}


def test_closure_audits_and_saqs_never_count_and_later_audits_are_ignored():
    rows = [
        (1, "vap_full", D(2024, 6, 1), 160.0, "FULL"),
        (1, "vap_closure", D(2025, 1, 1), 200.0, "CLOSURE"),
        (1, "saq", D(2025, 2, 1), None, "SAQ"),
        (1, "vap_full", D(2025, 7, 1), 180.0, "LATER"),
        (2, "saq", D(2025, 2, 1), None, "SAQ2"),
    ]
    assert pick(rows, D(2025, 6, 1)) == {1: "FULL"}


def test_validity_window_is_months_before_d_exclusive():
    rows = [(1, "vap_full", D(2024, 9, 30), 150.0, "EDGE"), (2, "vap_full", D(2024, 10, 1), 150.0, "IN")]
    assert pick(rows, D(2026, 9, 30), validity_months=24) == {2: "IN"}
    assert pick(rows, D(2026, 9, 30)) == {1: "EDGE", 2: "IN"}  # without a window: the latest, valid or not
    assert pick(rows, D(2026, 9, 30), validity_months=36) == {1: "EDGE", 2: "IN"}


def test_no_candidate_gives_no_position():
    assert len(latest_full_audits(np.zeros(0), np.zeros(0, dtype=object), np.zeros(0, dtype="datetime64[ns]"),
                                  np.zeros(0), np.zeros(0, dtype=object), as_of=D(2026, 1, 1))) == 0
