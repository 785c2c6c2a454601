"""import_suppliers, import_sites, import_spend, import_fx_rates (contract.md)."""

from __future__ import annotations

from decimal import Decimal

from core.bulk_upsert import CopyTarget, Lookup
from core.importing import NOT_GIVEN, Column, ColumnarImporter, Importer, Kind, ParsedRow, RowError, given, upsert
from core.parsers import (
    choice_parser,
    decimal_parser,
    identifier_parser,
    int_parser,
    parse_bool,
    parse_country,
    parse_currency,
    parse_past_quarter,
    parse_quarter,
    text_parser,
)
from suppliers import identifiers
from suppliers.models import FxRate, Site, SiteStatus, SpendRecord, Supplier, SupplierCategory, SupplierStatus
from suppliers.screening import activation_errors
from suppliers.services import fx_rate_error, record_status_changes, status_change_error


def supplier_ids_by_code(codes) -> dict[str, int]:
    """One query for any number of codes."""
    return dict(Supplier.objects.filter(code__in=set(codes)).values_list("code", "id"))


def resolve_supplier_codes(rows: list[ParsedRow], errors: list[RowError], column: str = "supplier_code") -> None:
    """Replace each row's supplier code by ``supplier_id``; unknown codes are row errors."""
    ids = supplier_ids_by_code(row.values[column] for row in rows)
    for row in rows:
        supplier_id = ids.get(row.values[column])
        if supplier_id is None:
            errors.append(RowError(row.line, column, f"unknown supplier code '{row.values[column]}'"))
        row.values["supplier_id"] = supplier_id


