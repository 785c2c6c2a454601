"""Benchmark: a preview of a draft methodology against a recalculation of the same quarter,
and the comparison page at that size.

Usage (PostgreSQL):
    createdb -h 127.0.0.1 -U postgres esg_bench_preview
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/esg_bench_preview \
        .venv/bin/python bench/preview.py [--suppliers 100000] [--reuse] [--rounds 2]

Generates the data of ``bench/recalc.py`` (its generator; kept with ``--reuse`` when there),
then, in a child process:
  (r) an official recalculation of the quarter under v1 (``score_run_now``);
  (p) a preview of a draft (a copy of v1 with other weights and grade bands) on the same
      quarter: ``score_run_create(preview=True)`` run through the same task code
      (``recalculate_quarter``), results stored beside the official ones;
  (c) ``GET /scorecard/compare/?quarter=…&base=v1&other=<draft>`` through Django's test client
      as a procurement analyst (the whole view and template, no network): wall time and
      queries.
(r) and (p) alternate ``--rounds`` times after one warm-up each; the fastest of each is kept.
Goals (#15): (p) <= (r); (c) within 1 s. The machine is shared: the load average is printed
with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

QUARTER = "2026-Q3"
DRAFT = "bench-draft"


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def draft_methodology():
    """A draft copied from v1 with other weights and grade bands (never published)."""
    from scoring import methodology_drafts
    from scoring.models import Methodology

    existing = Methodology.objects.filter(version=DRAFT).first()
    if existing is not None:
        return existing
    draft = methodology_drafts.draft_create(version=DRAFT, based_on=Methodology.objects.get(version="v1"),
                                            description="bench what-if", actor="bench")
    methodology_drafts.weights_set(methodology=draft, actor="bench", changes=[
        {"code": "ECO-01", "weight": "10"}, {"code": "ENV-06", "weight": "0"}])
    draft.refresh_from_db()
    draft.grade_bands = [["A", "70"], ["B", "55"], ["C", "40"], ["D", "0"]]
    draft.save()
    return draft


def _preview(quarter, methodology):
    from scoring.models import ScoreRun
    from scoring.services import score_run_create
    from scoring.tasks import recalculate_quarter

    run = score_run_create(quarter=quarter, methodology=methodology, actor="bench", trigger="command", preview=True)
    recalculate_quarter.apply(args=[run.pk], throw=True)
    return ScoreRun.objects.get(pk=run.pk)


def _page(client, url: str) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(url)
        seconds = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return seconds, len(captured.captured_queries), len(response.content)


def measure(rounds: int) -> dict:
    """The figures, in this (child) process."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from core import roles
    from core.quarter import Quarter
    from core.setup import ensure_role_groups
    from scoring.models import Methodology
    from scoring.services import score_run_now
    from suppliers.models import Supplier

    quarter = Quarter.parse(QUARTER)
    v1 = Methodology.objects.get(version="v1")
    draft = draft_methodology()
    figures = {"suppliers": Supplier.objects.count(), "recalc": [], "preview": [], "load": []}
    score_run_now(quarter=quarter, methodology=v1, actor="bench", trigger="command")  # warm-up, official
    _preview(quarter, draft)  # warm-up
    for _round in range(rounds):
        figures["load"].append(_load())
        started = time.perf_counter()
        run = score_run_now(quarter=quarter, methodology=v1, actor="bench", trigger="command")
        figures["recalc"].append(time.perf_counter() - started)
        assert run.status == "succeeded", run.error
        figures["scored"] = run.counts.get("scored")
        figures["load"].append(_load())
        started = time.perf_counter()
        preview = _preview(quarter, draft)
        figures["preview"].append(time.perf_counter() - started)
        assert preview.status == "succeeded", preview.error
    figures["load"].append(_load())

    user = get_user_model().objects.filter(username="bench-analyst").first()
    if user is None:
        ensure_role_groups()
        user = get_user_model().objects.create_user(username="bench-analyst", password="bench-only")
        user.groups.add(Group.objects.get(name=roles.PROCUREMENT_ANALYST))
    client = Client()
    client.force_login(user)
    url = f"/scorecard/compare/?quarter={QUARTER}&base=v1&other={DRAFT}"
    first = _page(client, url)
    figures["compare_first"], figures["compare_queries"], figures["compare_bytes"] = first
    pages = [_page(client, url)[0] for _ in range(5)]
    figures["compare"] = sorted(pages)[len(pages) // 2]
    figures["compare_max"] = max(pages)
    figures["compare_load"] = _load()
    return figures


def report(figures: dict) -> None:
    recalc, preview = min(figures["recalc"]), min(figures["preview"])
    print(f"suppliers {figures['suppliers']:,} ({figures['scored']:,} scored), load average "
          f"{min(figures['load'])}-{max(figures['load'])}")
    print(f"  (r) recalculation: {', '.join(f'{s:.1f}' for s in figures['recalc'])} s; best {recalc:.1f} s")
    print(f"  (p) preview of {DRAFT}: {', '.join(f'{s:.1f}' for s in figures['preview'])} s; best {preview:.1f} s; "
          f"(p)/(r) = {preview / recalc:.2f}")
    print(f"  (c) comparison page: first {figures['compare_first'] * 1000:.0f} ms, median of 5 "
          f"{figures['compare'] * 1000:.0f} ms (max {figures['compare_max'] * 1000:.0f} ms), "
          f"{figures['compare_queries']} queries, {figures['compare_bytes'] / 1024:.0f} kB, load average "
          f"{figures['compare_load']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data already there (grown when asked)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.rounds)))
        return

    import django

    django.setup()
    import recalc
    from django.core.management import call_command
    from django.db import connection

    from suppliers.models import Supplier

    call_command("migrate", verbosity=0)
    reuse = args.reuse and Supplier.objects.exists()
    if not reuse and Supplier.objects.exists():
        recalc._truncate(connection)
    have = Supplier.objects.count() if reuse else 0
    if args.suppliers > have:
        started = time.perf_counter()
        recalc.generate(args.suppliers - have, start=have)
        print(f"generated {args.suppliers - have:,} suppliers in {time.perf_counter() - started:.0f} s", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    child = subprocess.run([sys.executable, __file__, "--measure", "--rounds", str(args.rounds)],
                           check=False, capture_output=True, text=True)
    if child.returncode:
        sys.exit(child.stderr)
    report(json.loads(child.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
