"""The reports endpoint per role: start an export (202), follow it, download the file;
supplier users only ever reach their own supplier's report card."""

from __future__ import annotations

import hashlib
import io

import openpyxl
import pytest
from pypdf import PdfReader

from core import roles
from reports.models import Report, ReportStatus
from reports.scores_csv import scores_csv_text
from suppliers.models import Supplier
from tests.reports.conftest import Q3

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(quarter_scored, role_users):
    """The quarter of conftest, with the supplier user a member of supplier A."""
    membership = role_users[roles.SUPPLIER_USER].supplier_membership
    membership.supplier = Supplier.objects.get(code="A")
    membership.save()
    return quarter_scored


@pytest.fixture
def start(api_as, django_capture_on_commit_callbacks):
    """POST as a role; the eager task runs when the request's transaction commits."""

    def post(role, payload):
        with django_capture_on_commit_callbacks(execute=True):
            return api_as(role).post("/api/v1/reports/", payload, format="json")

    return post


def written(api_as, response) -> dict:
    """The report as GET shows it once its task ran (the POST answered while it was queued)."""
    assert response.status_code == 202, response.json()
    return api_as(roles.PROCUREMENT_ADMIN).get(f"/api/v1/reports/{response.json()['id']}/").json()


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_procurement_starts_an_xlsx_export_follows_it_and_downloads_it(scored, start, api_as):
    response = start(roles.PROCUREMENT_ANALYST, {"quarter": "2026-Q3", "format": "xlsx"})
    assert response.status_code == 202, response.json()
    started = response.json()
    assert (started["quarter"], started["format"], started["scope"], started["supplier_code"], started["status"]) == (
        "2026-Q3", "xlsx", "all", None, "queued")

    followed = api_as(roles.VIEWER).get(f"/api/v1/reports/{started['id']}/").json()
    assert (followed["status"], followed["progress"], followed["run"], followed["methodology"]) == (
        "succeeded", 100, scored.pk, "v1")
    assert followed["suppliers"] == 4
    assert followed["requested_by_label"] == roles.PROCUREMENT_ANALYST
    assert followed["download_url"].endswith(f"/api/v1/reports/{started['id']}/download/")

    download = api_as(roles.VIEWER).get(f"/api/v1/reports/{started['id']}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert download["Content-Disposition"] == 'attachment; filename="esg-report-2026-Q3.xlsx"'
    content = body(download)
    assert len(content) == followed["size"]
    assert hashlib.sha256(content).hexdigest() == followed["checksum"] == download["X-Checksum-SHA256"]
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames[:2] == ["Summary", "Scores"]
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Score run"] == scored.pk

    report = Report.objects.get(pk=started["id"])
    assert report.file.name.startswith("reports/2026-Q3/")
    assert report.run_id == scored.pk and report.finished_at is not None


def test_the_csv_report_is_byte_for_byte_the_contract_scores_csv(scored, start, api_as):
    report_id = start(roles.PROCUREMENT_ADMIN, {"quarter": "2026-Q3", "format": "csv"}).json()["id"]
    download = api_as(roles.PROCUREMENT_ADMIN).get(f"/api/v1/reports/{report_id}/download/")
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert body(download) == scores_csv_text(Q3).encode("utf-8")
    assert Report.objects.get(pk=report_id).suppliers == 4


def test_procurement_gets_one_suppliers_card_or_every_card_as_a_zip(scored, start, api_as):
    one = written(api_as, start(roles.PROCUREMENT_ANALYST,
                                {"quarter": "2026-Q3", "format": "pdf", "supplier_code": "B"}))
    assert (one["scope"], one["supplier_code"], one["status"], one["file_name"]) == (
        "supplier", "B", "succeeded", "esg-report-card-2026-Q3-B.pdf")
    pdf = body(api_as(roles.VIEWER).get(f"/api/v1/reports/{one['id']}/download/"))
    assert "Müller Präzision" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    every = written(api_as, start(roles.PROCUREMENT_ANALYST, {"quarter": "2026-Q3", "format": "pdf"}))
    assert (every["scope"], every["file_name"], every["suppliers"]) == ("all", "esg-report-cards-2026-Q3.zip", 4)
    download = api_as(roles.VIEWER).get(f"/api/v1/reports/{every['id']}/download/")
    assert download["Content-Type"] == "application/zip"


def test_supplier_user_gets_its_own_report_card_by_default(scored, start, api_as):
    response = start(roles.SUPPLIER_USER, {"quarter": "2026-Q3", "format": "pdf"})
    assert (response.json()["supplier_code"], response.json()["status"]) == ("A", "queued")
    assert written(api_as, response)["status"] == "succeeded"
    download = api_as(roles.SUPPLIER_USER).get(f"/api/v1/reports/{response.json()['id']}/download/")
    assert download.status_code == 200
    assert "深圳华强电子有限公司" in PdfReader(io.BytesIO(body(download))).pages[0].extract_text()


@pytest.mark.parametrize("payload", [
    {"quarter": "2026-Q3", "format": "xlsx"},
    {"quarter": "2026-Q3", "format": "csv"},
])
def test_supplier_user_cannot_export_the_quarter(scored, start, payload):
    response = start(roles.SUPPLIER_USER, payload)
    assert response.status_code == 403
    assert "only the PDF report card of their own supplier" in response.json()["detail"]
    assert Report.objects.count() == 0


def test_another_suppliers_code_looks_like_an_unknown_one(scored, start):
    other = start(roles.SUPPLIER_USER, {"quarter": "2026-Q3", "format": "pdf", "supplier_code": "B"})
    unknown = start(roles.SUPPLIER_USER, {"quarter": "2026-Q3", "format": "pdf", "supplier_code": "NOPE"})
    assert other.status_code == unknown.status_code == 400
    assert other.json()["supplier_code"][0].replace("B", "?") == unknown.json()["supplier_code"][0].replace(
        "NOPE", "?")
    assert Report.objects.count() == 0


def test_supplier_user_never_sees_or_downloads_other_reports(scored, start, api_as):
    own = start(roles.SUPPLIER_USER, {"quarter": "2026-Q3", "format": "pdf"}).json()["id"]
    card_b = start(roles.PROCUREMENT_ANALYST, {"quarter": "2026-Q3", "format": "pdf", "supplier_code": "B"}).json()
    workbook = start(roles.PROCUREMENT_ANALYST, {"quarter": "2026-Q3", "format": "xlsx"}).json()
    card_a = start(roles.PROCUREMENT_ANALYST, {"quarter": "2026-Q3", "format": "pdf", "supplier_code": "A"}).json()
    supplier = api_as(roles.SUPPLIER_USER)
    listed = supplier.get("/api/v1/reports/").json()
    assert sorted(row["id"] for row in listed["results"]) == sorted([own, card_a["id"]])
    for hidden in (card_b["id"], workbook["id"]):
        assert supplier.get(f"/api/v1/reports/{hidden}/").status_code == 404
        assert supplier.get(f"/api/v1/reports/{hidden}/download/").status_code == 404
    assert supplier.get(f"/api/v1/reports/{card_a['id']}/download/").status_code == 200
    assert api_as(roles.VIEWER).get("/api/v1/reports/").json()["count"] == 4


def test_users_without_a_role_get_nothing(scored, start, api_as):
    assert start("no_role", {"quarter": "2026-Q3", "format": "pdf"}).status_code == 403
    assert api_as("no_role").get("/api/v1/reports/").status_code == 403
    assert api_as(None).get("/api/v1/reports/").status_code in (401, 403)
    assert Report.objects.count() == 0


@pytest.mark.parametrize(("payload", "field", "message"), [
    ({"quarter": "2026Q3", "format": "xlsx"}, "quarter", "is not a quarter"),
    ({"quarter": "2026-Q3", "format": "docx"}, "format", "not a valid choice"),
    ({"quarter": "2026-Q4", "format": "xlsx"}, "detail", "No stored scores for 2026-Q4"),
    ({"quarter": "2026-Q3", "format": "xlsx", "supplier_code": "A"}, "detail", "cover the whole quarter"),
])
def test_requests_that_cannot_become_a_report_are_refused(scored, start, payload, field, message):
    response = start(roles.PROCUREMENT_ADMIN, payload)
    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert Report.objects.count() == 0


def test_a_report_not_written_yet_has_nothing_to_download(scored, api_as):
    report = Report.objects.create(quarter="2026-Q3", format="xlsx")
    response = api_as(roles.VIEWER).get(f"/api/v1/reports/{report.pk}/download/")
    assert response.status_code == 409
    assert response.json()["status"] == ReportStatus.QUEUED
    assert api_as(roles.VIEWER).get(f"/api/v1/reports/{report.pk}/").json()["download_url"] is None


def test_download_answers_whatever_the_accept_header(scored, start, api_as):
    started = start(roles.PROCUREMENT_ANALYST, {"quarter": "2026-Q3", "format": "pdf", "supplier_code": "A"})
    report_id = started.json()["id"]
    response = api_as(roles.VIEWER).get(f"/api/v1/reports/{report_id}/download/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert body(response)[:5] == b"%PDF-"


def test_list_filters_by_quarter_and_status(scored, start, api_as):
    start(roles.PROCUREMENT_ANALYST, {"quarter": "2026-Q3", "format": "csv"})
    start(roles.PROCUREMENT_ANALYST, {"quarter": "2026-Q2", "format": "csv"})
    client = api_as(roles.VIEWER)
    assert client.get("/api/v1/reports/?quarter=2026-Q2").json()["count"] == 1
    assert client.get("/api/v1/reports/?status=succeeded").json()["count"] == 2
    assert client.get("/api/v1/reports/?status=failed").json()["count"] == 0


def test_the_endpoint_is_in_the_openapi_schema(role_users, api_as):
    schema = api_as(roles.VIEWER).get("/api/schema/?format=json").json()
    for url in ("/api/v1/reports/", "/api/v1/reports/{id}/", "/api/v1/reports/{id}/download/"):
        assert url in schema["paths"]
    assert "202" in schema["paths"]["/api/v1/reports/"]["post"]["responses"]
    assert schema["components"]["schemas"]["ReportStatusEnum"]["enum"] == [
        "queued", "running", "succeeded", "failed", "cancelled"]


def test_viewers_read_and_download_but_do_not_start_exports(scored, start, api_as):
    refused = start(roles.VIEWER, {"quarter": "2026-Q3", "format": "csv"})
    assert refused.status_code == 403
    assert "analysts and administrators start exports" in refused.json()["detail"]