class SupplierImporter(Importer):
    name = "import_suppliers"
    key = ("code",)
    columns = (
        Column("code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("name", text_parser(max_length=255)),
        Column("legal_name", text_parser(max_length=255), required=False, default=""),
        Column("country", parse_country, kind=Kind.CODE),
        Column("category", choice_parser(SupplierCategory.values, what="category"), kind=Kind.CHOICE),
        Column("commodity", text_parser(max_length=120), required=False, default=""),
        Column("tier", int_parser(choices=(1, 2, 3)), required=False, default=None, kind=Kind.CHOICE),
        Column("status", choice_parser(SupplierStatus.values, what="status"), required=False,
               default=SupplierStatus.ACTIVE, kind=Kind.CHOICE),
        Column("publishable", parse_bool, required=False, default=True, kind=Kind.BOOL),
        *(Column(name, identifiers.PARSERS[name], required=False, default="", kind=Kind.CODE)
          for name in identifiers.IDENTIFIER_FIELDS),
    )

    def resolve(self, rows, errors):
        self.existing = {s.code: s for s in Supplier.objects.filter(code__in=[r.values["code"] for r in rows])}
        activating = [self.existing[r.values["code"]].pk for r in rows
                      if r.values["code"] in self.existing and r.values["status"] == SupplierStatus.ACTIVE
                      and self.existing[r.values["code"]].status == SupplierStatus.CANDIDATE]
        # Policy, as in the portal and API: screened before active (one query for the file).
        unscreened = activation_errors(activating)
        for row in rows:
            current = self.existing.get(row.values["code"])
            new_status = row.values["status"]
            if current is not None and new_status is not NOT_GIVEN:
                error = status_change_error(current.status, new_status)
                if error is None and current.status == SupplierStatus.CANDIDATE and new_status == SupplierStatus.ACTIVE:
                    error = unscreened.get(current.pk)
                if error:
                    errors.append(RowError(row.line, "status", str(error)))
        for line, column, message in identifiers.assignment_errors(
                [(row.line, row.values["code"], {name: row.values[name] for name in identifiers.IDENTIFIER_FIELDS
                                                 if row.values[name] not in (NOT_GIVEN, "")})
                 for row in rows]):
            errors.append(RowError(line, column, message))

    def write(self, rows, *, dry_run):
        defaults = {column.name: column.default for column in self.columns}
        old_status = {code: supplier.status for code, supplier in self.existing.items()}

        def create(key, values):
            return Supplier(**{name: given(value, defaults[name]) for name, value in values.items()})

        fields = [c.name for c in self.columns if c.name != "code"]
        result, created, changes = upsert(
            Supplier,
            rows=(((r.values["code"],), {"code": r.values["code"], **{f: r.values[f] for f in fields}}) for r in rows),
            existing={(code,): s for code, s in self.existing.items()},
            create=create,
            dry_run=dry_run,
        )
        if not dry_run:
            status_changes = [(s, "", s.status) for s in created]
            status_changes += [(s, old_status[s.code], s.status) for s, changed in changes if "status" in changed]
            if status_changes:
                record_status_changes(changes=status_changes, actor=self.actor or self.name, reason="import")
        return result


class SiteImporter(Importer):
    name = "import_sites"
    key = ("site_code",)
    columns = (
        Column("supplier_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("site_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("name", text_parser(max_length=255)),
        Column("country", parse_country, kind=Kind.CODE),
        Column("city", text_parser(max_length=120), required=False, default=""),
        Column("province", text_parser(max_length=120), required=False, default=""),
        Column("address", text_parser(max_length=500), required=False, default=""),
        Column("is_production", parse_bool, kind=Kind.BOOL),
        Column("status", choice_parser(SiteStatus.values, what="site status"), required=False,
               default=SiteStatus.ACTIVE, kind=Kind.CHOICE),
    )

    def resolve(self, rows, errors):
        resolve_supplier_codes(rows, errors)
        owners = dict(Site.objects.filter(code__in=[r.values["site_code"] for r in rows])
                      .values_list("code", "supplier_id"))
        for row in rows:
            owner = owners.get(row.values["site_code"])
            if owner is not None and row.values["supplier_id"] not in (None, owner):
                errors.append(RowError(row.line, "supplier_code", "a site cannot move to another supplier (its "
                                       "audits and findings belong to the first one); close it and create a new site"))

    def write(self, rows, *, dry_run):
        existing = {(s.code,): s for s in Site.objects.filter(code__in=[r.values["site_code"] for r in rows])}

        def create(key, values):
            return Site(**{name: given(value, "" if name in ("city", "province", "address") else SiteStatus.ACTIVE)
                           for name, value in values.items()})

        result, _, _ = upsert(
            Site,
            rows=(
                ((r.values["site_code"],), {
                    "code": r.values["site_code"], "supplier_id": r.values["supplier_id"], "name": r.values["name"],
                    "country": r.values["country"], "city": r.values["city"],
                    "province": r.values["province"], "address": r.values["address"],
                    "is_production": r.values["is_production"], "status": r.values["status"],
                })
                for r in rows
            ),
            existing=existing,
            create=create,
            dry_run=dry_run,
        )
        return result


class SpendImporter(ColumnarImporter):
    """Spend per supplier, quarter and currency: read, checked and written column-wise (#13)."""

    name = "import_spend"
    key = ("supplier_code", "quarter", "currency")
    columns = (
        Column("supplier_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("quarter", parse_past_quarter, kind=Kind.CODE),
        Column("amount", decimal_parser(places=4, minimum=Decimal("-1e15"), maximum=Decimal("1e15")),
               kind=Kind.AMOUNT),
        Column("currency", parse_currency, kind=Kind.CODE),
    )
    target = CopyTarget(
        model=SpendRecord,
        fields={"quarter": "quarter", "currency": "currency", "amount": "amount"},
        lookups=(Lookup("supplier_id", Supplier, "code", "supplier_code", "unknown supplier code '{}'"),),
        conflict=("supplier_id", "quarter", "currency"),
        key=("supplier_code", "quarter", "currency"),
        partition="quarter",
    )


class FxRateImporter(Importer):
    name = "import_fx_rates"
    key = ("quarter", "currency")
    columns = (
        Column("quarter", parse_quarter, kind=Kind.CODE),
        Column("currency", parse_currency, kind=Kind.CODE),
        Column("rate_to_base", decimal_parser(minimum=0, exclusive_minimum=True, places=10,
                                              maximum=Decimal("1e7")), kind=Kind.AMOUNT),
    )

    def check_row(self, line, values, errors):
        rate = values.get("rate_to_base", NOT_GIVEN)
        if "currency" in values and rate is not NOT_GIVEN:
            error = fx_rate_error(values["currency"], rate)
            if error:
                errors.append(RowError(line, "rate_to_base", error))

    def write(self, rows, *, dry_run):
        existing = {(r.quarter, r.currency): r for r in FxRate.objects.filter(
            quarter__in={str(row.values["quarter"]) for row in rows})}
        result, _, _ = upsert(
            FxRate,
            rows=(
                ((str(r.values["quarter"]), r.values["currency"]),
                 {"quarter": str(r.values["quarter"]), "currency": r.values["currency"],
                  "rate_to_base": r.values["rate_to_base"]})
                for r in rows
            ),
            existing=existing,
            create=lambda key, values: FxRate(**values),
            dry_run=dry_run,
        )
        return result
