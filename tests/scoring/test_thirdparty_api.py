"""The third-party lists through the API: multipart upload (procurement writers only), dry run
preview, row errors, and the match review queue (docs/industry-files.md)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from scoring.models import IndicatorValue, MatchReview
from tests.scoring.test_thirdparty import cdp, ecovadis, ev_row

pytestmark = pytest.mark.django_db

URL = "/api/v1/third-party-lists/{}/import/"


def upload(client, kind, data, **fields):
    return client.post(URL.format(kind), {"file": SimpleUploadedFile("list.csv", data, "text/csv"), **fields},
                       format="multipart")


@pytest.fixture
def acme(make_supplier):
    return make_supplier("ACME", legal_name="Acme Components GmbH", country="DE")


def test_dry_run_then_commit(api_as, acme):
    client = api_as("procurement_analyst")
    data = cdp(["Acme Components GmbH", "DE", "", "B", "2025"], ["Nobody", "US", "", "C", "2025"])
    preview = upload(client, "cdp", data, dry_run="true")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["matched"], body["unmatched"], body["dry_run"]) == (1, 1, True)
    assert body["rows"][0]["supplier"] == "ACME"
    assert not IndicatorValue.objects.exists()
    committed = upload(client, "cdp", data)
    assert committed.json()["created"] == 1
    assert IndicatorValue.objects.get().value == "B"


def test_row_errors_and_nothing_written(api_as, acme):
    response = upload(api_as("procurement_admin"), "cdp", cdp(["Acme Components GmbH", "DE", "", "B+", ""]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["column"] == "Climate Change Score"
    assert not IndicatorValue.objects.exists()


def test_mapping_as_json_and_unknown_columns_refused(api_as, acme):
    client = api_as("procurement_analyst")
    data = ecovadis(ev_row()).replace(b"Overall Score", b"Global Score")
    ok = upload(client, "ecovadis", data, mapping=json.dumps({"overall": "Global Score"}))
    assert ok.status_code == 200 and ok.json()["matched"] == 1
    bad = upload(client, "ecovadis", data, mapping=json.dumps({"grade": "Global Score"}))
    assert bad.status_code == 400


@pytest.mark.parametrize("role", ["viewer", "supplier_user"])
def test_only_procurement_writers_import(api_as, acme, role):
    response = upload(api_as(role), "cdp", cdp(["Acme Components GmbH", "DE", "", "B", ""]))
    assert response.status_code == 403
    assert not IndicatorValue.objects.exists()


def test_unknown_list_is_404(api_as):
    assert upload(api_as("procurement_admin"), "msci", b"a,b\n1,2\n").status_code == 404


def test_review_queue_confirm_and_reject(api_as, acme, make_supplier):
    make_supplier("BETA", legal_name="Beta Industries Ltd", country="GB")
    client = api_as("procurement_analyst")
    upload(client, "ecovadis", ecovadis(ev_row(name="Acme Componets GmbH", ev_id="EV-5"),
                                        ev_row(name="Beta Industry Ltd", country="GB")))
    assert api_as("supplier_user").get("/api/v1/match-reviews/").status_code == 403
    listed = api_as("viewer").get("/api/v1/match-reviews/?status=pending").json()["results"]
    assert len(listed) == 2
    by_name = {row["company_name"]: row["id"] for row in listed}
    assert api_as("viewer").post(f"/api/v1/match-reviews/{by_name['Beta Industry Ltd']}/reject/",
                                 {"comment": "x"}).status_code == 403
    confirmed = client.post(f"/api/v1/match-reviews/{by_name['Acme Componets GmbH']}/confirm/",
                            {"supplier_code": "ACME"}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    acme.refresh_from_db()
    assert acme.ecovadis_id == "EV-5"
    rejected = client.post(f"/api/v1/match-reviews/{by_name['Beta Industry Ltd']}/reject/", {"comment": ""},
                           format="json")
    assert rejected.status_code == 400
    rejected = client.post(f"/api/v1/match-reviews/{by_name['Beta Industry Ltd']}/reject/",
                           {"comment": "not them"}, format="json")
    assert rejected.json()["status"] == "rejected"
    assert MatchReview.objects.filter(status="pending").count() == 0
    again = client.post(f"/api/v1/match-reviews/{by_name['Beta Industry Ltd']}/reject/", {"comment": "again"},
                        format="json")
    assert again.status_code == 400


def test_supplier_api_checks_identifiers(api_as, acme, make_supplier):
    client = api_as("procurement_admin")
    bad = client.patch(f"/api/v1/suppliers/{acme.pk}/", {"lei": "5493001KJTIIGC8Y1R13"}, format="json")
    assert bad.status_code == 400 and "lei" in bad.json()
    good = client.patch(f"/api/v1/suppliers/{acme.pk}/", {"lei": "5493001kjtiigc8y1r12", "duns": "12-345-6789"},
                        format="json")
    assert good.status_code == 200, good.content
    assert (good.json()["lei"], good.json()["duns"]) == ("5493001KJTIIGC8Y1R12", "123456789")
    other = make_supplier("OTHER2")
    taken = client.patch(f"/api/v1/suppliers/{other.pk}/", {"lei": "5493001KJTIIGC8Y1R12"}, format="json")
    assert taken.status_code == 400 and "already the LEI of supplier ACME" in str(taken.json())
