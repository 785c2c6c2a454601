"""Demo data for disclosure: site addresses, publication consent, emission factors per
commodity with a default, and two years of GHG inventories for the larger suppliers."""

from __future__ import annotations

import csv
import datetime as dt
import io
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


# --------------------------------------------------------------------------- training

COURSES = [
    # code, title, title_zh, required, valid_months
    ("ESG-101", "RBA Code of Conduct essentials", "RBA 行为准则要点", True, 24),
    ("ESG-102", "Forced labour, working hours and wages", "强迫劳动、工时与工资", True, 12),
    ("ENV-201", "Greenhouse-gas accounting for suppliers", "供应商温室气体核算", False, None),
    ("MIN-301", "Responsible minerals sourcing (CMRT/EMRT)", "负责任矿产采购（CMRT/EMRT）", False, 24),
]
WEBINARS = [("ESG-101", "RBA Code of Conduct essentials — live Q&A"), ("ESG-102", "Working hours: what auditors check"),
            ("ENV-201", "Reporting scope 1 and 2 through CDP"), ("MIN-301", "Filling in the CMRT"),
            ("", "Supplier ESG day: scorecard results and next steps")]
SURNAMES = ["wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou"]
GIVEN = ["wei", "fang", "min", "jing", "lei", "yan", "tao", "hui", "qiang", "xin"]


def _csv(header: str, rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _person_records(supplier_code: str, ref: str, flags: list[str], required, rng, today) -> list[list]:
    """One person's training-record rows: trained (about a third), expired, half-way or
    enrolled only; sometimes an optional course too."""
    def days_ago(low, high):
        return (today - dt.timedelta(days=rng.randint(low, high))).isoformat()

    rows = []
    outcome = rng.random()
    for code, months in required:
        window = (months or 36) * 30
        if outcome < 0.34:  # trained: completed within the validity
            rows.append([supplier_code, ref, *flags, code, days_ago(5, window - 20), rng.randint(70, 100)])
        elif outcome < 0.55:  # expired: completed too long ago
            rows.append([supplier_code, ref, *flags, code, days_ago(window + 20, window + 300), rng.randint(60, 100)])
        elif outcome < 0.75 and code == required[0][0]:  # half-way: the first course only
            rows.append([supplier_code, ref, *flags, code, days_ago(5, 300), rng.randint(60, 100)])
        else:  # enrolled, not completed
            rows.append([supplier_code, ref, *flags, code, "", ""])
    if rng.random() < 0.2:
        rows.append([supplier_code, ref, *flags, "ENV-201", days_ago(5, 600), rng.randint(50, 100)])
    return rows


def seed_training(*, suppliers: list[Supplier], rng: random.Random, as_of: dt.date) -> int:
    """Courses in both languages, each supplier's ESG persons with about a third of the staff
    trained (every required course completed within its validity), the others enrolled,
    expired or half-way; webinars of the last two years with attendance. Through the imports
    (``import_courses``, ``import_training_records``, ``import_training_sessions``,
    ``import_session_attendance``), as procurement would load them. ``as_of``: today.
    Returns the training records written."""
    from disclosure.sessions import SessionAttendanceImporter, TrainingSessionImporter
    from disclosure.training import CourseImporter, TrainingRecordImporter

    CourseImporter(actor="seed_demo").run(_csv("course_code,title,title_zh,required,valid_months", [
        [code, title, title_zh, str(required).lower(), months or ""] for code, title, title_zh, required, months
        in COURSES]))
    required = [(code, months) for code, _t, _z, is_required, months in COURSES if is_required]
    rows, people = [], []
    for supplier in suppliers:
        if rng.random() < 0.25:
            continue  # not every supplier has joined the programme yet
        domain = f"{supplier.code.lower()}.example.com"
        for index in range(rng.randint(2, 6)):
            ref = (f"{rng.choice(SURNAMES)}.{rng.choice(GIVEN)}{index}@{domain}" if rng.random() < 0.6
                   else f"E{rng.randint(100, 999)}{index}")
            flags = [str(rng.random() < 0.9).lower(), str(rng.random() < 0.93).lower()]  # ESG staff, active
            people.append((supplier.code, ref))
            rows += _person_records(supplier.code, ref, flags, required, rng, as_of)
    if rows:
        TrainingRecordImporter(actor="seed_demo").run(_csv(
            "supplier_code,person_ref,is_esg_staff,active,course_code,completed_on,score", rows))

    sessions, attendance = [], []
    for number, days in enumerate(sorted(rng.sample(range(7, 700), 8), reverse=True), start=1):
        course, topic = WEBINARS[number % len(WEBINARS)]
        code = f"WEB-{number:02d}"
        sessions.append([code, (as_of - dt.timedelta(days=days)).isoformat(), topic, course])
        for supplier_code, ref in rng.sample(people, min(len(people), rng.randint(10, 40))):
            attendance.append([code, supplier_code, ref])
    TrainingSessionImporter(actor="seed_demo").run(_csv("session_code,held_on,topic,course_code", sessions))
    if attendance:
        SessionAttendanceImporter(actor="seed_demo").run(_csv("session_code,supplier_code,person_ref", attendance))
    return len(rows)
