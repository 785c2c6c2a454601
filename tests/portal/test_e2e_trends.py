"""Browser journey: the portfolio trends and the methodology comparison draw their charts
(Chart.js from the portal's own static files) beside their numbers tables; a tooltip shows
on hover. Screenshots ``trends`` and ``compare`` (docs/portal.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring import methodology_drafts, services
from suppliers.models import SpendRecord
from tests.portal.test_e2e import CHROMIUM, browser, log_in, page, shots, sync_api  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


@pytest.fixture
def two_versions(world):
    """The quarter before scored too, and a draft previewed on the scored quarter."""
    previous = world.quarter.previous()
    for supplier, amount in ((world.own, "800"), (world.other, "700")):
        SpendRecord.objects.create(supplier=supplier, quarter=str(previous), currency="USD", amount=Decimal(amount))
    assert services.score_run_now(quarter=previous, actor="test").status == "succeeded"
    draft = methodology_drafts.draft_create(version="v2", based_on=None, description="what-if", actor="test")
    draft.grade_bands = [["A", "40"], ["B", "20"], ["C", "10"], ["D", "0"]]
    draft.save()
    run = services.score_run_create(quarter=world.quarter, methodology=draft, actor="test", preview=True)
    assert services.score_run_execute(run_id=run.pk).status == "succeeded"
    return world


def _hover_tooltip(tab, selector: str) -> str:
    """Hover the middle of the chart's plot area and return the tooltip's text (Chart.js draws
    it on the canvas; its active elements say what it shows)."""
    tab.locator(selector).scroll_into_view_if_needed()
    box = tab.locator(selector).bounding_box()
    tab.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.45)
    tab.wait_for_timeout(200)
    return tab.evaluate("""(selector) => {
        const chart = document.querySelector(selector).chart;
        const tooltip = chart.tooltip;
        if (!tooltip || !tooltip.getActiveElements().length) { return ""; }
        return [tooltip.title.join(" "), ...tooltip.body.map((b) => b.lines.join(" "))].join("\\n");
    }""", selector)


def test_trends_and_comparison_charts_render_beside_their_tables(two_versions, page, shots):  # noqa: F811
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, "procurement_analyst", "pw-procurement_analyst")
    page.goto(f"/dashboard/trends/?quarter={two_versions.quarter}&quarters=4")
    sync_api.expect(page.locator("h1")).to_contain_text("Portfolio trends")
    for chart in ("coverage", "grades", "categories", "populations", "findings"):
        canvas = page.locator(f"canvas[data-chart='{chart}']")
        sync_api.expect(canvas).to_be_visible()
        assert page.evaluate("(c) => !!document.querySelector(c).chart", f"canvas[data-chart='{chart}']")
        assert canvas.bounding_box()["height"] > 100
    sync_api.expect(page.locator("#t-grades")).to_be_visible()
    grades_table = page.locator("section[aria-labelledby='t-grades'] table")
    sync_api.expect(grades_table).to_contain_text(str(two_versions.quarter))
    tooltip = _hover_tooltip(page, "canvas[data-chart='grades']")
    assert tooltip.startswith(str(two_versions.quarter)) and "Grade D: " in tooltip  # the last quarter's bar
    shots(page, "trends")

    page.goto(f"/scorecard/compare/?quarter={two_versions.quarter}&base=v1&other=v2")
    sync_api.expect(page.locator("#matrix-h")).to_contain_text("Grade migration v1 → v2")
    canvas = page.locator("canvas[data-chart='compare-grades']")
    sync_api.expect(canvas).to_be_visible()
    sync_api.expect(page.locator("section[aria-labelledby='matrix-h'] table")).to_be_visible()
    tooltip = _hover_tooltip(page, "canvas[data-chart='compare-grades']")
    assert "v1" in tooltip and "v2" in tooltip
    shots(page, "compare")
    assert errors == []
