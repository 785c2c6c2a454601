"""Reads for disclosure: the inputs of the public supplier list and of the emissions
estimate, one query per table whatever the number of suppliers, and the results."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from django.conf import settings

from audits.policy import policy_for
from core.frames import read_frame
from core.quarter import Quarter
from disclosure import emissions, publication
from disclosure.models import EmissionFactor, EmissionInventory, InventoryState
from suppliers.models import FxRate, Site, SiteStatus, Supplier, SupplierStatus
from suppliers.services import population_for_quarter


def population_target(quarter: Quarter) -> Decimal:
    """The coverage target that splits Q's population: that of the methodology in force for
    Q (its latest recalculation's, else the current published one, else ``COVERAGE_TARGET``),
    asked through ``audits.policy.policy_for`` so that disclosure stays below scoring."""
    return policy_for(quarter).coverage_target


def supplier_list(quarter: Quarter) -> pd.DataFrame:
    """The public supplier list of Q (scorecard.md section 10), ``publication.ROW_COLUMNS``.

    Three queries besides the population's two; raises ``suppliers.spend.MissingFxRates``
    when Q's spend window lacks FX rates.
    """
    population = population_for_quarter(quarter=quarter, target=population_target(quarter))
    suppliers = read_frame(
        Supplier.objects.filter(publishable=True).exclude(status=SupplierStatus.TERMINATED)
        .values_list("id", "code", "name", "commodity", "status", "publishable"),
        [("supplier_id", "int64"), ("supplier_code", "str"), ("name", "str"), ("commodity", "str"),
         ("status", "str"), ("publishable", "bool")],
    )
    sites = read_frame(
        Site.objects.filter(is_production=True, status=SiteStatus.ACTIVE).values_list(
            "id", "supplier_id", "code", "name", "address", "city", "province", "country", "is_production",
            "status"),
        [("site_id", "int64"), ("supplier_id", "int64"), ("code", "str"), ("name", "str"), ("address", "str"),
         ("city", "str"), ("province", "str"), ("country", "str"), ("is_production", "bool"), ("status", "str")],
    )
    return publication.public_site_list(population, suppliers, sites)


def emissions_estimate(quarter: Quarter, base_currency: str | None = None) -> dict:
    """The section 11 estimate of Q (see ``emissions.estimate_emissions`` for the shape).

    Raises ``suppliers.spend.MissingFxRates`` when Q's spend window lacks FX rates.
    """
    base_currency = base_currency or settings.BASE_CURRENCY
    # Who is scored does not depend on the target; the basis is the recalculation's.
    population = population_for_quarter(quarter=quarter, base_currency=base_currency)
    suppliers = read_frame(Supplier.objects.values_list("id", "commodity"),
                           [("supplier_id", "int64"), ("commodity", "str")])
    first, last = emissions.inventory_years(quarter)
    inventories = read_frame(
        EmissionInventory.objects.filter(state=InventoryState.ACCEPTED, year__gte=first, year__lte=last)
        .values_list(*emissions.INVENTORY_COLUMNS),
        [("supplier_id", "int64"), ("year", "int64"), ("scope1_tco2e", "decimal"), ("scope2_market_tco2e", "decimal"),
         ("scope2_location_tco2e", "decimal"), ("revenue", "decimal"), ("revenue_currency", "str")],
    )
    factors = read_frame(EmissionFactor.objects.values_list("commodity", "tco2e_per_unit"),
                         [("commodity", "str"), ("tco2e_per_unit", "decimal")])
    rates = read_frame(FxRate.objects.filter(quarter=str(quarter)).values_list("currency", "rate_to_base"),
                       [("currency", "str"), ("rate_to_base", "decimal")])
    return emissions.estimate_emissions(quarter=quarter, base_currency=base_currency, population=population,
                                        suppliers=suppliers, inventories=inventories, factors=factors, rates=rates)
