"""Reads for disclosure: the inputs of the public supplier list and of the emissions
estimate, one query per table whatever the number of suppliers, and the results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.conf import settings

from audits.policy import policy_for
from core.frames import read_frame
from core.quarter import Quarter
from disclosure import emissions, publication, training
from disclosure.models import (
    Course,
    EmissionFactor,
    EmissionInventory,
    EmissionsEstimate,
    InventoryState,
    TrainingPerson,
    TrainingRecord,
    TrainingSubmission,
)
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


# --------------------------------------------------------------------------- training status

MISSING, EXPIRED, PENDING, VALID = "missing", "expired", "pending", "valid"


@dataclass
class CourseStatus:
    """One required course for one person at a day: ``status`` is ``valid`` (a completion
    counts, section 9), ``pending`` (a completion awaits review), ``expired`` (the latest
    completion no longer counts) or ``missing`` (never completed); ``completed_on`` is
    the latest accepted completion."""

    course: Course
    status: str
    completed_on: dt.date | None = None


@dataclass
class PersonStatus:
    person: TrainingPerson
    is_staff: bool
    courses: list[CourseStatus] = field(default_factory=list)

    @property
    def trained(self) -> bool:
        return bool(self.courses) and all(c.status == VALID for c in self.courses)

    @property
    def missing(self) -> list[CourseStatus]:
        return [c for c in self.courses if c.status != VALID]


@dataclass
class TrainingStatus:
    """A supplier's training at ``day``: every person with the status of each required
    course; ``staff`` and ``trained`` count as ESG-04 does (section 9: staff = active ESG
    staff appearing in accepted records), ``raw`` = 100 × trained / staff or None (missing).
    ``required``: the required courses by code; without persons, a queryset read only when
    used (the supplier page shows no training panel then)."""

    day: dt.date
    required: Sequence[Course]
    persons: list[PersonStatus]

    @property
    def staff(self) -> int:
        return sum(1 for p in self.persons if p.is_staff)

    @property
    def trained(self) -> int:
        return sum(1 for p in self.persons if p.is_staff and p.trained)

    @property
    def missing_count(self) -> int:
        """Staff still missing a required course."""
        return self.staff - self.trained

    @property
    def raw(self) -> float | None:
        return 100.0 * self.trained / self.staff if self.staff and self.required else None


def training_status(supplier_id: int, day: dt.date) -> TrainingStatus:
    """Who of the supplier's persons is trained at ``day`` and who is missing which required
    course (personal data: for procurement roles and the supplier's own users only). Four
    queries whatever the number of persons; one for a supplier without persons (the required
    courses are then read only if used)."""
    persons = list(TrainingPerson.objects.filter(supplier_id=supplier_id).order_by("person_ref"))
    required = Course.objects.filter(required=True).order_by("code")
    if not persons:  # nobody's records to read
        return TrainingStatus(day=day, required=required, persons=[])
    required = list(required)
    latest: dict[tuple[int, int], dt.date | None] = {}
    appears: set[int] = set()
    for person_id, course_id, completed_on in (
            TrainingRecord.objects.filter(person__supplier_id=supplier_id, state=InventoryState.ACCEPTED)
            .values_list("person_id", "course_id", "completed_on")):
        appears.add(person_id)
        latest[(person_id, course_id)] = completed_on
    pending = set(TrainingSubmission.objects.filter(person__supplier_id=supplier_id, state=InventoryState.SUBMITTED)
                  .values_list("person_id", "course_id"))
    rows = []
    for person in persons:
        row = PersonStatus(person=person, is_staff=person.is_esg_staff and person.active and person.pk in appears)
        for course in required:
            done = latest.get((person.pk, course.pk))
            if training.completion_valid(done, course.valid_months, day):
                status = VALID
            elif (person.pk, course.pk) in pending:
                status = PENDING
            elif done is not None and done <= day:
                status = EXPIRED
            else:
                status = MISSING
            row.courses.append(CourseStatus(course=course, status=status, completed_on=done))
        rows.append(row)
    return TrainingStatus(day=day, required=required, persons=rows)


def stored_emissions_head(quarter: Quarter, lines: int) -> tuple[dict, dt.datetime] | None:
    """The stored estimate of Q (``stored_emissions_estimate``) with only its first ``lines``
    supplier lines (at most ``EmissionsEstimate.HEAD_LINES``; the list is sorted by tCO2e,
    estimated suppliers first: the largest emitters) and when it was computed; None when none
    is stored. Reads the stored head, not the whole document (a line per supplier: megabytes
    at 100,000 suppliers). One query."""
    row = EmissionsEstimate.objects.filter(quarter=str(quarter)).values_list("head", "computed_at").first()
    if row is None:
        return None
    head, computed_at = row
    return {**head, "suppliers": head.get("suppliers", [])[:lines]}, computed_at


def stored_emissions_estimate(quarter: Quarter) -> tuple[dict, dt.datetime] | None:
    """The section 11 estimate of Q as stored after its latest successful recalculation
    (``disclosure.services.store_emissions_estimate``) and when it was computed; None when
    none is stored. One query."""
    row = EmissionsEstimate.objects.filter(quarter=str(quarter)).values_list("data", "computed_at").first()
    return (row[0], row[1]) if row else None
