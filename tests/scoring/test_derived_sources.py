"""Derived sources (scorecard.md section 9): ENV-01, ENV-02 and ENV-05 from yearly GHG
inventories, computed by hand at every boundary; the methodology option (API, validation,
publishing); the source recorded with every stored indicator.

Quarter 2026-Q3: D = 2026-09-30, so Y lies in 2024 … 2025 and ENV-05 may read 2023 as Y-1.
"""

from __future__ import annotations

import dataclasses
import io
from decimal import Decimal

import pandas as pd
import pytest
from django.core.management import call_command

from core import roles
from scoring.inputs import INVENTORY_COLUMNS
from scoring.methodology import V1
from scoring.models import QuarterlyScore
from tests.scoring.test_engine import PERFECT_VALUES, Case

EMISSIONS_V1 = dataclasses.replace(V1, indicators=tuple(
    dataclasses.replace(spec, source="emissions") if spec.code in ("ENV-01", "ENV-02", "ENV-05") else spec
    for spec in V1.indicators))


def inventory(supplier_id, year, scope1, market=None, location=None, scope3=None, revenue=None, currency=None):
    def dec(value):
        return None if value is None else Decimal(str(value))

    return {"supplier_id": supplier_id, "year": year, "scope1_tco2e": dec(scope1), "scope2_market_tco2e": dec(market),
            "scope2_location_tco2e": dec(location), "scope3_tco2e": dec(scope3), "revenue": dec(revenue),
            "revenue_currency": currency or ("USD" if revenue is not None else "")}


class EmissionsCase(Case):
    def __init__(self):
        super().__init__()
        self.inventories = []

    def inventory(self, code, year, scope1, **kwargs):
        self.inventories.append(inventory(self.id(code), year, scope1, **kwargs))

    def inputs(self):
        inputs = super().inputs()
        frame = pd.DataFrame(self.inventories, columns=INVENTORY_COLUMNS)
        frame["supplier_id"] = frame["supplier_id"].astype("int64")
        frame["year"] = frame["year"].astype("int64")
        return dataclasses.replace(inputs, inventories=frame)


def entries(result, code):
    points = result.points[result.points["indicator_code"] == code]
    supplier_codes = dict(zip(result.scores["supplier_id"], result.scores["supplier_code"], strict=True))
    return {supplier_codes[row.supplier_id]: (row.raw, None if row.points != row.points else row.points, row.status,
                                              row.source)
            for row in points.itertuples()}


