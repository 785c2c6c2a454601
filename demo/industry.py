"""Demo data for the industry's own files (docs/industry-files.md), each through its real
door: a smelter list in two dated versions (``SmelterListImporter``), CMRT and EMRT workbooks
written here with openpyxl in the RMI layout (never a downloaded template) and read by
``minerals_report_import``, and EcoVadis, CDP and SBTi lists read by the third-party importers
(matched values, match reviews). The first supplier login has a newer CMRT waiting for review,
so the minerals queue shows something. Fictional smelter names throughout."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import Counter

from openpyxl import Workbook

from core.quarter import Quarter
from disclosure.minerals import ReportRefused, SmelterListImporter, minerals_report_import
from scoring import thirdparty
from suppliers.matching import normalize_name
from suppliers.models import Supplier, SupplierMembership, SupplierStatus

METALS_3TG = ("tin", "tantalum", "tungsten", "gold")
COUNTRIES = {"tin": ["Indonesia", "Malaysia", "Peru", "Bolivia", "China"],
             "tantalum": ["China", "Rwanda", "Brazil", "Japan"],
             "tungsten": ["China", "Viet Nam", "Austria", "Japan"],
             "gold": ["Switzerland", "Japan", "United States", "China", "Turkey"],
             "cobalt": ["Finland", "China", "Belgium", "Zambia"]}
WORDS = ("Harbour", "Summit", "Lotus", "Granite", "Northstar", "Redriver", "Bluewater", "Eastgate", "Silverpine",
         "Sunrise", "Goldleaf", "Ironhill")
LOOKUP_HEADERS = ("Smelter Identification Number Input Column", "Metal (*)", "Smelter Look-up (*)",
                  "Smelter Name (1)", "Smelter Country (*)", "Smelter Identification",
                  "Source of Smelter Identification Number")


def seed_industry_files(*, suppliers: list[Supplier], rng: random.Random, as_of: dt.date) -> int:
    """Runs once, on the fresh demo database; ``as_of`` is the last closed quarter's last day.
    Does not draw from ``rng`` (a copy of its state is used), so earlier steps are unchanged.
    Returns the number of smelters, reports and third-party rows written."""
    local = random.Random()
    local.setstate(rng.getstate())
    active = [s for s in suppliers if s.status == SupplierStatus.ACTIVE]
    smelters = seed_smelter_list(local, as_of)
    reports = seed_minerals_reports(active, local, as_of, smelters)
    rows = seed_third_party_lists(active, local, as_of)
    return len(smelters) + reports + rows


# --------------------------------------------------------------------------- smelter list


def seed_smelter_list(rng: random.Random, as_of: dt.date) -> list[dict]:
    """Two lists a year apart (the newer one a month before ``as_of``): every dated status is
    kept, a few smelters change status in between. Returns the newer list's rows."""
    smelters, number = [], 1
    for metal in (*METALS_3TG, "cobalt"):
        for _ in range(12 if metal != "cobalt" else 8):
            status = rng.choices(["conformant", "active", "not_enrolled"], [70, 20, 10])[0]
            smelters.append({"smelter_id": f"CID{number:06d}", "metal": metal, "status": status,
                             "name": f"{rng.choice(WORDS)} {metal.title()} {rng.choice(['Refinery', 'Smelting'])} "
                                     f"{number}", "country": rng.choice(COUNTRIES[metal])})
            number += 1
    newer_day = as_of - dt.timedelta(days=30)
    older = [{**s, "status": "active" if s["status"] == "conformant" and rng.random() < 0.15 else s["status"]}
             for s in smelters]
    for rows, day in ((older, newer_day - dt.timedelta(days=365)), (smelters, newer_day)):
        SmelterListImporter(actor="seed_demo").run(_csv(["smelter_id", "metal", "name", "country", "status", "as_of"],
                                                        [[s["smelter_id"], s["metal"], s["name"], s["country"],
                                                          s["status"], day.isoformat()] for s in rows]),
                                                   filename="rmi-smelter-list.csv")
    return smelters


# --------------------------------------------------------------------------- CMRT / EMRT


