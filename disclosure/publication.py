"""The public supplier list (scorecard.md section 10) as a pure function, and its files.

``public_site_list`` knows nothing of the ORM: it takes the quarter's population frame
(``suppliers.services.population_for_quarter``) and frames of suppliers and sites, and
returns the rows the buyer publishes. ``disclosure.selectors.supplier_list`` loads them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.spreadsheet import safe_cell
from suppliers.models import SiteStatus, SupplierStatus
from suppliers.spend import FULL

LIST_COLUMNS = ["supplier_name", "site_name", "address", "city", "province", "country", "commodity"]
ROW_COLUMNS = [*LIST_COLUMNS, "site_code", "supplier_code"]

SUPPLIER_FRAME = ["supplier_id", "supplier_code", "name", "commodity", "status", "publishable"]
SITE_FRAME = ["site_id", "supplier_id", "code", "name", "address", "city", "province", "country",
              "is_production", "status"]


def public_site_list(population: pd.DataFrame, suppliers: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """Rows of the public supplier list for one quarter (section 10).

    ``population``: supplier_id, population (``full``/``ecovadis_only``), as
    ``population_for_quarter`` returns it. ``suppliers``: SUPPLIER_FRAME columns.
    ``sites``: SITE_FRAME columns. Returns ROW_COLUMNS (LIST_COLUMNS, then site_code and
    supplier_code for diffs and links): one row per active production site of a supplier
    that is in the full population, publishable and not terminated; sorted by (country,
    supplier_name, site_name) in code-point order, ties by site code.
    """
    full_ids = set(population.loc[population["population"] == FULL, "supplier_id"].astype("int64"))
    eligible = suppliers.loc[
        suppliers["supplier_id"].isin(full_ids)
        & suppliers["publishable"].astype(bool)
        & (suppliers["status"] != SupplierStatus.TERMINATED),
        ["supplier_id", "supplier_code", "name", "commodity"],
    ].rename(columns={"name": "supplier_name"})
    relevant = sites.loc[
        sites["is_production"].astype(bool) & (sites["status"] == SiteStatus.ACTIVE),
        ["supplier_id", "code", "name", "address", "city", "province", "country"],
    ].rename(columns={"code": "site_code", "name": "site_name"})
    rows = relevant.merge(eligible, on="supplier_id", how="inner")
    records = rows[ROW_COLUMNS].to_dict("records")
    # Python compares str by code point; pandas' sort would too, but a key tuple says it plainly.
    records.sort(key=lambda r: (r["country"], r["supplier_name"], r["site_name"], r["site_code"]))
    return pd.DataFrame(records, columns=ROW_COLUMNS)


def list_changes(current: pd.DataFrame, previous: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Sites added to and removed from the list since the previous quarter, matched by site
    code; each keeps the list's order. Returns {"added": rows, "removed": rows}."""
    now, before = set(current["site_code"]), set(previous["site_code"])
    return {
        "added": current.loc[~current["site_code"].isin(before)].reset_index(drop=True),
        "removed": previous.loc[~previous["site_code"].isin(now)].reset_index(drop=True),
    }


def _cell(value) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value))


def write_csv(rows: pd.DataFrame, target) -> int:
    """UTF-8 CSV without a BOM (like the scores CSV), header first, LIST_COLUMNS only;
    formula-like cells get a leading apostrophe. Returns rows written."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            return write_csv(rows, handle)
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(LIST_COLUMNS)
    for record in rows[LIST_COLUMNS].itertuples(index=False):
        writer.writerow([safe_cell(value) for value in record])
    return len(rows)


def write_xlsx(rows: pd.DataFrame, target, *, title: str = "Suppliers") -> int:
    """One sheet, header first, LIST_COLUMNS only, every cell text. Returns rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(LIST_COLUMNS)
    for record in rows[LIST_COLUMNS].itertuples(index=False):
        sheet.append([_cell(value) for value in record])
    workbook.save(target)
    return len(rows)
