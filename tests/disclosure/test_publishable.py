"""Publication consent: the service, the portal toggle and the API field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from disclosure.services import supplier_set_publishable
from suppliers.models import Supplier
from tests.history import changes

pytestmark = pytest.mark.django_db


def test_service_requires_reason_and_records_change(own_supplier, role_users):
    with pytest.raises(ValidationError) as error:
        supplier_set_publishable(supplier=own_supplier, publishable=False, actor=role_users["procurement_analyst"],
                                 reason="  ")
    assert error.value.message_dict == {"reason": ["a reason is required"]}
    own_supplier.refresh_from_db()
    assert own_supplier.publishable is True
    supplier_set_publishable(supplier=own_supplier, publishable=False, actor=role_users["procurement_analyst"],
                             reason="NDA with the customer")
    own_supplier.refresh_from_db()
    assert own_supplier.publishable is False
    entry = changes(Supplier, "OWN-1", action="updated")[-1]
    assert (entry["changes"], entry["reason"], entry["user"]) == (
        {"publishable": [True, False]}, "NDA with the customer", "procurement_analyst")


def test_portal_toggle(own_supplier, role_users, client):
    client.force_login(role_users["procurement_analyst"])
    url = "/suppliers/OWN-1/publishable/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"publishable": "", "reason": ""}).status_code == 400
    own_supplier.refresh_from_db()
    assert own_supplier.publishable is True
    assert client.post(url, {"reason": "asked by the supplier"}).status_code == 302
    own_supplier.refresh_from_db()
    assert own_supplier.publishable is False
    assert "asked by the supplier" in client.get(url).content.decode()


def test_portal_toggle_needs_a_writer(own_supplier, role_users, client):
    for role in ("viewer", "supplier_user"):
        client.force_login(role_users[role])
        assert client.post("/suppliers/OWN-1/publishable/", {"reason": "x"}).status_code == 403
    own_supplier.refresh_from_db()
    assert own_supplier.publishable is True


def test_api_exposes_new_supplier_and_site_fields(own_supplier, make_site, api_as):
    make_site(own_supplier, "OWN-1-A", address="1 Road", province="Guangdong")
    client = api_as("procurement_analyst")
    response = client.patch(f"/api/v1/suppliers/{own_supplier.pk}/",
                            {"publishable": False, "lei": "529900T8BM49AURSDO55"}, format="json")
    assert response.status_code == 200
    assert (response.json()["publishable"], response.json()["lei"]) == (False, "529900T8BM49AURSDO55")
    assert changes(Supplier, "OWN-1", action="updated")[-1]["changes"]["publishable"] == [True, False]
    site = client.get("/api/v1/sites/", {"supplier__code": "OWN-1"}).json()["results"][0]
    assert (site["address"], site["province"]) == ("1 Road", "Guangdong")