def seed_minerals_reports(suppliers: list[Supplier], rng: random.Random, as_of: dt.date, smelters: list[dict]) -> int:
    """A CMRT for a dozen production suppliers, an EMRT 2.1 for half of them, dated within the
    12 months before ``as_of``; the first supplier login's newer CMRT waits for review."""
    production = [s for s in suppliers if s.category == "production"] or suppliers
    chosen = rng.sample(production, min(12, len(production)))
    written = 0
    for index, supplier in enumerate(chosen):
        declared = as_of - dt.timedelta(days=rng.randint(20, 300))
        written += _import(supplier, "cmrt", _workbook("cmrt", "6.5", supplier, declared,
                                                       _rows(rng, smelters, METALS_3TG)), actor=None)
        if index % 2 == 0:
            written += _import(supplier, "emrt", _workbook("emrt", "2.1", supplier, declared,
                                                           _rows(rng, smelters, ("cobalt",))), actor=None)
    membership = SupplierMembership.objects.select_related("user", "supplier").filter(user__username="supplier").first()
    if membership is not None:
        supplier, user = membership.supplier, membership.user
        written += _import(supplier, "cmrt", _workbook("cmrt", "6.5", supplier, as_of - dt.timedelta(days=200),
                                                       _rows(rng, smelters, METALS_3TG)), actor=None)
        written += _import(supplier, "cmrt", _workbook("cmrt", "6.5", supplier, as_of - dt.timedelta(days=10),
                                                       _rows(rng, smelters, METALS_3TG)), actor=user)
    return written


def _rows(rng: random.Random, smelters: list[dict], metals) -> list[tuple]:
    """Smelter List rows as suppliers write them: ids from the look-up, a typed id, a padded
    lower-case metal, a smelter not listed, one not yet identified."""
    pool = [s for s in smelters if s["metal"] in metals]
    rows = []
    for smelter in rng.sample(pool, min(len(pool), rng.randint(5, 10))):
        metal = smelter["metal"].title() if rng.random() < 0.8 else f"{smelter['metal']} "
        if rng.random() < 0.15:
            rows.append((smelter["smelter_id"], metal, "", smelter["name"], smelter["country"], "", ""))
        else:
            rows.append(("", metal, smelter["name"], "", smelter["country"], smelter["smelter_id"], "RMI"))
    if rng.random() < 0.5:
        rows.append(("", metals[0].title(), "Smelter not listed", f"{rng.choice(WORDS)} Metals Co.",
                     rng.choice(COUNTRIES[metals[0]]), "", ""))
    if rng.random() < 0.4:
        rows.append(("", metals[-1].title(), "Smelter not yet identified", "Unknown", "Unknown", "", ""))
    return rows


def _workbook(template: str, version: str, supplier: Supplier, declared: dt.date, rows: list[tuple]) -> bytes:
    """A CMRT or EMRT in the RMI layout (domain.md): the Declaration's revision stamp in J3,
    company D8, scope D9, the Effective Date D22 (D26 in EMRT 2.x), a few answers; the Smelter
    List's header in row 4 and the rows from row 5."""
    book = Workbook()
    book.remove(book.active)
    for name in ("Revision", "Instructions", "Definitions", "Declaration", "Smelter List", "Checker",
                 "Product List", "Smelter Look-up", *(["Mine List"] if template == "emrt" else [])):
        book.create_sheet(name)
    sheet = book["Declaration"]
    sheet["B2"] = ("Conflict Minerals Reporting Template (CMRT)" if template == "cmrt"
                   else "Extended Minerals Reporting Template (EMRT)")
    sheet["J3"] = f"Revision {version}"
    sheet["B8"], sheet["D8"] = "Company Name (*):", supplier.legal_name or supplier.name
    sheet["B9"], sheet["D9"] = "Declaration Scope or Class (*):", "A. Company"
    shift = 4 if template == "emrt" and version.startswith("2") else 0
    if shift:
        sheet["B12"], sheet["D12"] = "Select the minerals in scope of this declaration (*):", "Cobalt"
    sheet.cell(row=15 + shift, column=2, value="Contact Name (*):")
    sheet.cell(row=15 + shift, column=4, value="Compliance Team")
    sheet.cell(row=22 + shift, column=2, value="Effective Date (*):")
    sheet.cell(row=22 + shift, column=4, value=declared)
    metals = METALS_3TG if template == "cmrt" else ("cobalt",)
    line = 25 + shift
    sheet.cell(row=line, column=2, value="1) Is any of the metals intentionally added to your products?")
    for metal in metals:
        sheet.cell(row=line, column=3, value=metal.title())
        sheet.cell(row=line, column=4, value="Yes")
        line += 1
    sheet.cell(row=line, column=2, value="A. Do you have a responsible minerals sourcing policy?")
    sheet.cell(row=line, column=4, value="Yes")
    smelter_list = book["Smelter List"]
    for column, header in enumerate(LOOKUP_HEADERS, start=1):
        smelter_list.cell(row=4, column=column, value=header)
    for line, row in enumerate(rows, start=5):
        for column, value in enumerate(row, start=1):
            if value:
                smelter_list.cell(row=line, column=column, value=value)
    products = book["Product List"]
    products["B5"], products["C5"] = "Manufacturer's Product Number (*)", "Manufacturer's Product Name"
    for line, (number, name) in enumerate((("PCB-1001", "Controller board"), ("CBL-220", "Harness")), start=6):
        products.cell(row=line, column=2, value=f"{supplier.code}-{number}")
        products.cell(row=line, column=3, value=name)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(supplier: Supplier, template: str, content: bytes, *, actor) -> int:
    upload = _BytesUpload(content, f"{supplier.code}-{template}.xlsx")
    try:
        minerals_report_import(supplier=supplier, template=template, upload=upload, actor=actor,
                               channel="seed_demo")
    except ReportRefused:
        return 0
    return 1


