"""Demo data for disclosure: site addresses, publication consent, emission factors per
commodity with a default, and two years of GHG inventories for the larger suppliers."""

from __future__ import annotations

import random
from decimal import Decimal

from core.quarter import Quarter
from disclosure.models import DEFAULT_FACTOR, EmissionFactor, EmissionInventory, InventorySource, commodity_key
from suppliers.demo import FX_TO_USD, REGIONS
from suppliers.models import Site, Supplier
from suppliers.services import population_for_quarter
from suppliers.spend import FULL, MissingFxRates

# Rough tCO2e per USD of purchases (cradle-to-gate, EEIO-like magnitudes), one per demo commodity.
FACTORS = {"PCBA": "0.00032", "Display modules": "0.00041", "Battery cells": "0.00055", "Connectors": "0.00028",
           "Plastic injection parts": "0.00047", "Metal stamping": "0.00052", "Semiconductors": "0.00036",
           "Passive components": "0.00030", "Cables and harnesses": "0.00039", "Camera modules": "0.00033",
           "Power supplies": "0.00035", "Packaging": "0.00061", "Logistics": "0.00070", "IT services": "0.00012",
           "Facilities": "0.00020", "Test equipment": "0.00025", "Consulting": "0.00008"}
DEFAULT = "0.00040"
STREETS = {"CN": ["工业大道", "科技路", "高新区创业路", "开发区长江路"], "": ["Industrial Road", "Tech Park Avenue",
                                                           "Harbour Street", "Innovation Drive"]}


def seed_disclosure(*, suppliers: list[Supplier], rng: random.Random, as_of) -> int:
    """Runs once, on the fresh demo database seed_demo builds; returns the number of inventories."""
    EmissionFactor.objects.bulk_create(
        [EmissionFactor(commodity=name, commodity_key=commodity_key(name), tco2e_per_unit=Decimal(value))
         for name, value in FACTORS.items()]
        + [EmissionFactor(commodity=DEFAULT_FACTOR, commodity_key=DEFAULT_FACTOR, tco2e_per_unit=Decimal(DEFAULT))])

    sites = list(Site.objects.all())
    for site in sites:
        city, _, province = site.city.partition(", ")
        site.city, site.province = city, province
        streets = STREETS["CN" if site.country == "CN" else ""]
        site.address = f"{rng.randint(1, 999)} {rng.choice(streets)}" if site.country != "CN" else \
            f"{rng.choice(streets)}{rng.randint(1, 999)}号"
    Site.objects.bulk_update(sites, ["city", "province", "address"], batch_size=2000)

    hidden = [s for s in suppliers if rng.random() < 0.03]
    Supplier.objects.filter(pk__in=[s.pk for s in hidden]).update(publishable=False)

    quarter = Quarter.containing(as_of)
    try:
        population = population_for_quarter(quarter=quarter)
    except MissingFxRates:
        return 0
    currency_of = {country: currency for country, currency, _, _ in REGIONS}
    country_of = {s.pk: s.country for s in suppliers}
    larger = population.loc[population["population"] == FULL]
    inventories = []
    for supplier_id, basis in zip(larger["supplier_id"], larger["basis"], strict=True):
        if rng.random() < 0.3:
            continue  # not every major supplier reports yet
        currency = currency_of.get(country_of[supplier_id], "USD")
        revenue_usd = float(basis) / rng.uniform(0.05, 0.4)
        intensity = rng.uniform(20, 120) / 1_000_000  # tCO2e per USD of revenue
        source = rng.choice([InventorySource.CDP, InventorySource.CDP, InventorySource.RBA, InventorySource.OTHER])
        for year, trend in ((as_of.year - 2, 1.0), (as_of.year - 1, rng.uniform(0.85, 1.05))):
            total = revenue_usd * intensity * trend
            scope2 = total * rng.uniform(0.4, 0.7)
            market = source == InventorySource.CDP or rng.random() < 0.5
            inventories.append(EmissionInventory(
                supplier_id=supplier_id, year=year, scope1_tco2e=_tonnes(total - scope2),
                scope2_market_tco2e=_tonnes(scope2) if market else None,
                scope2_location_tco2e=_tonnes(scope2 * rng.uniform(1.0, 1.2)),
                scope3_tco2e=_tonnes(total * rng.uniform(3, 8)) if rng.random() < 0.5 else None,
                revenue=Decimal(str(round(revenue_usd * trend / FX_TO_USD[currency], 2))), revenue_currency=currency,
                source=source, verified=rng.random() < 0.4))
    EmissionInventory.objects.bulk_create(inventories, batch_size=2000)
    return len(inventories)


def _tonnes(value: float) -> Decimal:
    return Decimal(str(round(value, 3)))
