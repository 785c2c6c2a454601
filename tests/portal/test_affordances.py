"""No button for an action the role cannot take: the page and the view share one
permission helper per action (``portal.access``); refusals are translated sentences; a
report requested under 简体中文 is written in Chinese."""

from __future__ import annotations

import io

from django.conf import settings
from pypdf import PdfReader

from reports.models import Report

VIEWER_SENTENCE = "Viewers download existing reports; analysts and administrators start exports."


def chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def test_a_viewer_is_offered_neither_an_export_nor_a_report_card(world, client_as):
    viewer = client_as("viewer")
    reports_page = viewer.get("/reports/").content.decode()
    assert "Start export" not in reports_page and VIEWER_SENTENCE in reports_page
    supplier_page = viewer.get(f"/suppliers/{world.own.code}/").content.decode()
    assert "PDF report card" not in supplier_page
    assert f"/suppliers/{world.own.code}/report-card/" not in supplier_page


def test_an_analyst_is_offered_both(world, client_as):
    analyst = client_as("procurement_analyst")
    assert "Start export" in analyst.get("/reports/").content.decode()
    assert "PDF report card" in analyst.get(f"/suppliers/{world.own.code}/").content.decode()


def test_a_supplier_user_is_offered_its_own_report_card(world, client_as):
    supplier = client_as("supplier_user")
    assert "Start export" in supplier.get("/reports/").content.decode()
    assert "PDF report card" in supplier.get(f"/suppliers/{world.own.code}/").content.decode()


def test_what_the_page_hides_the_view_refuses(world, client_as):
    viewer = client_as("viewer")
    assert viewer.post("/reports/", {"quarter": str(world.quarter), "format": "csv"}).status_code == 403
    assert viewer.post(f"/suppliers/{world.own.code}/report-card/",
                       {"quarter": str(world.quarter)}).status_code == 403
    assert not Report.objects.exists()


def test_the_viewer_sentence_is_translated(world, client_as):
    page = chinese(client_as("viewer")).get("/reports/").content.decode()
    assert VIEWER_SENTENCE not in page and "开始导出</button>" not in page
    assert "查看者可下载已有报告；导出由分析员和管理员发起。" in page


def test_a_report_card_requested_under_chinese_is_written_in_chinese(world, client_as,
                                                                    django_capture_on_commit_callbacks):
    analyst = chinese(client_as("procurement_analyst"))
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post(f"/suppliers/{world.own.code}/report-card/", {"quarter": str(world.quarter)})
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == "succeeded", report.error
    assert report.language == "zh-hans"
    with report.file.open("rb") as handle:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)
    assert "季度业务评审卡" in text  # "Quarterly business review card"
    assert "Quarterly business review card" not in text and "Open findings at" not in text
