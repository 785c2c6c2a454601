"""Benchmark: import 1,000,000 spend rows through the same importer as `import_spend`.

Usage (PostgreSQL, as in production):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/esg_bench .venv/bin/python bench/import_spend.py [--rows N]

Creates a fresh schema in the named database (drops its tables first), generates N spend
rows for N/8 suppliers over 8 quarters into a temporary CSV, and times the import twice:
the first (every row created) and a re-import of the same file (every row unchanged).
Every created row is recorded in the spend history (one row each); ``--no-history`` skips
it, to measure its cost on the same machine.
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

    started = time.perf_counter()
    first = SpendImporter(actor="bench").run(Path(path))
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = SpendImporter(actor="bench").run(Path(path))
    second_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    os.unlink(path)
    print(f"database: {connection.vendor}; rows: {written:,}; file: {size_mb:.1f} MB; suppliers: {supplier_count:,}")
    print(f"first import:  {first_seconds:6.1f} s  ({first.summary()})")
    print(f"re-import:     {second_seconds:6.1f} s  ({second.summary()})")
    print(f"peak memory:   {peak_mb:,.0f} MB")
    print(f"history rows:  {SpendRecord.history.count():,}")


def _has_tables(connection) -> bool:
    return "suppliers_supplier" in connection.introspection.table_names()


if __name__ == "__main__":
    main()
