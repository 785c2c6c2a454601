"""A procurement team's week in headless Chromium: the audit planning calendar, inviting a
supplier contact, the Chinese pages and a recalculation's live progress.

Uses the fixtures of ``tests/portal/test_e2e.py`` (browser, page, shots, log_in); skipped
like it when Playwright or Chromium is missing. Screenshots: ``calendar``, ``contacts``,
``progress``, ``dashboard-zh`` (``PORTAL_SCREENSHOTS=docs/screenshots`` refreshes them).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from audits import services as audit_services
from core import jobs
from scoring.models import Methodology, ScoreRun
from tests.portal import test_e2e as e2e

sync_api = e2e.sync_api
expect = sync_api.expect
log_in = e2e.log_in
browser, page, shots = e2e.browser, e2e.page, e2e.shots  # the fixtures, shared

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def _headings(page) -> list[str]:
    return [text.strip() for text in page.locator("main h1, main h2").all_inner_texts()]


# Names and codes that stay as they are in Chinese: supplier, site and audit codes, the
# quarter, the supplier's own name, acronyms of the standards.
KEPT_AS_IS = re.compile(r"OWN-1(-F1)?|OTHER-1(-F1)?|\d{4}-Q\d|USD|RBA|ESG|QBR|CAP|CMRT|EMRT|EcoVadis|CDP|GHG|PDF")


def _english_leftovers(headings: list[str]) -> list[str]:
    return [text for text in headings if re.search(r"[A-Za-z]{3,}", KEPT_AS_IS.sub("", text))]


def test_the_audit_calendar_shows_a_planned_audit_keeps_the_calendar_and_filters(world, page, shots):
    due = world.today + dt.timedelta(days=5)
    audit_services.audit_create(site=world.other_site, audit_type="vap_full", actor=world.analyst,
                                audit_ref="AUD-AHEAD", due_by=due, audit_firm="ELEVATE")
    audit_services.audit_create(site=world.own_site, audit_type="vap_full", actor=world.analyst,
                                audit_ref="AUD-OWN-PLAN", due_by=due, audit_firm="SGS")
    log_in(page, "procurement_analyst", "pw-procurement_analyst")
    page.goto("/audits/planned/")
    expect(page.locator("table")).to_contain_text("AUD-AHEAD")
    page.click("text=Show as a month calendar")
    expect(page.locator("table.calendar")).to_be_visible()
    if due.month != world.today.month:
        page.click("[aria-label='Next month']")
    title = page.locator(".calendar-title")
    expect(title).to_contain_text(f"{due:%B} {due.year}")
    cell = page.locator("table.calendar td:not(.other-month)").filter(
        has=page.locator(".day", has_text=re.compile(rf"^{due.day}$")))
    expect(cell).to_contain_text("OTHER-1-F1")
    expect(cell).to_contain_text("ELEVATE")
    expect(cell).to_contain_text("OWN-1-F1")
    shots(page, "calendar")

    # The month arrows keep the calendar (and the month moves).
    page.click("[aria-label='Next month']")
    expect(page.locator("table.calendar")).to_be_visible()
    after = (due.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    expect(title).to_contain_text(f"{after:%B} {after.year}")
    assert "view=calendar" in page.url
    page.click("[aria-label='Previous month']")
    expect(title).to_contain_text(f"{due:%B} {due.year}")
    expect(page.locator("table.calendar")).to_contain_text("OTHER-1-F1")

    # A filter keeps the calendar and its month: the German site goes away for China.
    page.select_option("select[name=country]", "CN")
    page.click("button:has-text('Filter')")
    expect(page.locator("table.calendar")).to_be_visible()
    expect(title).to_contain_text(f"{due:%B} {due.year}")
    expect(page.locator("table.calendar")).not_to_contain_text("OTHER-1-F1")
    expect(cell).to_contain_text("OWN-1-F1")
    expect(page.locator("main")).to_contain_text("1 audit this month")


def test_procurement_invites_a_contact_who_sets_a_password_and_sees_only_its_supplier(world, page, shots,
                                                                                      mailoutbox):
    log_in(page, "procurement_analyst", "pw-procurement_analyst")
    page.goto("/suppliers/OWN-1/contacts/")
    page.fill("#id_name", "李娜")
    page.fill("#id_email", "li.na@huaqiang.example")
    page.select_option("#id_language", "zh-hans")
    page.click("button:has-text('Send the invitation')")
    expect(page.locator(".messages")).to_contain_text("Invitation sent to li.na@huaqiang.example")
    expect(page.locator("table")).to_contain_text("Invited, no password yet")
    shots(page, "contacts")

    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["li.na@huaqiang.example"]
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mailoutbox[0].body).group(0)
    page.context.clear_cookies()  # procurement signs out; the contact opens the e-mail
    page.goto(link)
    page.fill("#id_new_password1", "Lotus-pond-4417")
    page.fill("#id_new_password2", "Lotus-pond-4417")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    # The link works once.
    page.goto(link)
    expect(page.locator("main")).to_contain_text("no longer valid")

    log_in(page, "li.na@huaqiang.example", "Lotus-pond-4417")
    assert page.url.endswith("/suppliers/OWN-1/")
    expect(page.locator("h1")).to_contain_text("OWN-1")
    assert page.goto("/suppliers/OTHER-1/").status == 404
    assert page.goto("/scorecard/runs/").status == 403  # buyer's internal pages stay closed
    page.goto("/audits/planned/")
    expect(page.locator("main")).not_to_contain_text("OTHER-1")


def test_the_main_pages_read_in_chinese(world, page, shots):
    audit_services.audit_create(site=world.own_site, audit_type="vap_full", actor=world.analyst,
                                audit_ref="AUD-PLAN", due_by=world.today + dt.timedelta(days=3), audit_firm="SGS")
    log_in(page, "procurement_analyst", "pw-procurement_analyst")
    page.select_option("#language-switcher", "zh-hans")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.goto("/dashboard/")
    expect(page.locator("h1")).to_contain_text("总览")
    expect(page.locator("#coverage-h")).to_be_visible()
    assert _english_leftovers(_headings(page)) == []
    shots(page, "dashboard-zh")

    page.goto("/suppliers/OWN-1/")
    expect(page.locator("#scorecard-h")).to_contain_text("评分卡")
    assert _english_leftovers(_headings(page)) == []

    page.goto("/audits/planned/?view=calendar")
    expect(page.locator("h1")).to_contain_text("审核")
    expect(page.locator(".calendar-title")).to_contain_text(f"{world.today.year}年{world.today.month}月")
    assert _english_leftovers(_headings(page)) == []
    expect(page.locator("table.calendar thead")).not_to_contain_text("Mon")


def test_a_recalculation_shows_its_progress_live_and_reaches_done(world, page, shots):
    log_in(page, "procurement_analyst", "pw-procurement_analyst")
    # A run a worker is processing: the page follows the numbers its heartbeat writes.
    run = ScoreRun.objects.create(quarter=str(world.quarter), methodology=Methodology.objects.get(version="v1"),
                                  trigger="api", started_by_label="procurement_analyst")
    page.goto(f"/scorecard/runs/{run.pk}/")
    expect(page.locator("[data-step=queued]")).to_have_class("current")
    assert jobs.claim(ScoreRun, run.pk)
    assert jobs.renew(ScoreRun, run.pk, progress_done=3, progress_total=10)
    expect(page.locator("[data-step=running]")).to_have_class("current")
    expect(page.locator("[data-step=queued]")).to_have_class("done")
    expect(page.locator("[data-status]")).to_have_text("Running")
    expect(page.locator("[data-progress-text]")).to_have_text("3 of 10 (30%)")
    assert jobs.renew(ScoreRun, run.pk, progress_done=7, progress_total=10)
    expect(page.locator("[data-progress-text]")).to_have_text("7 of 10 (70%)")
    expect(page.locator(".progress")).to_have_attribute("aria-valuenow", "70")
    shots(page, "progress")
    assert jobs.finish(ScoreRun, run.pk, "succeeded", counts={"scored": 2})
    expect(page.locator("[data-status]")).to_have_text("Succeeded")  # reloaded once done
    expect(page.locator("[data-step=finished]")).to_have_class("done")
    expect(page.locator("text=See the new scores")).to_be_visible()

    # Started from the form with no broker (the laptop default), the run has ended when the
    # page appears: it says done, with the link to the results.
    page.goto("/scorecard/runs/")
    page.fill("#id_quarter", str(world.quarter))
    page.click("button:has-text('Start recalculation')")
    expect(page.locator(".messages")).to_contain_text(f"Recalculation of {world.quarter} done: 2 suppliers scored.")
    expect(page.locator("[data-step=finished]")).to_have_class("done")
    expect(page.locator("[data-status]")).to_have_text("Succeeded")
    latest = ScoreRun.objects.latest("id")
    assert (latest.status, latest.progress_done, latest.progress_total) == ("succeeded", 10, 10)
    page.click("text=See the new scores")
    expect(page.locator("table")).to_contain_text("OWN-1")
