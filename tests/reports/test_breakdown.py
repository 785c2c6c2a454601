"""``scoring.breakdown`` on stored results (the supplier page and the PDF card use it): the
indicators' contributions add up to the stored score; an EcoVadis-only supplier is scored
on ECO-01 alone."""

from __future__ import annotations

import pytest

from scoring import breakdown
from scoring.models import QuarterlyScore
from scoring.selectors import methodology_params
from tests.reports.conftest import Q3


def test_contributions_add_up_to_the_stored_score(quarter_scored):
    scores = list(QuarterlyScore.objects.filter(quarter=str(Q3)).select_related("methodology"))
    populations = {score.population for score in scores}
    assert {"full", "ecovadis_only"} <= populations
    checked = 0
    for score in scores:
        rows = breakdown.breakdown(score, methodology_params(score.methodology))
        assert len(rows) == 32
        counted = [row for row in rows if row.contribution is not None]
        if score.population != "full":
            assert [row.code for row in counted] == ["ECO-01"]
        if "termination_review" in score.flags:
            continue  # the gate sets the score to 0 whatever the points
        assert sum(row.contribution for row in counted) == pytest.approx(float(score.score), abs=0.01)
        gains = breakdown.points_to_gain(methodology_params(score.methodology), score.population, score.points)
        assert all(gain.gain > 0 for gain in gains) and len(gains) <= breakdown.TOP_GAINS
        assert [g.gain for g in gains] == sorted((g.gain for g in gains), reverse=True)
        checked += 1
    assert checked >= 2


def test_a_gated_supplier_has_no_points_to_gain(quarter_scored):
    gated = QuarterlyScore.objects.select_related("methodology").get(quarter=str(Q3), supplier__code="D")
    assert "termination_review" in gated.flags
    params = methodology_params(gated.methodology)
    assert breakdown.points_to_gain(params, gated.population, gated.points) != []  # the points alone
    assert breakdown.points_to_gain(params, gated.population, gated.points, flags=gated.flags) == []
