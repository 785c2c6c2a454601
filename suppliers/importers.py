"""import_suppliers, import_sites, import_spend, import_fx_rates (contract.md)."""

from __future__ import annotations

from decimal import Decimal

from core.history import record_bulk_history
from core.importing import NOT_GIVEN, Column, Importer, ImportResult, ParsedRow, RowError, given, upsert
from core.parsers import (
    choice_parser,
    decimal_parser,
    int_parser,
    parse_bool,
    parse_country,
    parse_currency,
    parse_quarter,
    text_parser,
)
from suppliers.models import FxRate, Site, SiteStatus, SpendRecord, Supplier, SupplierCategory, SupplierStatus
from suppliers.services import record_status_changes, status_change_error


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
        Column("code", text_parser(max_length=50)),
        Column("name", text_parser(max_length=255)),
        Column("legal_name", text_parser(max_length=255), required=False, default=""),
        Column("country", parse_country),
        Column("category", choice_parser(SupplierCategory.values, what="category")),
        Column("commodity", text_parser(max_length=120), required=False, default=""),
        Column("tier", int_parser(choices=(1, 2, 3)), required=False, default=None),
        Column("status", choice_parser(SupplierStatus.values, what="status"), required=False,
               default=SupplierStatus.ACTIVE),
    )

    def resolve(self, rows, errors):
        self.existing = {s.code: s for s in Supplier.objects.filter(code__in=[r.values["code"] for r in rows])}
        for row in rows:
            current = self.existing.get(row.values["code"])
            new_status = row.values["status"]
            if current is not None and new_status is not NOT_GIVEN:
                error = status_change_error(current.status, new_status)
                if error is None and current.status == SupplierStatus.CANDIDATE and new_status == SupplierStatus.ACTIVE:
                    # Policy, as in the portal and API: screened before active. Only the rows
                    # that activate a candidate are looked up (rare, never a whole file).
                    from portal.services import activation_error

                    error = activation_error(current)
                if error:
                    errors.append(RowError(row.line, "status", str(error)))

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
        Column("supplier_code", text_parser(max_length=50)),
        Column("site_code", text_parser(max_length=50)),
        Column("name", text_parser(max_length=255)),
        Column("country", parse_country),
        Column("city", text_parser(max_length=120), required=False, default=""),
        Column("is_production", parse_bool),
        Column("status", choice_parser(SiteStatus.values, what="site status"), required=False,
               default=SiteStatus.ACTIVE),
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
            return Site(**{name: given(value, "" if name == "city" else SiteStatus.ACTIVE)
                           for name, value in values.items()})

        result, _, _ = upsert(
            Site,
            rows=(
                ((r.values["site_code"],), {
                    "code": r.values["site_code"], "supplier_id": r.values["supplier_id"], "name": r.values["name"],
                    "country": r.values["country"], "city": r.values["city"],
                    "is_production": r.values["is_production"], "status": r.values["status"],
                })
                for r in rows
            ),
            existing=existing,
            create=create,
            dry_run=dry_run,
        )
        return result


class SpendImporter(Importer):
    name = "import_spend"
    key = ("supplier_code", "quarter", "currency")
    columns = (
        Column("supplier_code", text_parser(max_length=50)),
        Column("quarter", parse_quarter),
        Column("amount", decimal_parser(places=4, minimum=Decimal("-1e15"), maximum=Decimal("1e15"))),
        Column("currency", parse_currency),
    )

    def resolve(self, rows, errors):
        resolve_supplier_codes(rows, errors)

    def write(self, rows, *, dry_run):
        quarters = sorted({str(r.values["quarter"]) for r in rows})
        existing = {
            (supplier_id, quarter, currency): (pk, amount)
            for pk, supplier_id, quarter, currency, amount in SpendRecord.objects.filter(quarter__in=quarters)
            .values_list("id", "supplier_id", "quarter", "currency", "amount")
            .iterator(chunk_size=20000)
        }
        result = ImportResult()
        to_create, to_update = [], []
        for row in rows:
            values = row.values
            key = (values["supplier_id"], str(values["quarter"]), values["currency"])
            stored = existing.get(key)
            if stored is None:
                to_create.append(SpendRecord(supplier_id=key[0], quarter=key[1], currency=key[2],
                                             amount=values["amount"]))
            elif stored[1] != values["amount"]:
                # Complete rows: the history records a snapshot of each.
                to_update.append(SpendRecord(id=stored[0], supplier_id=key[0], quarter=key[1], currency=key[2],
                                             amount=values["amount"]))
            else:
                result.unchanged += 1
        result.created, result.updated = len(to_create), len(to_update)
        if not dry_run:
            SpendRecord.objects.bulk_create(to_create, batch_size=5000)
            SpendRecord.objects.bulk_update(to_update, ["amount"], batch_size=1000)
            record_bulk_history(SpendRecord, to_create)
            record_bulk_history(SpendRecord, to_update, updated=True)
        return result


class FxRateImporter(Importer):
    name = "import_fx_rates"
    key = ("quarter", "currency")
    columns = (
        Column("quarter", parse_quarter),
        Column("currency", parse_currency),
        Column("rate_to_base", decimal_parser(minimum=0, exclusive_minimum=True, places=10,
                                              maximum=Decimal("1e7"))),
    )

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
