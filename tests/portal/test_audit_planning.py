"""Planned audits in the portal: list and month calendar with filters, overdue plans said in
words, "plan audits for all gaps", warnings when scheduling."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from audits import services as audit_services
from audits.models import Audit, AuditFirm


@pytest.fixture
def plans(world):
    overdue = audit_services.audit_create(site=world.own_site, audit_type="vap_full", actor=world.analyst,
                                          audit_ref="AUD-LATE", due_by=world.today - dt.timedelta(days=3),
                                          audit_firm="SGS")
    ahead = audit_services.audit_create(site=world.other_site, audit_type="vap_full", actor=world.analyst,
                                        audit_ref="AUD-AHEAD", due_by=world.today + dt.timedelta(days=5),
                                        audit_firm="ELEVATE")
    return overdue, ahead


def test_the_list_says_overdue_in_words_and_filters(plans, client_as):
    viewer = client_as("viewer")
    response = viewer.get("/audits/planned/")
    rows = {a.audit_ref: a.plan_overdue for a in response.context["page"].object_list}
    assert rows == {"AUD-LATE": True, "AUD-AHEAD": False}
    assert "Overdue" in response.content.decode()
    assert [a.audit_ref for a in viewer.get("/audits/planned/?country=DE").context["page"].object_list] == [
        "AUD-AHEAD"]
    assert [a.audit_ref for a in viewer.get("/audits/planned/?firm=sgs").context["page"].object_list] == [
        "AUD-LATE"]
    assert [a.audit_ref for a in viewer.get("/audits/planned/?supplier=OTHER-1").context["page"].object_list] == [
        "AUD-AHEAD"]
    assert list(viewer.get("/audits/planned/?status=scheduled").context["page"].object_list) == []
    assert "No planned audit matches" in viewer.get("/audits/planned/?status=scheduled").content.decode()
    # The audit's own page says it is overdue.
    assert "This audit is overdue" in viewer.get("/audits/AUD-LATE/").content.decode()
    assert "This audit is overdue" not in viewer.get("/audits/AUD-AHEAD/").content.decode()


def test_the_month_calendar_puts_each_audit_on_its_day(plans, world, client_as):
    overdue, ahead = plans
    month = ahead.due_by.strftime("%Y-%m")
    response = client_as("viewer").get(f"/audits/planned/?view=calendar&month={month}")
    assert response.status_code == 200
    placed = {day: [a.audit_ref for a in audits] for week in response.context["weeks"]
              for day, _in_month, audits in week if audits}
    assert placed[ahead.due_by] == ["AUD-AHEAD"]
    if overdue.due_by.strftime("%Y-%m") == month:
        assert placed[overdue.due_by] == ["AUD-LATE"]
    assert all(len(week) == 7 for week in response.context["weeks"])
    # Unreadable months fall back to the current month; the filters apply to the calendar.
    assert client_as("viewer").get("/audits/planned/?view=calendar&month=99-x").status_code == 200
    response = client_as("viewer").get(f"/audits/planned/?view=calendar&month={month}&country=CN")
    refs = [a.audit_ref for week in response.context["weeks"] for _d, _m, audits in week for a in audits]
    assert "AUD-AHEAD" not in refs


def test_a_supplier_user_sees_only_its_own_plans_in_the_calendar(plans, world, client_as):
    month = plans[1].due_by.strftime("%Y-%m")
    response = client_as("supplier_user").get(f"/audits/planned/?view=calendar&month={month}")
    refs = {a.audit_ref for week in response.context["weeks"] for _d, _m, audits in week for a in audits}
    assert "AUD-AHEAD" not in refs


def test_plan_all_gaps_with_edits_before_saving(world, client_as):
    analyst = client_as("procurement_analyst")
    response = analyst.get("/audits/plan-gaps/")
    assert response.status_code == 200
    rows = response.context["rows"]
    codes = [row["site_code"] for row in rows]
    assert "OWN-1-F1" in codes  # expiring within the default 180 days
    own = next(row for row in rows if row["site_code"] == "OWN-1-F1")
    due = world.today + dt.timedelta(days=40)
    form = {f"pick-{own['site_id']}": "1", f"due-{own['site_id']}": due.isoformat(),
            f"firm-{own['site_id']}": "Bureau Veritas"}
    response = analyst.post("/audits/plan-gaps/", form)
    assert response.status_code == 302
    audit = Audit.objects.get(site__code="OWN-1-F1", status="planned")
    assert (audit.due_by, audit.audit_firm, audit.audit_type) == (due, "Bureau Veritas", "vap_full")
    # Planned: the site is no longer proposed.
    assert "OWN-1-F1" not in [row["site_code"] for row in analyst.get("/audits/plan-gaps/").context["rows"]]


def test_plan_all_gaps_refuses_nothing_ticked_and_bad_dates(world, client_as):
    analyst = client_as("procurement_analyst")
    site_id = analyst.get("/audits/plan-gaps/").context["rows"][0]["site_id"]
    assert analyst.post("/audits/plan-gaps/", {}).status_code == 400
    response = analyst.post("/audits/plan-gaps/", {f"pick-{site_id}": "1", f"due-{site_id}": "next week"})
    assert response.status_code == 400 and "is not a date" in response.content.decode()
    assert not Audit.objects.filter(status="planned").exists()


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("supplier_user", 403)])
def test_only_writers_plan_gaps(world, client_as, role, status):
    assert client_as(role).get("/audits/plan-gaps/").status_code == status
    assert client_as(role).post("/audits/plan-gaps/", {}).status_code == status
    assert "Plan audits for all gaps" not in client_as(role).get("/audits/planned/").content.decode()


def test_scheduling_after_the_due_date_or_with_an_unknown_firm_warns(world, client_as):
    AuditFirm.objects.create(name="ELEVATE")
    planned = audit_services.audit_create(site=world.own_site, audit_type="vap_full", actor=world.analyst,
                                          audit_ref="AUD-PLAN-9", due_by=world.today + dt.timedelta(days=10))
    analyst = client_as("procurement_analyst")
    start, end = world.today + dt.timedelta(days=20), world.today + dt.timedelta(days=22)
    response = analyst.post("/audits/AUD-PLAN-9/edit/", {
        "audit_firm": "Unlisted Audits Co", "start_date": start.isoformat(), "conducted_on": end.isoformat(),
        "due_by": planned.due_by.isoformat(), "schedule": "1"}, follow=True)
    page = response.content.decode()
    assert Audit.objects.get(audit_ref="AUD-PLAN-9").status == "scheduled"  # a warning, not a refusal
    assert "after the date it is due by" in page and "not in the register of audit firms" in page
    assert 'list="audit-firms"' in analyst.get("/audits/AUD-PLAN-9/edit/").content.decode()


def test_the_calendar_toggle_and_month_arrows_link_to_the_calendar(plans, client_as):
    viewer = client_as("viewer")
    listing = viewer.get("/audits/planned/?country=DE").content.decode()
    toggle = re.search(r'href="([^"]*view=calendar[^"]*)"', listing).group(1)
    assert toggle.startswith("?view=calendar") or toggle.startswith("?country=DE")
    assert "??" not in listing
    calendar_page = viewer.get("/audits/planned/" + toggle.replace("&amp;", "&"))
    assert calendar_page.context["view"] == "calendar" and calendar_page.context["filters"]["country"] == "DE"
    arrows = re.findall(r'href="(\?[^"]*month=[^"]*)"', calendar_page.content.decode())
    assert arrows and all("view=calendar" in a for a in arrows)
    nxt = viewer.get("/audits/planned/" + arrows[-1].replace("&amp;", "&"))
    assert nxt.context["view"] == "calendar" and nxt.context["month"] > calendar_page.context["month"]


def test_the_month_heading_reads_in_the_language_of_the_page(plans, client_as):
    viewer = client_as("viewer")
    body = viewer.get("/audits/planned/?view=calendar&month=2026-11").content.decode()
    assert "November 2026" in body
    viewer.cookies["django_language"] = "zh-hans"
    body = viewer.get("/audits/planned/?view=calendar&month=2026-11").content.decode()
    assert "2026年11月" in body and "十一月 2026" not in body
    listing = viewer.get("/audits/planned/").content.decode()
    month = plans[1].due_by
    assert f"{month.year}年{month.month}月" in listing  # the list's month groups too
