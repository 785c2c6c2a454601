"""Trustworthy inputs, kind by kind (docs/imports.md, "Files from Excel, WPS and other tools"):
typed XLSX cells, encodings, the XLSX used range, identifiers, headers, plausible dates and
values that would be ignored. CSV and XLSX alike; the importers are the ones the commands and
the API run."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from audits.importers import AuditImporter, FindingImporter
from core import roles
from core.importing import ImportFailed
from core.tabular import ENCODING_REFUSAL, FORMULA_WITHOUT_VALUE, UnreadableFile, read_table
from scoring.importers import IndicatorValueImporter, QbrComponentImporter
from scoring.models import Indicator, IndicatorValue, QbrComponent
from suppliers.importers import FxRateImporter, SiteImporter, SpendImporter, SupplierImporter
from suppliers.models import FxRate, Site, SpendRecord, Supplier

TODAY = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


def xlsx(rows, formats=None) -> bytes:
    """A workbook whose first sheet holds ``rows``; ``formats``: {"B2": "0%"}."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for coordinate, number_format in (formats or {}).items():
        sheet[coordinate].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def patch_sheet(data: bytes, edit) -> bytes:
    """Rewrite the first sheet's XML with ``edit(text) -> text`` (quirks openpyxl never writes)."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = edit(content.decode()).encode()
            out.writestr(item, content)
    return target.getvalue()


def errors_of(importer_class, data, **kwargs) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        importer_class(actor="test").run(data, **kwargs)
    return [str(error) for error in failure.value.errors]


def run(importer_class, data, **kwargs):
    return importer_class(actor="test").run(data, **kwargs)


@pytest.fixture
def supplier(make_supplier):
    return make_supplier("SUP-001", name="Lotus Precision Parts")


# --------------------------------------------------------------------------- 1. typed XLSX cells
def test_percent_cell_is_the_displayed_percentage_in_a_0_100_column(supplier):
    data = xlsx([["supplier_code", "quarter", "component", "score"], ["SUP-001", "2026-Q3", "quality", 0.855]],
                {"D2": "0.0%"})
    run(QbrComponentImporter, data)
    assert QbrComponent.objects.get().score == Decimal("85.5")


def test_percent_cell_is_refused_in_an_amount_column(supplier):
    data = xlsx([["supplier_code", "quarter", "amount", "currency"], ["SUP-001", "2026-Q3", 0.85, "USD"]],
                {"C2": "0%"})
    assert errors_of(SpendImporter, data) == [
        "row 2, column amount: the cell is formatted as a percentage (85%); this column takes an amount or rate, "
        "not a percentage: format the cells as Number"]
    assert not SpendRecord.objects.exists()


@pytest.mark.parametrize(("code", "cell", "stored"), [("ENV-06", 0.85, "85"), ("ECO-01", 0.72, "72"),
                                                      ("ENV-05", -0.125, "-12.5")])
def test_percent_cell_in_percent_score_and_change_indicators(supplier, code, cell, stored):
    data = xlsx([["supplier_code", "quarter", "indicator_code", "value"], ["SUP-001", "2026-Q3", code, cell]],
                {"D2": "0.0%"})
    run(IndicatorValueImporter, data)
    assert IndicatorValue.objects.get(indicator__code=code).value == stored


def test_percent_cell_is_refused_for_a_yes_no_indicator(supplier):
    data = xlsx([["supplier_code", "quarter", "indicator_code", "value"], ["SUP-001", "2026-Q3", "ENV-01", 1]],
                {"D2": "0%"})
    assert errors_of(IndicatorValueImporter, data) == [
        "row 2, column value: the cell is formatted as a percentage (100%); ENV-01 is not a percentage: "
        "format the cells as Number"]


def test_typed_percent_text_in_a_csv_stays_refused(supplier):
    data = b"supplier_code,quarter,indicator_code,value\nSUP-001,2026-Q3,ENV-06,85%\n"
    assert errors_of(IndicatorValueImporter, data) == [
        "row 2, column value: '85%' is not a number (use digits with a dot as decimal separator)"]


def test_zero_padded_number_format_is_the_displayed_code(db):
    data = xlsx([["code", "name", "country", "category"], [7, "Seven", "CN", "production"],
                 [12, 8, "CN", "production"]], {"A2": "00000", "A3": '"SUP-"000', "B3": '"No."00'})
    run(SupplierImporter, data)
    assert sorted(Supplier.objects.values_list("code", "name")) == [("00007", "Seven"), ("SUP-012", "No.08")]


def test_zero_padded_number_format_is_the_plain_number_in_a_number_column(supplier):
    data = xlsx([["supplier_code", "quarter", "amount", "currency"], ["SUP-001", "2026-Q3", 42, "USD"]],
                {"C2": '"USD "00000'})
    run(SpendImporter, data)
    assert SpendRecord.objects.get().amount == Decimal("42")


@pytest.mark.parametrize("error", ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!"])
def test_excel_error_values_are_row_errors_naming_them(supplier, error):
    data = xlsx([["supplier_code", "site_code", "name", "country", "is_production"],
                 ["SUP-001", "S-1", error, "CN", "yes"]])
    assert errors_of(SiteImporter, data) == [
        f"row 2, column name: the cell holds the Excel error {error}; correct the formula or type the value"]
    assert not Site.objects.exists()


def test_formula_cells_use_their_cached_result(db):
    data = xlsx([["code", "name", "legal_name", "country", "category"],
                 ["S-1", "=UPPER(\"x\")", "=IF(1,\"\",\"y\")", "CN", "production"]])
    data = patch_sheet(data, lambda xml: xml
                       .replace('<c r="B2"><f>UPPER("x")</f><v></v></c>',
                                '<c r="B2" t="str"><f>UPPER("x")</f><v>X Co</v></c>')
                       .replace('<c r="C2"><f>IF(1,"","y")</f><v></v></c>',
                                '<c r="C2" t="str"><f>IF(1,"","y")</f><v></v></c>'))
    run(SupplierImporter, data)
    assert Supplier.objects.values_list("code", "name", "legal_name").get() == ("S-1", "X Co", "")


def test_a_formula_without_a_computed_value_is_a_row_error_and_never_stored(db):
    data = xlsx([["code", "name", "country", "category"], ["S-1", "=A2&\" Ltd\"", "CN", "production"]])
    assert errors_of(SupplierImporter, data) == [f"row 2, column name: {FORMULA_WITHOUT_VALUE}"]
    assert not Supplier.objects.exists()


def test_typed_booleans_and_dates_keep_their_meaning(supplier, make_site):
    run(SiteImporter, xlsx([["supplier_code", "site_code", "name", "country", "is_production"],
                            ["SUP-001", "S-1", "Plant", "CN", False]]))
    assert Site.objects.get().is_production is False
    data = xlsx([["audit_ref", "site_code", "audit_type", "conducted_on", "score"],
                 ["A-1", "S-1", "vap_full", dt.datetime(2026, 3, 4), 180]])
    run(AuditImporter, data)
    from audits.models import Audit

    assert Audit.objects.values_list("conducted_on", "score").get() == (dt.date(2026, 3, 4), Decimal("180"))


# --------------------------------------------------------------------------- 2. encodings
NAMES = "code,name,country,category\nS-1,{a},DE,production\nS-2,{b},CN,production\n"


@pytest.mark.parametrize(("text", "encoding"), [
    (NAMES.format(a="Müller Präzisionsteile GmbH", b="Ørsted Nordic Komponenter"), "cp1252"),
    (NAMES.format(a="台灣積體電路製造股份有限公司", b="鴻海精密工業股份有限公司"), "big5"),
    (NAMES.format(a="株式会社日立製作所", b="トヨタ自動車株式会社"), "shift_jis"),
    (NAMES.format(a="Müller GmbH", b="Lotus"), "utf-16"),
    (NAMES.format(a="Müller GmbH", b="Lotus"), "utf-16-le"),
])
def test_other_encodings_are_refused_with_one_message(text, encoding):
    with pytest.raises(UnreadableFile, match=re.escape(ENCODING_REFUSAL)):
        read_table(text.encode(encoding))


@pytest.mark.parametrize("data", [
    "code,name\nS-1,深圳华强电子有限公司\n".encode() + "S-2,Müller Präzisionsteile GmbH\n".encode("cp1252"),
    "code,name\nS-1,Müller GmbH\n".encode() + "S-2,深圳华强电子有限公司\n".encode("gbk"),
    b"\xef\xbb\xbf" + "code,name\nS-1,Müller\n".encode("cp1252"),
    "code,name\nS-1,Müller GmbH\n".encode() + "S-2,深圳华强电子有限公司\nS-3,东莞精密五金制品厂\n".encode("gb18030"),
])
def test_files_mixing_utf8_with_another_encoding_are_refused(data):
    with pytest.raises(UnreadableFile, match=re.escape(ENCODING_REFUSAL)):
        read_table(data)


def test_gb18030_with_four_byte_characters_is_read():
    text = "code,name\nS-1,深圳华强电子有限公司\nS-2,𠀾𡈼精密五金制品厂有限公司\n"
    assert read_table(text.encode("gb18030")).rows[1] == (3, ["S-2", "𠀾𡈼精密五金制品厂有限公司"])


def test_private_use_characters_are_never_stored(db):
    data = "code,name,country,category\nS-1,Lotus\ue000 Parts,CN,production\n".encode()
    assert errors_of(SupplierImporter, data) == [
        "row 2, column name: 'Lotus\\ue000 Parts' contains U+E000 (a private-use character); "
        "remove invisible and control characters"]


# --------------------------------------------------------------------------- 3. the used range
SPEND_ROWS = [["supplier_code", "quarter", "amount", "currency"], ["SUP-001", "2026-Q3", 100, "USD"],
              ["SUP-001", "2026-Q2", 200, "USD"], ["SUP-001", "2026-Q1", 300, "USD"]]


def test_a_dimension_smaller_than_the_data_hides_no_row_or_column(supplier):
    data = xlsx(SPEND_ROWS)
    data = patch_sheet(data, lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:B2"/>', xml))
    assert run(SpendImporter, data).created == 3
    assert sorted(SpendRecord.objects.values_list("quarter", "amount")) == [
        ("2026-Q1", 300), ("2026-Q2", 200), ("2026-Q3", 100)]


def test_a_dimension_claiming_the_whole_sheet_reads_the_rows_holding_values(supplier):
    data = xlsx(SPEND_ROWS)
    blank_cells = "".join(f'<c r="{column}1048576" s="0"/>' for column in ("A", "B", "XFD"))
    data = patch_sheet(data, lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml)
                       .replace("</sheetData>", f'<row r="1048576">{blank_cells}</row></sheetData>'))
    table = read_table(data)
    assert [line for line, _ in table.rows] == [2, 3, 4]


def test_rows_and_cells_without_coordinates_keep_their_places():
    def text(value):
        return f'<c t="inlineStr"><is><t>{value}</t></is></c>'

    sheet_data = ("<sheetData><row>" + text("a") + text("b") + text("c") + "</row>"
                  '<row><c r="A2" s="1"/>' + text("x") + "<c/>" + text("z") + "</row>"
                  '<row r="5"><c r="B5"/><c r="C5" s="1"/>' + text("q") + "</row></sheetData>")
    data = patch_sheet(xlsx([["a"]]), lambda xml: re.sub(r"<sheetData>.*</sheetData>", sheet_data, xml))
    table = read_table(data)
    assert table.header == ["a", "b", "c"]
    assert table.rows == [(2, ["", "x", "", "z"]), (5, ["", "", "", "q"])]


def test_blank_rows_inside_the_data_are_skipped_not_the_end(supplier):
    data = xlsx([SPEND_ROWS[0], SPEND_ROWS[1], [], [None, None], SPEND_ROWS[2], [], SPEND_ROWS[3]])
    assert [line for line, _ in read_table(data).rows] == [2, 5, 7]
    assert run(SpendImporter, data).created == 3


# --------------------------------------------------------------------------- 4. identifiers
def test_full_width_codes_match_the_stored_supplier(supplier):
    data = "code,name,country,category\nＳＵＰ－００１,Lotus Precision Parts,ＣＮ,production\n".encode()
    result = run(SupplierImporter, data)
    assert (result.created, result.unchanged) == (0, 1)
    assert list(Supplier.objects.values_list("code", flat=True)) == ["SUP-001"]


def test_full_width_quarter_and_currency_are_read(supplier):
    run(SpendImporter, "supplier_code,quarter,amount,currency\nSUP-001,２０２６－Ｑ３,5,ｕｓｄ\n".encode())
    assert SpendRecord.objects.values_list("quarter", "currency").get() == ("2026-Q3", "USD")


@pytest.mark.parametrize(("code", "name"), [
    ("SUP\u00a0001", "U+00A0 NO-BREAK SPACE"), ("SUP-\u200b001", "U+200B ZERO WIDTH SPACE"),
    ("SUP\u2011001", "U+2011 NON-BREAKING HYPHEN"), ("SUP-\ufeff001", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ('"SUP\n001"', "U+000A LINE FEED"), ("供应商-1", "U+4F9B CJK UNIFIED IDEOGRAPH-4F9B"),
])
def test_identifiers_with_other_characters_are_refused_naming_them(supplier, code, name):
    data = f"supplier_code,quarter,amount,currency\n{code},2026-Q3,5,USD\n".encode()
    (error,) = errors_of(SpendImporter, data)
    assert error.startswith("row 2, column supplier_code: ") and f"contains {name};" in error
    assert not SpendRecord.objects.exists()


def test_normalize_identifier_refuses_a_trailing_line_break():
    from core.parsers import CellError, normalize_identifier

    with pytest.raises(CellError, match=re.escape("U+000A LINE FEED")):
        normalize_identifier("SUP-1\n")


def test_free_text_refuses_only_invisible_and_control_characters(db):
    ok = "code,name,country,category\nS-1,\"Müller\u00a0&\u200dCo\",DE,production\n".encode()
    run(SupplierImporter, ok)
    assert Supplier.objects.get().name == "Müller\u00a0&\u200dCo"
    bad = "code,name,country,category\nS-2,Lotus\u200b,CN,production\nS-3,A\x00B,CN,production\n".encode()
    assert errors_of(SupplierImporter, bad) == [
        "row 2, column name: 'Lotus\\u200b' contains U+200B ZERO WIDTH SPACE; remove invisible and control characters",
        "row 3, column name: 'A\\x00B' contains U+0000 NULL; remove invisible and control characters"]


def test_api_identifiers_are_normalised_or_refused(api_as, supplier):
    client = api_as(roles.PROCUREMENT_ADMIN)
    created = client.post("/api/v1/suppliers/", {"code": "ＳＵＰ－００９", "name": "Nine", "country": "CN",
                                                 "category": "production"}, format="json")
    assert created.status_code == 201 and created.json()["code"] == "SUP-009"
    duplicate = client.post("/api/v1/suppliers/", {"code": "ＳＵＰ－００１", "name": "Again", "country": "CN",
                                                   "category": "production"}, format="json")
    assert duplicate.status_code == 400 and "code" in duplicate.json()
    refused = client.post("/api/v1/suppliers/", {"code": "SUP-\u200b010", "name": "Ten", "country": "CN",
                                                 "category": "production"}, format="json")
    assert refused.status_code == 400
    assert "U+200B ZERO WIDTH SPACE" in refused.json()["code"][0]
    spend = client.post("/api/v1/spend/", {"supplier_code": "ｓｕｐ-001".upper(), "quarter": "2026-Q3",
                                           "currency": "USD", "amount": "5"}, format="json")
    assert spend.status_code == 201, spend.json()
    assert SpendRecord.objects.get().supplier == supplier


def test_portal_identifier_field_uses_the_same_rule():
    from portal.forms import IdentifierFormField

    field = IdentifierFormField(max_length=50)
    assert field.clean(" ＳＩＴＥ－１ ") == "SITE-1"
    with pytest.raises(ValidationError, match=re.escape("U+00A0 NO-BREAK SPACE")):
        field.clean("SITE\u00a01")


def test_check_identifiers_lists_stored_identifiers_the_rule_refuses(make_supplier, capsys):
    make_supplier("SUP-001")
    call_command("check_identifiers")
    assert capsys.readouterr().out.splitlines()[-1] == \
        "0 stored identifier(s) the identifier rule would refuse or rewrite"
    make_supplier("BAD\u200b1")
    make_supplier("ＦＷ-1")
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_identifiers")
    assert exit_info.value.code == 1
    assert capsys.readouterr().out.splitlines() == [
        "supplier code 'BAD\\u200b1' contains U+200B ZERO WIDTH SPACE; "
        "a code may only hold ASCII letters, digits and - _ . /",
        "supplier code 'ＦＷ-1': would be read as 'FW-1'",
        "2 stored identifier(s) the identifier rule would refuse or rewrite",
    ]


# --------------------------------------------------------------------------- 5. headers
def test_headers_match_whatever_the_case_spaces_hyphens_and_underscores(db):
    data = b" Code ,NAME,Legal-Name,country , CATEGORY\nS-1,Lotus,Lotus Co,CN,production\n"
    run(SupplierImporter, data)
    assert Supplier.objects.values_list("code", "legal_name").get() == ("S-1", "Lotus Co")


def test_unknown_columns_are_a_warning_printed_and_returned(db, capsys, tmp_path, api_as):
    text = "code,name,country,category,notes,Buyer\nS-1,Lotus,CN,production,x,y\n"
    assert run(SupplierImporter, text.encode()).warnings == [
        "row 1: ignored column(s) not read by import_suppliers: notes, Buyer"]
    path = tmp_path / "suppliers.csv"
    path.write_text(text)
    call_command("import_suppliers", str(path))
    assert "warning: row 1: ignored column(s) not read by import_suppliers: notes, Buyer" in capsys.readouterr().out
    response = api_as(roles.PROCUREMENT_ANALYST).post(
        "/api/v1/suppliers/import/", {"file": SimpleUploadedFile("s.csv", text.encode())}, format="multipart")
    assert response.json()["warnings"] == ["row 1: ignored column(s) not read by import_suppliers: notes, Buyer"]


@pytest.mark.parametrize(("header", "column", "meant"), [
    ("supplier_cod", "supplier_cod", "supplier_code"), ("Amuont", "Amuont", "amount"),
    ("Period", "Period", "quarter"), ("ccy", "ccy", "currency"),
])
def test_a_near_miss_of_a_known_column_is_an_error(supplier, header, column, meant):
    names = {"supplier_code": "supplier_code", "amount": "amount", "quarter": "quarter", "currency": "currency"}
    names[meant] = header
    data = (",".join(names.values()) + "\nSUP-001,5,2026-Q3,USD\n").encode()
    assert errors_of(SpendImporter, data) == [f"row 1, column {column}: unknown column; did you mean {meant}?"]


def test_a_synonym_is_an_error_naming_the_column(db):
    data = b"audit_ref,finding_ref,provision_code,severity,opened_on,closed\nA,F,A1,minor,2026-01-01,2026-02-01\n"
    assert errors_of(FindingImporter, data) == ["row 1, column closed: unknown column; did you mean closed_on?"]


def test_a_column_given_twice_is_an_error(db):
    data = b"code,name,country,category,Code\nS-1,Lotus,CN,production,S-2\n"
    assert errors_of(SupplierImporter, data) == ["row 1, column Code: the column appears twice in the header"]


def test_excel_sep_line_with_semicolons_keeps_physical_line_numbers(supplier):
    data = b"sep=;\r\nsupplier_code;quarter;amount;currency\r\nSUP-001;2026-Q3;5;USD\r\nSUP-001;2026-Q2;x;USD\r\n"
    assert errors_of(SpendImporter, data) == [
        "row 4, column amount: 'x' is not a number (use digits with a dot as decimal separator)"]
    bad_header = b"sep=,\nsupplier_code,quarter,amount,Supplier Code\nSUP-001,2026-Q3,5,SUP-001\n"
    assert errors_of(SpendImporter, bad_header) == [
        "row 2, column Supplier Code: the column appears twice in the header",
        "row 2, column currency: required column is missing from the header"]


# --------------------------------------------------------------------------- 6. plausible dates
@pytest.mark.parametrize(("day", "error"), [
    ("2026-12-01", "conducted_on 2026-12-01 is after today (2026-11-30)"),
    ("1999-12-31", "conducted_on 1999-12-31 is before 2000-01-01"),
])
def test_a_conducted_audit_lies_between_2000_and_today(supplier, make_site, day, error):
    make_site(supplier, "S-1")
    data = f"audit_ref,site_code,audit_type,conducted_on\nA-1,S-1,vap_full,{day}\n".encode()
    assert errors_of(AuditImporter, data) == [f"row 2, column conducted_on: {error}"]
    assert run(AuditImporter, b"audit_ref,site_code,audit_type,conducted_on\nA-1,S-1,vap_full,2026-11-30\n").created


def test_today_is_the_configured_time_zone_s_day(supplier, make_site, settings):
    make_site(supplier, "S-1")
    data = b"audit_ref,site_code,audit_type,conducted_on\nA-1,S-1,vap_full,2026-12-01\n"
    with time_machine.travel(dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC), tick=False):
        settings.TIME_ZONE = "Asia/Shanghai"  # already 1 December there
        assert run(AuditImporter, data, dry_run=True).created == 1
        settings.TIME_ZONE = "UTC"
        assert errors_of(AuditImporter, data) == [
            "row 2, column conducted_on: conducted_on 2026-12-01 is after today (2026-11-30)"]


def test_finding_dates_are_plausible(supplier, make_site):
    from audits.models import Audit

    Audit.objects.create(audit_ref="A-1", site=make_site(supplier, "S-1"), audit_type="vap_full",
                         conducted_on=dt.date(2026, 2, 1), status="closed")
    header = "audit_ref,finding_ref,provision_code,severity,opened_on,due_on,closed_on\n"
    rows = ("A-1,F-1,A1,minor,2026-12-05,,\n"
            "A-1,F-2,A1,minor,2026-02-01,2041-01-01,\n"
            "A-1,F-3,A1,minor,2026-02-01,2026-01-31,\n"
            "A-1,F-4,A1,minor,2026-02-01,,2026-01-15\n"
            "A-1,F-5,A1,minor,1999-02-01,,\n")
    assert errors_of(FindingImporter, (header + rows).encode()) == [
        "row 2, column opened_on: opened_on 2026-12-05 is after today (2026-11-30)",
        "row 3, column due_on: due_on 2041-01-01 is more than 10 years ahead",
        "row 4, column due_on: due_on is before opened_on",
        "row 5, column closed_on: closed_on is before opened_on",
        "row 6, column opened_on: opened_on 1999-02-01 is before 2000-01-01",
    ]


@pytest.mark.parametrize(("importer_class", "text"), [
    (SpendImporter, "supplier_code,quarter,amount,currency\nSUP-001,{q},5,USD\n"),
    (QbrComponentImporter, "supplier_code,quarter,component,score\nSUP-001,{q},quality,80\n"),
    (IndicatorValueImporter, "supplier_code,quarter,indicator_code,value\nSUP-001,{q},ENV-06,80\n"),
])
def test_quarters_after_the_current_one_or_before_2000_are_refused(supplier, importer_class, text):
    assert errors_of(importer_class, text.format(q="2027-Q1").encode()) == [
        "row 2, column quarter: 2027-Q1 is after the current quarter 2026-Q4"]
    assert errors_of(importer_class, text.format(q="1999-Q4").encode()) == [
        "row 2, column quarter: 1999-Q4 is before 2000"]
    assert run(importer_class, text.format(q="2026-Q4").encode()).created == 1


def test_value_submissions_cannot_be_for_a_future_quarter(api_as, own_supplier, role_users):
    from core.quarter import Quarter
    from scoring.services import indicator_value_submit

    indicator = Indicator.objects.get(code="ENV-06")
    with pytest.raises(ValidationError) as error:
        indicator_value_submit(supplier=own_supplier, quarter=Quarter(2028, 1), indicator=indicator, value="50",
                               actor=role_users[roles.SUPPLIER_USER])
    assert error.value.message_dict == {"quarter": ["2028-Q1 is after the current quarter 2026-Q4"]}
    response = api_as(roles.SUPPLIER_USER).post("/api/v1/indicator-values/", {
        "supplier_code": "OWN-1", "quarter": "2028-Q1", "indicator_code": "ENV-06", "value": "50"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"quarter": ["2028-Q1 is after the current quarter 2026-Q4"]}
    assert not IndicatorValue.objects.exists()


# --------------------------------------------------------------------------- 7. values that would be ignored
def test_base_currency_rate_must_be_one_in_imports_and_the_api(db, api_as):
    assert run(FxRateImporter, b"quarter,currency,rate_to_base\n2026-Q3,USD,1.000\n2026-Q3,EUR,1.08\n").created == 2
    response = api_as(roles.PROCUREMENT_ADMIN).post(
        "/api/v1/fx-rates/", {"quarter": "2026-Q2", "currency": "USD", "rate_to_base": "0.9"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"rate_to_base": ["USD is the base currency: its rate_to_base is 1, not 0.9"]}
    assert FxRate.objects.count() == 2
