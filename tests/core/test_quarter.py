import datetime as dt

import pytest

from core.quarter import InvalidQuarter, Quarter, months_before, within_months_before


@pytest.mark.parametrize("text", ["2026Q3", "2026-Q5", "26-Q1", "2026-q3x", "", "2026-Q0", " 2026 -Q1"])
def test_malformed_quarters_are_rejected(text):
    with pytest.raises(InvalidQuarter):
        Quarter.parse(text)


def test_quarter_as_of_is_last_day():
    assert Quarter.parse("2026-Q3").as_of == dt.date(2026, 9, 30)
    assert Quarter.parse("2024-Q1").as_of == dt.date(2024, 3, 31)
    assert Quarter.parse("2026-Q4").as_of == dt.date(2026, 12, 31)


def test_window_is_four_quarters_ending_with_q_across_years():
    assert [str(q) for q in Quarter.parse("2026-Q2").window(4)] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]


def test_ordinals_are_consecutive():
    q = Quarter.parse("2025-Q4")
    assert q.next().ordinal == q.ordinal + 1
    assert str(q.next()) == "2026-Q1"
    assert Quarter.from_ordinal(q.ordinal) == q


def test_months_before_clamps_to_month_end():
    assert months_before(dt.date(2026, 9, 30), 24) == dt.date(2024, 9, 30)
    assert months_before(dt.date(2024, 2, 29), 12) == dt.date(2023, 2, 28)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)


def test_within_24_months_excludes_the_boundary_day():
    as_of = dt.date(2026, 9, 30)
    assert not within_months_before(dt.date(2024, 9, 30), as_of, 24)
    assert within_months_before(dt.date(2024, 10, 1), as_of, 24)
    assert within_months_before(as_of, as_of, 24)
    assert not within_months_before(dt.date(2026, 10, 1), as_of, 24)
    assert not within_months_before(None, as_of, 24)


@pytest.mark.parametrize("text", ["1000-Q1", "9999-Q4", "1949-Q4"])
def test_quarters_outside_business_years_are_rejected(text):
    with pytest.raises(InvalidQuarter, match="outside the years"):
        Quarter.parse(text)


def test_far_future_dates_are_a_cell_error_not_a_crash():
    from core.parsers import CellError, parse_date

    with pytest.raises(CellError, match="outside the years"):
        parse_date("9999-12-31")
    assert parse_date("2026-09-30") == dt.date(2026, 9, 30)


def test_current_quarter_and_future_guard():
    import datetime as dt

    from core.quarter import FutureQuarter, Quarter, current_quarter, ensure_not_future

    day = dt.date(2028, 3, 31)
    assert current_quarter(day) == Quarter(2028, 1)
    assert ensure_not_future(Quarter(2028, 1), day=day) == Quarter(2028, 1)
    assert ensure_not_future(Quarter(2027, 4), day=day) == Quarter(2027, 4)
    with pytest.raises(FutureQuarter, match="2028-Q2 is after the current quarter 2028-Q1"):
        ensure_not_future(Quarter(2028, 2), day=day)
