"""Findings of the new-user walkthrough: indicator titles and raw values shown in the
user's language, charts that fit their labels, dashboard tables that fit, role-aware
empty states, the favicon, report form labels next to their controls."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import escape

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation

from audits import services as audit_services
from portal import charts
from portal.indicators import TITLES, display_value, indicator_title, methodology_description
from scoring.methodology import V1
from scoring.models import Indicator, IndicatorValue, ValueOrigin, ValueState
from scoring.services import score_run_now

ENGLISH_TITLES = [spec.title for spec in V1.indicators]


def _zh(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def _english_titles_in(html: str) -> list[str]:
    return [title for title in ENGLISH_TITLES if escape(title, quote=False) in html or title in html]


# --------------------------------------------------------------------------- 1. titles


def test_every_shipped_indicator_has_a_translated_title():
    assert set(TITLES) == {spec.code for spec in V1.indicators}
    with translation.override("en"):
        assert {code: str(title) for code, title in TITLES.items()} == {
            spec.code: spec.title for spec in V1.indicators}
    with translation.override("zh-hans"):
        untranslated = [code for code, title in TITLES.items() if str(title) == V1.indicator(code).title]
        assert untranslated == []
        assert indicator_title("ECO-01", "EcoVadis overall score") == "EcoVadis 总分"
        assert indicator_title("ENV-04") == "科学碳目标（SBTi）状态"


def test_custom_indicators_keep_their_stored_title():
    with translation.override("zh-hans"):
        assert indicator_title("CUS-01", "Water recycled (%)") == "Water recycled (%)"
        assert indicator_title("CUS-02") == "CUS-02"


def test_supplier_page_shows_indicator_titles_in_chinese(world, client_as):
    html = _zh(client_as("supplier_user")).get(f"/suppliers/{world.own.code}/").content.decode()
    assert "EcoVadis 总分" in html and "科学碳目标（SBTi）状态" in html
    # breakdown and "what to improve": no English catalogue title left
    assert _english_titles_in(html) == []


def test_values_page_and_its_form_show_indicator_titles_in_chinese(world, client_as):
    html = _zh(client_as("supplier_user")).get(f"/suppliers/{world.own.code}/values/").content.decode()
    assert "ECO-01</strong> EcoVadis 总分" in html
    assert "ENV-01 — 已披露范围 1+2 温室气体清单" in html  # the indicator picker
    assert _english_titles_in(html) == []


def test_value_queue_shows_indicator_titles_in_chinese(world, client_as):
    html = _zh(client_as("procurement_analyst")).get("/scorecard/values/").content.decode()
    assert "ENV-01</strong> 已披露范围 1+2 温室气体清单" in html
    assert _english_titles_in(html) == []


def test_methodology_page_shows_titles_and_v1_description_in_chinese(world, client_as):
    client = _zh(client_as("procurement_admin"))
    html = client.get("/scorecard/methodologies/v1/").content.decode()
    assert "随系统提供的评分卡方法 v1（scorecard.md）。" in html
    assert "Scorecard methodology v1 as shipped" not in html
    assert _english_titles_in(html) == []
    listing = client.get("/scorecard/methodologies/").content.decode()
    assert "随系统提供的评分卡方法 v1" in listing


def test_draft_weights_form_labels_are_translated(world, client_as):
    client = _zh(client_as("procurement_admin"))
    client.post("/scorecard/methodologies/new/", {"version": "v2", "based_on": "v1", "description": ""})
    html = client.get("/scorecard/methodologies/v2/").content.decode()
    assert "基于 v1 的草稿" in html
    assert _english_titles_in(html) == []


def test_system_written_descriptions_are_translated_and_typed_ones_kept():
    with translation.override("zh-hans"):
        assert methodology_description("Draft based on v3") == "基于 v3 的草稿"
        assert methodology_description("Our 2027 weights") == "Our 2027 weights"
        assert methodology_description("") == ""


# --------------------------------------------------------------------------- 2. raw values


@pytest.mark.parametrize(("value", "code", "shown"), [
    ("none", "ENV-04", "None"),
    ("committed", "ENV-04", "Committed"),
    ("near_term_validated", "ENV-04", "Near-term targets validated"),
    ("net_zero_validated", "ENV-04", "Net-zero target validated"),
    ("NET_ZERO_VALIDATED", "ENV-04", "Net-zero target validated"),
    ("low", "RBA-07", "Low"),
    ("B-", "ENV-03", "B-"),
    (True, "ENV-01", "yes"),
    (False, "RBA-09", "no"),
    ("true", "ENV-01", "yes"),
    ("false", "MIN-01", "no"),
    ("true", "CUS-01", "yes"),
    (66.6667, "RBA-01", "66.7 %"),
    ("66.6667", "RBA-01", "66.7 %"),
    (100.0, "RBA-01", "100 %"),
    ("72.50", "ENV-06", "72.5 %"),
    (-1.1, "ENV-05", "-1.1 %"),
    (3.25, "ENV-05", "+3.2 %"),
    (2.0, "RBA-04", "2"),
    (143.4567, "RBA-02", "143.5"),
    (36.66667, "RBA-08", "36.7"),
    ("58.3", "ECO-01", "58.3"),
    (12.345, "CUS-01", "12.3"),
    (None, "ECO-01", "—"),
    ("", "ECO-01", "—"),
    (55.55, "percent", "55.5 %"),
])
def test_display_value(value, code, shown):
    with translation.override("en"):
        assert display_value(value, code) == shown


def test_display_value_speaks_chinese():
    with translation.override("zh-hans"):
        assert display_value("net_zero_validated", "ENV-04") == "净零目标已获验证"
        assert display_value("near_term_validated", "ENV-04") == "近期目标已获验证"
        assert display_value("committed", "ENV-04") == "已承诺"
        assert display_value("none", "ENV-04") == "无"
        assert display_value("true", "ENV-01") == "是"
        assert display_value(False, "ENV-01") == "否"


def test_indicator_value_filter_keeps_a_percentage_on_one_line():
    html = Template("{% load portal_tags %}{{ v|indicator_value:code }}").render(
        Context({"v": 66.6667, "code": "RBA-01"}))
    assert html == '<span class="nowrap">66.7 %</span>'
    assert Template("{% load portal_tags %}{{ v|indicator_value:'ENV-04' }}").render(
        Context({"v": "<b>"})) == "&lt;b&gt;"


def test_value_queue_shows_yes_no_and_labels_not_codes(world, client_as):
    env04 = Indicator.objects.get(code="ENV-04")
    IndicatorValue.objects.create(
        supplier=world.own, quarter=str(world.quarter), indicator=env04, value="net_zero_validated",
        origin=ValueOrigin.SUPPLIER, state=ValueState.SUBMITTED, submitted_at=timezone.now())
    client = client_as("procurement_analyst")
    html = client.get("/scorecard/values/").content.decode()
    assert "<strong>yes</strong>" in html and "<strong>true</strong>" not in html
    assert "Net-zero target validated" in html and "net_zero_validated" not in html
    zh = _zh(client).get("/scorecard/values/").content.decode()
    assert "<strong>是</strong>" in zh and "净零目标已获验证" in zh


def test_accepting_a_value_says_what_was_accepted_in_words(world, client_as):
    response = client_as("procurement_analyst").post(f"/scorecard/values/{world.submitted.pk}/accept/",
                                                     follow=True)
    assert "ENV-01 = yes" in response.content.decode()


def test_supplier_page_shows_percentages_and_labels(world, client_as, make_site):
    # Three production sites, two with a valid full audit: RBA-01 = 66.666…%.
    analyst = world.analyst
    audited = make_site(world.own, code="OWN-1-F2")
    make_site(world.own, code="OWN-1-F3")
    end = world.quarter.as_of - dt.timedelta(days=30)
    audit_services.audit_create(
        site=audited, audit_type="vap_full", status="closed", audit_ref="AUD-OWN-2", actor=analyst,
        audit_firm="Firm", start_date=end - dt.timedelta(days=3), conducted_on=end,
        report_received_on=end + dt.timedelta(days=5), score=Decimal("180"), recognition="gold")
    IndicatorValue.objects.create(
        supplier=world.own, quarter=str(world.quarter), indicator=Indicator.objects.get(code="ENV-04"),
        value="near_term_validated", origin=ValueOrigin.IMPORT, state=ValueState.ACCEPTED,
        submitted_at=timezone.now())
    IndicatorValue.objects.create(
        supplier=world.own, quarter=str(world.quarter), indicator=Indicator.objects.get(code="ENV-03"),
        value="B-", origin=ValueOrigin.IMPORT, state=ValueState.ACCEPTED,
        submitted_at=timezone.now())
    run = score_run_now(quarter=world.quarter, actor=analyst, trigger="command")
    assert run.status == "succeeded", run.error
    html = client_as("supplier_user").get(f"/suppliers/{world.own.code}/").content.decode()
    assert "66.7 %" in html and "66.6667" not in html and "66.67 %" not in html
    assert "Near-term targets validated" in html and "near_term_validated" not in html
    zh = _zh(client_as("supplier_user")).get(f"/suppliers/{world.own.code}/").content.decode()
    assert "近期目标已获验证" in zh


# --------------------------------------------------------------------------- 3. charts


def _texts(svg: str) -> list[tuple[float, str, str]]:
    """(x, anchor, text) of every <text> of a chart."""
    return [(float(x), anchor, text) for x, anchor, text in
            re.findall(r'<text x="([\d.-]+)" y="[\d.-]+" font-size="\d+" text-anchor="(\w+)"[^>]*>([^<]*)</text>',
                       svg)]


def _width(svg: str) -> float:
    return float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))


def _assert_inside(svg: str, size: int = 10):
    width = _width(svg)
    for x, anchor, text in _texts(svg):
        w = charts.text_width(text, size)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        assert left >= 0, (text, left)
        assert left + w <= width, (text, left + w, width)


def test_line_chart_keeps_the_last_labels_inside():
    points = [(f"202{5 + i // 4}-Q{i % 4 + 1}", 40_000_000.0 + i * 900_000.5) for i in range(8)]
    svg = charts.line_chart("Spend", points, value_format=charts.compact_number)
    _assert_inside(svg)
    assert ">2026-Q4<" in svg  # the whole last quarter label
    texts = [text for _, _, text in _texts(svg)]
    assert "46.3M" in texts and not any("," in text for text in texts)


def test_spend_axis_labels_are_short_and_fully_inside():
    svg = charts.line_chart("Spend", [("2026-Q2", 45_843_412.0), ("2026-Q3", 418_000_000.0)],
                            value_format=charts.compact_number)
    texts = [text for _, _, text in _texts(svg)]
    assert "45.8M" in texts and "418M" in texts
    assert "500M" in texts and "250M" in texts and "0" in texts  # round axis, shortened
    _assert_inside(svg)


def test_band_labels_sit_right_of_the_plot_clear_of_the_points():
    svg = charts.line_chart("Score", [("2026-Q2", 70.0), ("2026-Q3", 86.5)], y_max=100,
                            bands=[("A", 85), ("B", 70), ("C", 50)])
    rect = re.search(r'<rect x="(\d+)" y="\d+" width="([\d.]+)"', svg)
    plot_right = float(rect.group(1)) + float(rect.group(2))
    circles = [float(cx) for cx in re.findall(r'<circle cx="([\d.]+)"', svg)]
    texts = {text: (x, anchor) for x, anchor, text in _texts(svg)}
    x, anchor = texts["A ≥ 85"]
    assert anchor == "start" and x > plot_right >= max(circles)
    point_x, _ = texts["86.5"]
    assert point_x + charts.text_width("86.5", 10) / 2 <= plot_right
    _assert_inside(svg)


def test_bar_and_coverage_charts_fit_their_labels():
    bars = [charts.Bar("优先级（Priority）", 1), charts.Bar("Opportunity", 12_500_000), charts.Bar("OFI", 20)]
    svg = charts.bar_chart("Findings", bars)
    _assert_inside(svg, 13)
    assert ">12.5M<" in svg
    coverage = charts.coverage_bars("Coverage", [("Science-based targets", 0.613, 0.95, False),
                                                 ("温室气体披露", 0.95, 0.95, True)],
                                    met_text="met", missed_text="missed")
    width = _width(coverage)
    for x, _, text in _texts(coverage):
        assert x + charts.text_width(text, 13, bold=True) <= width, text


def test_compact_numbers():
    assert charts.compact_number(45_843_412) == "45.8M"
    assert charts.compact_number(1_240_000_000) == "1.2B"
    assert charts.compact_number(12_500) == "12.5k"
    assert charts.compact_number(999_960) == "1M"
    assert charts.compact_number(-2_500_000) == "-2.5M"
    assert charts.compact_number(9_999) == "9,999"
    assert charts.compact_number(86.5) == "86.5"
    assert charts.nice_ceiling(136_100_000) == 150_000_000
    assert charts.nice_ceiling(100) == 100


# --------------------------------------------------------------------------- 4. dashboard tables


def test_dashboard_tables_get_full_width_cards_and_codes_do_not_wrap(world, client_as):
    html = client_as("procurement_analyst").get("/dashboard/").content.decode()
    for heading in ("gaps-h", "expiring-h"):
        assert re.search(rf'<section class="panel wide" aria-labelledby="{heading}">', html), heading
    assert f'<a class="code" href="/suppliers/{world.own.code}/">{world.own.code}</a>' in html
    css = (settings.BASE_DIR / "static" / "portal" / "portal.css").read_text()
    assert re.search(r"\.grid2 > \.wide \{ grid-column: 1 / -1; \}", css)
    assert re.search(r"\.code, \.nowrap \{ white-space: nowrap; \}", css)


# --------------------------------------------------------------------------- 5. empty states


@pytest.mark.parametrize(("role", "says", "never"), [
    ("procurement_analyst", "Plan audits for sites", ()),
    ("viewer", "Procurement analysts plan them", ("Plan audits for sites", "or record one", "/audits/new/")),
    ("supplier_user", "No audits of your sites are planned yet", ("Plan audits for sites", "or record one",
                                                                  "/audits/new/")),
])
def test_planned_audits_empty_state_fits_the_role(db, role_users, client_as, role, says, never):
    html = client_as(role).get("/audits/planned/").content.decode()
    assert says in html
    for text in never:
        assert text not in html


# --------------------------------------------------------------------------- 6. favicon


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_pages_link_the_favicon(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/portal/favicon.svg" type="image/svg+xml">' in html
    assert (settings.BASE_DIR / "static" / "portal" / "favicon.svg").read_text().startswith("<svg")


# --------------------------------------------------------------------------- 7. report form


def test_report_form_labels_sit_with_their_controls(world, client_as):
    html = client_as("procurement_analyst").get("/reports/").content.decode()
    form = html[html.index('<form method="post" class="filters"'):]
    form = form[:form.index("</form>")]
    assert "<br>" not in form
    for name in ("quarter", "format"):
        assert re.search(rf'<div class="filter-field"><label for="id_{name}">[^<]+</label><select name="{name}"',
                         form), name
