"""Benchmark: a full quarterly recalculation against the read+write floor, in the same run.

Usage (PostgreSQL):
    createdb -h 127.0.0.1 -U postgres esg_bench_recalc
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/esg_bench_recalc \
        .venv/bin/python bench/recalc.py [--sizes 10000,30000,100000] [--reuse] [--derived] \
        [--generator sql] [--repeat 3]

Generates suppliers with 1–3 sites, audits (full, closure, SAQ), findings and reported
values for all 23 reported indicators over four quarters, plus spend, QBR and yearly GHG
inventories. ``--sizes`` grows the data in steps (the suppliers of a step are added to those
of the previous one) and measures at each size; ``--reuse`` keeps data already there and
only adds suppliers up to a larger size. ``--generator sql`` writes the same shapes with
``INSERT … SELECT`` in PostgreSQL (``bench/sqldata.py``): minutes instead of an hour for
100,000 suppliers on a busy machine.

At each size, in a child process (so its peak memory is the recalculation's own):
  (b) a full recalculation through ``score_run_now`` (read, compute, write results), with
      every query it sends recorded, after a warm-up run and a ``VACUUM ANALYZE`` of the
      result tables (what autovacuum does between two runs in production);
  (a) the floor: the very ``SELECT``s the recalculation read its inputs with (taken from the
      recorded ``COPY (SELECT …) TO STDOUT``), run through the ADBC PostgreSQL driver into
      Arrow and pandas, plus a ``COPY … FROM STDIN`` of the rows the run wrote (the same
      bytes, read back with COPY) into an empty table of the same shape (``CREATE TABLE … (LIKE
      scoring_quarterlyscore INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING COMPRESSION)``: the
      same columns, the same generated id and TOAST compression, no index, no constraint
      besides NOT NULL), committed then dropped, as the import bench's floor; a durable table
      like the score table, so its rows are WAL-logged. The same COPY into a temporary table
      (no WAL, the server's default compression) is printed beside it, the floor until 2026-12-02.
``--repeat N`` measures (b) and (a) again, alternately, N times in all (each (b) after a
``VACUUM ANALYZE``), and prints each pair's ratio and the median: one pair moves with the other
work on the machine and with the server's caches.
Goal (#13): (b) <= 2 x (a), peak memory under 1 GB, growth linear with suppliers.

``--derived`` also measures (c) the same recalculation under a published copy of v1 taking
ENV-01, ENV-02 and ENV-05 from the inventories (scorecard.md section 9). Goal (#14): (c) <= 1.2 x (b).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

from sqldata import QUARTER, QUARTERS  # noqa: E402  (bench/ is the script's own directory)

BATCH = 5000


def generate(count: int, start: int = 0) -> None:
    """``count`` more suppliers (numbered from ``start``) with spend, sites, audits, findings,
    values, QBR rows and inventories."""
    from django.db import transaction
    from django.db.models import Max

    from audits.models import Audit
    from suppliers.models import Site

    rng = random.Random(7 + start)
    with transaction.atomic():
        last_site = Site.objects.aggregate(last=Max("id"))["last"] or 0
        last_audit = Audit.objects.aggregate(last=Max("id"))["last"] or 0
        suppliers = _generate_suppliers(rng, count, start)
        _generate_audits(rng, last_site, last_audit)
        _generate_values(rng, suppliers)
        _generate_inventories(rng, suppliers)


def _generate_suppliers(rng: random.Random, count: int, start: int) -> list[int]:
    from django.db.models import Max

    from suppliers.models import FxRate, Site, SpendRecord, Supplier

    last = Supplier.objects.aggregate(last=Max("id"))["last"] or 0
    Supplier.objects.bulk_create([
        Supplier(code=f"R-{i:06d}", name=f"Bench supplier {i}", country="CN",
                 category="production" if i % 4 else "non_production") for i in range(start, start + count)
    ], batch_size=BATCH)
    suppliers = list(Supplier.objects.filter(id__gt=last).order_by("id").values_list("id", flat=True))
    if not start:
        FxRate.objects.bulk_create([FxRate(quarter=q, currency="CNY", rate_to_base=Decimal("0.14"))
                                    for q in QUARTERS])
    spend, sites = [], []
    for rank, supplier_id in enumerate(suppliers, start=start + 1):
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


def _generate_audits(rng: random.Random, last_site: int, last_audit: int) -> None:
    from audits.models import Audit, Finding, Provision
    from suppliers.models import Site

    provision_id = Provision.objects.values_list("id", flat=True).first()
    audits = []
    for site_id in Site.objects.filter(id__gt=last_site).values_list("id", flat=True):
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
    for audit_id, conducted_on in (Audit.objects.filter(audit_type="vap_full", id__gt=last_audit)
                                   .values_list("id", "conducted_on")):
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


def _copy_selects(queries: list[dict]) -> list[str]:
    """The ``SELECT``s of the ``COPY (SELECT …) TO STDOUT`` reads among recorded queries."""
    selects = []
    for query in queries:
        sql = query["sql"]
        if sql.startswith("COPY (") and sql.endswith(") TO STDOUT (FORMAT csv)"):
            selects.append(sql[len("COPY ("):-len(") TO STDOUT (FORMAT csv)")])
    return selects


def read_floor(selects: list[str]) -> tuple[float, float, int]:
    """(seconds into Arrow, seconds into Arrow then pandas, rows) of the given SELECTs through ADBC."""
    import adbc_driver_postgresql.dbapi as adbc
    from django.db import connection

    settings = connection.settings_dict
    uri = (f"postgresql://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST'] or '127.0.0.1'}:"
           f"{settings['PORT'] or 5432}/{settings['NAME']}")
    rows, arrow_seconds, pandas_seconds = 0, 0.0, 0.0
    with adbc.connect(uri) as conn, conn.cursor() as cursor:
        for select in selects:
            started = time.perf_counter()
            cursor.execute(select)
            table = cursor.fetch_arrow_table()
            converted = time.perf_counter()
            table.to_pandas()
            arrow_seconds += converted - started
            pandas_seconds += time.perf_counter() - converted
            rows += table.num_rows
            del table
    total = arrow_seconds + pandas_seconds
    return arrow_seconds, total, rows


def write_floor(quarter: str) -> tuple[float, float, int, int]:
    """(seconds into a table, seconds into a temporary table, rows, bytes) of a ``COPY … FROM
    STDIN`` of the quarter's stored result rows (read back as COPY text) into an empty table of
    the score table's shape (module docstring), in autocommit: each COPY commits as it ends."""
    from django.db import connection

    table = "scoring_quarterlyscore"
    with connection.cursor() as cursor:
        columns = [column.name for column in connection.introspection.get_table_description(cursor, table)
                   if column.name != "id"]
        with cursor.cursor.copy(f"COPY (SELECT {', '.join(columns)} FROM {table} WHERE quarter = %s) TO STDOUT",  # noqa: S608
                                (quarter,)) as copy:
            chunks = [bytes(chunk) for chunk in copy]
        data = b"".join(chunks)
        del chunks

        def copy_into(create: str) -> tuple[float, int]:
            cursor.execute(create)
            started = time.perf_counter()
            with cursor.cursor.copy(f"COPY bench_floor_scores ({', '.join(columns)}) FROM STDIN") as copy:
                step = 8 << 20
                for offset in range(0, len(data), step):
                    copy.write(data[offset:offset + step])
            seconds = time.perf_counter() - started
            cursor.execute("SELECT count(*) FROM bench_floor_scores")
            rows = cursor.fetchone()[0]
            cursor.execute("DROP TABLE bench_floor_scores")
            return seconds, rows

        durable, rows = copy_into(f"CREATE TABLE bench_floor_scores (LIKE {table} INCLUDING DEFAULTS "
                                  "INCLUDING IDENTITY INCLUDING COMPRESSION)")
        temporary, _ = copy_into(f"CREATE TEMP TABLE bench_floor_scores AS SELECT {', '.join(columns)} "  # noqa: S608
                                 f"FROM {table} WITH NO DATA")
    return durable, temporary, rows, len(data)


