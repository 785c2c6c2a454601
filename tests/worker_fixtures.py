"""Fixtures that run tasks through a REAL Celery worker (a subprocess) over the real broker.

Load them in a test module (or once in the top-level ``tests/conftest.py``) with::

    pytest_plugins = ["tests.worker_fixtures"]

and request one of the two function-scoped fixtures:

``live_celery_worker``
    A worker consuming the default ``celery`` queue. For tasks that don't touch the
    database: the worker inherits this process's environment, so its ``DATABASE_URL``
    is the developer's database, not the test one.
``celery_worker_with_db``
    The same, but the worker's ``DATABASE_URL`` points at pytest-django's test database;
    requires ``transactional_db`` (the worker is another connection, so the test's rows
    must be committed). PostgreSQL only: skipped on SQLite.

Both yield a :class:`LiveWorker` (``.nodename`` is the name the worker reports as
``self.request.hostname``) and turn ``task_always_eager`` off for the test, so
``task.delay(...)`` goes through the broker; it is restored afterwards. Without
``CELERY_BROKER_URL`` in the environment both skip. At most one worker runs at a
time (they share the ``celery`` queue, so two could steal each other's tasks); it is
started once, reused, and stopped at the end of the session (the database one before
the test database is dropped), killed if it does not stop in time.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

__all__ = [
    "LiveWorker",
    "celery_worker_db_session",
    "celery_worker_session",
    "celery_worker_with_db",
    "database_url_for",
    "live_celery_worker",
]

BASE_DIR = Path(__file__).resolve().parent.parent
BROKER_SKIP_REASON = "needs CELERY_BROKER_URL (CI sets it)"
POSTGRES_SKIP_REASON = "celery_worker_with_db needs PostgreSQL (DATABASE_URL=postgres://...), not SQLite"
WORKER_QUEUE = "celery"
WORKER_SETTINGS = "config.settings.test"  # eager there only affects senders; the worker just consumes
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def database_url_for(settings_dict: dict) -> str:
    """A ``postgres://`` URL (as django-environ parses it) for a PostgreSQL ``settings_dict``."""
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    host = quote(str(settings_dict.get("HOST") or ""), safe="")  # a socket directory becomes %2F...
    port = str(settings_dict.get("PORT") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    url = f"postgres://{auth}{host}{':' + port if port else ''}/{quote(str(settings_dict['NAME']), safe='')}"
    options = {k: v for k, v in (settings_dict.get("OPTIONS") or {}).items() if isinstance(v, str | int)}
    return f"{url}?{urlencode(options)}" if options else url


class LiveWorker:
    """One ``celery -A config worker --pool=solo`` subprocess and its log file."""

    def __init__(self, log_path: Path, database_url: str | None = None):
        self.log_path = log_path
        self.database_url = database_url
        self.nodename = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self.process: subprocess.Popen | None = None
        self._log = None

    def __repr__(self) -> str:
        return f"<LiveWorker {self.nodename} db={self.database_url!r}>"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, app, timeout: float = START_TIMEOUT) -> LiveWorker:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE=WORKER_SETTINGS, PYTHONUNBUFFERED="1")
        if self.database_url is not None:
            env["DATABASE_URL"] = self.database_url
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool=solo", "-l", "info", "-Q", WORKER_QUEUE, "-n", self.nodename,
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        atexit.register(self.stop)  # in case pytest dies without running the finalizers
        try:
            self._wait_until_ready(app, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self, app, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"Celery worker exited with code {self.process.returncode} before answering a ping;"
                    f" its log ({self.log_path}):\n{self.log_tail()}",
                    pytrace=False,
                )
            replies = app.control.ping(destination=[self.nodename], timeout=0.5) or []
            if any(self.nodename in reply for reply in replies):
                return
        pytest.fail(
            f"Celery worker {self.nodename} did not answer a ping within {timeout:.0f}s;"
            f" its log ({self.log_path}):\n{self.log_tail()}",
            pytrace=False,
        )

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Warm shutdown (SIGTERM); SIGKILL if it is still there after ``timeout`` seconds."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        atexit.unregister(self.stop)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


class _WorkerManager:
    """Keeps at most one worker alive for the whole session, restarting it only to change database."""

    _ANY = object()

    def __init__(self) -> None:
        self.worker: LiveWorker | None = None
        self.log_dir: Path | None = None
        self._count = 0

    def ensure(self, app, database_url=_ANY) -> LiveWorker:
        current = self.worker
        if current is not None and current.running and database_url in (self._ANY, current.database_url):
            return current
        self.stop()
        self._count += 1
        log_path = self.log_dir / f"celery-worker-{self._count}.log"
        url = None if database_url is self._ANY else database_url
        self.worker = LiveWorker(log_path, database_url=url).start(app)
        return self.worker

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None


# One per process: even if two modules import these fixtures (each getting its own
# session fixture), they share the worker instead of racing for the queue.
_MANAGER = _WorkerManager()


@contextlib.contextmanager
def _eager_off(app) -> Iterator[None]:
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = saved


def _celery_app():
    from config.celery import app

    return app


@pytest.fixture(scope="session")
def celery_worker_session(tmp_path_factory) -> Iterator[_WorkerManager]:
    """Session-wide worker manager; skips without ``CELERY_BROKER_URL``."""
    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.skip(BROKER_SKIP_REASON)
    if _MANAGER.log_dir is None:
        _MANAGER.log_dir = tmp_path_factory.mktemp("celery-worker")
    yield _MANAGER
    _MANAGER.stop()


@pytest.fixture(scope="session")
def celery_worker_db_session(celery_worker_session, django_db_setup) -> Iterator[LiveWorker]:
    """A worker on the test database, started after it is created and stopped before it is dropped."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(POSTGRES_SKIP_REASON)
    worker = celery_worker_session.ensure(_celery_app(), database_url=database_url_for(connection.settings_dict))
    yield worker
    if celery_worker_session.worker is worker:
        celery_worker_session.stop()  # it holds a connection: DROP DATABASE would fail


@pytest.fixture
def live_celery_worker(celery_worker_session) -> Iterator[LiveWorker]:
    """A running worker (not for tasks that use the database) with eager mode off for the test."""
    app = _celery_app()
    worker = celery_worker_session.ensure(app)
    with _eager_off(app):
        yield worker


@pytest.fixture
def celery_worker_with_db(celery_worker_session, transactional_db, celery_worker_db_session) -> Iterator[LiveWorker]:
    """A running worker on the test database with eager mode off; rows the test commits are visible to it."""
    app = _celery_app()
    worker = celery_worker_session.ensure(app, database_url=celery_worker_db_session.database_url)
    with _eager_off(app):
        yield worker
