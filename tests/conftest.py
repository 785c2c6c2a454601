"""Shared fixtures: one user per role, two suppliers (ours and another), an API client."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from core import roles
from core.setup import ensure_role_groups
from suppliers.models import Site, Supplier, SupplierMembership


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
