"""Benchmark: the pages and API endpoints at 100,000 suppliers, served as in production.

Usage (PostgreSQL):
    createdb -h 127.0.0.1 -U postgres esg_bench_serve
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/esg_bench_serve \
        .venv/bin/python bench/serve.py [--suppliers 100000] [--reuse] [--seconds 30] [--clients 32]

Builds the data of ``bench/recalc.py`` (its generator; kept with --reuse when present),
recalculates the quarter when it has no stored results, runs ``VACUUM ANALYZE``, then
serves it with gunicorn as the Dockerfile does (``config.settings.production``, 3 sync
workers, ``WEB_CONCURRENCY=3``) and drives each URL with Debian's ``wrk``
(``apt-get install wrk``) as a logged-in procurement analyst with ``Accept-Encoding: gzip``:
  (a) one client alone for ``--alone`` seconds: p50 / p95 / p99;
  (b) ``--clients`` concurrent clients for ``--seconds``: requests/s and p50 / p95 / p99.
Each URL is requested once before measuring (a stale stored summary is computed then), then
for 2 s by as many clients as workers, so that no measured request is a worker's first.
Targets (#13): (a) p50 <= 50 ms for every URL; (b) p99 <= 1 s and >= 20 requests/s.
The machine is shared: the load average is printed before and after each URL.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# The same key here (where the session is made) and in gunicorn (where it is read).
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

WORKERS = 3  # gunicorn's sync workers, as the Dockerfile runs them

WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.2f %.2f %.2f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def prepare(count: int, reuse: bool, generator: str = "recalc") -> dict:
    """Data, scores, a procurement session; returns what the URLs need."""
    import django

    django.setup()
    import recalc
    import sqldata
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from core import roles
    from core.quarter import Quarter
    from core.setup import ensure_role_groups
    from scoring.models import CoverageSnapshot, Methodology, QuarterlyScore
    from scoring.services import score_run_now
    from suppliers.models import Supplier

    call_command("migrate", verbosity=0)
    if not (reuse and Supplier.objects.exists()):
        recalc._truncate(connection)
        started = time.perf_counter()
        if generator == "sql":
            # Indicator values and QBR components are left out: no URL measured here reads them in bulk.
            sqldata.generate(count, values=False)
        else:
            recalc.generate(count)
        print(f"generated in {time.perf_counter() - started:.0f} s")
    quarter = recalc.QUARTER
    if not CoverageSnapshot.objects.filter(quarter=quarter).exists():
        started = time.perf_counter()
        run = score_run_now(quarter=Quarter.parse(quarter), methodology=Methodology.objects.get(version="v1"),
                            actor="bench", trigger="command")
        print(f"recalculated {quarter} in {time.perf_counter() - started:.0f} s ({run.status})")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    ensure_role_groups()
    user, _ = get_user_model().objects.get_or_create(username="bench-analyst")
    user.groups.add(Group.objects.get(name=roles.PROCUREMENT_ANALYST))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(24 * 3600)
    session.save()
    suppliers = Supplier.objects.count()
    scores = QuarterlyScore.objects.filter(quarter=quarter).count()
    # the grade filter on the most common grade: a full first page and a count that matters
    grade = (QuarterlyScore.objects.filter(quarter=quarter).values("grade").annotate(n=Count("id"))
             .order_by("-n").values_list("grade", flat=True).first() or "B")
    middle = Supplier.objects.order_by("code").values_list("code", flat=True)[suppliers // 2]
    from scoring import serving

    gaps = serving.gap_summary(quarter, "audit")
    from django.conf import settings

    return {"quarter": quarter, "suppliers": suppliers, "scores": scores, "middle": middle,
            "grade": grade, "gaps": gaps.item_count if gaps is not None else 0,
            "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}


def urls(facts: dict) -> list[tuple[str, str]]:
    quarter = facts["quarter"]
    score_page = max(1, facts["scores"] // 50 // 2)
    supplier_page = max(1, facts["suppliers"] // 50 // 2)
    gap_page = max(1, facts["gaps"] // 50 // 2)
    return [
        ("portal dashboard", "/dashboard/"),
        (f"/api/v1/scores/?quarter=Q&page={score_page}", f"/api/v1/scores/?quarter={quarter}&page={score_page}"),
        ("/api/v1/coverage/?quarter=Q", f"/api/v1/coverage/?quarter={quarter}"),
        (f"/api/v1/coverage/gaps/?quarter=Q&metric=audit&page={gap_page}",
         f"/api/v1/coverage/gaps/?quarter={quarter}&metric=audit&page={gap_page}"),
        ("supplier list sorted by score", f"/suppliers/?quarter={quarter}&sort=-score"),
        (f"supplier list, grade filter ({facts['grade']})", f"/suppliers/?quarter={quarter}&grade={facts['grade']}"),
        ("supplier detail", f"/suppliers/{facts['middle']}/"),
        (f"/api/v1/suppliers/?page={supplier_page}", f"/api/v1/suppliers/?page={supplier_page}"),
    ]


def serve(port: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "WEB_CONCURRENCY": str(WORKERS)}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen([gunicorn, "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                                "--workers", str(WORKERS), "--timeout", "120", "--log-level", "warning"],
                               cwd=ROOT, env=env)
    for _ in range(240):  # until it accepts connections
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    return process


def fetch(base: str, path: str, cookie: str) -> tuple[int, int]:
    request = urllib.request.Request(base + path, headers={  # noqa: S310
        "Cookie": cookie, "X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, 0


def wrk(base: str, path: str, cookie: str, *, clients: int, seconds: int, script: str) -> dict:
    threads = min(2, clients)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--timeout", "60s", "-s", script,
         "-H", f"Cookie: {cookie}", "-H", "X-Forwarded-Proto: https", "-H", "Accept-Encoding: gzip", base + path],
        capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    requests, duration_us, p50, p95, p99, bad_status, errors = line.split()[1:]
    return {"rps": int(requests) / (int(duration_us) / 1e6), "p50": float(p50), "p95": float(p95),
            "p99": float(p99), "bad": int(bad_status), "errors": int(errors), "requests": int(requests)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep existing generated data")
    parser.add_argument("--seconds", type=int, default=30, help="duration of each loaded run")
    parser.add_argument("--alone", type=int, default=10, help="duration of each one-client run")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--generator", choices=["recalc", "sql"], default="recalc",
                        help="recalc: bench/recalc.py's generator; sql: the same shapes written by the database")
    parser.add_argument("--only", default="", help="comma-separated: only the URLs whose label contains one of them")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")

    facts = prepare(args.suppliers, args.reuse, args.generator)
    print(f"suppliers {facts['suppliers']:,}; scores in {facts['quarter']}: {facts['scores']:,}")
    base = f"http://127.0.0.1:{args.port}"
    server = serve(args.port)
    script = Path(tempfile.mkdtemp()) / "report.lua"
    script.write_text(WRK_SCRIPT)
    results = []
    try:
        for label, path in urls(facts):
            if args.only and not any(part in label for part in args.only.split(",")):
                continue
            started = time.perf_counter()
            status, size = fetch(base, path, facts["cookie"])  # warm: computes a stale stored summary
            first = time.perf_counter() - started
            # Each worker serves the URL before it is measured (its first request loads code and templates).
            wrk(base, path, facts["cookie"], clients=WORKERS, seconds=2, script=str(script))
            load_before = os.getloadavg()[0]
            alone = wrk(base, path, facts["cookie"], clients=1, seconds=args.alone, script=str(script))
            loaded = wrk(base, path, facts["cookie"], clients=args.clients, seconds=args.seconds, script=str(script))
            load_after = os.getloadavg()[0]
            results.append((label, status, size, first, alone, loaded, load_before, load_after))
            print(f"{label}: HTTP {status}, {size:,} bytes (gzip accepted), first request {first * 1000:.0f} ms; "
                  f"alone p50/p95/p99 {alone['p50']:.1f}/{alone['p95']:.1f}/{alone['p99']:.1f} ms; "
                  f"{args.clients} clients {loaded['rps']:.1f} req/s, p50/p95/p99 {loaded['p50']:.0f}/"
                  f"{loaded['p95']:.0f}/{loaded['p99']:.0f} ms, non-2xx {loaded['bad']}, errors {loaded['errors']}; "
                  f"load {load_before:.1f} -> {load_after:.1f}", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print()
    print(f"| URL | alone p50 / p95 ms | {args.clients} clients req/s | p50 / p95 / p99 ms | load avg | target met |")
    print("|---|---|---|---|---|---|")
    for label, _status, _size, _first, alone, loaded, before, after in results:
        met = alone["p50"] <= 50 and loaded["p99"] <= 1000 and loaded["rps"] >= 20 and not loaded["bad"]
        print(f"| {label} | {alone['p50']:.1f} / {alone['p95']:.1f} | {loaded['rps']:.1f} | "
              f"{loaded['p50']:.0f} / {loaded['p95']:.0f} / {loaded['p99']:.0f} | {before:.1f}–{after:.1f} | "
              f"{'yes' if met else 'no'} |")


if __name__ == "__main__":
    main()
