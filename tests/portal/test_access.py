"""Every page for every role: procurement reads everything, writers write, supplier users
see only their own supplier (404 for anyone else's pages and files), no role gets 403,
anonymous users go to the login page."""

from __future__ import annotations

import pytest

from suppliers.models import Document

ROLES = ["procurement_admin", "procurement_analyst", "viewer", "supplier_user", "no_role"]
PROCUREMENT = {"procurement_admin": 200, "procurement_analyst": 200, "viewer": 200, "supplier_user": 403,
               "no_role": 403}
EVERY_ROLE = {"procurement_admin": 200, "procurement_analyst": 200, "viewer": 200, "supplier_user": 200,
              "no_role": 403}
WRITERS = {"procurement_admin": 200, "procurement_analyst": 200, "viewer": 403, "supplier_user": 403,
           "no_role": 403}
OTHER_SUPPLIER = {"procurement_admin": 200, "procurement_analyst": 200, "viewer": 200, "supplier_user": 404,
                  "no_role": 403}

PAGES = [
    ("/dashboard/", PROCUREMENT),
    ("/dashboard/gaps/audit/", PROCUREMENT),
    ("/suppliers/", EVERY_ROLE),
    ("/suppliers/OWN-1/", EVERY_ROLE),
    ("/suppliers/OWN-1/values/", EVERY_ROLE),
    ("/suppliers/OWN-1/documents/", EVERY_ROLE),
    ("/suppliers/OWN-1/screening/", EVERY_ROLE),
    ("/suppliers/OTHER-1/", OTHER_SUPPLIER),
    ("/suppliers/OTHER-1/values/", OTHER_SUPPLIER),
    ("/suppliers/OTHER-1/documents/", OTHER_SUPPLIER),
    ("/suppliers/OTHER-1/screening/", OTHER_SUPPLIER),
    ("/suppliers/OWN-1/termination-review/", PROCUREMENT),
    ("/suppliers/OTHER-1/termination-review/", PROCUREMENT),
    ("/documents/expiring/", EVERY_ROLE),
    ("/audits/", EVERY_ROLE),
    ("/audits/planned/", EVERY_ROLE),
    ("/audits/new/", WRITERS),
    ("/audits/AUD-OWN-1/", EVERY_ROLE),
    ("/audits/AUD-OTHER-1/", OTHER_SUPPLIER),
    ("/findings/", EVERY_ROLE),
    ("/findings/F-OWN-1/", EVERY_ROLE),
    ("/findings/F-OTHER-1/", OTHER_SUPPLIER),
    ("/scorecard/methodologies/", PROCUREMENT),
    ("/scorecard/methodologies/v1/", PROCUREMENT),
    ("/scorecard/runs/", PROCUREMENT),
    ("/scorecard/values/", PROCUREMENT),
    ("/scorecard/lists/", WRITERS),
    ("/scorecard/matches/", PROCUREMENT),
    ("/reports/", EVERY_ROLE),
    ("/screening/", PROCUREMENT),
    ("/notifications/", EVERY_ROLE),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("url", "expected"), PAGES, ids=[url for url, _ in PAGES])
def test_page_answers_each_role(world, client_as, role, url, expected):
    response = client_as(role).get(url)
    assert response.status_code == expected[role], response.content[:300]


@pytest.mark.parametrize(("url", "_expected"), PAGES, ids=[url for url, _ in PAGES])
def test_anonymous_users_are_sent_to_login(world, client, url, _expected):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_run_page_is_for_procurement(world, client_as):
    assert client_as("viewer").get(f"/scorecard/runs/{world.run.pk}/").status_code == 200
    assert client_as("supplier_user").get(f"/scorecard/runs/{world.run.pk}/").status_code == 403


def test_home_sends_each_role_to_its_start_page(world, client_as):
    assert client_as("procurement_analyst").get("/")["Location"] == "/dashboard/"
    assert client_as("supplier_user").get("/")["Location"] == "/suppliers/OWN-1/"
    assert client_as("no_role").get("/").status_code == 403


def test_supplier_user_lists_never_show_another_supplier(world, client_as):
    client = client_as("supplier_user")
    for url in ("/suppliers/", "/findings/?status=all", "/audits/", "/audits/planned/", "/documents/expiring/"):
        body = client.get(url).content.decode()
        assert "OTHER-1" not in body, url


def test_supplier_user_gets_404_for_another_suppliers_file(world, client_as, role_users):
    from django.core.files.base import ContentFile

    document = Document(supplier=world.other, kind="policy", title="Policy", original_name="policy.pdf",
                        content_type="application/pdf", size=10)
    document.file.save("x.pdf", ContentFile(b"%PDF-1.4 x"), save=True)
    assert client_as("supplier_user").get(f"/documents/{document.pk}/download/").status_code == 404
    assert client_as("viewer").get(f"/documents/{document.pk}/download/").status_code == 200


@pytest.mark.parametrize(("url", "data"), [
    ("/suppliers/OTHER-1/values/", {"quarter": "2026-Q3", "indicator": "ENV-01", "value": "yes"}),
    ("/suppliers/OTHER-1/status/", {"status": "suspended", "reason": "x"}),
    ("/findings/F-OTHER-1/cap/save/", {"root_cause": "x"}),
    ("/suppliers/OTHER-1/screening/answer/", {}),
])
def test_supplier_user_cannot_write_for_another_supplier(world, client_as, url, data):
    response = client_as("supplier_user").post(url, data)
    assert response.status_code in (403, 404)
    if "status" not in url:
        assert response.status_code == 404


def test_viewer_cannot_write(world, client_as):
    viewer = client_as("viewer")
    assert viewer.post("/suppliers/OWN-1/status/", {"status": "suspended", "reason": "x"}).status_code == 403
    assert viewer.post(f"/scorecard/values/{world.submitted.pk}/accept/").status_code == 403
    assert viewer.post("/scorecard/runs/", {"quarter": str(world.quarter)}).status_code == 403
    assert viewer.post("/findings/F-OWN-1/cap/approve/").status_code == 403
    assert viewer.post("/suppliers/OWN-1/values/", {}).status_code == 403
