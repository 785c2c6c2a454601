"""CSV and XLSX exports of the list pages (``portal.exports``): the page's filtered rows,
every page of them, in the user's language, formula-safe, with the page's permission and a
number of queries that does not grow with the rows."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from audits import services as audit_services
from audits.models import Provision
from portal import list_columns
from scoring.models import MatchReview, QuarterlyScore
from suppliers.models import Document
from tests.portal.test_documents import upload


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, body(response)[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    data = body(response)
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def column(rows, header):
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def records(rows) -> list[dict]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def page_and_export(client, url, fmt="csv"):
    """The page's rows (``page.object_list``, read with a page big enough) and the export's rows."""
    page = client.get(url)
    assert page.status_code == 200
    separator = "&" if "?" in url else "?"
    export = client.get(f"{url}{separator}format={fmt}")
    return page, (csv_rows(export) if fmt == "csv" else xlsx_rows(export)), export


# --------------------------------------------------------------------------- supplier list


def test_supplier_list_export_is_the_filtered_list(world, client_as):
    client = client_as("procurement_analyst")
    page, rows, response = page_and_export(client, f"/suppliers/?quarter={world.quarter}&country=CN&sort=-code")
    assert [s.code for s in page.context["page"].object_list] == column(rows, "Code") == ["OWN-1", "CAND-1"]
    assert f'suppliers-{world.today.isoformat()}.csv' in response["Content-Disposition"]
    own = records(rows)[0]
    score = QuarterlyScore.objects.get(supplier=world.own, quarter=str(world.quarter), official=True)
    assert own["Name"] == "深圳华强电子有限公司"
    assert Decimal(own["Score"]) == score.score
    assert Decimal(own["Spend basis"]) == score.spend_basis
    assert own["Grade"] == score.grade
    assert records(rows)[1]["Score"] == ""  # the candidate has no score: an empty cell


def test_supplier_list_xlsx_has_numbers_and_the_same_rows(world, client_as):
    client = client_as("procurement_analyst")
    page, rows, _ = page_and_export(client, f"/suppliers/?quarter={world.quarter}&sort=-score", "xlsx")
    assert column(rows, "Code") == [s.code for s in page.context["page"].object_list]
    score = QuarterlyScore.objects.get(supplier=world.own, quarter=str(world.quarter), official=True)
    own = next(r for r in records(rows) if r["Code"] == "OWN-1")
    assert isinstance(own["Score"], float) and own["Score"] == pytest.approx(float(score.score))
    assert isinstance(own["Spend rank"], int | float)


def test_supplier_user_exports_only_its_supplier_without_internal_data(world, client_as):
    rows = csv_rows(client_as("supplier_user").get("/suppliers/?format=csv"))
    assert column(rows, "Code") == ["OWN-1"]
    assert "Spend basis" not in rows[0] and "Spend rank" not in rows[0]


# --------------------------------------------------------------------------- findings


def test_findings_export_is_the_filtered_board(world, client_as):
    client = client_as("procurement_analyst")
    page, rows, response = page_and_export(client, "/findings/?status=all&severity=major")
    assert [f.finding_ref for f in page.context["page"].object_list] == column(rows, "Finding") == ["F-OWN-1"]
    row = records(rows)[0]
    finding = world.own_finding
    assert row["Supplier code"] == "OWN-1" and row["Site"] == "OWN-1-F1"
    assert row["Severity"] == "Major" and row["Provision"] == "A3"
    assert row["Correction due"] == finding.correction_due_on.isoformat()
    assert row["CAP due"] == (finding.cap_due_on.isoformat() if finding.cap_due_on else "")
    assert f"findings-{world.today.isoformat()}.csv" in response["Content-Disposition"]
    everything = csv_rows(client.get("/findings/?status=all&format=csv"))
    assert sorted(column(everything, "Finding")) == ["F-OTHER-1", "F-OWN-1"]


def test_supplier_user_exports_only_its_findings(world, client_as):
    rows = csv_rows(client_as("supplier_user").get("/findings/?status=all&format=csv"))
    assert column(rows, "Finding") == ["F-OWN-1"]


# --------------------------------------------------------------------------- planned audits


@pytest.fixture
def planned(world):
    audits = []
    for number, (site, days) in enumerate([(world.own_site, 20), (world.other_site, 40), (world.own_site, 60)], 1):
        audits.append(audit_services.audit_create(
            site=site, audit_type="vap_full", status="planned", audit_ref=f"PLAN-{number}", actor=world.analyst,
            due_by=world.today + dt.timedelta(days=days), audit_firm="=cmd|' /C calc'!A0" if number == 3 else "Firm"))
    return audits


def test_planned_audits_export_list_and_calendar_filtered(world, client_as, planned):
    client = client_as("procurement_analyst")
    page, rows, _ = page_and_export(client, "/audits/planned/?supplier=OWN-1")
    assert [a.audit_ref for a in page.context["page"].object_list] == column(rows, "Audit") == ["PLAN-1", "PLAN-3"]
    first = records(rows)[0]
    assert first["Date"] == (world.today + dt.timedelta(days=20)).isoformat()
    assert first["Site code"] == "OWN-1-F1" and first["Status"] == "Planned"
    assert records(rows)[1]["Firm"] == "'=cmd|' /C calc'!A0"  # neutralised
    calendar = csv_rows(client.get("/audits/planned/?view=calendar&month=2000-01&supplier=OWN-1&format=csv"))
    assert column(calendar, "Audit") == ["PLAN-1", "PLAN-3"]  # the filtered audits, not the month shown
    assert column(csv_rows(client_as("supplier_user").get("/audits/planned/?format=csv")), "Audit") \
        == ["PLAN-1", "PLAN-3"]


def test_xlsx_dates_are_dates_and_formulas_text(world, client_as, planned):
    rows = xlsx_rows(client_as("procurement_analyst").get("/audits/planned/?format=xlsx"))
    first = records(rows)[0]
    assert first["Date"].date() == world.today + dt.timedelta(days=20)
    firms = column(rows, "Firm")
    assert "'=cmd|' /C calc'!A0" in firms
    workbook = openpyxl.load_workbook(io.BytesIO(body(client_as("procurement_analyst")
                                                      .get("/audits/planned/?format=xlsx"))))
    assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)
    assert workbook.active["A2"].number_format == "yyyy-mm-dd"


# --------------------------------------------------------------------------- value queue, screening, gaps, documents


def test_value_queue_export(world, client_as):
    client = client_as("procurement_analyst")
    page, rows, _ = page_and_export(client, "/scorecard/values/?supplier=OWN-1")
    assert [v.pk for v in page.context["page"].object_list] == [world.submitted.pk]
    assert records(rows) == [{
        "Supplier code": "OWN-1", "Supplier": "深圳华强电子有限公司", "Quarter": str(world.quarter),
        "Indicator code": "ENV-01", "Indicator": records(rows)[0]["Indicator"], "Value": "yes",
        "Raw value": "true", "Source": "CDP 2026", "Evidence": "",
        "Submitted": records(rows)[0]["Submitted"], "Submitted by": "supplier_user",
    }]
    assert records(rows)[0]["Indicator"]
    dt.datetime.fromisoformat(records(rows)[0]["Submitted"])
    assert column(csv_rows(client.get("/scorecard/values/?supplier=OTHER-1&format=csv")), "Supplier code") == []


def test_screening_board_export(world, client_as):
    page, rows, _ = page_and_export(client_as("viewer"), "/screening/")
    assert [s.code for s, _sc in page.context["rows"]] == column(rows, "Candidate") == ["CAND-1"]
    assert records(rows)[0]["Screening"] == "not opened"


def test_coverage_gaps_export_has_every_page(world, client_as):
    client = client_as("viewer")
    page, rows, response = page_and_export(client, f"/dashboard/gaps/scorecard/?quarter={world.quarter}")
    shown = page.context["page"].object_list
    assert [g.supplier_code for g in shown] == column(rows, "Supplier code")
    for gap, row in zip(shown, records(rows), strict=True):
        assert float(row["Spend"]) == pytest.approx(gap.spend)
        assert float(row["Coverage after"]) == pytest.approx(gap.cumulative_share)
        assert float(row["Adds"]) == pytest.approx(gap.adds)
    assert column(rows, "#") == [str(n) for n in range(1, len(shown) + 1)]
    assert f"coverage-gaps-scorecard-{world.quarter}-" in response["Content-Disposition"]


def test_expiring_documents_export(world, client_as):
    soon = (world.today + dt.timedelta(days=30)).isoformat()
    upload(client_as("supplier_user"), expires_on=soon, title="Soon")
    upload(client_as("procurement_analyst"), code="OTHER-1", expires_on=soon, title="Other")
    page, rows, _ = page_and_export(client_as("viewer"), "/documents/expiring/?days=60")
    assert [d.supplier.code for d in page.context["page"].object_list] == column(rows, "Supplier code") \
        == ["OWN-1", "OTHER-1"]
    assert records(rows)[0]["Expires on"] == soon and records(rows)[0]["File"] == "ISO 14001 证书.pdf"
    mine = csv_rows(client_as("supplier_user").get("/documents/expiring/?days=60&format=csv"))
    assert column(mine, "Supplier code") == ["OWN-1"]
    assert Document.objects.count() == 2


def test_audit_cycle_export(world, client_as):
    client = client_as("viewer")
    page, rows, _ = page_and_export(client, "/audits/?status=expiring")
    assert [r["site_code"] for r in page.context["page"].object_list] == column(rows, "Site code") == ["OWN-1-F1"]
    row = records(rows)[0]
    assert row["Status"] == "expiring" and row["Last full audit"] == "AUD-OWN-1"
    assert row["Last full audit on"] == world.own_audit.conducted_on.isoformat()
    assert Decimal(row["Score"]) == Decimal("170")
    everything = csv_rows(client.get("/audits/?format=csv"))
    assert sorted(column(everything, "Site code")) == ["OTHER-1-F1", "OWN-1-F1"]
    assert column(csv_rows(client_as("supplier_user").get("/audits/?format=csv")), "Site code") == ["OWN-1-F1"]


def test_match_reviews_export(world, client_as):
    for line, name in ((2, "Acme Ltd"), (3, "=Evil Co")):
        MatchReview.objects.create(kind="ecovadis", match_key=f"k{line}", line=line, company_name=name,
                                   quarter=str(world.quarter), payload={"values": {"ECO-01": "61"}},
                                   candidates=[{"supplier_id": world.own.pk, "code": "OWN-1", "name": "OWN",
                                                "score": 91}])
    page, rows, _ = page_and_export(client_as("procurement_analyst"), "/scorecard/matches/?status=pending")
    assert [r.line for r in page.context["page"].object_list] == [int(n) for n in column(rows, "Row")] == [3, 2]
    assert column(rows, "Company") == ["'=Evil Co", "Acme Ltd"]
    assert records(rows)[1]["Values"] == "ECO-01 = 61" and records(rows)[1]["Candidates"] == "OWN-1 OWN (91)"
    assert column(csv_rows(client_as("procurement_analyst").get("/scorecard/matches/?status=confirmed&format=csv")),
                  "Row") == []
    assert client_as("supplier_user").get("/scorecard/matches/?format=csv").status_code == 403


# --------------------------------------------------------------------------- access, links, language, format


@pytest.mark.parametrize("url", ["/scorecard/values/", "/screening/", "/dashboard/gaps/audit/"])
def test_supplier_user_may_not_export_buyer_lists(world, client_as, url):
    for fmt in ("csv", "xlsx"):
        assert client_as("supplier_user").get(f"{url}?format={fmt}").status_code == 403
    assert client_as(None).get(f"{url}?format=csv").status_code == 302  # to the sign-in page


def test_export_links_carry_the_filters(world, client_as):
    page = client_as("procurement_analyst").get("/findings/?severity=major&status=all&page=1").content.decode()
    assert 'href="?severity=major&amp;status=all&amp;format=csv"' in page
    assert 'href="?severity=major&amp;status=all&amp;format=xlsx"' in page


def test_unknown_format_is_a_bad_request(world, client_as):
    response = client_as("procurement_analyst").get("/findings/?format=pdf")
    assert response.status_code == 400 and b"csv" in response.content


def test_headers_in_chinese(world, client_as):
    client = client_as("procurement_analyst")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    rows = csv_rows(client.get("/findings/?status=all&format=csv"))
    assert rows[0][0] == "发现项"
    with translation.override("zh-hans"):
        expected = [str(c.header) for c in list_columns.finding_columns(world.today)]
    assert rows[0] == expected
    assert {"零容忍", "供应商代码", "逾期天数"} <= set(rows[0])
    assert sum(not header.isascii() for header in rows[0]) >= len(rows[0]) - 1  # "CAP" stays CAP
    assert rows[1][rows[0].index("严重程度")] in ("主要（Major）", "次要（Minor）")
    xlsx = xlsx_rows(client.get("/suppliers/?format=xlsx"))
    assert xlsx[0][:2] == csv_rows(client.get("/suppliers/?format=csv"))[0][:2]
    assert not xlsx[0][0].isascii()


def test_formula_cells_are_neutralised_and_numbers_kept(world, client_as, make_supplier):
    make_supplier("EVIL-1", name="=HYPERLINK(\"http://x\",\"y\")", country="CN")
    make_supplier("EVIL-2", name="@SUM(A1)", country="CN")
    make_supplier("EVIL-3", name="-2+3", country="CN")
    client = client_as("procurement_analyst")
    rows = records(csv_rows(client.get("/suppliers/?q=EVIL&format=csv")))
    assert [row["Name"] for row in rows] == ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(A1)", "'-2+3"]
    workbook = openpyxl.load_workbook(io.BytesIO(body(client.get("/suppliers/?q=EVIL&format=xlsx"))))
    names = [row[1].value for row in workbook.active.iter_rows(min_row=2)]
    assert names == ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(A1)", "'-2+3"]
    assert all(row[1].data_type == "s" for row in workbook.active.iter_rows(min_row=2))


# --------------------------------------------------------------------------- bulk


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body(response)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _more_findings(world, count, start):
    provision = Provision.objects.get(standard="rba", version="8.0", code="A3")
    for number in range(start, start + count):
        audit_services.finding_create(audit=world.own_audit, provision=provision, severity="minor",
                                      opened_on=world.own_audit.conducted_on, actor=world.analyst,
                                      finding_ref=f"F-MORE-{number}", description="More")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_query_count_does_not_grow_with_rows(world, client_as, make_supplier, make_site, fmt):
    client = client_as("procurement_analyst")
    urls = [f"/suppliers/?quarter={world.quarter}&format={fmt}",
            f"/suppliers/?quarter={world.quarter}&sort=-score&format={fmt}",
            f"/findings/?status=all&format={fmt}", f"/audits/planned/?format={fmt}",
            f"/scorecard/values/?format={fmt}", f"/screening/?format={fmt}",
            f"/documents/expiring/?days=3650&format={fmt}", f"/audits/?format={fmt}"]
    client.get("/findings/?format=csv")  # warm the per-day stored summaries
    small = [_queries(client, url) for url in urls]
    for number in range(12):
        supplier = make_supplier(f"BULK-{number:02d}", status="candidate")
        site = make_site(supplier)
        audit_services.audit_create(site=site, audit_type="vap_full", status="planned", audit_ref=f"PB-{number}",
                                    actor=world.analyst, due_by=world.today + dt.timedelta(days=number + 1))
        upload(client_as("procurement_analyst"), code=supplier.code,
               expires_on=(world.today + dt.timedelta(days=10)).isoformat())
    _more_findings(world, 12, 1)
    large = [_queries(client, url) for url in urls]
    assert large == small
    assert len(csv_rows(client.get("/screening/?format=csv"))) == 1 + 13  # CAND-1 and the 12 new candidates


def test_findings_export_carries_the_working_due_date_and_the_date_as_given(world, client_as):
    import datetime as dt

    from audits.models import Finding

    finding = world.own_finding
    extended = finding.correction_due_on + dt.timedelta(days=30)
    Finding.objects.filter(pk=finding.pk).update(correction_due_extended_to=extended,
                                                 due_extension_reason="Supplier moved the production line")
    rows = csv_rows(client_as("procurement_analyst").get("/findings/?status=all&severity=major&format=csv"))
    row = records(rows)[0]
    assert row["Correction due"] == extended.isoformat()
    assert row["Correction due as given"] == finding.correction_due_on.isoformat()
    assert row["Extension reason"] == "Supplier moved the production line"


@pytest.mark.parametrize(("value", "kind", "csv_text", "xlsx"), [
    (None, "text", "", None),
    ("", "number", "", None),
    (float("nan"), "number", "", None),
    ("12.50", "number", "12.50", Decimal("12.50")),
    (" 3 ", "share", "3", Decimal("3")),
    ("n/a", "number", "n/a", "n/a"),
    ("=1+1", "number", "'=1+1", "'=1+1"),
    (0.25, "share", "0.25", 0.25),
    (7, "text", "7", "7"),
    (True, "number", "True", "True"),
    ("-5", "text", "-5", "-5"),
    ("@SUM(A1)", "text", "'@SUM(A1)", "'@SUM(A1)"),
    (dt.date(2026, 3, 31), "date", "2026-03-31", dt.date(2026, 3, 31)),
    (dt.datetime(2026, 3, 31, 8, 5, 59), "datetime", "2026-03-31T08:05", dt.datetime(2026, 3, 31, 8, 5, 59)),
    (dt.datetime(2026, 3, 31, 8, 5), "date", "2026-03-31", dt.date(2026, 3, 31)),
])
def test_csv_and_xlsx_cells_are_one_conversion(value, kind, csv_text, xlsx):
    from portal.exports import cell_value, csv_cell

    assert csv_cell(value, kind) == csv_text
    assert cell_value(value, kind) == xlsx
    assert type(cell_value(value, kind)) is type(xlsx)


def test_aware_datetimes_are_written_in_the_server_time_zone():
    from django.utils import timezone

    from portal.exports import cell_value, csv_cell

    moment = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    with timezone.override("Asia/Shanghai"):
        assert cell_value(moment, "datetime") == dt.datetime(2026, 4, 1, 7, 30)
        assert csv_cell(moment, "datetime") == "2026-04-01T07:30"


def test_a_moment_in_a_date_column_is_its_local_day_as_the_pages_show_it():
    from django.template import Context, Template
    from django.utils import timezone

    from portal.exports import cell_value, csv_cell

    # Closed at 01:00 on 1 April in Shanghai: still 31 March in UTC.
    closed = dt.datetime(2026, 3, 31, 17, 0, tzinfo=dt.UTC)
    with timezone.override("Asia/Shanghai"):
        page_day = Template('{{ closed|date:"Y-m-d" }}').render(Context({"closed": closed}))
        assert page_day == "2026-04-01"
        assert csv_cell(closed, "date") == page_day
        assert cell_value(closed, "date") == dt.date(2026, 4, 1)
        # One minute before local midnight stays on the local day before.
        assert csv_cell(dt.datetime(2026, 3, 31, 15, 59, tzinfo=dt.UTC), "date") == "2026-03-31"
    with timezone.override("UTC"):
        assert csv_cell(closed, "date") == "2026-03-31"
