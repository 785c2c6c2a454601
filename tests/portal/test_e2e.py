"""End-to-end journeys in headless Chromium (Debian's ``chromium`` driven by Playwright).

Skipped with the reason when Playwright or the browser is missing. Screenshots go to a
temporary folder, or to ``$PORTAL_SCREENSHOTS`` (e.g. ``docs/screenshots``) when set.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from scoring.models import IndicatorValue, QuarterlyScore
from tests import files

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

# Live-server tests commit for real, and the database is flushed after each of them. The
# browser keeps the real clock (cookies, dates it shows), so these tests do too.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test
# itself are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url,
                                  locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def log_in(page, username, password):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_load_state()


def test_analyst_accepts_a_value_recalculates_and_sees_the_new_score(world, page, shots):
    before = QuarterlyScore.objects.get(quarter=str(world.quarter), supplier=world.own).score
    log_in(page, "procurement_analyst", "pw-procurement_analyst")
    assert page.url.endswith("/dashboard/")
    sync_api.expect(page.locator("h1")).to_contain_text("Dashboard")
    sync_api.expect(page.locator("#coverage-h")).to_be_visible()
    shots(page, "dashboard")

    page.click("nav >> text=Suppliers")
    shots(page, "suppliers")
    page.click("a:has-text('OWN-1')")
    sync_api.expect(page.locator("h1")).to_contain_text("深圳华强电子有限公司")
    sync_api.expect(page.locator("#scorecard-h")).to_be_visible()
    shots(page, "supplier")

    page.goto("/scorecard/values/")
    page.click("button:has-text('Accept')")
    sync_api.expect(page.locator(".messages")).to_contain_text("Accepted ENV-01")
    assert IndicatorValue.objects.get(pk=world.submitted.pk).state == "accepted"

    page.goto("/scorecard/runs/")
    page.fill("#id_quarter", str(world.quarter))
    page.click("button:has-text('Start recalculation')")
    sync_api.expect(page.locator("[data-status]")).to_have_text("Succeeded")
    shots(page, "recalculation")
    page.click("text=See the new scores")
    after = QuarterlyScore.objects.get(quarter=str(world.quarter), supplier=world.own).score
    assert after > before
    sync_api.expect(page.locator("table")).to_contain_text(f"{after:.2f}")


def test_supplier_uploads_a_certificate_submits_a_cap_and_switches_to_chinese(world, page, shots):
    log_in(page, "supplier_user", "pw-supplier_user")
    assert page.url.endswith("/suppliers/OWN-1/")
    page.click("nav >> text=Documents")
    page.select_option("#id_kind", "iso_14001")
    page.fill("#id_expires_on", (world.today + dt.timedelta(days=365)).isoformat())
    page.set_input_files("#id_file", files=[{"name": "ISO 14001 证书.pdf", "mimeType": "application/pdf",
                                              "buffer": files.PDF}])
    page.click("button:has-text('Upload')")
    sync_api.expect(page.locator(".messages")).to_contain_text("ISO 14001 证书.pdf")
    sync_api.expect(page.locator("table")).to_contain_text("ISO 14001 证书.pdf")
    shots(page, "documents")

    page.click("nav >> text=Findings")
    page.click("a:has-text('F-OWN-1')")
    page.fill("#id_root_cause", "No monitoring of weekly working hours")
    page.fill("#id_corrective_action", "Weekly overtime report to the plant manager")
    page.fill("#id_preventive_action", "Train line leaders on the 60-hour limit")
    page.fill("#id_owner", "HR 王芳")
    page.fill("#id_planned_completion", (world.today + dt.timedelta(days=60)).isoformat())
    page.click("button[name=submit]")
    sync_api.expect(page.locator(".messages")).to_contain_text("submitted for review")
    world.own_finding.corrective_action.refresh_from_db()
    assert world.own_finding.corrective_action.state == "submitted"
    shots(page, "finding")

    page.select_option("#language-switcher", "zh-hans")
    page.wait_for_load_state()
    sync_api.expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    sync_api.expect(page.locator("h1")).to_contain_text("发现项")
    page.click("nav >> text=我们的评分卡")
    sync_api.expect(page.locator("#scorecard-h")).to_contain_text("评分卡")
    shots(page, "supplier-zh")
