"""Portal doors of the industry's files (docs/industry-files.md): the smelter list imported
with a dry-run preview then a commit; procurement's queue of submitted minerals reports and a
report's page; a supplier's own EcoVadis/CDP/SBTi rating submitted for the value review."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core import pending_uploads, roles
from core.quarter import Quarter
from disclosure.minerals import SmelterListImporter, minerals_report_import
from disclosure.models import Smelter, SmelterStatus
from scoring import selectors
from scoring.models import IndicatorValue
from suppliers.models import Document, SupplierMembership
from tests import files
from tests.rmi_templates import build, smelter, upload

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
LIST = ("smelter_id,metal,name,country,status,as_of\n"
        "CID000001,tin,Alpha Tin,Indonesia,conformant,2026-01-01\n"
        "CID000002,gold,Beta Gold,Switzerland,active,2026-01-01\n")


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def other_user(role_users, other_supplier):
    user = get_user_model().objects.create_user(username="other-supplier-user", password="pw")
    user.groups.add(Group.objects.get(name=roles.SUPPLIER_USER))
    SupplierMembership.objects.create(user=user, supplier=other_supplier)
    client = Client()
    client.force_login(user)
    return client


def csv(text: str, name: str = "list.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


# --------------------------------------------------------------------------- the smelter list


def test_smelter_list_preview_writes_nothing_then_commit_writes_through_the_importer(client_as):
    SmelterListImporter(actor="test").run(LIST.encode())
    client = client_as(roles.PROCUREMENT_ANALYST)
    newer = ("smelter_id,metal,name,country,status,as_of\n"
             "CID000001,tin,Alpha Tin,Indonesia,active,2026-10-15\n"
             "CID000003,tantalum,Gamma Tantalum,China,conformant,2026-10-15\n"
             "CID000002,gold,Beta Gold,Switzerland,conformant,2025-06-01\n")
    page = client.post("/scorecard/smelters/", {"file": csv(newer)})
    assert page.status_code == 200
    rows = {row["smelter_id"]: row for row in page.context["result"]["rows"]}
    assert (page.context["result"]["created"], page.context["result"]["updated"]) == (1, 1)
    assert (rows["CID000001"]["previous"], rows["CID000001"]["status"], rows["CID000001"]["current"]) == (
        "conformant", "active", True)
    assert rows["CID000003"]["previous"] == ""
    assert rows["CID000002"]["current"] is False  # an older list: history only
    assert "older list: history only" in page.content.decode()
    assert Smelter.objects.get(smelter_id="CID000001").status == "conformant"
    assert not Smelter.objects.filter(smelter_id="CID000003").exists()
    assert SmelterStatus.objects.count() == 2
    committed = client.post("/scorecard/smelters/commit/", {"token": page.context["token"]}, follow=True)
    assert "1 smelters created, 1 updated" in committed.content.decode()
    assert Smelter.objects.get(smelter_id="CID000001").status == "active"
    assert Smelter.objects.get(smelter_id="CID000002").status == "active"
    assert SmelterStatus.objects.count() == 5
    assert Smelter.history.filter(smelter_id="CID000003").get().history_user.username == roles.PROCUREMENT_ANALYST
    again = client.post("/scorecard/smelters/commit/", {"token": page.context["token"]}, follow=True)
    assert "expired" in again.content.decode()


def test_bad_smelter_list_shows_row_and_column_and_writes_nothing(client_as):
    client = client_as(roles.PROCUREMENT_ADMIN)
    page = client.post("/scorecard/smelters/", {"file": csv(
        "smelter_id,metal,name,country,status\nCID000001,silver,X,CN,conformant\nCID000002,gold,Y,CN,gold star\n")})
    assert page.status_code == 400 and "token" not in page.context
    text = page.content.decode()
    assert "row 2, column metal" in text and "row 3, column status" in text
    assert not Smelter.objects.exists() and not client.session.get("smelter_list_pending")
    refused = client.post("/scorecard/smelters/", {"file": SimpleUploadedFile("list.xlsx", files.PDF)})
    assert refused.status_code == 400 and not Smelter.objects.exists()


def test_smelter_list_page_per_role(client_as):
    SmelterListImporter(actor="test").run(LIST.encode())
    viewer = client_as(roles.VIEWER).get("/scorecard/smelters/?metal=gold")
    assert viewer.status_code == 200 and not viewer.context["can_import"]
    assert [s.smelter_id for s in viewer.context["page"].object_list] == ["CID000002"]
    assert "Upload and preview" not in viewer.content.decode()
    assert client_as(roles.VIEWER).post("/scorecard/smelters/", {"file": csv(LIST)}).status_code == 403
    assert client_as(roles.VIEWER).post("/scorecard/smelters/commit/", {"token": "x"}).status_code == 403
    assert client_as(roles.SUPPLIER_USER).get("/scorecard/smelters/").status_code == 403


def test_a_commit_after_the_preview_was_swept_asks_for_the_file_again(client_as):
    client = client_as(roles.PROCUREMENT_ANALYST)
    page = client.post("/scorecard/smelters/", {"file": csv(LIST)})
    with time_machine.travel(TODAY + pending_uploads.MAX_AGE + dt.timedelta(minutes=1), tick=False):
        assert pending_uploads.sweep() == 1
        response = client.post("/scorecard/smelters/commit/", {"token": page.context["token"]}, follow=True)
    assert "expired" in response.content.decode()
    assert not Smelter.objects.exists()


# --------------------------------------------------------------------------- minerals reports


def submitted(supplier, user, *, template="cmrt", date=dt.date(2026, 2, 7)):
    version = "6.5" if template == "cmrt" else "2.1"
    return minerals_report_import(supplier=supplier, template=template, actor=user, upload=upload(build(
        template=template, version=version, date=date,
        rows=[smelter("Tin", "Alpha Tin", identification="CID000001"), smelter("Gold", "Beta Gold")])
    )).report


def test_minerals_queue_lists_submissions_across_suppliers_with_filters(client_as, role_users, own_supplier,
                                                                        other_supplier, other_user,
                                                                        django_assert_max_num_queries):
    own = submitted(own_supplier, role_users[roles.SUPPLIER_USER])
    other = submitted(other_supplier, get_user_model().objects.get(username="other-supplier-user"), template="emrt")
    accepted = submitted(other_supplier, None, date=dt.date(2026, 3, 1))
    assert (own.state, other.state, accepted.state) == ("submitted", "submitted", "accepted")
    analyst = client_as(roles.PROCUREMENT_ANALYST)
    with django_assert_max_num_queries(12):
        page = analyst.get("/scorecard/minerals/")
    assert [r.pk for r in page.context["page"].object_list] == [own.pk, other.pk]
    assert page.context["page"].object_list[0].smelter_rows == 2
    assert [r.pk for r in analyst.get("/scorecard/minerals/?template=emrt").context["page"].object_list] == [other.pk]
    assert [r.pk for r in analyst.get(f"/scorecard/minerals/?supplier={own_supplier.code}")
            .context["page"].object_list] == [own.pk]
    assert [r.pk for r in analyst.get("/scorecard/minerals/?state=all").context["page"].object_list] == [
        accepted.pk, other.pk, own.pk]
    response = analyst.post(f"/suppliers/{own_supplier.code}/minerals/{own.pk}/reject/",
                            {"comment": "", "next": "/scorecard/minerals/"}, follow=True)
    own.refresh_from_db()
    assert own.state == "submitted" and "Say why the report is rejected" in response.content.decode()
    response = analyst.post(f"/suppliers/{own_supplier.code}/minerals/{own.pk}/accept/",
                            {"next": "/scorecard/minerals/?template=cmrt"})
    assert response.status_code == 302 and response.url == "/scorecard/minerals/?template=cmrt"
    own.refresh_from_db()
    assert (own.state, own.reviewed_by.username) == ("accepted", roles.PROCUREMENT_ANALYST)
    viewer = client_as(roles.VIEWER).get("/scorecard/minerals/")
    assert viewer.status_code == 200 and "/accept/" not in viewer.content.decode()
    assert client_as(roles.SUPPLIER_USER).get("/scorecard/minerals/").status_code == 403


def test_report_page_shows_every_row_and_is_scoped_to_the_supplier(client_as, role_users, own_supplier,
                                                                   other_supplier, other_user):
    SmelterListImporter(actor="test").run(LIST.encode())
    own = submitted(own_supplier, role_users[roles.SUPPLIER_USER])
    other = submitted(other_supplier, None)
    mine = client_as(roles.SUPPLIER_USER)
    page = mine.get(f"/suppliers/{own_supplier.code}/minerals/{own.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alpha Tin" in text and "Beta Gold" in text and "Conformant" in text
    assert "Is any 3TG intentionally added?" in text
    assert not page.context["can_review"] and "/accept/" not in text
    assert mine.get(f"/suppliers/{other_supplier.code}/minerals/{other.pk}/").status_code == 404
    assert mine.get(f"/suppliers/{own_supplier.code}/minerals/{other.pk}/").status_code == 404
    assert other_user.get(f"/suppliers/{own_supplier.code}/minerals/{own.pk}/").status_code == 404
    review = client_as(roles.PROCUREMENT_ANALYST).get(f"/suppliers/{own_supplier.code}/minerals/{own.pk}/")
    assert review.context["can_review"] and "/accept/" in review.content.decode()


# --------------------------------------------------------------------------- a supplier's own rating


def ecovadis(**fields):
    data = {"kind": "ecovadis", "ecovadis-published_on": "2026-03-14", "ecovadis-medal": "silver",
            "ecovadis-overall": "62", "ecovadis-environment": "70", "ecovadis-labor_human_rights": "60",
            "ecovadis-ethics": "55", "ecovadis-sustainable_procurement": "",
            "ecovadis-evidence_file": SimpleUploadedFile("scorecard.pdf", files.PDF, content_type="application/pdf")}
    data.update(fields)
    return data


def test_supplier_submits_its_ecovadis_scorecard_and_it_counts_once_accepted(client_as, own_supplier):
    supplier = client_as(roles.SUPPLIER_USER)
    response = supplier.post(f"/suppliers/{own_supplier.code}/ratings/", ecovadis())
    assert response.status_code == 302
    values = {v.indicator.code: v for v in IndicatorValue.objects.select_related("indicator")}
    assert {code: v.value for code, v in values.items()} == {"ECO-01": "62", "ECO-02": "70", "ECO-03": "60",
                                                              "ECO-04": "55"}
    assert {v.state for v in values.values()} == {"submitted"}
    assert {v.quarter for v in values.values()} == {"2026-Q1"}
    assert {v.origin for v in values.values()} == {"supplier"}
    document = Document.objects.get(supplier=own_supplier)
    assert {v.evidence_ref for v in values.values()} == {f"document:{document.pk}"}
    assert values["ECO-01"].source == "EcoVadis scorecard 2026-03-14, silver (submitted by the supplier)"
    analyst = client_as(roles.PROCUREMENT_ANALYST)
    queue = analyst.get("/scorecard/values/")
    assert {v.pk for v in queue.context["page"].object_list} >= {v.pk for v in values.values()}
    analyst.post(f"/scorecard/values/{values['ECO-01'].pk}/accept/", {"comment": ""})
    values["ECO-01"].refresh_from_db()
    assert values["ECO-01"].state == "accepted"
    # Only the accepted one reaches the next recalculation (scorecard.md section 5).
    counted = selectors.values_in_window(Quarter(2026, 1), [own_supplier.pk])
    assert [(v.indicator.code, v.value) for v in counted.select_related("indicator")] == [("ECO-01", "62")]


def test_old_scorecard_and_bad_ratings_are_refused_and_write_nothing(client_as, own_supplier):
    supplier = client_as(roles.SUPPLIER_USER)
    old = supplier.post(f"/suppliers/{own_supplier.code}/ratings/", ecovadis(**{"ecovadis-published_on": "2025-11-30"}))
    assert old.status_code == 400 and "12 months or more ago" in old.content.decode()
    over = supplier.post(f"/suppliers/{own_supplier.code}/ratings/", ecovadis(**{"ecovadis-overall": "101"}))
    assert over.status_code == 400
    sbti = supplier.post(f"/suppliers/{own_supplier.code}/ratings/", {"kind": "sbti"})
    assert sbti.status_code == 400 and "a status is required" in sbti.content.decode()
    cdp = supplier.post(f"/suppliers/{own_supplier.code}/ratings/", {"kind": "cdp", "cdp-score": "B+"})
    assert cdp.status_code == 400
    assert not IndicatorValue.objects.exists() and not Document.objects.exists()


def test_cdp_and_sbti_ratings_take_this_quarter(client_as, own_supplier):
    supplier = client_as(roles.SUPPLIER_USER)
    assert supplier.post(f"/suppliers/{own_supplier.code}/ratings/",
                         {"kind": "cdp", "cdp-score": "B-", "cdp-year": "2025"}).status_code == 302
    assert supplier.post(f"/suppliers/{own_supplier.code}/ratings/",
                         {"kind": "sbti", "sbti-near_term_status": "targets set"}).status_code == 302
    values = {v.indicator.code: v for v in IndicatorValue.objects.select_related("indicator")}
    assert (values["ENV-03"].value, values["ENV-03"].quarter, values["ENV-03"].state) == ("B-", "2026-Q4", "submitted")
    assert values["ENV-03"].source == "CDP climate 2025 (submitted by the supplier)"
    assert (values["ENV-04"].value, values["ENV-04"].quarter) == ("near_term_validated", "2026-Q4")


def test_ratings_permissions(client_as, own_supplier, other_supplier, other_user):
    assert other_user.get(f"/suppliers/{own_supplier.code}/ratings/").status_code == 404
    assert other_user.post(f"/suppliers/{own_supplier.code}/ratings/", ecovadis()).status_code == 404
    viewer = client_as(roles.VIEWER)
    page = viewer.get(f"/suppliers/{own_supplier.code}/ratings/")
    assert page.status_code == 200 and "Submit for review" not in page.content.decode()
    assert viewer.post(f"/suppliers/{own_supplier.code}/ratings/", ecovadis()).status_code == 403
    client_as(roles.SUPPLIER_USER).post(f"/suppliers/{own_supplier.code}/ratings/",
                                        {"kind": "cdp", "cdp-score": "A"})
    assert list(other_user.get(f"/suppliers/{other_supplier.code}/ratings/").context["page"].object_list) == []
    analyst = client_as(roles.PROCUREMENT_ANALYST)
    response = analyst.post(f"/suppliers/{other_supplier.code}/ratings/", {"kind": "cdp", "cdp-score": "C"})
    assert response.status_code == 302
    entered = IndicatorValue.objects.get(supplier=other_supplier)
    assert (entered.state, entered.origin) == ("accepted", "procurement")


# --------------------------------------------------------------------------- Product List, Mine List


def test_product_list_and_mine_list_are_kept_and_shown(client_as, own_supplier, api_as):
    cmrt = minerals_report_import(supplier=own_supplier, template="cmrt", actor=None, upload=upload(build(
        date=dt.date(2026, 2, 7), products=[("PN-100", "Main board"), ("PN-200", "", "discontinued in 2026")])))
    emrt = minerals_report_import(supplier=own_supplier, template="emrt", actor=None, upload=upload(build(
        template="emrt", version="2.1", date=dt.date(2026, 2, 7), rows=[smelter("Cobalt", "X")],
        mines=[("Cobalt", "X", "", "Kolwezi North", "MINE-7", "Congo, Democratic Republic of the")]),
        "emrt.xlsx")).report
    report = cmrt.report
    report.refresh_from_db()
    # Instructions above the header and a blank row inside the list are skipped.
    assert report.products == [
        {"row": 6, "cells": {"Manufacturer's Product Number (*)": "PN-100",
                             "Manufacturer's Product Name": "Main board"}},
        {"row": 8, "cells": {"Manufacturer's Product Number (*)": "PN-200", "Comments": "discontinued in 2026"}}]
    assert report.mines == []
    emrt.refresh_from_db()
    assert emrt.mines == [{"row": 5, "cells": {
        "Metal (*)": "Cobalt", "Smelter Look-up (*)": "X", "Mine Name (*)": "Kolwezi North",
        "Mine Identification": "MINE-7", "Mine Country (*)": "Congo, Democratic Republic of the"}}]
    page = client_as(roles.SUPPLIER_USER).get(f"/suppliers/{own_supplier.code}/minerals/{report.pk}/").content.decode()
    assert "Product list" in page and "Main board" in page and "Mine list" not in page
    page = client_as(roles.PROCUREMENT_ANALYST).get(f"/suppliers/{own_supplier.code}/minerals/{emrt.pk}/")
    assert "Kolwezi North" in page.content.decode()
    detail = api_as(roles.PROCUREMENT_ANALYST).get(f"/api/v1/minerals-reports/{emrt.pk}/").json()
    assert detail["mines"][0]["cells"]["Mine Identification"] == "MINE-7" and detail["products"] == []


def test_missing_product_list_sheet_is_no_refusal():
    from disclosure.rmi import read_report

    content = build(sheets=["Declaration", "Smelter List"], rows=[smelter("Tin", "Alpha Tin")])
    report = read_report(io.BytesIO(content), "cmrt", today=dt.date(2026, 11, 30))
    assert report.products == [] and report.mines == [] and len(report.smelters) == 1


# --------------------------------------------------------------------------- hostile files at the new doors


def test_hostile_files_at_the_smelter_list_and_rating_doors(client_as, own_supplier, settings):
    from tests.portal.test_upload_doors import hostile, stored_files

    settings.IMPORT_MAX_UPLOAD_MB = 1
    settings.DOCUMENT_MAX_MB = 1
    analyst = client_as(roles.PROCUREMENT_ANALYST)
    supplier = client_as(roles.SUPPLIER_USER)
    for name, content, why in hostile():
        page = analyst.post("/scorecard/smelters/", {"file": SimpleUploadedFile(name, content)})
        assert page.status_code == 400 and why in page.content.decode().replace("&#x27;", "'"), name
        page = supplier.post(f"/suppliers/{own_supplier.code}/ratings/", {
            "kind": "cdp", "cdp-score": "B", "cdp-evidence_file": SimpleUploadedFile(name, content)})
        assert page.status_code == 400 and why in page.content.decode().replace("&#x27;", "'"), name
    assert not Smelter.objects.exists() and stored_files(settings, "imports") == []
    assert not IndicatorValue.objects.exists() and not Document.objects.exists()


def test_a_full_storage_refuses_the_preview_and_writes_nothing(client_as, monkeypatch):
    def full(content):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pending_uploads, "save", full)
    page = client_as(roles.PROCUREMENT_ANALYST).post("/scorecard/smelters/", {"file": csv(LIST)})
    assert page.status_code == 400 and "could not be kept for the commit" in page.content.decode()
    assert "token" not in page.context and not Smelter.objects.exists()
    lists = client_as(roles.PROCUREMENT_ANALYST).post("/scorecard/lists/", {"kind": "sbti", "file": csv(
        "Company Name,Location,Near term - Target Status\nAcme,Germany,Committed\n", "sbti.csv")})
    assert "could not be kept for the commit" in lists.content.decode() and "token" not in lists.context
