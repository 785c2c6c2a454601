"""Faults injected for real (docs/reliability.md): PostgreSQL, Redis and Celery worker
processes started by the test.

- a worker SIGKILLed in the middle of a recalculation (after computing, and inside the
  write transaction) and of an export: the job is restarted after its lease expired and
  the result is identical to a clean run (fingerprint, scores CSV);
- a Redis the test starts on its own port, stopped while a user starts a recalculation,
  and restarted without persistence while a job waits: no request is lost;
- the database connection of an import terminated (``pg_terminate_backend``) in the
  middle of its write: nothing partial, a clear error, and the next try works.

Workers stop at a named step (``JOB_PAUSE_AT``, core.jobs.Lease.checkpoint) and write a
marker file, so the kill happens at a known point, not after a guessed delay. Every wait
is bounded. PostgreSQL and a broker are needed (CI); elsewhere the module is skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections

from core import jobs
from core.quarter import Quarter
from reports import services as report_services
from reports.models import Report, ReportStatus
from reports.scores_csv import write_scores_csv
from scoring import services
from scoring.models import QuarterlyScore, RunStatus, ScoreRun
from suppliers.models import SpendRecord

pytest_plugins = ["tests.worker_fixtures"]

Q3 = Quarter.parse("2026-Q3")
LEASE = 3  # seconds: a killed worker's job is reclaimable this long after its last heartbeat
WAIT = 90  # seconds: the bound of every wait in this module


def _app():
    from config.celery import app

    return app


@pytest.fixture
def faults_db(transactional_db, settings):
    if connection.vendor != "postgresql" or not os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("fault injection needs PostgreSQL and a broker (CELERY_BROKER_URL); CI has both")
    from tests.worker_fixtures import _MANAGER

    _MANAGER.stop()  # the shared worker would take this module's tasks
    settings.JOB_LEASE_SECONDS = LEASE
    settings.JOB_RESEND_AFTER_SECONDS = 1
    app = _app()
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = saved


def _wait(condition, what: str, timeout: float = WAIT, every: float = 0.2, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    tails = "\n".join(worker.log_tail() for worker in logs)
    pytest.fail(f"not within {timeout}s: {what}\n{tails}", pytrace=False)


@contextlib.contextmanager
def _worker(tmp_path: Path, name: str, **env):
    """A real ``celery worker`` process on the test database with extra environment."""
    from tests.worker_fixtures import LiveWorker, database_url_for

    saved = {key: os.environ.get(key) for key in env}
    os.environ.update({key: str(value) for key, value in env.items()})
    worker = LiveWorker(tmp_path / f"{name}.log", database_url=database_url_for(connection.settings_dict))
    try:
        worker.start(_app())
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield worker
    finally:
        worker.stop()


def _kill(worker) -> None:
    worker.process.kill()
    worker.process.wait(timeout=30)


def _sweep_until(condition, what: str, logs=()):
    """Run the beat's sweep (as beat does every minute) until ``condition`` holds."""

    def swept():
        jobs.sweep()
        return condition()

    return _wait(swept, what, every=0.5, logs=logs)


def _data(make_supplier, make_site):
    for index in range(12):
        supplier = make_supplier(f"F-{index:02d}")
        make_site(supplier)
        SpendRecord.objects.create(supplier=supplier, quarter="2026-Q3", currency="USD", amount=1000 - index * 70)


def _scores_csv(tmp_path: Path, name: str) -> bytes:
    path = tmp_path / name
    write_scores_csv(Q3, str(path))
    return path.read_bytes()


# --------------------------------------------------------------------------- worker killed


@pytest.mark.parametrize("step", ["compute", "write"])
def test_a_worker_killed_mid_recalculation_is_recovered_with_an_identical_result(
        faults_db, tmp_path, make_supplier, make_site, step):
    _data(make_supplier, make_site)
    clean = services.score_run_now(quarter=Q3, actor="clean")
    clean_csv = _scores_csv(tmp_path, "clean.csv")
    marker = tmp_path / "paused"
    env = {"JOB_LEASE_SECONDS": LEASE, "JOB_PAUSE_AT": step, "JOB_PAUSE_FILE": marker}
    with _worker(tmp_path, f"killed-{step}", **env) as doomed:
        run = services.score_run_enqueue(quarter=Q3, actor="test")
        _wait(marker.exists, f"the worker reaching the {step} step", logs=[doomed])
        _kill(doomed)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    # The previous scores are intact (a killed write transaction is rolled back).
    assert set(QuarterlyScore.objects.values_list("run_id", flat=True)) == {clean.pk}
    # The quarter is not locked for ever: an identical request gets this run.
    assert services.score_run_enqueue(quarter=Q3, actor="someone else").pk == run.pk

    with _worker(tmp_path, f"rescuer-{step}", JOB_LEASE_SECONDS=LEASE) as rescuer:
        _sweep_until(lambda: ScoreRun.objects.get(pk=run.pk).status in (RunStatus.SUCCEEDED, RunStatus.FAILED),
                     "the run restarted and finished", logs=[rescuer])
    run.refresh_from_db()
    assert (run.status, run.error, run.attempts) == (RunStatus.SUCCEEDED, "", 2), rescuer.log_tail()
    assert run.fingerprint == clean.fingerprint
    assert _scores_csv(tmp_path, "rerun.csv") == clean_csv
    assert set(QuarterlyScore.objects.values_list("run_id", flat=True)) == {run.pk}
    assert services.score_run_now(quarter=Q3, actor="after").status == RunStatus.SUCCEEDED  # quarter free


