"""Build RMI CMRT/EMRT workbooks with the real layout (domain.md, "The RMI templates as
suppliers send them"), with the quirks suppliers produce. Never a downloaded template."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook

HEADERS = ("Smelter Identification Number Input Column", "Metal (*)", "Smelter Look-up (*)", "Smelter Name (1)",
           "Smelter Country (*)", "Smelter Identification", "Source of Smelter Identification Number",
           "Smelter Street", "Smelter City")


def smelter(metal, lookup="", name="", country="", identification="", typed="", source=""):
    """One Smelter List row: (A typed id, B metal, C look-up, D name, E country, F id, G source)."""
    return (typed, metal, lookup, name, country, identification, source)


def build(*, template: str = "cmrt", version: str = "6.5", company: str = "Acme Components Ltd.",
          scope: str = "A. Company", date: object = dt.date(2024, 2, 7), rows=(), blank_rows_at=(),
          answers=(("1) Is any 3TG intentionally added?", "Tin", "Yes"),
                    ("1) Is any 3TG intentionally added?", "Gold", "No"),
                    ("A. Do you have a policy in place?", "", "Yes")),
          sheets=None, header_b4: str | None = None, version_cell: str | None = None,
          products=(), mines=()) -> bytes:
    """The workbook as bytes. ``date``: a date (a real date cell), a string (typed text) or
    None (empty). ``blank_rows_at``: Smelter List rows left empty before the given data
    indexes. ``sheets``: the sheet names in order (default: the real set, Declaration not
    first, as in later versions)."""
    book = Workbook()
    book.remove(book.active)
    names = sheets or ["Revision", "Instructions", "Definitions", "Declaration", "Smelter List", "Checker",
                       "Product List", "Smelter Look-up"] + (["Mine List"] if template == "emrt"
                                                            and version.startswith("2") else [])
    for name in names:
        book.create_sheet(name)
    if "Declaration" in names:
        _declaration(book["Declaration"], template, version, company, scope, date, answers, version_cell)
    if "Smelter List" in names:
        sheet = book["Smelter List"]
        sheet["A1"] = "Smelter List - Instructions"
        for column, header in enumerate(HEADERS, start=1):
            sheet.cell(row=4, column=column, value=header)
        if header_b4 is not None:
            sheet["B4"] = header_b4
        line = 5
        for index, row in enumerate(rows):
            if index in blank_rows_at:
                line += 2
            for column, value in enumerate(row, start=1):
                if value != "":
                    sheet.cell(row=line, column=column, value=value)
            line += 1
        # Real templates carry formatting far below the data: a used range never to be trusted.
        sheet.cell(row=line + 300, column=1, value="")
    if products and "Product List" in names:
        _listed(book["Product List"], 5, PRODUCT_HEADERS, products)
    if mines and "Mine List" in names:
        _listed(book["Mine List"], 4, MINE_HEADERS, mines)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


PRODUCT_HEADERS = ("Manufacturer's Product Number (*)", "Manufacturer's Product Name", "Comments")
MINE_HEADERS = ("Metal (*)", "Smelter Look-up (*)", "Smelter Name", "Mine Name (*)", "Mine Identification",
                "Mine Country (*)")


def _listed(sheet, header_row, headers, rows):
    """The Product List / Mine List: instructions above the header, a blank row inside."""
    sheet["A1"] = "Instructions: list the products or mines this declaration covers."
    for column, header in enumerate(headers, start=1):
        sheet.cell(row=header_row, column=column, value=header)
    line = header_row + 1
    for index, row in enumerate(rows):
        if index == 1:
            line += 1
        for column, value in enumerate(row, start=1):
            if value != "":
                sheet.cell(row=line, column=column, value=value)
        line += 1


def _declaration(sheet, template, version, company, scope, date, answers, version_cell):
    title = ("Conflict Minerals Reporting Template (CMRT)" if template == "cmrt"
             else "Extended Minerals Reporting Template (EMRT)")
    sheet["B2"] = title
    sheet["J3"] = version_cell if version_cell is not None else f"Revision {version}"
    sheet["J4"] = "April 25, 2025"
    sheet["B8"], sheet["D8"] = "Company Name (*):", company
    sheet["B9"], sheet["D9"] = "Declaration Scope or Class (*):", scope
    shift = 4 if template == "emrt" and version.startswith("2") else 0
    if shift:
        sheet["B12"] = "Select the minerals in scope of this declaration (*):"
        sheet["D12"], sheet["E12"] = "Cobalt", "Mica"
    date_row = 22 + shift
    sheet.cell(row=15 + shift, column=2, value="Contact Name (*):")
    sheet.cell(row=15 + shift, column=4, value="Jane Doe")
    sheet.cell(row=date_row, column=2, value="Effective Date (*):")
    if date is not None:
        sheet.cell(row=date_row, column=4, value=date)
    row = date_row + 3
    last_question = None
    for question, metal, answer in answers:
        if question != last_question:
            sheet.cell(row=row, column=2, value=question)
            last_question = question
        if metal:
            sheet.cell(row=row, column=3, value=metal)
        sheet.cell(row=row, column=4, value=answer)
        row += 1


def upload(content: bytes, name: str = "cmrt.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content,
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