class _BytesUpload(io.BytesIO):
    """Workbook bytes seen as an upload (name and size) by ``core.uploads``."""

    def __init__(self, content: bytes, name: str):
        super().__init__(content)
        self.name = name
        self.size = len(content)


# --------------------------------------------------------------------------- third-party lists


def seed_third_party_lists(suppliers: list[Supplier], rng: random.Random, as_of: dt.date) -> int:
    """An EcoVadis export published in the last closed quarter and a CDP list downloaded on its
    last day, matched by exact name and country; two rows without a country wait in the match
    reviews."""
    quarter = Quarter.containing(as_of)
    # Demo names repeat; a list has one row per company and country.
    counts = Counter(_company(s) for s in suppliers)
    unique = [s for s in suppliers if counts[_company(s)] == 1]
    sample = rng.sample(unique, min(30, len(unique)))
    ecovadis, cdp, review = sample[:15], sample[15:27], sample[27:]
    mapping = thirdparty.DEFAULT_MAPPINGS
    ev = mapping["ecovadis"]
    ev_rows = []
    for supplier in ecovadis:
        published = quarter.first_day + dt.timedelta(days=rng.randint(0, 80))
        scores = [round(min(100, max(20, rng.gauss(55, 12)))) for _ in range(5)]
        ev_rows.append([supplier.legal_name or supplier.name, supplier.country, published.isoformat(),
                        rng.choice(["Gold", "Silver", "Bronze", "", ""]), *scores])
    for supplier in review:
        ev_rows.append([supplier.legal_name or supplier.name, "", (quarter.first_day + dt.timedelta(days=5))
                        .isoformat(), "", 50, 50, 50, 50, 50])
    header = [ev["company_name"], ev["country"], ev["published_on"], ev["medal"], ev["overall"], ev["environment"],
              ev["labor_human_rights"], ev["ethics"], ev["sustainable_procurement"]]
    written = _run(thirdparty.EcoVadisImporter(actor="seed_demo"), _csv(header, ev_rows), "ecovadis-export.csv")
    cd = mapping["cdp"]
    cdp_rows = [[s.legal_name or s.name, s.country, rng.choice(["A", "A-", "B", "B-", "C", "D", "F"]),
                 str(as_of.year - 1)] for s in cdp]
    written += _run(thirdparty.CdpImporter(actor="seed_demo", as_of=as_of),
                    _csv([cd["company_name"], cd["country"], cd["score"], cd["year"]], cdp_rows), "cdp-scores.csv")
    return written


def _company(supplier: Supplier) -> tuple[str, str]:
    return normalize_name(supplier.legal_name or supplier.name), supplier.country


def _run(importer, content: bytes, name: str) -> int:
    result = importer.run(content, filename=name)
    return result.extra.get("matched", 0) + result.extra.get("to_review", 0)


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()
