"""Responsible minerals (scorecard.md section 9, contract.md "Additions"): the smelter list
and its status history, the CMRT/EMRT readers on generated real-layout workbooks with the
quirks suppliers produce, the refusals, and MIN-01 … MIN-04 computed by hand.

Today is 2026-11-30. Quarter 2026-Q3: D = 2026-09-30, so a report counts when dated after
2025-09-30 and on or before 2026-09-30.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math

import numpy as np
import pytest
import time_machine
from django.core.management import call_command

from core import roles
from core.importing import ImportFailed
from core.quarter import Quarter
from disclosure.minerals import SmelterListImporter, minerals_report_import, minerals_report_review, smelter_list_at
from disclosure.models import MineralsReport, MineralsReportSmelter, Smelter, SmelterStatus
from scoring import derived, selectors
from scoring.engine import compute_quarter
from scoring.methodology import V1
from tests.rmi_templates import build, smelter, upload

TODAY = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
Q3 = Quarter(2026, 3)
Q4 = Quarter(2026, 4)
LIST_HEADER = "smelter_id,metal,name,country,status,as_of\n"
FIRST_LIST = LIST_HEADER + (
    "CID000001,tin,Alpha Tin,Indonesia,conformant,2026-01-01\n"
    "CID000002,gold,Beta Gold,Switzerland,conformant,2026-01-01\n"
    "CID000003,tantalum,Gamma Tantalum,China,active,2026-01-01\n"
    "CID000005,gold,Twin Gold,China,conformant,2026-01-01\n"
    "CID000006,gold,Twin Gold,China,conformant,2026-01-01\n"
    "CID000007,cobalt,Cobalt Refinery,Finland,conformant,2026-01-01\n"
)
# Published after D of 2026-Q3: Alpha Tin loses its status, Delta Tungsten enters conformant.
LATER_LIST = LIST_HEADER + (
    "CID000001,tin,Alpha Tin,Indonesia,active,2026-10-15\n"
    "CID000004,tungsten,Delta Tungsten,Viet Nam,conformant,2026-10-01\n"
)

# 8 counted units, 2 conformant at D of 2026-Q3 (25 %): see test_min02_hand_computed.
CMRT_ROWS = [
    smelter("Tin", "Alpha Tin", country="Indonesia", identification="CID000001"),
    smelter("TIN ", "Alpha Tin", country="Indonesia", typed="cid000001"),       # duplicate by typed id
    smelter("gold", "Beta Gold", country="Switzerland"),                          # look-up filled, id empty
    smelter("Tantalum", "Gamma Tantalum", country="China", identification="CID000003"),  # active
    smelter("Tungsten", "Delta Tungsten", country="Viet Nam", identification="CID000004"),  # no status yet
    smelter("Gold", "Smelter not listed", name="Twin Gold", country="China"),    # two list entries: no id
    smelter("Gold", "Smelter Not Listed", name=" twin gold", country="china"),   # same unit
    smelter("Gold", "Smelter not yet identified"),
    smelter("Tin", "smelter not yet identified"),
    smelter("gold", "Smelter not yet identified", country="Unknown"),            # once per metal
    smelter("Tin", identification="CID999999", country="Peru"),                  # id the list does not know
    smelter("Cobalt", "Cobalt Refinery", identification="CID000007"),            # not a 3TG: not counted
    smelter("Silver", "Some Refinery"),
    smelter("", name="Orphan row"),
]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def import_list(text):
    return SmelterListImporter(actor="test").run(text.encode())


def write(tmp_path, content, name="report.xlsx"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def cmd(name, path, supplier, *extra):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, str(path), "--supplier", supplier, *extra, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def raw_at(quarter, *suppliers):
    reports, rows, smelters = selectors.minerals_frames(quarter)
    index = {s.pk: i for i, s in enumerate(suppliers)}
    positions = np.array([index.get(int(s), -1) for s in reports["supplier_id"]], dtype=np.int64)
    return derived.minerals_raw(reports, rows, smelters, positions, len(suppliers), quarter.as_of)


# ------------------------------------------------------------------------- the smelter list


@pytest.mark.django_db
def test_a_newer_list_updates_statuses_and_keeps_each_smelters_history():
    assert import_list(FIRST_LIST).created == 6
    result = import_list(LATER_LIST)
    assert (result.created, result.updated) == (1, 1)
    alpha = Smelter.objects.get(smelter_id="CID000001", metal="tin")
    assert (alpha.status, alpha.as_of) == ("active", dt.date(2026, 10, 15))
    assert list(alpha.statuses.values_list("as_of", "status")) == [
        (dt.date(2026, 1, 1), "conformant"), (dt.date(2026, 10, 15), "active")]
    # An older list adds history without changing the status in force.
    import_list(LIST_HEADER + "CID000001,tin,Alpha Tin,Indonesia,not_enrolled,2025-06-01\n")
    alpha.refresh_from_db()
    assert alpha.status == "active"
    assert alpha.statuses.count() == 3
    status_at = {s.smelter_id: s.status_at for s in
                 smelter_list_at(dt.date(2026, 9, 30)).filter(metal__in=["tin", "tungsten"])}
    assert status_at == {"CID000001": "conformant", "CID000004": None}
    # Importing the same file again changes nothing.
    again = import_list(LATER_LIST)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert SmelterStatus.objects.count() == 9


@pytest.mark.django_db
def test_smelter_list_rows_are_checked_and_a_bad_row_writes_nothing():
    with pytest.raises(ImportFailed) as failure:
        import_list(LIST_HEADER + "CID000001,Tin,Alpha,ID,conformant,2026-01-01\n"
                                  "CID000002,silver,Beta,CH,conformant,2026-01-01\n"
                                  "CID000003,gold,Gamma,CN,certified,2030-01-01\n")
    messages = [str(e) for e in failure.value.errors]
    assert "row 3, column metal: 'silver' is not a known metal" in messages[0]
    assert any(m.startswith("row 4, column status: 'certified' is not a known status") for m in messages)
    assert any(m.startswith("row 4, column as_of: as_of 2030-01-01 is after today") for m in messages)
    assert Smelter.objects.count() == 0


@pytest.mark.django_db
def test_import_smelter_list_command(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(FIRST_LIST)
    out = io.StringIO()
    call_command("import_smelter_list", str(path), stdout=out)
    assert "created 6" in out.getvalue()


# ------------------------------------------------------------------------- reading the templates


@pytest.mark.django_db
def test_cmrt_with_suppliers_quirks_keeps_the_declaration_and_every_smelter_row(tmp_path, own_supplier):
    path = write(tmp_path, build(rows=CMRT_ROWS, blank_rows_at=(1, 5, 9)))
    code, out, err = cmd("import_cmrt", path, own_supplier.code)
    assert code == 0, err
    assert "created CMRT 6.5 of OWN-1 dated 2024-02-07 (accepted), 14 smelter row(s)" in out
    report = MineralsReport.objects.get()
    assert (report.template, report.version, report.company_name, report.declaration_scope, report.state) == (
        "cmrt", "6.5", "Acme Components Ltd.", "A. Company", "accepted")
    assert report.answers == [
        {"question": "1) Is any 3TG intentionally added?", "metal": "tin", "answer": "Yes"},
        {"question": "1) Is any 3TG intentionally added?", "metal": "gold", "answer": "No"},
        {"question": "A. Do you have a policy in place?", "metal": "", "answer": "Yes"}]
    rows = list(report.smelters.all())
    assert len(rows) == 14
    # Blank rows inside the list are skipped; the row number is the sheet's.
    assert [r.row for r in rows[:4]] == [5, 8, 9, 10]
    assert (rows[1].metal, rows[1].smelter_id_input, rows[1].smelter_identification) == ("TIN", "CID000001", "")
    assert (rows[2].smelter_lookup, rows[2].country, rows[2].smelter_identification) == ("Beta Gold", "Switzerland",
                                                                                          "")


@pytest.mark.django_db
@pytest.mark.parametrize(("template", "version", "date"), [
    ("cmrt", "6.01", "07-Feb-2024"), ("cmrt", "6.22", dt.datetime(2024, 2, 7)), ("cmrt", "6.4", "2024-02-07"),
    ("emrt", "1.1", "7 Feb 2024"), ("emrt", "1.3", dt.date(2024, 2, 7)), ("emrt", "2.0", "07-Feb-2024"),
    ("emrt", "2.1", dt.date(2024, 2, 7)),
])
def test_every_supported_version_is_read_with_its_date_cell(tmp_path, own_supplier, template, version, date):
    path = write(tmp_path, build(template=template, version=version, date=date,
                                 rows=[smelter("Cobalt", "Cobalt Refinery", identification="CID000007")]))
    code, out, err = cmd(f"import_{template}", path, own_supplier.code)
    assert code == 0, err
    report = MineralsReport.objects.get()
    assert (report.version, report.declaration_date) == (version, dt.date(2024, 2, 7))


@pytest.mark.django_db
@pytest.mark.parametrize(("command", "kwargs", "message"), [
    ("import_cmrt", {"version": "6.6"},
     "'Declaration'!J3: CMRT version 6.6 is not supported (supported: CMRT 6.01–6.5)"),
    ("import_cmrt", {"version": "5.12"}, "'Declaration'!J3: CMRT version 5.12 is not supported"),
    ("import_emrt", {"template": "emrt", "version": "2.2"}, "'Declaration'!J3: EMRT version 2.2 is not supported"),
    ("import_emrt", {"version": "6.5"}, "'Declaration'!J3: EMRT version 6.5 is not supported"),
    ("import_cmrt", {"version_cell": "Conflict Minerals"}, "'Declaration'!J3 holds no template revision"),
    ("import_cmrt", {"date": None}, "'Declaration'!D22: the declaration has no date"),
    ("import_emrt", {"template": "emrt", "version": "2.1", "date": None},
     "'Declaration'!D26: the declaration has no date"),
    ("import_cmrt", {"date": "02/07/2024"}, "'Declaration'!D22: '02/07/2024' is not a date"),
    ("import_cmrt", {"date": dt.date(2027, 1, 1)}, "the declaration date 2027-01-01 is after today (2026-11-30)"),
    ("import_cmrt", {"sheets": ["Sheet1"]}, "the workbook has no 'Declaration' sheet: it is not an RMI CMRT"),
    ("import_cmrt", {"sheets": ["Declaration"]}, "the workbook has no 'Smelter List' sheet"),
    ("import_cmrt", {"header_b4": "Smelter Name"}, "'Smelter List'!B4 is 'Smelter Name', not 'Metal'"),
])
def test_refusals_name_sheet_and_cell_and_write_nothing(tmp_path, own_supplier, command, kwargs, message):
    path = write(tmp_path, build(rows=CMRT_ROWS, **kwargs))
    code, out, err = cmd(command, path, own_supplier.code)
    assert code == 1
    assert message in err
    assert "nothing was written" in err
    assert MineralsReport.objects.count() == 0 and MineralsReportSmelter.objects.count() == 0


@pytest.mark.django_db
def test_xls_macro_workbooks_and_csv_are_refused(tmp_path, own_supplier):
    xls = write(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "cmrt.xls")
    assert "Legacy Office files (.xls, .doc) are not accepted" in cmd("import_cmrt", xls, own_supplier.code)[2]
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(build()), "r") as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/vbaProject.bin", b"macro")
    xlsm = write(tmp_path, buffer.getvalue(), "cmrt.xlsx")
    assert "Macro-enabled workbooks" in cmd("import_cmrt", xlsm, own_supplier.code)[2]
    csv = tmp_path / "cmrt.csv"
    csv.write_text("a,b\n1,2\n")
    assert "must be the RMI Excel workbook" in cmd("import_cmrt", csv, own_supplier.code)[2]
    assert MineralsReport.objects.count() == 0


@pytest.mark.django_db
def test_dry_run_and_unknown_supplier(tmp_path, own_supplier):
    path = write(tmp_path, build(rows=CMRT_ROWS))
    code, out, _ = cmd("import_cmrt", path, own_supplier.code, "--dry-run")
    assert code == 0 and out.startswith("dry run, nothing written: would have created CMRT 6.5")
    assert MineralsReport.objects.count() == 0
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="unknown supplier code 'NOPE'"):
        call_command("import_cmrt", str(path), "--supplier", "NOPE", stdout=io.StringIO())


@pytest.mark.django_db
def test_reimport_with_the_same_declaration_date_replaces_the_report(tmp_path, own_supplier):
    cmd("import_cmrt", write(tmp_path, build(rows=CMRT_ROWS)), own_supplier.code)
    code, out, _ = cmd("import_cmrt", write(tmp_path, build(rows=CMRT_ROWS[:2]), "b.xlsx"), own_supplier.code)
    assert "replaced CMRT 6.5" in out
    report = MineralsReport.objects.get()
    assert report.smelters.count() == 2


# ------------------------------------------------------------------------- MIN-01 … MIN-04 by hand


def accepted(supplier, content, template="cmrt"):
    return minerals_report_import(supplier=supplier, template=template, upload=upload(content), actor=None).report


@pytest.mark.django_db
def test_min02_hand_computed_and_an_old_quarter_keeps_its_result(own_supplier):
    import_list(FIRST_LIST)
    accepted(own_supplier, build(date=dt.date(2026, 2, 7), rows=CMRT_ROWS))
    # Units: tin CID000001 (conformant), gold CID000002 by its look-up name (conformant),
    # tantalum CID000003 (active), tungsten CID000004 (unknown to the list at D), gold Twin
    # Gold/China without id, gold not yet identified, tin not yet identified, tin CID999999.
    assert raw_at(Q3, own_supplier).min02[0] == pytest.approx(25.0)
    units = derived.minerals_counted(selectors.minerals_frames(Q3)[1], selectors.minerals_frames(Q3)[2],
                                     derived.MINERALS_METALS["cmrt"])
    assert sorted(units["kind"]) == ["id"] * 5 + ["no_id"] + ["not_yet_identified"] * 2
    import_list(LATER_LIST)
    # 2026-Q3 reads the status in force at 2026-09-30: the same 25 %.
    assert raw_at(Q3, own_supplier).min02[0] == pytest.approx(25.0)
    # 2026-Q4: Alpha Tin is active, Delta Tungsten conformant: still 2 of 8.
    q4 = raw_at(Q4, own_supplier)
    assert q4.min02[0] == pytest.approx(25.0)
    assert bool(q4.min01[0]) is True


@pytest.mark.django_db
@pytest.mark.parametrize(("date", "within"), [
    (dt.date(2025, 9, 30), False),   # exactly 12 months before D: outside
    (dt.date(2025, 10, 1), True),    # the day after: inside
    (dt.date(2026, 9, 30), True),    # on D
    (dt.date(2026, 10, 1), False),   # after D
])
def test_min01_and_min03_window_boundaries(own_supplier, date, within):
    import_list(FIRST_LIST)
    accepted(own_supplier, build(date=date, rows=[smelter("Tin", identification="CID000001")]))
    accepted(own_supplier, build(template="emrt", version="2.1", date=date,
                                 rows=[smelter("Cobalt", identification="CID000007")]), template="emrt")
    raw = raw_at(Q3, own_supplier)
    assert (bool(raw.min01[0]), bool(raw.min03[0])) == (within, within)
    if within:
        assert (raw.min02[0], raw.min04[0]) == (100.0, 100.0)
    else:
        assert math.isnan(raw.min02[0]) and math.isnan(raw.min04[0])


@pytest.mark.django_db
def test_min04_counts_cobalt_only_and_nothing_counted_is_missing(own_supplier, other_supplier, make_supplier):
    import_list(FIRST_LIST)
    third = make_supplier("THIRD-1")
    accepted(own_supplier, build(template="emrt", version="2.1", date=dt.date(2026, 3, 1), rows=[
        smelter("cobalt ", "Cobalt Refinery"),                                  # by name: conformant
        smelter("Cobalt", "Smelter not listed", name="Unknown Cobalt Co", country="DR Congo"),
        smelter("Mica", "Some Mica Processor", identification="CID000100"),    # stored, not scored
        smelter("Copper", "Smelter not yet identified"),
    ]), template="emrt")
    accepted(other_supplier, build(template="emrt", version="1.3", date=dt.date(2026, 3, 1),
                                   rows=[smelter("Mica", "Some Mica Processor")]), template="emrt")
    raw = raw_at(Q3, own_supplier, other_supplier, third)
    assert raw.min04[0] == pytest.approx(50.0)
    assert bool(raw.min03[1]) is True and math.isnan(raw.min04[1])   # an EMRT without cobalt rows
    assert bool(raw.min03[2]) is False and math.isnan(raw.min04[2])  # no EMRT at all
    assert bool(raw.min01[2]) is False and math.isnan(raw.min02[2])
    assert MineralsReportSmelter.objects.filter(metal="Mica").count() == 2


@pytest.mark.django_db
def test_latest_report_wins_and_a_submission_counts_once_accepted(own_supplier, role_users):
    import_list(FIRST_LIST)
    accepted(own_supplier, build(date=dt.date(2026, 1, 10), rows=[smelter("Tin", identification="CID000001")]))
    supplier_user = role_users[roles.SUPPLIER_USER]
    newer = minerals_report_import(supplier=own_supplier, template="cmrt", actor=supplier_user, upload=upload(
        build(date=dt.date(2026, 3, 1), rows=[smelter("Tin", identification="CID000003")]))).report
    assert newer.state == "submitted"
    assert raw_at(Q3, own_supplier).min02[0] == 100.0   # the submission does not count yet
    minerals_report_review(report=newer, state="accepted", actor=role_users[roles.PROCUREMENT_ANALYST])
    assert raw_at(Q3, own_supplier).min02[0] == 0.0     # the latest report: CID000003 is tin-unknown


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.VIEWER, roles.SUPPLIER_USER])
def test_only_procurement_writers_review_a_report_whatever_the_door(own_supplier, role_users, api_as, role):
    from django.core.exceptions import PermissionDenied

    report = minerals_report_import(supplier=own_supplier, template="cmrt", actor=role_users[roles.SUPPLIER_USER],
                                    upload=upload(build(rows=[smelter("Tin", identification="CID000001")]))).report
    message = "Only procurement analysts and administrators review submissions."
    with pytest.raises(PermissionDenied, match=message):
        minerals_report_review(report=report, state="accepted", actor=role_users[role])
    response = api_as(role).post(f"/api/v1/minerals-reports/{report.pk}/accept/")
    assert response.status_code == 403
    if role == roles.SUPPLIER_USER:  # a viewer is refused any write before the view; the supplier by the service
        assert response.json() == {"detail": message}
    report.refresh_from_db()
    assert (report.state, report.reviewed_at, report.history.count()) == ("submitted", None, 1)
    reviewed = minerals_report_review(report=report, state="accepted", actor=role_users[roles.PROCUREMENT_ADMIN])
    assert reviewed.state == MineralsReport.objects.get(pk=report.pk).state == "accepted"


@pytest.mark.django_db
def test_methodology_takes_min_from_reports_end_to_end(api_as, role_users, own_supplier):
    from suppliers.models import SpendRecord

    admin = api_as(roles.PROCUREMENT_ADMIN)
    assert admin.post("/api/v1/methodologies/drafts/", {"version": "v2", "based_on": "v1"}).status_code == 201
    changed = admin.post("/api/v1/methodologies/v2/weights/",
                         [{"code": f"MIN-0{i}", "source": "minerals_reports"} for i in range(1, 5)], format="json")
    assert changed.status_code == 200, changed.json()
    assert admin.post("/api/v1/methodologies/v2/publish/").status_code == 200
    import_list(FIRST_LIST)
    accepted(own_supplier, build(date=dt.date(2026, 2, 7), rows=CMRT_ROWS))
    SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q3", currency="USD", amount=100)
    call_command("recalculate_scores", "--quarter", "2026-Q3", "--methodology", "v2", stdout=io.StringIO())
    from scoring.models import QuarterlyScore
    points = QuarterlyScore.objects.get(supplier=own_supplier, quarter="2026-Q3").points
    assert points["MIN-01"] == {"raw": True, "points": 100.0, "status": "value", "source": "minerals_reports"}
    assert points["MIN-02"]["raw"] == pytest.approx(25.0) and points["MIN-02"]["points"] == pytest.approx(25.0)
    assert points["MIN-03"] == {"raw": False, "points": 0.0, "status": "value", "source": "minerals_reports"}
    assert points["MIN-04"]["status"] == "missing" and points["MIN-04"]["source"] == "minerals_reports"
    assert points["MIN-05"]["source"] == "reported"


def test_v1_ignores_reports():
    assert all(spec.source != "minerals_reports" for spec in V1.indicators)
    assert compute_quarter is not None and dataclasses.is_dataclass(derived.MineralsRaw)


# ------------------------------------------------------------------------- the API


@pytest.mark.django_db
def test_api_upload_scoping_and_review(api_as, own_supplier, other_supplier):
    content = build(rows=CMRT_ROWS)
    analyst = api_as(roles.PROCUREMENT_ANALYST)
    response = analyst.post("/api/v1/minerals-reports/", {"file": upload(content), "template": "cmrt",
                                                         "supplier_code": other_supplier.code}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "accepted" and response.json()["smelter_rows"] == 14

    supplier = api_as(roles.SUPPLIER_USER)
    own = supplier.post("/api/v1/minerals-reports/", {"file": upload(content), "template": "cmrt",
                                                     "supplier_code": own_supplier.code}, format="multipart")
    assert own.status_code == 201 and own.json()["state"] == "submitted"
    foreign = supplier.post("/api/v1/minerals-reports/", {"file": upload(content), "template": "cmrt",
                                                         "supplier_code": other_supplier.code}, format="multipart")
    assert foreign.status_code == 400 and "supplier_code" in foreign.json()
    viewer = api_as(roles.VIEWER).post("/api/v1/minerals-reports/", {"file": upload(content), "template": "cmrt",
                                                                     "supplier_code": own_supplier.code},
                                       format="multipart")
    assert viewer.status_code == 403
    bad = analyst.post("/api/v1/minerals-reports/", {"file": upload(build(version="7.0")), "template": "cmrt",
                                                    "supplier_code": own_supplier.code}, format="multipart")
    assert bad.status_code == 400 and "CMRT version 7.0 is not supported" in bad.json()["file"][0]

    listed = supplier.get("/api/v1/minerals-reports/").json()["results"]
    assert [r["supplier_code"] for r in listed] == ["OWN-1"]
    other_id = MineralsReport.objects.get(supplier=other_supplier).pk
    assert supplier.get(f"/api/v1/minerals-reports/{other_id}/").status_code == 404
    own_id = own.json()["id"]
    detail = supplier.get(f"/api/v1/minerals-reports/{own_id}/").json()
    assert len(detail["smelters"]) == 14 and detail["smelters"][0]["smelter_identification"] == "CID000001"
    assert supplier.post(f"/api/v1/minerals-reports/{own_id}/accept/").status_code == 403
    assert analyst.post(f"/api/v1/minerals-reports/{own_id}/reject/", {}).status_code == 400
    assert analyst.post(f"/api/v1/minerals-reports/{own_id}/accept/").json()["state"] == "accepted"


@pytest.mark.django_db
def test_api_smelters_read_and_import(api_as):
    analyst = api_as(roles.PROCUREMENT_ANALYST)
    from django.core.files.uploadedfile import SimpleUploadedFile
    response = analyst.post("/api/v1/smelters/import/",
                            {"file": SimpleUploadedFile("list.csv", FIRST_LIST.encode(), content_type="text/csv")},
                            format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 6
    rows = api_as(roles.SUPPLIER_USER).get("/api/v1/smelters/?metal=gold").json()["results"]
    assert {r["smelter_id"] for r in rows} == {"CID000002", "CID000005", "CID000006"}


@pytest.mark.django_db
def test_reads_do_not_grow_with_reports_or_rows(django_assert_num_queries, own_supplier, other_supplier):
    import_list(FIRST_LIST)
    for supplier in (own_supplier, other_supplier):
        accepted(supplier, build(date=dt.date(2026, 2, 7), rows=CMRT_ROWS))
        accepted(supplier, build(template="emrt", version="2.1", date=dt.date(2026, 2, 7),
                                 rows=[smelter("Cobalt", "Cobalt Refinery")] * 30), template="emrt")
    with django_assert_num_queries(3):
        reports, rows, smelters = selectors.minerals_frames(Q3)
    assert (len(reports), len(rows), len(smelters)) == (4, 2 * 14 + 2 * 30, 6)
    from portal.selectors import minerals_summary
    with django_assert_num_queries(4):
        summaries = minerals_summary(own_supplier, dt.date(2026, 9, 30))
    assert [s.share for s in summaries] == [25.0, 100.0]


@pytest.mark.django_db
def test_a_terminated_suppliers_user_cannot_upload(own_supplier, role_users):
    from django.core.exceptions import PermissionDenied

    own_supplier.status = "terminated"
    own_supplier.save()
    with pytest.raises(PermissionDenied):
        minerals_report_import(supplier=own_supplier, template="cmrt", upload=upload(build()),
                               actor=role_users[roles.SUPPLIER_USER])
    assert MineralsReport.objects.count() == 0


def test_version_stamps_as_written():
    from disclosure.rmi import read_report

    for stamp, version in (("Revision 6.31", "6.31"), (6.4, "6.4"), ("Rev. 6.01 (2021)", "6.01")):
        report = read_report(io.BytesIO(build(version_cell=stamp)), "cmrt", today=dt.date(2026, 11, 30))
        assert report.version == version


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_crosscheck_minerals_against_the_reference(seed, make_supplier):
    """Random lists, histories and reports: the engine's raw values equal the plain-Python
    reference (tests/scoring/reference.py ``minerals_indicators``) at D of 2026-Q3."""
    import random
    from fractions import Fraction

    from tests.scoring.reference import MISSING, minerals_indicators

    rng = random.Random(seed)
    metals = ["tin", "tantalum", "tungsten", "gold", "cobalt", "mica"]
    names = ["Alpha", "Beta", "Gamma", "Delta", "Twin"]
    listed = []
    for number in range(1, 16):
        metal = rng.choice(metals)
        smelter_row = Smelter.objects.create(smelter_id=f"CID{number:06d}", metal=metal, name=rng.choice(names),
                                             country="CN", status="active", as_of=dt.date(2026, 1, 1))
        history = sorted({(dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 690)),
                           rng.choice(["conformant", "conformant", "active", "not_enrolled"]))
                          for _ in range(rng.randrange(0, 4))})
        history = list(dict(history).items())  # one status per date
        SmelterStatus.objects.bulk_create([SmelterStatus(smelter=smelter_row, as_of=d, status=s) for d, s in history])
        listed.append({"smelter_id": smelter_row.smelter_id, "metal": metal, "name": smelter_row.name,
                       "history": history})
    suppliers = [make_supplier() for _ in range(12)]
    per_supplier = {s.pk: [] for s in suppliers}
    for supplier in suppliers:
        for _ in range(rng.randrange(0, 4)):
            template = rng.choice(["cmrt", "emrt"])
            report = MineralsReport.objects.create(
                supplier=supplier, template=template, version="6.5",
                declaration_date=dt.date(2025, 6, 1) + dt.timedelta(days=rng.randrange(0, 540)))
            rows = []
            for line in range(rng.randrange(0, 12)):
                kind = rng.choice([0, 1, 1, 1, 2, 2, 3, 4])
                entry = rng.choice(listed)
                number = int(entry["smelter_id"][3:]) if rng.random() < 0.8 else rng.randrange(16, 20)
                metal = entry["metal"] if rng.random() < 0.7 else rng.choice(metals + [" gold ", "silver"])
                row = {"metal": rng.choice([metal, metal.upper(), f" {metal.title()} "]),
                       "smelter_id_input": f"cid{number:06d}" if kind == 0 else "",
                       "smelter_identification": f"CID{number:06d}" if kind == 1 else "",
                       "smelter_lookup": {2: rng.choice([entry["name"], *names]), 3: "Smelter not yet identified",
                                          4: "Smelter not listed"}.get(kind, ""),
                       "smelter_name": rng.choice(names + [" twin "]) if kind == 4 else "",
                       "country": rng.choice(["CN", "cn ", "PE"])}
                rows.append(row)
                MineralsReportSmelter.objects.create(report=report, row=5 + line, **row)
            per_supplier[supplier.pk].append({"report_id": report.pk, "template": template,
                                              "declaration_date": report.declaration_date, "rows": rows})
    raw = raw_at(Q3, *suppliers)
    for i, supplier in enumerate(suppliers):
        expected = minerals_indicators(per_supplier[supplier.pk], listed, Q3.as_of)
        assert (bool(raw.min01[i]), bool(raw.min03[i])) == (expected["MIN-01"], expected["MIN-03"])
        for code, values in (("MIN-02", raw.min02), ("MIN-04", raw.min04)):
            if expected[code] is MISSING:
                assert math.isnan(values[i]), (seed, supplier.code, code)
            else:
                assert values[i] == pytest.approx(float(Fraction(expected[code]))), (seed, supplier.code, code)
    # The draw exercises real shares, not only missing values.
    assert any(0 < v < 100 for v in np.concatenate([raw.min02, raw.min04]) if not math.isnan(v)) or seed == 0
    assert not np.isnan(raw.min02).all()


@pytest.mark.django_db
def test_one_suppliers_inputs_carry_its_minerals_reports_as_the_quarters_inputs_do(own_supplier, other_supplier):
    """The decomposition scores one supplier from ``supplier_inputs``, the recalculation and the
    workbook from ``load_inputs``: under a version taking MIN-01…04 from minerals reports both
    carry the supplier's reports, so its MIN points are the same either way."""
    from scoring import services
    from scoring.methodology_drafts import draft_create, weights_set
    from suppliers.models import SpendRecord

    for supplier in (own_supplier, other_supplier):
        SpendRecord.objects.create(supplier=supplier, quarter=str(Q3), currency="USD", amount=500)
    import_list(FIRST_LIST)
    accepted(own_supplier, build(date=dt.date(2026, 2, 7), rows=CMRT_ROWS))
    draft = draft_create(version="v2", based_on=None, description="", actor="test")
    weights_set(methodology=draft, actor="test", changes=[
        {"code": code, "source": "minerals_reports"} for code in ("MIN-01", "MIN-02", "MIN-03", "MIN-04")])
    params = selectors.methodology_params(draft)
    whole, one = services.load_inputs(Q3, params), services.supplier_inputs(Q3, params, own_supplier.pk)
    reports = whole.minerals_reports[whole.minerals_reports["supplier_id"] == own_supplier.pk]
    assert len(reports) == 1
    assert one.minerals_reports["report_id"].tolist() == reports["report_id"].tolist()
    rows = whole.minerals_rows[whole.minerals_rows["report_id"].isin(reports["report_id"])]
    assert len(one.minerals_rows) == len(rows) > 0
    assert len(one.smelters) == len(whole.smelters) > 0


def test_report_ids_are_compared_with_the_list_normalised():
    import pandas as pd

    from disclosure.rmi_constants import normalise_smelter_id
    from scoring.inputs import MINERALS_ROW_COLUMNS, SMELTER_COLUMNS

    assert normalise_smelter_id(" \uff43\uff49\uff44\uff10\uff10\uff10\uff10\uff10\uff11\u3000") == "CID000001"
    assert normalise_smelter_id(None) == ""
    rows = pd.DataFrame([[1, 5, "Tin", "", "", "Alpha Tin", "", " cid000001 "],
                         [1, 6, "Gold", "\uff23\uff29\uff24\uff10\uff10\uff10\uff10\uff10\uff12", "", "", "", ""]],
                        columns=MINERALS_ROW_COLUMNS)
    smelters = pd.DataFrame([["CID000001", "tin", "Alpha Tin", "conformant"],
                             ["CID000002", "gold", "Beta Gold", "active"]], columns=SMELTER_COLUMNS)
    units = derived.minerals_counted(rows, smelters, ("tin", "gold"))
    assert units[["smelter_id", "status", "conformant"]].values.tolist() == [
        ["CID000001", "conformant", True], ["CID000002", "active", False]]
