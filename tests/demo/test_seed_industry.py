"""seed_demo's industry files: a smelter list with history, CMRT/EMRT reports read from
generated RMI workbooks, third-party lists matched to suppliers, and the review queues."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from disclosure.models import MineralsReport, Smelter, SmelterStatus
from scoring.models import EcoVadisScorecard, IndicatorValue, MatchReview
from suppliers.models import SupplierMembership

pytestmark = pytest.mark.django_db


def test_demo_shows_minerals_reports_third_party_values_and_the_queues(client):
    out = io.StringIO()
    call_command("seed_demo", "--suppliers", "40", "--seed", "3", "--no-scores", stdout=out)
    assert "demo.industry.seed_industry_files: " in out.getvalue()
    assert Smelter.objects.count() == 56
    assert SmelterStatus.objects.values("as_of").distinct().count() == 2
    reports = MineralsReport.objects.all()
    assert reports.filter(template="cmrt", state="accepted").count() >= 10
    assert reports.filter(template="emrt", state="accepted").exists()
    waiting = reports.get(state="submitted")
    assert SupplierMembership.objects.get(user__username="supplier").supplier == waiting.supplier
    assert waiting.smelters.exists()
    assert EcoVadisScorecard.objects.count() >= 10
    assert IndicatorValue.objects.filter(source__startswith="CDP climate", origin="import").exists()
    assert MatchReview.objects.filter(status="pending").exists()
    client.force_login(get_user_model().objects.get(username="analyst"))
    page = client.get(f"/suppliers/{waiting.supplier.code}/minerals/")
    assert "counted smelters are RMAP-conformant" in page.content.decode()
    assert waiting in client.get("/scorecard/minerals/").context["page"].object_list
