"""Cell parsers shared by imports and the API: text in, typed value out, or ``CellError``
with a message a procurement user understands. Nothing is coerced silently."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

import pycountry

from core.quarter import MAX_YEAR, MIN_YEAR, InvalidQuarter, Quarter


class CellError(ValueError):
    """A single cell's value is unusable."""


TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n"}
COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)
CURRENCY_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies)
_DECIMAL_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"'{text}' is not a yes/no value; use true/false, yes/no, 1/0 or y/n")


def decimal_parser(*, minimum: Decimal | int | None = None, maximum: Decimal | int | None = None,
                   places: int | None = None, exclusive_minimum: bool = False) -> Callable[[str], Decimal]:
    """A parser for plain decimal numbers with a dot (no thousands separators, no exponent)."""

    def parse(text: str) -> Decimal:
        cleaned = text.strip()
        if not _DECIMAL_RE.match(cleaned):
            raise CellError(f"'{text}' is not a number (use digits with a dot as decimal separator)")
        try:
            value = Decimal(cleaned)
        except InvalidOperation as exc:  # pragma: no cover - the pattern already guards
            raise CellError(f"'{text}' is not a number") from exc
        if places is not None and -value.as_tuple().exponent > places:
            raise CellError(f"'{text}' has more than {places} decimal places")
        if minimum is not None:
            if exclusive_minimum and value <= minimum:
                raise CellError(f"{text} must be greater than {minimum}")
            if not exclusive_minimum and value < minimum:
                raise CellError(f"{text} is below the minimum {minimum}")
        if maximum is not None and value > maximum:
            raise CellError(f"{text} is above the maximum {maximum}")
        return value

    return parse


def parse_date(text: str) -> dt.date:
    cleaned = text.strip()
    if not _DATE_RE.match(cleaned):
        raise CellError(f"'{text}' is not an ISO date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(cleaned)
    except ValueError as exc:
        raise CellError(f"'{text}' is not a valid date") from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise CellError(f"'{text}' is outside the years {MIN_YEAR}-{MAX_YEAR}")
    return day


def parse_quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except InvalidQuarter as exc:
        raise CellError(str(exc)) from exc


def parse_country(text: str) -> str:
    code = text.strip().upper()
    if code not in COUNTRY_CODES:
        raise CellError(f"'{text}' is not an ISO 3166 alpha-2 country code")
    return code


def parse_currency(text: str) -> str:
    code = text.strip().upper()
    if code not in CURRENCY_CODES:
        raise CellError(f"'{text}' is not an ISO 4217 currency code")
    return code


def choice_parser(choices: Iterable[str], *, what: str = "value") -> Callable[[str], str]:
    """Exact codes, case-insensitive; the canonical spelling is returned."""
    canonical = {choice.lower(): choice for choice in choices}

    def parse(text: str) -> str:
        try:
            return canonical[text.strip().lower()]
        except KeyError:
            allowed = ", ".join(canonical.values())
            raise CellError(f"'{text}' is not a known {what}; expected one of: {allowed}") from None

    return parse


def text_parser(*, max_length: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > max_length:
            raise CellError(f"is longer than {max_length} characters")
        return text

    return parse


def int_parser(*, choices: Iterable[int]) -> Callable[[str], int]:
    allowed = tuple(choices)

    def parse(text: str) -> int:
        cleaned = text.strip()
        if not cleaned.isdigit() or int(cleaned) not in allowed:
            raise CellError(f"'{text}' is not one of {', '.join(map(str, allowed))}")
        return int(cleaned)

    return parse