def _time_emissions_estimate() -> tuple[list[float], list[float]]:
    """The wall and CPU seconds of each emissions estimate (section 11) run from now on. A recalculation
    queues it after its commit; with no broker (the bench) Celery runs it eagerly inside the
    recalculation's call, where in production a worker runs it after the run has finished."""
    from disclosure import services as disclosure_services

    seconds: list[float] = []
    cpu_seconds: list[float] = []
    estimate = disclosure_services.store_emissions_estimate

    def timed(*args, **kwargs):
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return estimate(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)
            cpu_seconds.append(time.process_time() - cpu)

    disclosure_services.store_emissions_estimate = timed
    return seconds, cpu_seconds


def vacuum_results(connection) -> None:
    """``VACUUM ANALYZE`` the tables a recalculation rewrites, as autovacuum does between two
    runs in production: the warm-up's replaced rows would otherwise stay beside the measured
    run's (a server may run with ``autovacuum = off``; each new row's unique key is then
    checked against the 100,000 dead ones)."""
    from core.models import StoredSummary, StoredSummaryItem
    from scoring.models import CoverageSnapshot, QuarterlyScore

    with connection.cursor() as cursor:
        for model in (QuarterlyScore, CoverageSnapshot, StoredSummary, StoredSummaryItem):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def measure(derived: bool, repeat: int = 1) -> dict:
    """One size, in this (child) process: (b), the floor (a), and (c) with ``derived``; with
    ``repeat`` > 1, (b) and (a) again, alternately, that many times in all (``runs``: each pair's
    figures; the top-level figures are the first pair's)."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.quarter import Quarter
    from scoring.models import Methodology
    from scoring.services import score_run_now
    from suppliers.models import Supplier

    quarter = Quarter.parse(QUARTER)
    v1 = Methodology.objects.get(version="v1")
    figures = {"suppliers": Supplier.objects.count()}
    estimate_seconds, estimate_cpu = _time_emissions_estimate()
    score_run_now(quarter=quarter, methodology=v1, actor="bench", trigger="command")  # warm the cache
    figures["runs"] = []
    for number in range(repeat):
        estimate_seconds.clear()
        estimate_cpu.clear()
        vacuum_results(connection)
        cpu = time.process_time()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            run = score_run_now(quarter=quarter, methodology=v1, actor="bench", trigger="command")
            recalc = time.perf_counter() - started
        assert run.status == "succeeded", run.error
        pair = {"recalc": recalc, "recalc_cpu": time.process_time() - cpu,
                "estimate": sum(estimate_seconds), "estimate_cpu": sum(estimate_cpu)}
        if number == 0:
            pair.update(scored=run.counts.get("scored"), queries=len(captured.captured_queries),
                        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            selects = _copy_selects(captured.captured_queries)
        reads = [read_floor(selects) for _ in range(2)]
        pair["read_arrow"] = min(arrow for arrow, _, _ in reads)
        pair["read_pandas"] = min(total for _, total, _ in reads)
        pair["input_rows"] = reads[0][2]
        pair["write"], pair["write_temporary"], pair["written_rows"], pair["written_bytes"] = write_floor(QUARTER)
        if number == 0:
            figures.update(pair)
        figures["runs"].append(_pair(pair))
    if derived:
        methodology = derived_methodology()
        score_run_now(quarter=quarter, methodology=methodology, actor="bench", trigger="command")  # warm
        started = time.perf_counter()
        derived_run = score_run_now(quarter=quarter, methodology=methodology, actor="bench", trigger="command")
        figures["derived"] = time.perf_counter() - started
        assert derived_run.status == "succeeded", derived_run.error
        started = time.perf_counter()
        score_run_now(quarter=quarter, methodology=v1, actor="bench", trigger="command")
        figures["recalc_again"] = time.perf_counter() - started
    return figures


def _pair(figures: dict) -> dict:
    """One (b)/(a) pair's figures: (b), its estimate, the floor, the ratios with and without it."""
    floor = figures["read_pandas"] + figures["write"]
    return {"recalc": figures["recalc"], "estimate": figures["estimate"], "floor": floor,
            "ratio": figures["recalc"] / floor, "ratio_alone": (figures["recalc"] - figures["estimate"]) / floor}


