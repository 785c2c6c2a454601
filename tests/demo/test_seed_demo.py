"""seed_demo: a reproducible demo with one login per role and computed scores."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from core import roles
from demo.users import DEMO_USERS
from scoring.models import QuarterlyScore, ScoreRun
from suppliers.models import SpendRecord, Supplier, SupplierMembership

pytestmark = pytest.mark.django_db


def snapshot():
    return (list(Supplier.objects.order_by("code").values_list("code", "name", "country", "status")),
            list(SpendRecord.objects.order_by("supplier__code", "quarter", "currency")
                 .values_list("supplier__code", "quarter", "currency", "amount")))


def test_same_seed_gives_the_same_supply_base():
    with transaction.atomic():
        call_command("seed_demo", "--suppliers", "25", "--seed", "7", "--no-scores", stdout=io.StringIO())
        first = snapshot()
        transaction.set_rollback(True)
    call_command("seed_demo", "--suppliers", "25", "--seed", "7", "--no-scores", stdout=io.StringIO())
    assert snapshot() == first
    assert len(first[0]) == 25


def test_demo_has_logins_per_role_scores_and_is_kept_on_a_second_run():
    out = io.StringIO()
    call_command("seed_demo", "--suppliers", "40", "--seed", "3", stdout=out)
    runs = ScoreRun.objects.filter(status="succeeded")
    assert runs.filter(preview=False).count() == 4  # four quarters on the portfolio trends
    preview = runs.get(preview=True)  # the draft v2 what-if on the last quarter
    assert (preview.methodology.version, preview.methodology.is_published) == ("v2", False)
    assert preview.quarter == runs.filter(preview=False).order_by("-quarter").first().quarter
    from scoring.models import QuarterOfficial

    assert set(QuarterOfficial.objects.values_list("methodology__version", flat=True)) == {"v1"}
    assert QuarterlyScore.objects.exists()
    assert any("·" in name or not name.isascii() for name in Supplier.objects.values_list("name", flat=True))
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    for username, password, role, _ in DEMO_USERS:
        assert users[username].check_password(password)
        assert roles.role_of(users[username]) == role
    assert SupplierMembership.objects.count() == 2
    count = Supplier.objects.count()
    again = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=again)
    assert "kept" in again.getvalue()
    assert Supplier.objects.count() == count
