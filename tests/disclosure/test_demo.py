"""seed_demo fills disclosure data: factors with a default, two years of inventories for
larger suppliers, site provinces and addresses; the list and the estimate run on it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from core.quarter import Quarter
from disclosure.models import EmissionFactor, EmissionInventory
from disclosure.selectors import emissions_estimate, supplier_list
from suppliers.models import Site

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False)
def test_seed_demo_fills_disclosure_data():
    call_command("seed_demo", "--suppliers", "40", "--seed", "5", "--no-scores", stdout=io.StringIO())
    assert EmissionFactor.objects.filter(commodity="*").exists()
    years = sorted(set(EmissionInventory.objects.values_list("year", flat=True)))
    assert years == [2024, 2025]  # the demo's last quarter is 2026-Q3: Y may be 2024 or 2025
    assert Site.objects.exclude(address="").count() == Site.objects.count()
    assert Site.objects.exclude(province="").exists()
    quarter = Quarter.parse("2026-Q3")
    report = emissions_estimate(quarter)
    assert report["methods"]["supplier_specific"]["suppliers"] > 0
    assert report["methods"]["not_estimated"]["suppliers"] == 0  # the default factor covers everyone
    assert len(supplier_list(quarter)) > 0
