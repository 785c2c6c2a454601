"""Which reported value counts (scorecard.md section 5): one ordering
(``scoring.inputs.VALUE_PRECEDENCE``) behind the SQL selector, the portal's breakdown and
the engine's pick over the values frame."""

import datetime as dt

import numpy as np
import pytest

from core.quarter import Quarter
from scoring import engine, selectors
from scoring.inputs import ScoringInputs, empty_frame
from scoring.models import Indicator, IndicatorValue

Q = Quarter.parse("2026-Q3")
T0 = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def values(own_supplier):
    def add(code, quarter, value, *, hours=0, state="accepted"):
        return IndicatorValue.objects.create(
            supplier=own_supplier, indicator=Indicator.objects.get(code=code), quarter=quarter, value=value,
            state=state, origin="submission", submitted_at=T0 + dt.timedelta(hours=hours))

    add("ENV-06", "2026-Q3", "10")                # latest quarter ...
    add("ENV-06", "2026-Q2", "20", hours=50)      # ... beats a later submission of an older quarter
    add("ENV-08", "2026-Q2", "30")
    add("ENV-08", "2026-Q2", "40", hours=1)       # same quarter: the latest submission
    add("ENV-08", "2026-Q2", "45", hours=2, state="submitted")  # not accepted: never counts
    add("ECO-01", "2026-Q1", "50")
    add("ECO-01", "2026-Q1", "60")                # same quarter and time: the higher id
    add("ESG-04", "2025-Q3", "70")                # outside the window
    add("MIN-02", "2026-Q4", "80")                # after Q: outside the window
    return own_supplier


EXPECTED = {"ENV-06": "10", "ENV-08": "40", "ECO-01": "60"}


def test_values_used_follows_section_5(values):
    used = selectors.values_used(Q, values.pk)
    assert {code: value.value for code, value in used.items()} == EXPECTED


def test_first_row_of_the_window_per_indicator_is_the_value_used(values):
    first = {}
    for value in selectors.values_in_window(Q).select_related("indicator"):
        first.setdefault(value.indicator.code, value.value)
    assert first == EXPECTED


def test_engine_pick_over_the_frame_agrees_with_the_selector(values):
    frame = selectors.values_frame(Q)
    population = empty_frame(["supplier_id", "supplier_code", "basis", "population"])
    population.loc[0] = [values.pk, values.code, 1, "full"]
    inputs = ScoringInputs(quarter=Q, population=population, sites=empty_frame([]), audits=empty_frame([]),
                           findings=empty_frame([]), values=frame, qbr=empty_frame([]))
    pop = engine._prepare_population(inputs.population)
    picks = engine._pick_values(inputs, pop)
    assert {code: str(strings[0]) for code, (positions, strings) in picks.items()} == EXPECTED
    assert all(np.array_equal(positions, [0]) for positions, _ in picks.values())