def test_a_worker_killed_mid_export_leaves_nothing_behind_and_the_report_is_written(
        faults_db, tmp_path, make_supplier, make_site, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    _data(make_supplier, make_site)
    services.score_run_now(quarter=Q3, actor="clean")
    marker = tmp_path / "paused"
    env = {"JOB_LEASE_SECONDS": LEASE, "JOB_PAUSE_AT": "export", "JOB_PAUSE_FILE": marker,
           "TEST_MEDIA_ROOT": settings.MEDIA_ROOT}
    with _worker(tmp_path, "killed-export", **env) as doomed:
        report = report_services.report_enqueue(quarter=Q3, format="xlsx", actor="test")
        _wait(marker.exists, "the worker writing the workbook", logs=[doomed])
        _kill(doomed)
    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING
    assert report_services._work_folder(report.pk).exists()  # what the killed attempt left
    with _worker(tmp_path, "rescuer-export", JOB_LEASE_SECONDS=LEASE, TEST_MEDIA_ROOT=settings.MEDIA_ROOT) as rescuer:
        _sweep_until(lambda: Report.objects.get(pk=report.pk).status in (ReportStatus.SUCCEEDED, ReportStatus.FAILED),
                     "the report restarted and finished", logs=[rescuer])
    report.refresh_from_db()
    assert (report.status, report.attempts, report.suppliers) == (ReportStatus.SUCCEEDED, 2, 12), report.error
    stored = sorted(str(path.relative_to(settings.MEDIA_ROOT)) for path in Path(settings.MEDIA_ROOT).rglob("*")
                    if path.is_file())
    assert stored == [report.file.name]  # one file, the one the record vouches for
    assert not report_services._work_folder(report.pk).exists()


# --------------------------------------------------------------------------- broker outage


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Redis:
    """A redis-server without persistence on its own port, started and stopped by the test."""

    def __init__(self, tmp_path: Path):
        self.port = _free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def answers():
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
            return False

        _wait(answers, f"redis on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None


@contextlib.contextmanager
def _broker(url: str):
    """Point this process's Celery app at ``url`` (and back afterwards)."""
    app = _app()

    def switch(to):
        app._pool = None  # kombu keeps one pool per broker URL; the next publish picks this one
        app.amqp._producer_pool = None
        app.conf.broker_url = to
        os.environ["CELERY_BROKER_URL"] = to  # Celery reads the environment first

    saved = os.environ["CELERY_BROKER_URL"]
    switch(url)
    try:
        yield
    finally:
        switch(saved)


@pytest.fixture
def redis(faults_db, tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = _Redis(tmp_path)
    server.start()
    with _broker(server.url):
        yield server
    server.stop()


def test_a_recalculation_started_while_redis_is_down_is_recorded_and_run_when_it_is_back(
        redis, tmp_path, make_supplier, make_site, api_as):
    from core import roles

    _data(make_supplier, make_site)
    redis.stop()
    started = time.monotonic()
    response = api_as(roles.PROCUREMENT_ANALYST).post("/api/v1/score-runs/", {"quarter": "2026-Q3"})
    answered_in = time.monotonic() - started
    assert response.status_code == 202, response.content
    run = ScoreRun.objects.get(pk=response.json()["id"])
    assert (run.status, run.sent_at) == (RunStatus.QUEUED, None)
    assert answered_in < 15  # a clear answer, not a request held until the proxy gives up
    assert response.json()["status"] == "queued"

    redis.start()
    with _worker(tmp_path, "after-outage", JOB_LEASE_SECONDS=LEASE, CELERY_BROKER_URL=redis.url) as worker:
        _sweep_until(lambda: ScoreRun.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED,
                     "the recorded run sent and executed once the broker was back", logs=[worker])
    run.refresh_from_db()
    assert run.sent_at is not None and run.counts["scored"] == 12


def test_queued_jobs_lost_by_a_redis_restart_without_persistence_are_sent_again(
        redis, tmp_path, make_supplier, make_site):
    _data(make_supplier, make_site)
    services.score_run_now(quarter=Q3, actor="clean")
    run = services.score_run_enqueue(quarter=Quarter.parse("2026-Q2"), actor="test")
    report = report_services.report_enqueue(quarter=Q3, format="csv", actor="test")
    assert ScoreRun.objects.get(pk=run.pk).sent_at is not None  # the broker took both messages...
    redis.stop()
    redis.start()  # ...and forgot them
    with _worker(tmp_path, "after-restart", JOB_LEASE_SECONDS=LEASE, CELERY_BROKER_URL=redis.url) as worker:
        _sweep_until(lambda: ScoreRun.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED
                     and Report.objects.get(pk=report.pk).status == ReportStatus.SUCCEEDED,
                     "both jobs sent again and executed", logs=[worker])


# --------------------------------------------------------------------------- database outage


def _spend_file(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "spend.csv"
    lines = ["supplier_code,quarter,currency,amount"]
    lines += [f"F-{index % 12:02d},2025-Q{1 + index // 12 % 4},USD,{100 + index}" for index in range(min(rows, 48))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_import_whose_connection_is_terminated_mid_write_commits_nothing_and_works_again(
        faults_db, tmp_path, make_supplier, make_site):
    from django.core.management import CommandError, call_command

    _data(make_supplier, make_site)
    before = SpendRecord.objects.count()
    path = _spend_file(tmp_path, 48)
    outcome = {}

    def run_import():
        try:
            call_command("import_spend", str(path), stdout=open(os.devnull, "w"))  # noqa: SIM115
            outcome["result"] = "done"
        except CommandError as exc:
            outcome["result"] = str(exc)
        finally:
            connections.close_all()

    # Hold the spend history: the import writes every row, then waits to record their history.
    blocker = connections.create_connection("default")
    blocker.set_autocommit(False)
    with blocker.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {SpendRecord.history.model._meta.db_table} IN EXCLUSIVE MODE")
    thread = threading.Thread(target=run_import)
    thread.start()

    def waiting_importer():
        # Another connection than the blocker's: pg_stat_activity is a per-transaction snapshot.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            row = cursor.fetchone()
        return row[0] if row else None

    pid = _wait(waiting_importer, "the import waiting inside its write transaction")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    blocker.rollback()
    blocker.close()
    thread.join(timeout=WAIT)
    assert "the database connection was lost" in outcome["result"]
    assert "nothing was written" in outcome["result"]
    assert SpendRecord.objects.count() == before  # nothing partial
    call_command("import_spend", str(path), stdout=open(os.devnull, "w"))  # noqa: SIM115  the next try works
    assert SpendRecord.objects.count() == before + 48


# --------------------------------------------------------------------------- concurrency


def _at_once(count: int, work):
    """Run ``work(index)`` in ``count`` threads released together; their results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=WAIT)
            results[index] = work(index)
        except Exception as exc:  # the assertion below names it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)
    return results


@pytest.fixture
def postgres_db(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is defined on PostgreSQL")


def test_concurrent_requests_for_one_quarter_accept_exactly_one_run(postgres_db, make_supplier, make_site):
    from scoring.models import Methodology

    _data(make_supplier, make_site)
    v1 = Methodology.objects.get(version="v1")
    v2 = Methodology.objects.create(version="v2", status="published", grade_bands=v1.grade_bands,
                                    qbr_weights=v1.qbr_weights)
    for _round in range(5):
        ScoreRun.objects.all().delete()

        def start(index):
            methodology = v1 if index % 2 == 0 else v2
            try:
                return services.score_run_create(quarter=Q3, methodology=methodology, actor=f"user{index}",
                                                 reuse_identical=True)
            except services.RecalculationRefused as exc:
                return exc

        results = _at_once(6, start)
        assert ScoreRun.objects.count() == 1
        winner = ScoreRun.objects.get()
        for result in results:
            if isinstance(result, ScoreRun):
                assert result.pk == winner.pk  # created, or the identical request's answer
            else:
                assert isinstance(result, services.RecalculationRefused), result
                assert result.run_id == winner.pk


def test_two_imports_of_the_same_new_rows_at_once_serialise(postgres_db, tmp_path, make_supplier, make_site):
    from django.core.management import call_command

    _data(make_supplier, make_site)
    before = SpendRecord.objects.count()
    path = _spend_file(tmp_path, 48)

    def run_import(index):
        out = tmp_path / f"out{index}.txt"
        with open(out, "w") as handle:
            call_command("import_spend", str(path), stdout=handle)
        return out.read_text()

    results = _at_once(2, run_import)
    assert all(isinstance(result, str) for result in results), results
    assert SpendRecord.objects.count() == before + 48
