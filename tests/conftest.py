"""Shared fixtures: one user per role, two suppliers (ours and another), an API client."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from core import roles
from core.setup import ensure_role_groups
from suppliers.models import Site, Supplier, SupplierMembership

TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "celery_worker_with_db"}


def pytest_collection_modifyitems(session, config, items):
    """Run transactional tests (live server, real worker) last, as Django's runner does with
    TransactionTestCase: the flush after each of them also removes what data migrations seed."""
    transactional = [item for item in items if TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ()))]
    if transactional:
        items[:] = [item for item in items if item not in transactional] + transactional


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests start after another one's flush: put back what the data
    migrations seed (RBA provisions, deadline rules, methodology v1, schedules)."""
    if not TRANSACTIONAL_FIXTURES & set(request.fixturenames):
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
def api_as(role_users):
    def client_for(role: str | None) -> APIClient:
        client = APIClient()
        if role is not None:
            client.force_authenticate(role_users[role])
        return client

    return client_for
