"""Server-side SVG charts (pure functions)."""

from __future__ import annotations

from portal import charts


def test_coverage_bars_show_met_and_missed_and_escape_labels():
    svg = charts.coverage_bars("Coverage <title>", [("Audit & co", 0.96, 0.95, True), ("GHG", 0.5, 0.95, False)])
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "Coverage &lt;title&gt;" in svg and "Audit &amp; co" in svg
    assert "96.0% met" in svg and "50.0% missed" in svg
    assert charts.MET_COLOUR in svg and charts.MISSED_COLOUR in svg


def test_bar_chart_has_a_bar_per_item():
    svg = charts.bar_chart("Grades", [charts.Bar("A", 3), charts.Bar("B", 0), charts.Bar("供应商", 5)])
    assert svg.count("<rect") == 3 and "供应商" in svg


def test_line_chart_skips_missing_points_and_draws_bands():
    svg = charts.line_chart("Score", [("2026-Q1", 40.0), ("2026-Q2", None), ("2026-Q3", 86.5)], y_max=100,
                            bands=[("A", 85), ("B", 70)])
    assert svg.count("<circle") == 2 and "86.5" in svg and "A ≥ 85" in svg


def test_single_point_line_chart():
    assert "<circle" in charts.line_chart("Score", [("2026-Q3", 50.0)], y_max=100)
