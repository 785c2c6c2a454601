"""Browser journey through the industry's files: the smelter list imported with a preview
then a commit, a supplier's CMRT waiting in procurement's queue, a supplier's own CDP score
reaching the value review. Fixtures and skips as tests/portal/test_e2e.py."""

from __future__ import annotations

import datetime as dt

import pytest

from disclosure.models import MineralsReport, Smelter
from scoring.models import IndicatorValue
from tests.portal.test_e2e import browser, log_in, page, shots, sync_api  # noqa: F401
from tests.rmi_templates import build, smelter

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]
LIST = ("smelter_id,metal,name,country,status,as_of\n"
        "CID000001,tin,Alpha Tin,Indonesia,conformant,2026-01-01\n"
        "CID000002,gold,Beta Gold,Switzerland,active,2026-01-01\n")


def test_smelter_list_queue_and_a_suppliers_rating(role_users, own_supplier, page, shots, tmp_path):  # noqa: F811
    listing = tmp_path / "smelters.csv"
    listing.write_text(LIST)
    log_in(page, "procurement_analyst", "pw-procurement_analyst")
    page.goto("/scorecard/smelters/")
    page.set_input_files("#id_file", str(listing))
    page.click("button:has-text('Upload and preview')")
    sync_api.expect(page.locator("h2")).to_contain_text("Preview of smelters.csv")
    assert not Smelter.objects.exists()
    shots(page, "smelter-list-preview")
    page.click("button:has-text('Commit')")
    sync_api.expect(page.locator(".messages")).to_contain_text("2 smelters created")
    assert Smelter.objects.count() == 2
    page.click("text=Log out")

    workbook = tmp_path / "cmrt.xlsx"
    workbook.write_bytes(build(date=dt.date.today() - dt.timedelta(days=30),
                               rows=[smelter("Tin", "Alpha Tin", identification="CID000001")]))
    log_in(page, "supplier_user", "pw-supplier_user")
    page.goto(f"/suppliers/{own_supplier.code}/minerals/")
    page.set_input_files("#id_file", str(workbook))
    page.click("form button:has-text('Upload')")
    sync_api.expect(page.locator(".messages")).to_contain_text("counts once procurement accepts it")
    page.goto(f"/suppliers/{own_supplier.code}/ratings/")
    page.select_option("#id_cdp-score", "B-")
    page.click("#rating-cdp-h ~ form button")
    sync_api.expect(page.locator(".messages")).to_contain_text("ENV-03 = B-")
    page.click("text=Log out")

    log_in(page, "procurement_analyst", "pw-procurement_analyst")
    page.goto("/scorecard/minerals/")
    shots(page, "minerals-queue")
    page.click("button:has-text('Accept')")
    sync_api.expect(page.locator(".messages")).to_contain_text("Report accepted.")
    assert MineralsReport.objects.get().state == "accepted"
    page.goto("/scorecard/values/")
    sync_api.expect(page.locator("main")).to_contain_text("CDP climate")
    assert IndicatorValue.objects.get(indicator__code="ENV-03").state == "submitted"
