"""The coverage metric ``foc`` (scorecard.md section 9, "Factory of Choice coverage"),
computed by hand at every boundary and checked against the independent reference.

Quarter 2026-Q3: D = 2026-09-30. A recognition without ``expires_on`` runs to the day
before awarded_on + 24 months: awarded 2024-10-01 → last day 2026-09-30 (= D, valid),
awarded 2024-09-30 → last day 2026-09-29 (not valid at D).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pandas as pd
import pytest

from audits.dates import recognition_default_expiry
from scoring.inputs import RECOGNITION_COLUMNS
from tests.scoring import reference as ref
from tests.scoring.test_engine import Case

D = dt.date(2026, 9, 30)


class FocCase(Case):
    def __init__(self):
        super().__init__()
        self.recognitions = []
        self.raw_sites = []
        self.raw_recognitions = []
        self._site_codes = {}

    def site(self, code, is_production=True, status="active"):
        site_id = super().site(code, is_production, status)
        site_code = f"SITE-{site_id}"
        self._site_codes[site_id] = site_code
        self.raw_sites.append({"site_code": site_code, "supplier_code": code, "is_production": is_production,
                               "status": status})
        return site_id

    def recognition(self, site_id, awarded_on, expires_on=None, program="rba_foc"):
        self.recognitions.append({"site_id": site_id, "program": program, "awarded_on": awarded_on,
                                  "expires_on": expires_on or recognition_default_expiry(awarded_on)})
        self.raw_recognitions.append({"site_code": self._site_codes[site_id], "program": program,
                                      "awarded_on": awarded_on, "expires_on": expires_on})

    def inputs(self):
        inputs = super().inputs()
        frame = pd.DataFrame(self.recognitions, columns=RECOGNITION_COLUMNS)
        frame["site_id"] = frame["site_id"].astype("int64")
        for column in ("awarded_on", "expires_on"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        return type(inputs)(**{**inputs.__dict__, "recognitions": frame})

    def reference_foc(self):
        """The reference's foc metric on the same rows (spend built so that bases match)."""
        denominator = [(row["supplier_code"], Fraction(row["basis"])) for row in self.population
                       if row["supplier_code"] in {s["supplier_code"] for s in self.raw_sites
                                                   if s["is_production"] and s["status"] == "active"}]
        denominator.sort(key=lambda pair: (-pair[1], pair[0]))
        satisfied = ref.foc_recognised(self.raw_sites, self.raw_recognitions, D)
        metric, share = ref._metric(denominator, satisfied, ref.TARGET)
        return metric, share


def test_default_expiry_is_the_day_before_awarded_plus_24_months():
    assert recognition_default_expiry(dt.date(2024, 10, 1)) == dt.date(2026, 9, 30)
    assert recognition_default_expiry(dt.date(2024, 9, 30)) == dt.date(2026, 9, 29)
    # Section 1 month arithmetic: 29 Feb + 24 months is 28 Feb; the day before is 27 Feb.
    assert recognition_default_expiry(dt.date(2024, 2, 29)) == dt.date(2026, 2, 27)
    assert recognition_default_expiry(dt.date(2024, 2, 29)) == ref.recognition_last_day(
        {"awarded_on": dt.date(2024, 2, 29), "expires_on": None})


def test_foc_at_every_boundary_hand_computed():
    case = FocCase()
    # A: awarded exactly on D (valid).
    case.supplier("A", "100")
    case.recognition(case.site("A"), D)
    # B: expires exactly on D (valid); a non-relevant site without recognition is ignored
    # (one not in production, one closed).
    case.supplier("B", "90")
    case.recognition(case.site("B"), dt.date(2025, 1, 1), dt.date(2026, 9, 30))
    case.site("B", is_production=False)
    case.site("B", status="closed")
    # C: default expiry exactly on D (valid).
    case.supplier("C", "80")
    case.recognition(case.site("C"), dt.date(2024, 10, 1))
    # E: default expiry the day before D (not valid).
    case.supplier("E", "70")
    case.recognition(case.site("E"), dt.date(2024, 9, 30))
    # F: awarded the day after D (not valid yet); expired the day before D on a second site.
    case.supplier("F", "60")
    case.recognition(case.site("F"), D + dt.timedelta(days=1))
    case.supplier("G", "50")
    case.recognition(case.site("G"), dt.date(2025, 1, 1), dt.date(2026, 9, 29))
    # H: two relevant sites, only one recognised (not covered).
    case.supplier("H", "40")
    case.recognition(case.site("H"), dt.date(2026, 1, 1))
    case.site("H")
    # I: another program does not count.
    case.supplier("I", "30")
    case.recognition(case.site("I"), dt.date(2026, 1, 1), program="other")
    # J: no relevant site at all (only a closed production site): not in the denominator.
    case.supplier("J", "1000")
    case.recognition(case.site("J", status="closed"), dt.date(2026, 1, 1))
    # K: no site at all: not in the denominator either.
    case.supplier("K", "500", population="ecovadis_only")

    foc = case.run().coverage["metrics"]["foc"]
    # Denominator A..I = 100+90+80+70+60+50+40+30 = 520; numerator A+B+C = 270.
    assert foc["share"] == pytest.approx(270 / 520, abs=1e-15)
    assert foc["met"] is False
    assert foc["target"] == 0.95
    assert [(g["supplier"], g["spend"]) for g in foc["gaps"]] == [
        ("E", 70.0), ("F", 60.0), ("G", 50.0), ("H", 40.0), ("I", 30.0)]
    assert [g["cumulative_share"] for g in foc["gaps"]] == pytest.approx(
        [340 / 520, 400 / 520, 450 / 520, 490 / 520, 1.0], abs=1e-15)

    expected, exact_share = case.reference_foc()
    assert exact_share == Fraction(270, 520)
    assert foc["share"] == float(exact_share)
    assert foc["met"] == expected["met"]
    assert foc["gaps"] == expected["gaps"]


def test_foc_ties_by_code_met_exactly_at_target_and_empty_denominator():
    case = FocCase()
    case.supplier("B", "2.5")
    case.site("B")
    case.supplier("A", "2.5")
    case.site("A")
    case.supplier("Z", "95")
    case.recognition(case.site("Z"), dt.date(2026, 3, 31))
    foc = case.run().coverage["metrics"]["foc"]
    assert foc["share"] == 0.95
    assert foc["met"] is True  # exactly the target
    assert [(g["supplier"], g["cumulative_share"]) for g in foc["gaps"]] == [("A", 0.975), ("B", 1.0)]

    empty = FocCase()
    empty.supplier("A", "10")
    empty.site("A", is_production=False)
    assert empty.run().coverage["metrics"]["foc"] == {"share": 1.0, "target": 0.95, "met": True, "gaps": []}
