"""Calendar quarters written ``YYYY-Qn`` and the date arithmetic of scorecard.md section 1."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
# Business dates: a quarter outside these years is a typo, and windows around it must
# still be valid dates.
MIN_YEAR, MAX_YEAR = 1950, 2999


class InvalidQuarter(ValueError):
    """Raised for any text that is not a ``YYYY-Qn`` quarter."""


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    year: int
    number: int

    def __post_init__(self) -> None:
        if not (1 <= self.number <= 4) or not (1000 <= self.year <= 9999):
            raise InvalidQuarter(f"{self.year}-Q{self.number} is not a valid quarter")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``YYYY-Qn`` exactly; ``2026Q3``, ``2026-Q5`` and ``26-Q1`` are refused."""
        if not isinstance(text, str):
            raise InvalidQuarter(f"{text!r} is not a quarter; expected YYYY-Qn, e.g. 2026-Q3")
        match = _QUARTER_RE.match(text.strip())
        if not match:
            raise InvalidQuarter(f"'{text}' is not a quarter; expected YYYY-Qn, e.g. 2026-Q3")
        year = int(match.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InvalidQuarter(f"'{text}' is outside the years {MIN_YEAR}-{MAX_YEAR}")
        return cls(year, int(match.group(2)))

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def ordinal(self) -> int:
        """A running number: consecutive quarters differ by one."""
        return self.year * 4 + self.number - 1

    @classmethod
    def from_ordinal(cls, ordinal: int) -> Quarter:
        return cls(ordinal // 4, ordinal % 4 + 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def as_of(self) -> dt.date:
        """The quarter's last day: the as-of date D of every computation for it."""
        month = 3 * self.number
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def shift(self, quarters: int) -> Quarter:
        return Quarter.from_ordinal(self.ordinal + quarters)

    def previous(self) -> Quarter:
        return self.shift(-1)

    def next(self) -> Quarter:
        return self.shift(1)

    def window(self, length: int = 4) -> list[Quarter]:
        """The ``length`` quarters ending with this one, oldest first (Q-3 … Q by default)."""
        return [self.shift(offset) for offset in range(1 - length, 1)]

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` minus calendar months; the day is clamped to the target month's length."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def within_months_before(day: dt.date | None, as_of: dt.date, months: int) -> bool:
    """``as_of - months < day <= as_of`` (scorecard.md section 1)."""
    return day is not None and months_before(as_of, months) < day <= as_of


# --------------------------------------------------------------------------- the calendar guard
# The one home of "what day is it" and "no quarter after the current one" (contract.md,
# "Dates are plausible"): imports, value submissions, recalculations, tasks and commands
# all ask these functions, so a typo such as 2030-Q1 cannot become a quarter anywhere.


class FutureQuarter(InvalidQuarter):
    """A quarter after the current one (in the server's ``TIME_ZONE``)."""


_PINNED_TODAY: ContextVar[dt.date | None] = ContextVar("pinned_today", default=None)


def today() -> dt.date:
    """Today's date in the configured ``TIME_ZONE`` (the server's business day), or the day
    pinned by ``pinned_today`` for the work in progress."""
    pinned = _PINNED_TODAY.get()
    if pinned is not None:
        return pinned
    from django.utils import timezone

    return timezone.localdate()


@contextmanager
def pinned_today():
    """Within the block, ``today()`` is the day the block began: one import judges all its
    rows against the same day (and does not ask the clock a million times)."""
    token = _PINNED_TODAY.set(today())
    try:
        yield
    finally:
        _PINNED_TODAY.reset(token)


def current_quarter(day: dt.date | None = None) -> Quarter:
    """The quarter containing ``day`` (default: ``today()``)."""
    return _quarter_containing(day or today())


@lru_cache(maxsize=64)
def _quarter_containing(day: dt.date) -> Quarter:
    return Quarter.containing(day)


def ensure_not_future(quarter: Quarter, *, day: dt.date | None = None) -> Quarter:
    """Return ``quarter`` unchanged, or raise ``FutureQuarter`` when it lies after the
    current quarter: spend, indicator values, QBR components and recalculations cannot be
    for a quarter that has not begun."""
    current = current_quarter(day)
    if quarter > current:
        raise FutureQuarter(f"{quarter} is after the current quarter {current}")
    return quarter


# Business records begin in 2000 (contract.md, "Dates are plausible"); a date may lie ahead
# (a due date) by at most this many years.
PLAUSIBLE_FROM = dt.date(2000, 1, 1)
FUTURE_YEARS = 10


class ImplausibleDate(ValueError):
    """A date or quarter outside the plausible window of contract.md ("Dates are plausible")."""


def ensure_plausible_date(day: dt.date, *, what: str = "the date", future: bool = False,
                          today_: dt.date | None = None) -> dt.date:
    """Return ``day`` or raise ``ImplausibleDate``.

    Past events (a conducted audit, a finding opened or closed, a completion, an award:
    ``future=False``) lie between 2000-01-01 and today in ``TIME_ZONE``. Dates that may lie
    ahead (``future=True``: due dates) lie between 2000-01-01 and the end of the year ten
    years after today; their order against the opening date is the caller's check."""
    now = today_ or today()
    if day < PLAUSIBLE_FROM:
        raise ImplausibleDate(f"{what} {day.isoformat()} is before {PLAUSIBLE_FROM.isoformat()}")
    if future:
        latest = dt.date(now.year + FUTURE_YEARS, 12, 31)
        if day > latest:
            raise ImplausibleDate(f"{what} {day.isoformat()} is more than {FUTURE_YEARS} years ahead")
    elif day > now:
        raise ImplausibleDate(f"{what} {day.isoformat()} is after today ({now.isoformat()})")
    return day


def ensure_plausible_quarter(quarter: Quarter, *, day: dt.date | None = None) -> Quarter:
    """Return ``quarter``, or raise ``FutureQuarter`` (after the current quarter, see
    ``ensure_not_future``) or ``InvalidQuarter`` (before 2000): spend, indicator values and
    QBR components, from files, the API and the portal."""
    if quarter.year < PLAUSIBLE_FROM.year:
        raise InvalidQuarter(f"{quarter} is before {PLAUSIBLE_FROM.year}")
    return ensure_not_future(quarter, day=day)
