"""The supplier's minerals page: latest CMRT/EMRT, smelters with status, those below 100 %;
supplier self-service upload and procurement review (docs/industry-files.md)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core import roles
from disclosure.minerals import SmelterListImporter, minerals_report_import
from disclosure.models import MineralsReport
from tests.rmi_templates import build, smelter, upload

LIST = ("smelter_id,metal,name,country,status,as_of\n"
        "CID000001,tin,Alpha Tin,Indonesia,conformant,2026-01-01\n"
        "CID000003,tantalum,Gamma Tantalum,China,active,2026-01-01\n")


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.mark.django_db
def test_procurement_sees_the_latest_cmrt_and_the_smelters_below_full(client_as, own_supplier):
    SmelterListImporter(actor="test").run(LIST.encode())
    minerals_report_import(supplier=own_supplier, template="cmrt", actor=None, upload=upload(build(
        date=dt.date(2026, 2, 7), rows=[smelter("Tin", "Alpha Tin", identification="CID000001"),
                                        smelter("tantalum", "Gamma Tantalum", identification="CID000003"),
                                        smelter("Gold", "Smelter not yet identified")])))
    page = client_as(roles.PROCUREMENT_ANALYST).get(f"/suppliers/{own_supplier.code}/minerals/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "33.3 % of 3 counted smelters are RMAP-conformant." in text
    below = text.split("Smelters that keep it below 100 %")[1].split("Counted smelters")[0]
    assert "Gamma Tantalum" in below and "Smelter not yet identified" in below and "Alpha Tin" not in below
    overview = client_as(roles.PROCUREMENT_ANALYST).get(f"/suppliers/{own_supplier.code}/").content.decode()
    assert "2 smelters keep it below 100 %." in overview


@pytest.mark.django_db
def test_supplier_uploads_its_own_report_and_procurement_accepts_it(client_as, own_supplier, other_supplier):
    supplier = client_as(roles.SUPPLIER_USER)
    response = supplier.post(f"/suppliers/{own_supplier.code}/minerals/", {
        "template": "emrt", "file": upload(build(template="emrt", version="2.1",
                                                rows=[smelter("Cobalt", "X")]), "emrt.xlsx")})
    assert response.status_code == 302
    report = MineralsReport.objects.get()
    assert (report.state, report.template, report.version) == ("submitted", "emrt", "2.1")
    assert supplier.get(f"/suppliers/{other_supplier.code}/minerals/").status_code == 404
    refused = supplier.post(f"/suppliers/{own_supplier.code}/minerals/", {
        "template": "cmrt", "file": upload(build(version="6.6"))})
    assert refused.status_code == 400 and "CMRT version 6.6 is not supported" in refused.content.decode()
    assert supplier.post(f"/suppliers/{own_supplier.code}/minerals/{report.pk}/accept/").status_code == 403
    analyst = client_as(roles.PROCUREMENT_ANALYST)
    assert analyst.post(f"/suppliers/{own_supplier.code}/minerals/{report.pk}/accept/").status_code == 302
    report.refresh_from_db()
    assert report.state == "accepted"
    assert client_as(roles.VIEWER).post(f"/suppliers/{own_supplier.code}/minerals/", {
        "template": "cmrt", "file": upload(build())}).status_code == 403


@pytest.mark.django_db
def test_report_page_reads_ids_and_statuses_as_the_score_does(client_as, own_supplier):
    """Ids written lower-case or full-width are the list's ids; each row shows the status in
    force at the end of the quarter of the declaration date (today while it is open)."""
    SmelterListImporter(actor="test").run(LIST.encode())
    SmelterListImporter(actor="test").run(b"smelter_id,metal,name,country,status,as_of\n"
                                          b"CID000001,tin,Alpha Tin,Indonesia,active,2026-10-15\n")
    full_width = "\uff23\uff29\uff24\uff10\uff10\uff10\uff10\uff10\uff13"  # CID000003
    rows = [smelter("Tin", "Alpha Tin", typed="cid000001"),
            smelter("tantalum", "Gamma Tantalum", identification=full_width),
            smelter("Gold", "Smelter not yet identified")]
    first = minerals_report_import(supplier=own_supplier, template="cmrt", actor=None,
                                   upload=upload(build(date=dt.date(2026, 2, 7), rows=rows))).report
    analyst = client_as(roles.PROCUREMENT_ANALYST)
    page = analyst.get(f"/suppliers/{own_supplier.code}/minerals/{first.pk}/")
    assert page.status_code == 200
    assert [row.list_status for row in page.context["rows"]] == ["conformant", "active", ""]
    assert "RMAP status in force on 2026-03-31" in page.content.decode()
    latest = minerals_report_import(supplier=own_supplier, template="cmrt", actor=None,
                                    upload=upload(build(date=dt.date(2026, 11, 2), rows=rows))).report
    page = analyst.get(f"/suppliers/{own_supplier.code}/minerals/{latest.pk}/")
    assert [row.list_status for row in page.context["rows"]] == ["active", "active", ""]
    assert "RMAP status in force on 2026-11-30" in page.content.decode()
