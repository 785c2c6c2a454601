"""The test clock of tests/conftest.py: every test runs on the test day (ESG_TEST_TODAY or
the real date), and the helpers of tests/clock.py date fixtures relative to it."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.utils import timezone

from core import quarter
from core.quarter import Quarter
from tests import clock


def test_every_clock_answers_the_test_day():
    assert time_machine.escape_hatch.is_travelling()
    day = clock.requested_day()
    expected = day or timezone.localdate(dt.datetime.fromtimestamp(clock.start_of_test("UTC"), dt.UTC))
    assert quarter.today() == timezone.localdate() == clock.today() == expected
    assert timezone.localdate(dt.datetime.fromtimestamp(time.time(), dt.UTC)) == expected
    assert abs(dt.datetime.now(dt.UTC) - timezone.now()) < dt.timedelta(minutes=1)
    if day is not None:
        assert clock.START_OF_TEST <= timezone.localtime().time() < dt.time(13)  # noon, ticking


def test_the_clock_ticks_from_the_start_of_the_test():
    first = timezone.now()
    time.sleep(0.01)
    assert timezone.now() > first


def test_helpers_are_relative_to_the_test_day():
    today = clock.today()
    assert clock.days_ago(700) == today - dt.timedelta(days=700)
    assert clock.days_ago(-30) == today + dt.timedelta(days=30)
    assert clock.months_ago(24) == quarter.months_before(today, 24)
    assert clock.current_quarter() == Quarter.containing(today)
    assert clock.last_closed_quarter() == clock.quarters_ago(1) == Quarter.containing(today).previous()
    assert clock.last_closed_quarter().as_of < today


def test_a_test_moves_further_with_the_time_machine_fixture(time_machine):
    time_machine.move_to(dt.datetime(2030, 6, 15, 9, tzinfo=dt.UTC))
    assert quarter.today() == dt.date(2030, 6, 15)
    time_machine.shift(dt.timedelta(days=20))
    assert quarter.today() == dt.date(2030, 7, 5)


def test_a_nested_travel_comes_back_to_the_test_day():
    today = clock.today()
    with time_machine.travel(dt.datetime(2030, 6, 15, 9, tzinfo=dt.UTC)):
        assert quarter.today() == dt.date(2030, 6, 15)
    assert quarter.today() == today


@pytest.mark.parametrize("text", ["2028-02-30", "29.02.2028", "20280229", "2028-2-29", "tomorrow"])
def test_an_invalid_test_day_is_refused(monkeypatch, text):
    monkeypatch.setenv(clock.ENV_VAR, text)
    with pytest.raises(clock.InvalidTestDay, match="expected YYYY-MM-DD"):
        clock.requested_day()


@pytest.mark.parametrize(("text", "day"), [("", None), (" ", None), ("2028-02-29", dt.date(2028, 2, 29)),
                                           (" 2027-12-31 ", dt.date(2027, 12, 31))])
def test_a_requested_test_day_is_read(monkeypatch, text, day):
    monkeypatch.setenv(clock.ENV_VAR, text)
    assert clock.requested_day() == day


def test_start_of_test_is_noon_of_the_requested_day_in_the_time_zone(monkeypatch):
    monkeypatch.setenv(clock.ENV_VAR, "2028-03-31")
    start = dt.datetime.fromtimestamp(clock.start_of_test("Asia/Shanghai"), dt.UTC)
    # Noon in Shanghai, plus the real time the run has taken so far (never backwards).
    assert dt.datetime(2028, 3, 31, 4, tzinfo=dt.UTC) <= start < dt.datetime(2028, 3, 31, 16, tzinfo=dt.UTC)


@pytest.mark.real_clock
def test_real_clock_tests_keep_the_real_clock():
    assert clock.requested_day() is None  # skipped on a frozen day
    assert not time_machine.escape_hatch.is_travelling()