def test_emissions_source_hand_computed_at_every_boundary():
    case = EmissionsCase()
    # A: Y = 2025, market-based in both years. I(2025) = (100 + 10) / 1000, I(2024) = (90 + 10) / 1000:
    # +10% → 0 points. Scope 3 of 0 counts as given. A reported ENV-01 "false" is ignored.
    case.supplier("A", "100")
    case.inventory("A", 2025, 100, market=10, location=99, scope3=0, revenue=1000)
    case.inventory("A", 2024, 90, market=10, location=1, revenue=1000)
    case.value("A", "ENV-01", "false")
    # B: Y exactly two years before (2024; 2026 is not a reporting year yet at D); 2023 has only a
    # location figure → location-based: I(2024) = 50/1000, I(2023) = 100/1000 → -50% → 100 points.
    case.supplier("B", "90")
    case.inventory("B", 2026, 1, market=1, revenue=1)
    case.inventory("B", 2024, 45, market=5, location=5, revenue=1000)
    case.inventory("B", 2023, 90, location=10, revenue=1000)
    # C: revenue in another currency in Y-1 → ENV-05 missing; a reported ENV-05 is ignored (no fallback).
    case.supplier("C", "80")
    case.inventory("C", 2025, 10, location=0, revenue=100, currency="USD")
    case.inventory("C", 2024, 10, location=0, revenue=100, currency="EUR")
    case.value("C", "ENV-05", "-10")
    # D: intensity(Y-1) = 0 → missing; E: only an inventory three years before → ENV-01/02 false.
    case.supplier("D", "70")
    case.inventory("D", 2025, 5, market=0, revenue=10)
    case.inventory("D", 2024, 0, market=0, revenue=10)
    case.supplier("E", "60")
    case.inventory("E", 2023, 5, market=1, scope3=1, revenue=10)
    case.value("E", "ENV-01", "true")
    # F: market only in Y, location only in Y-1 → neither in both years → missing; +5% would have been 25.
    case.supplier("F", "50")
    case.inventory("F", 2025, 100, market=5, revenue=100)
    case.inventory("F", 2024, 100, location=0, revenue=100)
    # G: exactly +5%: I(2025) = 105/100, I(2024) = 100/100 → (10 - 5) / 20 × 100 = 25 points.
    case.supplier("G", "40")
    case.inventory("G", 2025, 100, location=5, revenue=100)
    case.inventory("G", 2024, 100, location=0, revenue=100)

    result = case.run(EMISSIONS_V1)
    env01, env02, env05 = (entries(result, code) for code in ("ENV-01", "ENV-02", "ENV-05"))
    assert {code: entry[:3] for code, entry in env01.items()} == {
        "A": (True, 100.0, "value"), "B": (True, 100.0, "value"), "C": (True, 100.0, "value"),
        "D": (True, 100.0, "value"), "E": (False, 0.0, "value"), "F": (True, 100.0, "value"),
        "G": (True, 100.0, "value")}
    assert {code: entry[0] for code, entry in env02.items()} == {
        "A": True, "B": False, "C": False, "D": False, "E": False, "F": False, "G": False}
    assert env05["A"][2] == "value" and env05["A"][0] == pytest.approx(10.0, abs=1e-12) and env05["A"][1] == 0.0
    assert env05["B"][2] == "value" and env05["B"][0] == pytest.approx(-50.0, abs=1e-12) and env05["B"][1] == 100.0
    assert env05["G"][0] == pytest.approx(5.0, abs=1e-12) and env05["G"][1] == pytest.approx(25.0, abs=1e-9)
    assert {code: env05[code][2] for code in "CDEF"} == dict.fromkeys("CDEF", "missing")
    assert {entry[3] for entry in (*env01.values(), *env05.values())} == {"emissions"}
    assert set(entries(result, "ENV-03")["A"][3:]) == {"reported"}
    # ghg_disclosure reads the derived ENV-01: everyone but E (60 of 490).
    ghg = result.coverage["metrics"]["ghg_disclosure"]
    assert ghg["share"] == pytest.approx(430 / 490, abs=1e-15)
    assert [g["supplier"] for g in ghg["gaps"]] == ["E"]


def test_no_inventory_at_all_gives_false_and_missing_and_v1_ignores_inventories():
    case = EmissionsCase()
    case.supplier("A", "10")
    case.values_of("A", PERFECT_VALUES)
    derived = case.run(EMISSIONS_V1)
    assert entries(derived, "ENV-01")["A"][:3] == (False, 0.0, "value")
    assert entries(derived, "ENV-02")["A"][:3] == (False, 0.0, "value")
    assert entries(derived, "ENV-05")["A"][2] == "missing"
    case.inventory("A", 2025, 1, market=1)
    reported = case.run(V1)
    assert entries(reported, "ENV-01")["A"] == (True, 100.0, "value", "reported")
    assert entries(reported, "ENV-05")["A"][:3] == (-10.0, 100.0, "value")


# ------------------------------------------------------------------ the methodology option


@pytest.fixture
def admin(api_as, role_users):
    client = api_as(roles.PROCUREMENT_ADMIN)
    assert client.post("/api/v1/methodologies/drafts/", {"version": "v2", "based_on": "v1"}).status_code == 201
    return client


@pytest.mark.django_db
def test_v1_is_all_catalogue_sources(api_as, role_users):
    body = api_as(roles.PROCUREMENT_ADMIN).get("/api/v1/methodologies/v1/").json()
    sources = {row["code"]: row["source"] for row in body["indicators"]}
    assert {code for code, source in sources.items() if source == "audit"} == {f"RBA-0{i}" for i in range(1, 10)}
    assert {source for code, source in sources.items() if not code.startswith("RBA")} == {"reported"}


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "source", "message"), [
    ("ENV-03", "emissions", "ENV-03 cannot take the source 'emissions' (it serves ENV-01, ENV-02, ENV-05)"),
    ("MIN-05", "minerals_reports",
     "MIN-05 cannot take the source 'minerals_reports' (it serves MIN-01, MIN-02, MIN-03, MIN-04)"),
    ("ESG-04", "emissions", "ESG-04 cannot take the source 'emissions'"),
    ("RBA-01", "reported", "RBA-01 is audit-derived; its source cannot change"),
    ("ENV-01", "cdp", "unknown source 'cdp'"),
])
def test_a_source_not_allowed_for_the_indicator_is_refused(admin, code, source, message):
    response = admin.post("/api/v1/methodologies/v2/weights/", [{"code": code, "source": source}], format="json")
    assert response.status_code == 400
    assert message in str(response.json()["source"])
    row = admin.get("/api/v1/methodologies/v2/").json()["indicators"]
    assert {r["code"]: r["source"] for r in row}[code] in ("audit", "reported")


