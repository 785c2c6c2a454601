"""import_emissions and import_emission_factors (contract.md "Additions")."""

from __future__ import annotations

from decimal import Decimal

from core.importing import NOT_GIVEN, Column, Importer, Kind, RowError, given, upsert
from core.parsers import (
    CellError,
    choice_parser,
    decimal_parser,
    identifier_parser,
    parse_bool,
    parse_currency,
    text_parser,
)
from core.quarter import PLAUSIBLE_FROM, today
from disclosure.models import EmissionFactor, EmissionInventory, InventorySource, InventoryState, commodity_key
from suppliers.importers import resolve_supplier_codes

_TCO2E = decimal_parser(minimum=0, places=6, maximum=Decimal("1e15"))


def parse_year(text: str) -> int:
    """A plausible reporting year: four digits, not before 2000, not after the current year."""
    cleaned = text.strip()
    if len(cleaned) != 4 or not cleaned.isdigit():
        raise CellError(f"'{text}' is not a year (YYYY)")
    year = int(cleaned)
    current = today().year
    if year < PLAUSIBLE_FROM.year:  # the one lower bound of plausible dates (contract.md)
        raise CellError(f"{year} is before {PLAUSIBLE_FROM.year}")
    if year > current:
        raise CellError(f"{year} is after the current year {current}")
    return year


def inventory_errors(values: dict) -> dict[str, str]:
    """Checks across the figures of one inventory (contract.md): at least one scope 2
    figure, and a currency with every revenue. ``values`` holds None or NOT_GIVEN for
    figures not given; a key absent from ``values`` is a cell that failed to parse and has
    its own error already. Returns {field: message}."""
    def missing(name):
        return name in values and values[name] in (None, NOT_GIVEN, "")

    errors = {}
    if missing("scope2_market_tco2e") and missing("scope2_location_tco2e"):
        errors["scope2_market_tco2e"] = ("at least one scope 2 figure is required "
                                         "(scope2_market_tco2e or scope2_location_tco2e)")
    if not missing("revenue") and missing("revenue_currency"):
        errors["revenue_currency"] = "a revenue needs its currency"
    return errors


class EmissionInventoryImporter(Importer):
    name = "import_emissions"
    key = ("supplier_code", "year")
    columns = (
        Column("supplier_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("year", parse_year, kind=Kind.CHOICE),
        Column("scope1_tco2e", _TCO2E, kind=Kind.AMOUNT),
        Column("scope2_market_tco2e", _TCO2E, required=False, kind=Kind.AMOUNT),
        Column("scope2_location_tco2e", _TCO2E, required=False, kind=Kind.AMOUNT),
        Column("scope3_tco2e", _TCO2E, required=False, kind=Kind.AMOUNT),
        Column("revenue", decimal_parser(minimum=0, exclusive_minimum=True, places=4, maximum=Decimal("1e18")),
               required=False, kind=Kind.AMOUNT),
        Column("revenue_currency", parse_currency, required=False, default="", kind=Kind.CODE),
        Column("source", choice_parser(InventorySource.values, what="source"), required=False,
               default=InventorySource.OTHER),
        Column("verified", parse_bool, required=False, default=False, kind=Kind.BOOL),
    )

    def check_row(self, line, values, errors):
        for column, message in inventory_errors(values).items():
            errors.append(RowError(line, column, message))

    def resolve(self, rows, errors):
        resolve_supplier_codes(rows, errors)

    def write(self, rows, *, dry_run):
        supplier_ids = {r.values["supplier_id"] for r in rows}
        existing = {(inv.supplier_id, inv.year): inv
                    for inv in EmissionInventory.objects.filter(supplier_id__in=supplier_ids)}
        defaults = {column.name: column.default for column in self.columns}
        fields = [c.name for c in self.columns if c.name not in ("supplier_code", "year")]

        def create(key, values):
            return EmissionInventory(**{name: given(value, defaults.get(name)) for name, value in values.items()})

        result, created, changes = upsert(
            EmissionInventory,
            rows=(
                ((r.values["supplier_id"], r.values["year"]),
                 {"supplier_id": r.values["supplier_id"], "year": r.values["year"],
                  # Imports by procurement are accepted on import (issue 14), also over a submission.
                  "state": InventoryState.ACCEPTED, **{f: r.values[f] for f in fields}})
                for r in rows
            ),
            existing=existing,
            create=create,
            dry_run=dry_run,
        )
        return result


class EmissionFactorImporter(Importer):
    name = "import_emission_factors"
    key = ("commodity",)
    columns = (
        Column("commodity", text_parser(max_length=120)),
        Column("tco2e_per_unit", decimal_parser(minimum=0, places=12, maximum=Decimal("1e6")), kind=Kind.AMOUNT),
    )

    def natural_key(self, row):
        # "Steel" and " steel " are the same commodity (section 11): a file holding both is refused.
        return (commodity_key(row.values["commodity"]),)

    def write(self, rows, *, dry_run):
        keys = [commodity_key(r.values["commodity"]) for r in rows]
        existing = {(f.commodity_key,): f for f in EmissionFactor.objects.filter(commodity_key__in=keys)}
        result, created, changes = upsert(
            EmissionFactor,
            rows=(
                ((key,), {"commodity": r.values["commodity"].strip(), "commodity_key": key,
                          "tco2e_per_unit": r.values["tco2e_per_unit"]})
                for key, r in zip(keys, rows, strict=True)
            ),
            existing=existing,
            create=lambda key, values: EmissionFactor(**values),
            dry_run=dry_run,
        )
        return result
