"""Benchmark: a full quarterly recalculation against the floor of reading its inputs.

Usage (PostgreSQL):
    createdb -h 127.0.0.1 -U postgres esg_bench_recalc
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/esg_bench_recalc \
        .venv/bin/python bench/recalc.py [--suppliers 100000] [--reuse]

Generates N suppliers with 1–3 sites, audits (full, closure, SAQ), findings and reported
values for all 23 reported indicators over four quarters, plus spend and QBR components
(skipped with --reuse when the data is already there). Then measures
  (a) the floor: reading the same input rows into pandas, one query per table;
  (b) a full recalculation through ``score_run_now`` (read, compute, write results).
Goal: (b) <= 2 x (a) and peak memory under 2 GB.

``--derived`` also generates yearly GHG inventories (2023-2025) for 60% of the suppliers and
measures (c) the same recalculation under a methodology taking ENV-01, ENV-02 and ENV-05 from
them (scorecard.md section 9). Goal: (c) <= 1.2 x (b).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

QUARTER = "2026-Q3"
QUARTERS = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]


BATCH = 5000


def generate(count: int) -> None:
    """``count`` suppliers with spend, sites, audits, findings, values and QBR rows."""
    from django.db import transaction

    rng = random.Random(7)
    with transaction.atomic():
        suppliers = _generate_suppliers(rng, count)
        _generate_audits(rng)
        _generate_values(rng, suppliers)
        _generate_inventories(rng, suppliers)


def _generate_suppliers(rng: random.Random, count: int) -> list[int]:
    from suppliers.models import FxRate, Site, SpendRecord, Supplier

    Supplier.objects.bulk_create([
        Supplier(code=f"R-{i:06d}", name=f"Bench supplier {i}", country="CN",
                 category="production" if i % 4 else "non_production") for i in range(count)
    ], batch_size=BATCH)
    suppliers = list(Supplier.objects.order_by("id").values_list("id", flat=True))
    FxRate.objects.bulk_create([FxRate(quarter=q, currency="CNY", rate_to_base=Decimal("0.14")) for q in QUARTERS])
    spend, sites = [], []
    for rank, supplier_id in enumerate(suppliers, start=1):
        for quarter in QUARTERS:
            spend.append(SpendRecord(supplier_id=supplier_id, quarter=quarter, currency="CNY",
                                     amount=Decimal(f"{1e9 / rank ** 1.1 * rng.uniform(0.8, 1.2):.2f}")))
        for n in range(rng.choice([1, 1, 2, 3])):
            sites.append(Site(supplier_id=supplier_id, code=f"R-{supplier_id}-{n}", name="plant", country="CN",
                              is_production=rng.random() < 0.9, status="active" if rng.random() < 0.95
                              else "closed"))
    SpendRecord.objects.bulk_create(spend, batch_size=BATCH)
    Site.objects.bulk_create(sites, batch_size=BATCH)
    return suppliers


def _generate_audits(rng: random.Random) -> None:
    from audits.models import Audit, Finding, Provision
    from suppliers.models import Site

    provision_id = Provision.objects.values_list("id", flat=True).first()
    audits = []
    for site_id in Site.objects.values_list("id", flat=True):
        for n in range(2):
            day = dt.date(2026, 9, 30) - dt.timedelta(days=rng.randint(0, 1000))
            audits.append(Audit(audit_ref=f"RA-{site_id}-{n}", site_id=site_id, audit_type="vap_full",
                                conducted_on=day, score=Decimal(rng.randint(100, 200)),
                                recognition=rng.choice(["platinum", "gold", "silver", "none", None]),
                                status="closed"))
        audits.append(Audit(audit_ref=f"RS-{site_id}", site_id=site_id, audit_type="saq", status="closed",
                            conducted_on=dt.date(2026, 9, 30) - dt.timedelta(days=rng.randint(0, 500)),
                            saq_risk=rng.choice(["low", "medium", "high"])))
    Audit.objects.bulk_create(audits, batch_size=BATCH)
    del audits
    findings = []
    for audit_id, conducted_on in Audit.objects.filter(audit_type="vap_full").values_list("id", "conducted_on"):
        for n in range(rng.choice([0, 1, 2, 3, 4])):
            closed = conducted_on + dt.timedelta(days=rng.randint(10, 400)) if rng.random() < 0.7 else None
            findings.append(Finding(
                audit_id=audit_id, finding_ref=f"RF-{audit_id}-{n}", provision_id=provision_id,
                severity=rng.choice(["priority", "major", "minor", "minor", "risk", "ofi"]),
                zero_tolerance=rng.random() < 0.002, opened_on=conducted_on,
                correction_due_on=conducted_on + dt.timedelta(days=180), closed_on=closed,
                status="closed" if closed else "open"))
    Finding.objects.bulk_create(findings, batch_size=BATCH)


def _generate_values(rng: random.Random, suppliers: list[int]) -> None:
    from django.utils import timezone

    from scoring.demo import _raw_value
    from scoring.methodology import V1
    from scoring.models import Indicator, IndicatorValue, QbrComponent

    indicators = dict(Indicator.objects.values_list("code", "id"))
    reported = [spec for spec in V1.indicators if spec.source == "reported"]
    now = timezone.now()
    values, qbr = [], []
    for supplier_id in suppliers:
        maturity = rng.random()
        for quarter in QUARTERS:
            values += [IndicatorValue(supplier_id=supplier_id, quarter=quarter, indicator_id=indicators[spec.code],
                                      value=_raw_value(rng, spec, maturity), state="accepted", origin="import",
                                      submitted_at=now)
                       for spec in reported if rng.random() >= 0.4]
        for component in ("quality", "delivery", "cost", "service"):
            qbr.append(QbrComponent(supplier_id=supplier_id, quarter=QUARTER, component=component,
                                    score=Decimal(rng.randint(50, 100))))
        if len(values) > 200_000:
            IndicatorValue.objects.bulk_create(values, batch_size=BATCH)
            values = []
    IndicatorValue.objects.bulk_create(values, batch_size=BATCH)
    QbrComponent.objects.bulk_create(qbr, batch_size=BATCH)


def _generate_inventories(rng: random.Random, suppliers: list[int]) -> None:
    from disclosure.models import EmissionInventory

    rows = []
    for supplier_id in suppliers:
        if rng.random() >= 0.6:
            continue
        revenue = Decimal(rng.randint(10_000, 10_000_000))
        for year in (2023, 2024, 2025):
            if rng.random() < 0.15:
                continue
            rows.append(EmissionInventory(
                supplier_id=supplier_id, year=year, scope1_tco2e=Decimal(rng.randint(0, 50_000)),
                scope2_market_tco2e=Decimal(rng.randint(0, 20_000)) if rng.random() < 0.7 else None,
                scope2_location_tco2e=Decimal(rng.randint(0, 20_000)),
                scope3_tco2e=Decimal(rng.randint(0, 90_000)) if rng.random() < 0.5 else None,
                revenue=revenue * Decimal(rng.randint(90, 110)) / 100, revenue_currency="USD", source="cdp"))
    EmissionInventory.objects.bulk_create(rows, batch_size=BATCH)


def derived_methodology():
    """A published copy of v1 taking ENV-01, ENV-02 and ENV-05 from the inventories."""
    from scoring import methodology_drafts, services
    from scoring.models import Methodology

    existing = Methodology.objects.filter(version="bench-derived").first()
    if existing is not None:
        return existing
    draft = methodology_drafts.draft_create(version="bench-derived", based_on=Methodology.objects.get(version="v1"),
                                            description="v1 with ENV-01/02/05 from inventories", actor="bench")
    methodology_drafts.weights_set(methodology=draft, actor="bench", changes=[
        {"code": code, "source": "emissions"} for code in ("ENV-01", "ENV-02", "ENV-05")])
    return services.methodology_publish(methodology=draft, actor="bench")


def read_floor(quarter) -> float:
    """(a): the same rows the recalculation needs, one query per table, into pandas."""
    from audits.selectors import scoring_frames
    from scoring import selectors
    from suppliers.selectors import fx_frame, spend_frame

    started = time.perf_counter()
    spend_frame(quarter)
    fx_frame(quarter)
    scoring_frames(None)
    selectors.values_frame(quarter)
    selectors.qbr_frame(quarter)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep existing generated data")
    parser.add_argument("--derived", action="store_true", help="also measure with derived sources switched on")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from audits.models import Audit, Finding
    from core.quarter import Quarter
    from scoring.models import IndicatorValue
    from scoring.services import score_run_now
    from suppliers.models import Site, Supplier

    call_command("migrate", verbosity=0)
    if not (args.reuse and Supplier.objects.exists()):
        _truncate(connection)
        started = time.perf_counter()
        generate(args.suppliers)
        print(f"generated in {time.perf_counter() - started:.0f} s")
    quarter = Quarter.parse(QUARTER)
    print(f"database: {connection.vendor}; suppliers {Supplier.objects.count():,}, sites {Site.objects.count():,}, "
          f"audits {Audit.objects.count():,}, findings {Finding.objects.count():,}, "
          f"values {IndicatorValue.objects.count():,}")
    read_floor(quarter)  # warm the database cache so (a) and (b) read under the same conditions
    floor = min(read_floor(quarter) for _ in range(2))
    from scoring.models import Methodology

    v1 = Methodology.objects.get(version="v1")
    started = time.perf_counter()
    run = score_run_now(quarter=quarter, methodology=v1, actor="bench", trigger="command")
    full = time.perf_counter() - started
    derived_time = None
    if args.derived:
        methodology = derived_methodology()
        started = time.perf_counter()
        derived_run = score_run_now(quarter=quarter, methodology=methodology, actor="bench", trigger="command")
        derived_time = time.perf_counter() - started
        assert derived_run.status == "succeeded", derived_run.error
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(a) read floor:           {floor:7.1f} s")
    print(f"(b) full recalculation:   {full:7.1f} s  ({run.status}, {run.counts.get('scored')} scored)")
    print(f"ratio (b)/(a):            {full / floor:7.2f}")
    if derived_time is not None:
        print(f"(c) derived sources on:   {derived_time:7.1f} s")
        print(f"ratio (c)/(b):            {derived_time / full:7.2f}")
    print(f"peak memory:              {peak_mb:7.0f} MB")


def _truncate(connection) -> None:
    """Empty the data tables (not the seeded catalogue ones) of the bench database."""
    tables = ["scoring_quarterlyscore", "scoring_coveragesnapshot", "scoring_quarterlock", "scoring_quarterclose",
              "scoring_scorerun", "scoring_indicatorvalue", "scoring_qbrcomponent", "audits_finding", "audits_audit",
              "disclosure_emissioninventory", "audits_siterecognition",
              "suppliers_site", "suppliers_spendrecord", "suppliers_fxrate", "suppliers_supplierstatuschange",
              "suppliers_suppliermembership", "suppliers_supplier"]
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(t for t in tables if t in existing) + " CASCADE")


if __name__ == "__main__":
    main()