@pytest.mark.django_db
def test_draft_takes_env_from_inventories_and_stored_scores_record_the_source(admin, own_supplier, make_site):
    from disclosure.models import EmissionInventory
    from suppliers.models import SpendRecord

    changed = admin.post("/api/v1/methodologies/v2/weights/",
                         [{"code": code, "source": "emissions"} for code in ("ENV-01", "ENV-02", "ENV-05")],
                         format="json")
    assert changed.status_code == 200, changed.json()
    sources = {row["code"]: row["source"] for row in changed.json()["indicators"]}
    assert [sources[c] for c in ("ENV-01", "ENV-02", "ENV-05", "ENV-03")] == ["emissions"] * 3 + ["reported"]
    diff = admin.get("/api/v1/methodologies/v1/diff/?other=v2").json()
    assert diff["indicators"]["ENV-05"]["v2"]["source"] == "emissions"
    assert admin.post("/api/v1/methodologies/v2/publish/").status_code == 200

    SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q3", currency="USD", amount=100)
    EmissionInventory.objects.create(supplier=own_supplier, year=2025, scope1_tco2e=95, scope2_market_tco2e=0,
                                     revenue=100, revenue_currency="USD")
    EmissionInventory.objects.create(supplier=own_supplier, year=2024, scope1_tco2e=100, scope2_market_tco2e=0,
                                     scope3_tco2e=5, revenue=100, revenue_currency="USD")
    # A submission not yet accepted does not count.
    EmissionInventory.objects.create(supplier=own_supplier, year=2023, scope1_tco2e=1, scope2_market_tco2e=0,
                                     revenue=100, revenue_currency="USD", state="submitted")
    call_command("recalculate_scores", "--quarter", "2026-Q3", "--methodology", "v2", stdout=io.StringIO())
    score = QuarterlyScore.objects.get(supplier=own_supplier, quarter="2026-Q3")
    assert score.points["ENV-01"] == {"raw": True, "points": 100.0, "status": "value", "source": "emissions"}
    assert score.points["ENV-02"] == {"raw": False, "points": 0.0, "status": "value", "source": "emissions"}
    assert score.points["ENV-05"]["raw"] == pytest.approx(-5.0)
    assert score.points["ENV-05"]["points"] == pytest.approx(75.0)
    assert score.points["ENV-05"]["source"] == "emissions"
    assert score.points["ENV-03"]["source"] == "reported"
    assert score.points["RBA-09"]["source"] == "audit"


@pytest.mark.django_db
def test_esg04_may_take_the_training_source(admin):
    changed = admin.post("/api/v1/methodologies/v2/weights/", [{"code": "ESG-04", "source": "training"}],
                         format="json")
    assert changed.status_code == 200, changed.json()
    assert {r["code"]: r["source"] for r in changed.json()["indicators"]}["ESG-04"] == "training"
    back = admin.post("/api/v1/methodologies/v2/weights/", [{"code": "ESG-04", "source": "reported"}], format="json")
    assert {r["code"]: r["source"] for r in back.json()["indicators"]}["ESG-04"] == "reported"


def test_the_engine_and_the_derived_sources_import_without_django():
    """``scoring.derived`` takes the RMI look-up words from ``disclosure.rmi_constants`` (plain
    constants), not from the template reader that imports the models."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    from disclosure import rmi
    from scoring import derived

    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", "import scoring.engine, scoring.derived; import sys; "
                             "sys.exit('django.apps' in sys.modules and 'disclosure.models' in sys.modules)"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert tuple(derived.MINERALS_METALS) == (rmi.CMRT, rmi.EMRT)
