"""In the browser: the value queue's bulk review (select several values, accept them in one
click). Fixtures and the skip rules as in test_e2e.py."""

from __future__ import annotations

import pytest
from django.utils import timezone

from scoring.models import Indicator, IndicatorValue, ValueOrigin, ValueState
from tests.portal.test_e2e import browser, log_in, page, shots, sync_api  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def test_analyst_selects_values_and_accepts_them_in_one_click(world, page, shots):  # noqa: F811
    env3 = Indicator.objects.get(code="ENV-03")
    extra = [IndicatorValue.objects.create(
        supplier=supplier, quarter=str(world.quarter), indicator=env3, value="B", origin=ValueOrigin.SUPPLIER,
        state=ValueState.SUBMITTED, submitted_at=timezone.now(), submitted_by_label="supplier_user")
        for supplier in (world.own, world.other)]
    log_in(page, "procurement_analyst", "pw-procurement_analyst")
    page.goto("/scorecard/values/")
    boxes = page.locator('input[name="selected"][form="bulk-values"]')
    sync_api.expect(boxes).to_have_count(3)
    page.check("input[data-select-all='bulk-values']")
    assert all(boxes.nth(i).is_checked() for i in range(3))
    page.locator('input[name="selected"]').nth(2).uncheck()  # leave one for later
    shots(page, "value-queue-bulk")
    page.click("button:has-text('Accept selected')")
    sync_api.expect(page.locator(".messages")).to_contain_text("Accepted 2 values")
    states = dict(IndicatorValue.objects.filter(pk__in=[world.submitted.pk, *(v.pk for v in extra)])
                  .values_list("pk", "state"))
    assert sorted(states.values()) == ["accepted", "accepted", "submitted"]
    sync_api.expect(page.locator('input[name="selected"][form="bulk-values"]')).to_have_count(1)
