"""Benchmark: import 1,000,000 spend rows through the same importer as `import_spend`.

Usage (PostgreSQL, as in production):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/esg_bench .venv/bin/python bench/import_spend.py [--rows N]

Creates a fresh schema in the named database (drops its tables first), generates N spend
rows for N/8 suppliers over 8 quarters into a temporary CSV, and times the import twice:
the first (every row created) and a re-import of the same file (every row unchanged).
Every created row is recorded in the spend history (one row each); ``--no-history`` skips
it, to measure its cost on the same machine.

The floors, measured in the same run (PostgreSQL), each a bare ``COPY … FROM STDIN (FORMAT
csv, HEADER)`` of the same file streamed from disk through the same connection into an empty
table created for it (committed, then dropped), timed from the first byte sent to the end of
the COPY; each is measured before each import and the lower of the two is kept:

- "COPY floor": a table of the file's shape (``supplier_code varchar(50), quarter varchar(7),
  amount numeric(20,4), currency varchar(3)``), no index, no constraint: what PostgreSQL
  needs to take the bytes in;
- "indexed COPY floor": the same columns with the spend table's keys and indexes (``bigserial``
  primary key, unique (supplier_code, quarter, currency), quarter): what it needs to file them
  as the spend table does, without the history table or the supplier foreign key.

The import does more than either: it checks every cell, resolves codes and finds duplicates,
checks the supplier foreign key of each new row at commit and writes a history row (three
indexes besides its primary key) per created or changed row. ``--breakdown`` prints where each
import's time went: the statements by kind, the commit, and the rest (reading, checking and
staging the file).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-history", action="store_true",
                        help="skip the per-row history (core/history.py), to compare on the same machine")
    parser.add_argument("--breakdown", action="store_true",
                        help="print where each import's time went (statements, commit, the rest)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    settings.SIMPLE_HISTORY_ENABLED = not args.no_history
    from django.core.management import call_command
    from django.db import connection

    from suppliers.importers import SpendImporter
    from suppliers.models import SpendRecord, Supplier

    call_command("flush", "--noinput", verbosity=0) if _has_tables(connection) else None
    call_command("migrate", verbosity=0)
    SpendRecord.objects.all().delete()
    Supplier.objects.all().delete()

    quarters = [f"{year}-Q{q}" for year in (2025, 2026) for q in (1, 2, 3, 4)]
    supplier_count = max(1, args.rows // len(quarters))
    Supplier.objects.bulk_create(
        [Supplier(code=f"B-{i:07d}", name=f"Bench {i}", country="CN", category="production")
         for i in range(supplier_count)], batch_size=5000)
    rng = random.Random(1)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as handle:
        handle.write("supplier_code,quarter,amount,currency\n")
        written = 0
        for i in range(supplier_count):
            for quarter in quarters:
                if written == args.rows:
                    break
                handle.write(f"B-{i:07d},{quarter},{rng.uniform(-1000, 1e6):.2f},{rng.choice(['USD', 'CNY'])}\n")
                written += 1
        path = handle.name
    size_mb = Path(path).stat().st_size / 1e6

    floors, indexed_floors = [], []
    if connection.vendor == "postgresql":
        floors.append(_copy_floor(connection, path))
        indexed_floors.append(_copy_floor(connection, path, indexed=True))
    started = time.perf_counter()
    with _Breakdown(connection, args.breakdown, "first import"):
        first = SpendImporter(actor="bench").run(Path(path))
    first_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        floors.append(_copy_floor(connection, path))
        indexed_floors.append(_copy_floor(connection, path, indexed=True))
    started = time.perf_counter()
    with _Breakdown(connection, args.breakdown, "re-import"):
        second = SpendImporter(actor="bench").run(Path(path))
    second_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    os.unlink(path)
    print(f"database: {connection.vendor}; rows: {written:,}; file: {size_mb:.1f} MB; suppliers: {supplier_count:,}; "
          f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    floor = min(floors) if floors else None
    indexed = min(indexed_floors) if indexed_floors else None
    if floors:
        print(f"COPY floor:    {floor:6.1f} s  (bare COPY into an empty table of the file's shape; "
              f"runs: {', '.join(f'{value:.1f}' for value in floors)})")
        print(f"indexed floor: {indexed:6.1f} s  (the same with the spend table's keys and indexes; "
              f"runs: {', '.join(f'{value:.1f}' for value in indexed_floors)})")
    for label, seconds, result in (("first import:", first_seconds, first), ("re-import:   ", second_seconds, second)):
        ratio = f"{seconds / floor:5.1f}x floor, {seconds / indexed:4.1f}x indexed floor" if floor else ""
        print(f"{label}  {seconds:6.1f} s  {ratio}  ({result.summary()})")
    print(f"peak memory:   {peak_mb:,.0f} MB")
    print(f"history rows:  {SpendRecord.history.count():,}")


class _Breakdown:
    """With ``--breakdown``: seconds per SQL statement kind (timed around Django's cursor), the
    commit, and the rest (reading and checking the file in Python, COPY into the staging table)."""

    KINDS = (("write (spend and history rows)", "WITH source"), ("duplicate check", "HAVING COUNT(*) > 1"),
             ("unknown codes", "NOT EXISTS (SELECT 1 FROM"))

    def __init__(self, connection, enabled: bool, label: str):
        self.connection, self.enabled, self.label = connection, enabled, label
        self.seconds: dict[str, float] = {}

    def _timed(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = next((name for name, marker in self.KINDS if marker in sql), "other statements")
            self.seconds[kind] = self.seconds.get(kind, 0) + time.perf_counter() - started

    def __enter__(self):
        if self.enabled:
            self.started = time.perf_counter()
            self.wrapper = self.connection.execute_wrapper(self._timed)
            self.wrapper.__enter__()
            commit = self.original_commit = self.connection._commit

            def timed_commit():
                started = time.perf_counter()
                try:
                    return commit()
                finally:
                    self.seconds["commit"] = self.seconds.get("commit", 0) + time.perf_counter() - started

            self.connection._commit = timed_commit
        return self

    def __exit__(self, *exc):
        if self.enabled:
            total = time.perf_counter() - self.started
            self.wrapper.__exit__(*exc)
            self.connection._commit = self.original_commit
            rest = total - sum(self.seconds.values())
            parts = "; ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())
            print(f"  {self.label}: {total:.1f} s = reading, checking and staging the file {rest:.1f} s; {parts}")
        return False


def _copy_floor(connection, path: str, *, indexed: bool = False) -> float:
    """Seconds for a bare COPY of the CSV file into an empty table of its shape (committed);
    ``indexed``: with the spend table's keys and indexes."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_floor")
        if indexed:
            cursor.execute("CREATE TABLE bench_copy_floor (id bigserial PRIMARY KEY, supplier_code varchar(50), "
                           "quarter varchar(7), amount numeric(20, 4), currency varchar(3), "
                           "UNIQUE (supplier_code, quarter, currency))")
            cursor.execute("CREATE INDEX ON bench_copy_floor (quarter)")
        else:
            cursor.execute("CREATE TABLE bench_copy_floor (supplier_code varchar(50), quarter varchar(7), "
                           "amount numeric(20, 4), currency varchar(3))")
    columns = "(supplier_code, quarter, amount, currency)"
    started = time.perf_counter()
    with connection.cursor() as cursor, open(path, "rb") as source, \
            cursor.copy(f"COPY bench_copy_floor {columns} FROM STDIN (FORMAT csv, HEADER true)") as copy:
        while block := source.read(1 << 20):
            copy.write(block)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_copy_floor")
    return seconds


def _has_tables(connection) -> bool:
    return "suppliers_supplier" in connection.introspection.table_names()


if __name__ == "__main__":
    main()
