"""Supplier owner (category manager): set by procurement writers in the portal and
recorded; "my suppliers" on the supplier list and the findings board."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from suppliers import services
from suppliers.models import Supplier
from tests.history import changes


def test_an_analyst_sets_the_owner_and_it_is_recorded(world, client_as, role_users):
    analyst = role_users["procurement_analyst"]
    client = client_as("procurement_analyst")
    assert "Set owner" in client.get(f"/suppliers/{world.own.code}/").content.decode()
    response = client.post(f"/suppliers/{world.own.code}/owner/", {"owner": analyst.pk, "reason": "Plastics category"})
    assert response.status_code == 302
    assert Supplier.objects.get(code=world.own.code).owner == analyst
    entry = changes(Supplier, world.own.code, action="updated")[-1]
    assert entry["changes"] == {"owner": [None, analyst.pk]} and entry["reason"] == "Plastics category"
    assert analyst.get_username() in client.get(f"/suppliers/{world.own.code}/").content.decode()
    client.post(f"/suppliers/{world.own.code}/owner/", {"owner": ""})
    assert Supplier.objects.get(code=world.own.code).owner is None


def test_a_viewer_neither_sees_nor_uses_the_owner_form(world, client_as, role_users):
    viewer = client_as("viewer")
    assert "Set owner" not in viewer.get(f"/suppliers/{world.own.code}/").content.decode()
    response = viewer.post(f"/suppliers/{world.own.code}/owner/", {"owner": role_users["viewer"].pk})
    assert response.status_code == 403
    assert Supplier.objects.get(code=world.own.code).owner is None


def test_only_an_analyst_or_admin_can_own_a_supplier(world, client_as, role_users):
    client_as("procurement_analyst").post(f"/suppliers/{world.own.code}/owner/", {"owner": role_users["viewer"].pk})
    assert Supplier.objects.get(code=world.own.code).owner is None
    with pytest.raises(ValidationError):
        services.supplier_set_owner(supplier=world.own, owner=role_users["viewer"],
                                    actor=role_users["procurement_admin"])
    with pytest.raises(PermissionDenied):
        services.supplier_set_owner(supplier=world.own, owner=role_users["procurement_analyst"],
                                    actor=role_users["viewer"])
    assert not [row for row in changes(Supplier) if "owner" in row["changes"]]


def test_my_suppliers_on_the_list_and_the_findings_board(world, client_as, role_users):
    analyst = role_users["procurement_analyst"]
    services.supplier_set_owner(supplier=world.own, owner=analyst, actor=analyst)
    client = client_as("procurement_analyst")
    listed = [s.code for s in client.get("/suppliers/?mine=1").context["page"].object_list]
    assert listed == [world.own.code]
    board = [f.finding_ref for f in client.get("/findings/?mine=1").context["page"].object_list]
    assert board == ["F-OWN-1"]
    admin = client_as("procurement_admin")
    assert list(admin.get("/suppliers/?mine=1").context["page"].object_list) == []
