"""Shared fixtures: one user per role, two suppliers (ours and another), an API client;
and the test clock.

The test clock
--------------
Every test runs on one *test day*, with the clock moved there by time-machine (the
autouse fixture ``_test_clock``): ``ESG_TEST_TODAY=YYYY-MM-DD`` when set, else the real date
the run started on. Each test starts at noon of that day (in ``TIME_ZONE``; when no day is
requested, at the real moment the run started), plus the real time the run has taken so far
(so the clock never runs backwards between tests), and ticks from there, so
``core.quarter.today()``, ``timezone.now()``, ``dt.date.today()`` agree for the whole test.
When a day is requested the clock is frozen for the whole run, collection included.

- Date fixtures relative to the test day with ``tests.clock`` (``clock.today()``,
  ``clock.days_ago(n)``, ``clock.last_closed_quarter()``, ...), never with a fixed date that
  decides the outcome, and never after the test day.
- A test that needs another moment moves further with time-machine's ``time_machine``
  fixture (``time_machine.move_to(...)``) or ``time_machine.travel(...)``; both nest inside
  the test day and return to it afterwards.
- Tests whose clock cannot be frozen (a real Celery worker process, the live server driven by
  a browser, schema fuzzing against a running server) carry ``@pytest.mark.real_clock``; tests
  using ``live_server``, ``live_celery_worker`` or ``celery_worker_with_db`` get it
  automatically. They run on the real clock, and are skipped when ``ESG_TEST_TODAY`` is set.

``make test`` runs on the real date; ``make test-frozen`` (CI) on a fixed awkward day;
``make test-dates`` on each awkward day in turn (docs/testing.md).
"""

from __future__ import annotations

import importlib

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from core import roles
from core.setup import ensure_role_groups
from suppliers.models import Site, Supplier, SupplierMembership
from tests import clock

TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "celery_worker_with_db"}


def _transactional(node) -> bool:
    """A test that commits for real (and is flushed after): one of the fixtures above or
    ``@pytest.mark.django_db(transaction=True)``."""
    marker = node.get_closest_marker("django_db")
    return bool(TRANSACTIONAL_FIXTURES & set(getattr(node, "fixturenames", ()))
                or (marker is not None and marker.kwargs.get("transaction")))
_RUN_TRAVEL = pytest.StashKey[time_machine.travel]()


def pytest_configure(config):
    """Check ``ESG_TEST_TODAY`` and, when it names a day, freeze the clock on it for the whole
    run (collection and session fixtures included); each test then restarts at its noon."""
    from django.conf import settings

    try:
        day = clock.requested_day()
    except clock.InvalidTestDay as error:
        raise pytest.UsageError(str(error)) from None
    if day is not None:
        travel = time_machine.travel(clock.start_of_test(settings.TIME_ZONE), tick=True)
        travel.start()
        config.stash[_RUN_TRAVEL] = travel


def pytest_unconfigure(config):
    travel = config.stash.get(_RUN_TRAVEL, None)
    if travel is not None:
        travel.stop()
        del config.stash[_RUN_TRAVEL]


def pytest_report_header(config):
    day = clock.requested_day()
    if day is None:
        return f"test day: the real date (set {clock.ENV_VAR}=YYYY-MM-DD to freeze the clock)"
    return f"test day: {day.isoformat()} ({clock.ENV_VAR}; real_clock tests are skipped)"


def pytest_collection_modifyitems(session, config, items):
    """Mark tests that need the real clock (``real_clock``) and skip them on a frozen day; run
    transactional tests (live server, real worker) last, as Django's runner does with
    TransactionTestCase: the flush after each of them also removes what data migrations seed."""
    day = clock.requested_day()
    for item in items:
        if clock.REAL_CLOCK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_clock)
        if day is not None and item.get_closest_marker("real_clock"):
            item.add_marker(pytest.mark.skip(
                reason=f"needs the real clock (another process or a browser); {clock.ENV_VAR}={day.isoformat()}"))
    transactional = [item for item in items if _transactional(item)]
    if transactional:
        items[:] = [item for item in items if item not in transactional] + transactional


@pytest.fixture(autouse=True)
def _test_clock(request):
    """Move the clock to the start of the test day for the test (see the module docstring);
    ``real_clock`` tests keep the real clock."""
    if request.node.get_closest_marker("real_clock"):
        yield
        return
    from django.conf import settings

    with time_machine.travel(clock.start_of_test(settings.TIME_ZONE), tick=True):
        yield


@pytest.fixture(autouse=True)
def _process_caches():
    """Every test starts without the coverage bodies a previous test's requests kept in this
    process (``scoring.serving.coverage_body``): rolled-back ids and times can repeat."""
    from scoring import serving

    serving.forget_bodies()
    yield
    serving.forget_bodies()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language and leaves it: a test that activates
    Chinese (a request with that language, ``translation.activate``) cannot change the
    language of the tests after it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests start after another one's flush: put back what the data
    migrations seed (RBA provisions, deadline rules, methodology v1, schedules)."""
    if not _transactional(request.node):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from audits.models import Provision
    from scoring.models import Methodology

    if not Provision.objects.exists():
        importlib.import_module("audits.migrations.0002_seed_provisions_and_deadlines").seed(apps, None)
    if not Methodology.objects.exists():
        importlib.import_module("scoring.migrations.0002_methodology_v1").create_v1(apps, None)


@pytest.fixture
def make_supplier(db):
    counter = {"n": 0}

    def make(code=None, **fields):
        counter["n"] += 1
        defaults = {"code": code or f"S-{counter['n']:03d}", "name": f"Supplier {counter['n']}", "country": "CN",
                    "category": "production"}
        defaults.update(fields)
        return Supplier.objects.create(**defaults)

    return make


@pytest.fixture
def make_site(db):
    counter = {"n": 0}

    def make(supplier, code=None, **fields):
        counter["n"] += 1
        defaults = {"code": code or f"{supplier.code}-F{counter['n']}", "name": f"Factory {counter['n']}",
                    "country": supplier.country, "is_production": True, "status": "active"}
        defaults.update(fields)
        return Site.objects.create(supplier=supplier, **defaults)

    return make


@pytest.fixture
def own_supplier(make_supplier):
    return make_supplier("OWN-1", name="深圳华强电子有限公司")


@pytest.fixture
def other_supplier(make_supplier):
    return make_supplier("OTHER-1", name="Other Components GmbH", country="DE")


@pytest.fixture
def role_users(db, own_supplier):
    """A user per role; the supplier user belongs to ``own_supplier``."""
    ensure_role_groups()
    User = get_user_model()
    users = {}
    for role in roles.ROLES:
        user = User.objects.create_user(username=role, password="pw-" + role)
        user.groups.add(Group.objects.get(name=role))
        users[role] = user
    SupplierMembership.objects.create(user=users[roles.SUPPLIER_USER], supplier=own_supplier)
    users["no_role"] = User.objects.create_user(username="nobody", password="pw-nobody")
    return users


@pytest.fixture
def staff_as(role_users):
    """A browser logged in to the admin as the user of ``role`` (made staff; what it may
    do there is its role's)."""

    def client_for(role: str) -> Client:
        user = role_users[role]
        user.is_staff = True
        user.save()
        client = Client()
        client.force_login(user)
        return client

    return client_for


@pytest.fixture
def api_as(role_users):
    def client_for(role: str | None) -> APIClient:
        client = APIClient()
        if role is not None:
            client.force_authenticate(role_users[role])
        return client

    return client_for
