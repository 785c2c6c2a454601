"""Starting a quarterly export from the portal and downloading it when ready."""

from __future__ import annotations

from reports.models import Report


def test_start_an_export_and_download_it(world, client_as, django_capture_on_commit_callbacks):
    analyst = client_as("procurement_analyst")
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post("/reports/", {"quarter": str(world.quarter), "format": "csv"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == "succeeded", report.error
    status = analyst.get(f"/reports/{report.pk}/status.json").json()
    assert status["ready"] is True
    download = analyst.get(status["download_url"])
    assert download.status_code == 200
    assert b"supplier_code" in b"".join(download.streaming_content)
    assert "esg-scores-" in analyst.get("/reports/").content.decode()


def test_supplier_user_exports_only_its_own_report_card(world, client_as, role_users):
    from reports.services import report_create

    other = report_create(quarter=world.quarter, format="csv", actor=role_users["procurement_analyst"])
    supplier = client_as("supplier_user")
    assert supplier.get(f"/reports/{other.pk}/status.json").status_code == 404
    assert supplier.get(f"/reports/{other.pk}/download/").status_code == 404
    response = supplier.get("/reports/")
    assert list(response.context["page"].object_list) == []
    assert [value for value, _ in response.context["form"].fields["format"].choices] == ["pdf"]


def test_export_without_scores_is_explained(db, client_as, role_users):
    response = client_as("procurement_analyst").get("/reports/")
    assert "No quarter has stored scores yet" in response.content.decode()
