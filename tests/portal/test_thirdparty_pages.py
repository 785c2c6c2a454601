"""Portal: third-party list upload → preview → commit, and the match review queue."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from scoring.models import IndicatorValue, MatchReview
from tests.scoring.test_thirdparty import cdp, ecovadis, ev_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(make_supplier):
    return make_supplier("ACME", legal_name="Acme Components GmbH", country="DE")


def test_upload_preview_then_commit(client_as, acme):
    client = client_as("procurement_analyst")
    data = cdp(["Acme Components GmbH", "DE", "", "B", "2025"], ["Acme Componnts GmbH", "DE", "", "C", "2025"],
               ["Nobody", "US", "", "C", "2025"])
    page = client.post("/scorecard/lists/", {"kind": "cdp", "file": SimpleUploadedFile("cdp.csv", data)})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Preview of cdp.csv" in text and "to review" in text
    assert not IndicatorValue.objects.exists()
    token = page.context["token"]
    committed = client.post("/scorecard/lists/commit/", {"token": token})
    assert committed.status_code == 302 and committed.url == "/scorecard/matches/"
    assert IndicatorValue.objects.get(supplier=acme).value == "B"
    assert MatchReview.objects.filter(status="pending").count() == 1
    again = client.post("/scorecard/lists/commit/", {"token": token}, follow=True)
    assert "expired" in again.content.decode()


def test_bad_file_shows_row_errors_and_writes_nothing(client_as, acme):
    page = client_as("procurement_admin").post(
        "/scorecard/lists/", {"kind": "cdp", "file": SimpleUploadedFile("cdp.csv", cdp(["Acme", "DE", "", "Z", ""]))})
    assert "row 2, column Climate Change Score" in page.content.decode()
    assert "token" not in page.context
    assert not IndicatorValue.objects.exists()


def test_review_page_confirm(client_as, acme):
    client = client_as("procurement_analyst")
    client.post("/scorecard/lists/", {"kind": "ecovadis", "file": SimpleUploadedFile(
        "ev.csv", ecovadis(ev_row(name="Acme Componnts GmbH", ev_id="EV-3")))})
    client.post("/scorecard/lists/commit/", {"token": client.session["thirdparty_pending"].popitem()[0]})
    review = MatchReview.objects.get()
    page = client_as("viewer").get("/scorecard/matches/")
    assert page.status_code == 200 and "Acme Componnts GmbH" in page.content.decode()
    assert client_as("viewer").post(f"/scorecard/matches/{review.pk}/confirm/",
                                    {"supplier_code": "ACME"}).status_code == 403
    client.post(f"/scorecard/matches/{review.pk}/confirm/", {"supplier_code": "ACME"})
    acme.refresh_from_db()
    assert acme.ecovadis_id == "EV-3"
    assert IndicatorValue.objects.filter(supplier=acme).count() == 5


@pytest.mark.parametrize("role", ["viewer", "supplier_user"])
def test_only_writers_upload(client_as, role):
    assert client_as(role).get("/scorecard/lists/").status_code == 403


def test_supplier_users_never_see_the_review_queue(client_as):
    assert client_as("supplier_user").get("/scorecard/matches/").status_code == 403