def report(figures: dict) -> None:
    floor = figures["runs"][0]["floor"]
    print(f"suppliers {figures['suppliers']:,} ({figures['scored']:,} scored), {figures['input_rows']:,} input rows, "
          f"{figures['written_rows']:,} result rows ({figures['written_bytes'] / 2**20:.0f} MB of COPY text), "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  (a) floor: ADBC read {figures['read_arrow']:.1f} s into Arrow, {figures['read_pandas']:.1f} s "
          f"into pandas; COPY write {figures['write']:.1f} s (into a temporary table, no WAL: "
          f"{figures['write_temporary']:.1f} s); read+write {floor:.1f} s")
    print(f"  (b) recalculation: {figures['recalc']:.1f} s wall, {figures['recalc_cpu']:.1f} s CPU, "
          f"{figures['queries']} queries, peak {figures['peak_mb']:.0f} MB; (b)/(a) = {figures['recalc'] / floor:.2f}")
    if figures.get("estimate"):
        alone = figures["recalc"] - figures["estimate"]
        print(f"      of which the emissions estimate {figures['estimate']:.1f} s wall, "
              f"{figures['estimate_cpu']:.1f} s CPU (Celery eager here; a worker runs it "
              f"after the commit in production): without it {alone:.1f} s, (b)/(a) = {alone / floor:.2f}")
    runs = figures.get("runs", [])
    if len(runs) > 1:
        for number, pair in enumerate(runs, 1):
            print(f"  pair {number}: (b) {pair['recalc']:.1f} s (estimate {pair['estimate']:.1f} s), "
                  f"(a) {pair['floor']:.1f} s: (b)/(a) = {pair['ratio']:.2f}, without the estimate "
                  f"{pair['ratio_alone']:.2f}")
        print(f"  median of {len(runs)} pairs: (b)/(a) = {statistics.median(p['ratio'] for p in runs):.2f}, "
              f"without the estimate {statistics.median(p['ratio_alone'] for p in runs):.2f}")
    if "derived" in figures:
        base = min(figures["recalc"], figures["recalc_again"])
        print(f"  (c) derived sources on: {figures['derived']:.1f} s; v1 again {figures['recalc_again']:.1f} s; "
              f"(c)/(b) = {figures['derived'] / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000", help="comma-separated supplier counts, grown in steps")
    parser.add_argument("--suppliers", type=int, help="one size (same as --sizes N)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the data already there (grown to a larger size when asked)")
    parser.add_argument("--derived", action="store_true", help="also measure with derived sources switched on")
    parser.add_argument("--generator", choices=["orm", "sql"], default="orm",
                        help="orm: the Django generator below; sql: the same shapes written by PostgreSQL "
                             "(bench/sqldata.py), minutes instead of an hour for 100,000 suppliers")
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure (b) and (a) this many times, alternately, and print the median ratio")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.derived, args.repeat)))
        return

    import django

    django.setup()
    import sqldata
    from django.core.management import call_command
    from django.db import connection

    from suppliers.models import Supplier

    call_command("migrate", verbosity=0)
    sizes = [args.suppliers] if args.suppliers else [int(size) for size in args.sizes.split(",")]
    reuse = args.reuse and Supplier.objects.exists()
    if not reuse:
        _truncate(connection)
    have = Supplier.objects.count() if reuse else 0
    for size in sizes:
        if size > have:
            started = time.perf_counter()
            (sqldata.generate if args.generator == "sql" else generate)(size - have, start=have)
            print(f"generated {size - have:,} suppliers in {time.perf_counter() - started:.0f} s", flush=True)
            have = size
        child = subprocess.run([sys.executable, __file__, "--measure", f"--repeat={args.repeat}",
                                *(["--derived"] if args.derived else [])],
                               check=False, capture_output=True, text=True)
        if child.returncode:
            sys.exit(child.stderr)
        report(json.loads(child.stdout.strip().splitlines()[-1]))
        sys.stdout.flush()


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
