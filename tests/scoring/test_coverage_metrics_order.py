"""``scoring.selectors.coverage_metrics``: a coverage document's metrics in one order, however
its keys were stored (a document migrated from ``jsonb`` holds them in ``jsonb``'s order)."""

from scoring.engine import COVERAGE_METRICS
from scoring.selectors import coverage_metrics


def test_metrics_come_in_the_engines_order_then_any_other_by_name():
    stored_as_jsonb = {"metrics": {name: {"share": 1.0} for name in
                                   ("foc", "sbti", "zeta", "audit", "alpha", "scorecard", "ghg_disclosure")}}
    assert [name for name, _ in coverage_metrics(stored_as_jsonb)] == [*COVERAGE_METRICS, "alpha", "zeta"]
    assert coverage_metrics({"metrics": {"audit": {"share": 0.5}}}) == [("audit", {"share": 0.5})]
    assert coverage_metrics({}) == []
