"""Change decomposition (docs/scoring.md): method effect + data effect = total change, the
data effect split per indicator with explicit gate, population, rescaling and rounding lines."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import decomposition, engine
from scoring.decomposition import Result, data_lines
from scoring.methodology import V1

CODES = [spec.code for spec in V1.indicators]
STATUSES = [engine.VALUE, engine.MISSING, engine.NOT_APPLICABLE]


def _entry():
    return st.builds(lambda status, points, raw: {"status": status, "raw": raw if status == engine.VALUE else None,
                                                  "points": points if status == engine.VALUE else None},
                     st.sampled_from(STATUSES), st.floats(0, 100, allow_nan=False).map(lambda p: round(p, 6)),
                     st.integers(0, 5))


points_strategy = st.fixed_dictionaries({code: _entry() for code in CODES})
weights_strategy = st.lists(st.integers(0, 40).map(lambda w: Decimal(w) / 2), min_size=len(CODES),
                            max_size=len(CODES))


def _params(weights):
    return dataclasses.replace(V1, indicators=tuple(dataclasses.replace(spec, weight=weight)
                                                    for spec, weight in zip(V1.indicators, weights, strict=True)))


def _result(params, points, population, gated):
    scored = engine.score_from_points(params, points, population=population, gated=gated)
    return Result(score=scored.score, grade=scored.grade, population=population, gated=gated, points=points)


@settings(max_examples=300, deadline=None)
@given(old_weights=weights_strategy, new_weights=weights_strategy, before=points_strategy, after=points_strategy,
       populations=st.tuples(st.sampled_from([engine.FULL, engine.ECOVADIS_ONLY]),
                             st.sampled_from([engine.FULL, engine.ECOVADIS_ONLY])),
       gates=st.tuples(st.booleans(), st.booleans()))
def test_method_and_data_effects_add_up_to_the_total_change(old_weights, new_weights, before, after, populations,
                                                            gates):
    old, new = _params(old_weights), _params(new_weights)
    previous_old = _result(old, before, populations[0], gates[0])
    previous_new = _result(new, before, populations[0], gates[0])
    this = _result(new, after, populations[1], gates[1])
    method = previous_new.score - previous_old.score
    lines = data_lines(new, previous_new, this)
    data = sum((line.effect for line in lines), Decimal(0))
    total = this.score - previous_old.score
    assert abs(method + data - total) <= Decimal("0.01")
    assert method + data == total  # with its rounding line the split is exact to the cent
    split = [line for line in lines if line.kind != decomposition.ROUNDING]
    rounding = sum((line.effect for line in lines if line.kind == decomposition.ROUNDING), Decimal(0))
    # Each line is rounded to the cent (±0.005) and so are both scores (±0.005 each).
    assert abs(rounding) <= Decimal("0.01") + Decimal("0.005") * len(split)
    # Sorted by absolute effect, unchanged indicators left out.
    effects = [abs(line.effect) for line in split]
    assert effects == sorted(effects, reverse=True)
    for line in split:
        if line.kind == decomposition.INDICATOR:
            assert before[line.code] != after[line.code]


def test_a_weight_change_alone_is_all_method_effect():
    points = {spec.code: {"status": engine.VALUE, "raw": 1, "points": 40.0 + i} for i, spec in enumerate(V1.indicators)}
    new = _params([spec.weight * (2 if spec.code == "RBA-01" else 1) for spec in V1.indicators])
    previous_old, previous_new = _result(V1, points, engine.FULL, False), _result(new, points, engine.FULL, False)
    assert data_lines(new, previous_new, _result(new, points, engine.FULL, False)) == []
    assert previous_new.score != previous_old.score


def test_one_indicator_change_is_its_weight_share_times_its_points_change():
    points = {spec.code: {"status": engine.VALUE, "raw": 1, "points": 50.0} for spec in V1.indicators}
    moved = {**points, "RBA-04": {"status": engine.VALUE, "raw": 2, "points": 100.0}}
    lines = data_lines(V1, _result(V1, points, engine.FULL, False), _result(V1, moved, engine.FULL, False))
    share = float(V1.indicator("RBA-04").weight) / float(V1.total_weight)
    assert [(line.kind, line.code) for line in lines][:1] == [("indicator", "RBA-04")]
    assert lines[0].effect == Decimal(str(round(share * 50, 2)))


def test_an_indicator_becoming_not_applicable_shows_the_rescaling():
    points = {spec.code: {"status": engine.VALUE, "raw": 1, "points": 80.0} for spec in V1.indicators}
    points["ENV-01"] = {"status": engine.VALUE, "raw": True, "points": 0.0}
    after = {**points, "ENV-01": {"status": engine.NOT_APPLICABLE, "raw": None, "points": None}}
    before_result, after_result = _result(V1, points, engine.FULL, False), _result(V1, after, engine.FULL, False)
    lines = data_lines(V1, before_result, after_result)
    assert {line.kind for line in lines} >= {decomposition.RESCALING}
    assert sum((line.effect for line in lines), Decimal(0)) == after_result.score - before_result.score


@pytest.mark.parametrize(("gates", "kind"), [((False, True), "gate_on"), ((True, False), "gate_off")])
def test_a_gate_turning_on_or_off_is_one_line(gates, kind):
    points = {spec.code: {"status": engine.VALUE, "raw": 1, "points": 70.0} for spec in V1.indicators}
    before, after = _result(V1, points, engine.FULL, gates[0]), _result(V1, points, engine.FULL, gates[1])
    assert [(line.kind, line.effect) for line in data_lines(V1, before, after)] == [
        (kind, after.score - before.score)]


def test_a_population_change_is_one_line():
    points = {spec.code: {"status": engine.VALUE, "raw": 1, "points": 70.0} for spec in V1.indicators}
    before = _result(V1, points, engine.ECOVADIS_ONLY, False)
    after = _result(V1, {**points, "ECO-01": {"status": engine.VALUE, "raw": 5, "points": 20.0}}, engine.FULL, False)
    lines = data_lines(V1, before, after)
    assert [(line.kind, line.population_before, line.population_after) for line in lines] == [
        ("population", "ecovadis_only", "full")]


# --------------------------------------------------------------------------- stored results


@pytest.fixture
def two_quarters(db, own_supplier, other_supplier, make_site):
    from django.utils import timezone

    from scoring.models import Indicator, IndicatorValue
    from suppliers.models import SpendRecord

    make_site(own_supplier)
    for quarter in ("2026-Q2", "2026-Q3"):
        SpendRecord.objects.create(supplier=own_supplier, quarter=quarter, currency="USD", amount=900)
        SpendRecord.objects.create(supplier=other_supplier, quarter=quarter, currency="USD", amount=100)
    codes = {indicator.code: indicator for indicator in Indicator.objects.all()}
    for quarter, code, value in [("2026-Q2", "ECO-01", "60"), ("2026-Q2", "ENV-06", "50"),
                                 ("2026-Q3", "ECO-01", "70"), ("2026-Q3", "MIN-01", "true")]:
        IndicatorValue.objects.create(supplier=own_supplier, quarter=quarter, indicator=codes[code], value=value,
                                      state="accepted", submitted_at=timezone.now())


def test_the_decomposition_of_stored_scores_across_a_methodology_change(two_quarters, own_supplier, api_as):
    from core.quarter import Quarter
    from scoring import methodology_drafts, services

    q2, q3 = Quarter.parse("2026-Q2"), Quarter.parse("2026-Q3")
    services.score_run_now(quarter=q2, actor="test")
    services.score_run_now(quarter=q3, actor="test")
    same = decomposition.decompose(own_supplier.pk, q3)
    assert same.previous_new_source == decomposition.SAME and same.method_effect == 0
    assert same.data_effect == same.total and same.total != 0
    assert {line.code for line in same.indicator_lines} == {"ECO-01", "MIN-01"}
    history = api_as("procurement_admin").get(f"/api/v1/scores/history/{own_supplier.code}/").json()
    assert sum(Decimal(str(line["effect"])) for line in history[1]["effects"]) == Decimal(str(history[1]["change"]))
    assert [line["code"] for line in history[1]["moved_indicators"]] == [line.code for line in same.indicator_lines]

    draft = methodology_drafts.draft_create(version="v2", based_on=None, description="", actor="test")
    methodology_drafts.weights_set(methodology=draft, changes=[{"code": "ECO-01", "weight": "10"},
                                                               {"code": "ENV-06", "weight": "0"}], actor="test")
    services.methodology_publish(methodology=draft, actor="test")
    services.score_run_now(quarter=q3, methodology=draft, actor="test")
    computed = decomposition.decompose(own_supplier.pk, q3)
    assert computed.previous_new_source == decomposition.COMPUTED
    assert (computed.methodology, computed.previous_methodology) == ("v2", "v1")
    assert computed.method_effect + computed.data_effect == computed.total
    assert computed.method_effect != 0
    assert sum((line.effect for line in computed.lines), Decimal(0)) == computed.data_effect
    # The engine's answer for the previous inputs is the one a run of v2 on 2026-Q2 stores.
    preview = services.score_run_create(quarter=q2, methodology=draft, actor="test", preview=True)
    services.score_run_execute(run_id=preview.pk)
    stored = decomposition.decompose(own_supplier.pk, q3)
    assert stored.previous_new_source == decomposition.STORED
    assert stored.previous_score_new_method == computed.previous_score_new_method
    assert stored.lines == computed.lines

    body = api_as("supplier_user").get(f"/api/v1/scores/decomposition/{own_supplier.code}/?quarter=2026-Q3").json()
    assert (Decimal(str(body["method_effect"])) + Decimal(str(body["data_effect"]))
            == Decimal(str(body["total"])) == stored.total)
    assert [line["code"] for line in body["lines"] if line["kind"] == "indicator"] == [
        line.code for line in stored.indicator_lines]
    assert api_as("supplier_user").get("/api/v1/scores/decomposition/OTHER/?quarter=2026-Q3").status_code == 404


def test_the_decomposition_from_scores_already_read_is_the_same_without_reading_them(
        two_quarters, own_supplier, django_assert_num_queries):
    from core.quarter import Quarter
    from portal import selectors as portal_selectors
    from scoring import services

    q3 = Quarter.parse("2026-Q3")
    services.score_run_now(quarter=Quarter.parse("2026-Q2"), actor="test")
    services.score_run_now(quarter=q3, actor="test")
    scores = portal_selectors.stored_scores(own_supplier)
    card = portal_selectors.scorecard(own_supplier, "2026-Q3", scores)
    read = decomposition.decompose(own_supplier.pk, q3)
    with django_assert_num_queries(0):  # the official scores and the methodology's parameters are given
        given = decomposition.decompose(own_supplier.pk, q3, official=scores, params=card.params)
    assert given == read and given.lines and given.total != 0
    assert decomposition.decompose(own_supplier.pk, q3, official=scores[-1:]) is None  # no previous score given


def test_the_supplier_page_says_why_the_score_moved_largest_effect_first(two_quarters, own_supplier, role_users):
    from django.test import Client

    from core.quarter import Quarter
    from scoring import services

    services.score_run_now(quarter=Quarter.parse("2026-Q2"), actor="test")
    services.score_run_now(quarter=Quarter.parse("2026-Q3"), actor="test")
    client = Client()
    client.force_login(role_users["supplier_user"])
    page = client.get(f"/suppliers/{own_supplier.code}/?quarter=2026-Q3").content.decode()
    change = decomposition.decompose(own_supplier.pk, Quarter.parse("2026-Q3"))
    assert "Why the score moved since 2026-Q2" in page
    first, second = (line.code for line in change.indicator_lines)
    assert page.index(f"<strong>{first}</strong>", page.index("change-h")) < page.index(
        f"<strong>{second}</strong>", page.index("change-h"))
    assert "ENV-03" not in page[page.index("change-h"):page.index("Subscores")]  # unchanged: not listed


@pytest.mark.parametrize(("flags", "points", "gated", "expected_points"), [
    (None, None, False, {}),
    ([], {}, False, {}),
    ([engine.FLAG_TERMINATION_REVIEW], {"ECO-01": {"status": "value"}}, True, {"ECO-01": {"status": "value"}}),
    (("other", engine.FLAG_TERMINATION_REVIEW), None, True, {}),  # the engine's flags are tuples
    (("other",), None, False, {}),
])
def test_a_result_reads_stored_and_engine_columns_alike(flags, points, gated, expected_points):
    result = Result.read(score=Decimal("61.25"), grade="B", population=engine.FULL, flags=flags, points=points)
    assert result == Result(score=Decimal("61.25"), grade="B", population=engine.FULL, gated=gated,
                            points=expected_points)
