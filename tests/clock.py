"""The test day: the one "today" of a test run, and fixture dates relative to it.

A run's test day is ``ESG_TEST_TODAY`` (``YYYY-MM-DD``) when that variable is set, else the
real date when the run starts. ``tests/conftest.py`` moves the clock to it for every test
(time-machine; see its docstring), so inside a test ``core.quarter.today()``,
``timezone.localdate()``, ``timezone.now()`` and ``dt.date.today()`` all answer the test day.

Fixtures are dated with the helpers below, never with fixed dates that decide a
date-dependent outcome (expiring, overdue, the scored quarter, "in the future"):
the suite must pass on any test day, and no fixture may lie after it (imports refuse
dates after today and quarters after the current one). Call the helpers inside fixtures
and tests (not at import time), e.g.::

    from tests import clock

    end = clock.days_ago(100)                 # an audit that ended 100 days before the test day
    quarter = clock.last_closed_quarter()     # the quarter the portal shows by default
    due = clock.today() + dt.timedelta(30)    # a due date 30 days ahead (future due dates are fine)
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import zoneinfo

from core.quarter import Quarter, months_before
from core.quarter import today as _today

ENV_VAR = "ESG_TEST_TODAY"
# Tests that need these fixtures run against a real clock in another process (a Celery
# worker, a browser): conftest marks them ``real_clock`` and skips them on a frozen day.
REAL_CLOCK_FIXTURES = frozenset({"live_server", "live_celery_worker", "celery_worker_with_db"})
# Each test starts at this time of the test day (in TIME_ZONE): a ticking clock cannot
# reach the next day within a run.
START_OF_TEST = dt.time(12, 0)

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RUN_STARTED_AT = time.time()  # the real moment the suite was loaded
_RUN_STARTED_COUNTER = time.perf_counter()  # time-machine moves time() and monotonic(), not perf_counter()


class InvalidTestDay(ValueError):
    """``ESG_TEST_TODAY`` is set to something that is not a ``YYYY-MM-DD`` date."""


def requested_day() -> dt.date | None:
    """The frozen day asked for in ``ESG_TEST_TODAY``, or None (empty or unset: the real date).

    Raises ``InvalidTestDay`` for anything but an existing ``YYYY-MM-DD`` date."""
    text = os.environ.get(ENV_VAR, "").strip()
    if not text:
        return None
    try:
        if not _DATE_RE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidTestDay(f"{ENV_VAR}={text!r} is not a date; expected YYYY-MM-DD, e.g. 2028-02-29") from None


def start_of_test(time_zone: str) -> float:
    """The POSIX timestamp a test starts at: noon of the requested day in ``time_zone``
    (Django's ``TIME_ZONE``), or the real moment the run started when no day is requested,
    plus the real time the run has taken so far. The clock never runs backwards between
    tests: rows written earlier in the run (data migrations, session fixtures) are never
    dated after a later test's rows, and "the latest published methodology" stays the latest."""
    elapsed = time.perf_counter() - _RUN_STARTED_COUNTER
    day = requested_day()
    if day is None:
        return _RUN_STARTED_AT + elapsed
    return dt.datetime.combine(day, START_OF_TEST, tzinfo=zoneinfo.ZoneInfo(time_zone)).timestamp() + elapsed


# --------------------------------------------------------------------------- dates relative to the test day


def today() -> dt.date:
    """The test day (inside a test: the frozen ``core.quarter.today()``)."""
    return _today()


def days_ago(days: int) -> dt.date:
    """The date ``days`` days before the test day (negative: after it)."""
    return today() - dt.timedelta(days=days)


def months_ago(months: int) -> dt.date:
    """The test day minus calendar ``months``, the day clamped to the month's length."""
    return months_before(today(), months)


def current_quarter() -> Quarter:
    """The quarter containing the test day (still open)."""
    return Quarter.containing(today())


def last_closed_quarter() -> Quarter:
    """The quarter before the test day's: the latest complete quarter, which the portal
    scores and shows by default."""
    return current_quarter().previous()


def quarters_ago(quarters: int) -> Quarter:
    """The quarter ``quarters`` before the test day's (1 = ``last_closed_quarter()``)."""
    return current_quarter().shift(-quarters)


# --------------------------------------------------------------------------- the database clock


def database_now() -> dt.datetime:
    """The database's current time (aware, UTC). Job leases are measured on the database clock
    (``core.jobs``), which time-machine does not move: a test that sets a lease relative to
    "now" must take this one, not ``timezone.now()`` (they differ by years on a frozen day)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT CURRENT_TIMESTAMP")
        value = cursor.fetchone()[0]
    if isinstance(value, str):  # SQLite: "YYYY-MM-DD HH:MM:SS" in UTC
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value
