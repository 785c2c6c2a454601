"""Cell parsers shared by imports and the API: text in, typed value out, or ``CellError``
with a message a procurement user understands. Nothing is coerced silently."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import pycountry

from core.quarter import (
    MAX_YEAR,
    MIN_YEAR,
    ImplausibleDate,
    InvalidQuarter,
    Quarter,
    ensure_plausible_date,
    ensure_plausible_quarter,
    today,
)


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

    parse.accepts = _decimal_pattern(minimum, maximum, places, exclusive_minimum)
    return parse


def _decimal_pattern(minimum, maximum, places, exclusive_minimum) -> str | None:
    """A pattern (RE2 and ``re``) matching only texts ``decimal_parser`` accepts unchanged:
    ASCII digits with at most ``places`` decimals and few enough integer digits to lie within
    the bounds; ``None`` when the bounds leave no such simple rule. Column-wise validation
    (core/importing.py) accepts what matches and asks the parser about the rest."""
    if maximum is None or minimum is None or exclusive_minimum or Decimal(maximum) < 1 or Decimal(minimum) > -1:
        return None
    digits = min(len(str(int(Decimal(maximum)))), len(str(int(-Decimal(minimum))))) - 1
    fraction = "[0-9]*" if places is None else f"[0-9]{{0,{places}}}"
    tail = "[0-9]+" if places is None else f"[0-9]{{1,{places}}}" if places else None
    integer = f"[0-9]{{1,{digits}}}(\\.{fraction})?"
    return f"^[+-]?({integer}|\\.{tail})$" if tail else f"^[+-]?{integer}$"


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
    """``YYYY-Qn`` (an identifier: full-width digits are read, invisible characters refused)."""
    return _parse_quarter_text(text)


@lru_cache(maxsize=4096)
def _parse_quarter_text(text: str) -> Quarter:
    # A file repeats a handful of quarters a million times: parse each spelling once.
    try:
        return Quarter.parse(normalize_identifier(text.strip()))
    except InvalidQuarter as exc:
        raise CellError(str(exc)) from exc


@lru_cache(maxsize=1024)
def parse_country(text: str) -> str:
    code = normalize_identifier(text.strip()).upper()
    if code not in COUNTRY_CODES:
        raise CellError(f"'{text}' is not an ISO 3166 alpha-2 country code")
    return code


@lru_cache(maxsize=1024)
def parse_currency(text: str) -> str:
    code = normalize_identifier(text.strip()).upper()
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
        return check_text(text)

    return parse


def int_parser(*, choices: Iterable[int]) -> Callable[[str], int]:
    allowed = tuple(choices)

    def parse(text: str) -> int:
        cleaned = text.strip()
        if not cleaned.isdigit() or int(cleaned) not in allowed:
            raise CellError(f"'{text}' is not one of {', '.join(map(str, allowed))}")
        return int(cleaned)

    return parse


# --------------------------------------------------------------------------- identifiers and text
# contract.md: identifiers (codes, references) are trimmed, NFKC-normalised and made of ASCII
# letters, digits and -_./ only. One function for imports, the API and the portal.
_IDENTIFIER_RE = re.compile(r"[A-Za-z0-9._/-]+")  # used with fullmatch
_ALLOWED_CONTROLS = frozenset("\t\n\r")
# Format characters that join scripts (Persian, Indic, emoji sequences) are legitimate in names.
_ALLOWED_FORMAT = frozenset("\u200c\u200d")


def _character_name(char: str) -> str:
    name = unicodedata.name(char, "") or {
        "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\t": "CHARACTER TABULATION", "\x00": "NULL",
    }.get(char) or {
        "Co": "(a private-use character)", "Cn": "(an unassigned code point)", "Cs": "(a surrogate)",
        "Cc": "(a control character)",
    }.get(unicodedata.category(char), "")
    return f"U+{ord(char):04X} {name}".rstrip()


def normalize_identifier(text: str) -> str:
    """Return the identifier ``text`` trimmed and NFKC-normalised (full-width ``ＳＵＰ－００１``
    is ``SUP-001``), or raise ``CellError`` naming the first character that is not an ASCII
    letter, digit or one of ``-_./`` (a zero-width space, a no-break space, a non-breaking
    hyphen, a stray BOM, a line break...). Source: contract.md, "Dates are plausible"."""
    if _IDENTIFIER_RE.fullmatch(text):  # the common case: already clean ASCII
        return text
    cleaned = unicodedata.normalize("NFKC", text).strip(" ")
    if _IDENTIFIER_RE.fullmatch(cleaned):
        return cleaned
    if not cleaned:
        raise CellError("a value is required")
    # Name the character as written (a non-breaking hyphen, not the hyphen NFKC makes of it).
    bad = next((char for char in text.strip(" ") if not _IDENTIFIER_RE.fullmatch(unicodedata.normalize("NFKC", char))),
               None) or next(char for char in cleaned if not _IDENTIFIER_RE.fullmatch(char))
    return _refuse_character(text, bad, "a code may only hold ASCII letters, digits and - _ . /")


def _refuse_character(text: str, char: str, rule: str):
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    raise CellError(f"'{shown}' contains {_character_name(char)}; {rule}")


def check_text(text: str) -> str:
    """Return free text unchanged, or raise ``CellError`` naming an invisible or control
    character: C0/C1 controls other than tab and line breaks (NUL included), format
    characters such as the zero-width space, word joiner, BOM and bidi overrides,
    private-use and surrogate code points. Names keep their own matching rules
    (scorecard.md sections 9 and 11); this only keeps what cannot be seen out."""
    if text.isprintable():
        return text
    for char in text:
        if char in _ALLOWED_CONTROLS or char in _ALLOWED_FORMAT:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Co", "Cs", "Cn"):
            _refuse_character(text, char, "remove invisible and control characters")
    return text


def identifier_parser(*, max_length: int) -> Callable[[str], str]:
    """A parser for identifier columns (codes and references): ``normalize_identifier`` plus
    a length limit."""

    def parse(text: str) -> str:
        code = normalize_identifier(text)
        if len(code) > max_length:
            raise CellError(f"is longer than {max_length} characters")
        return code

    parse.accepts = f"^[A-Za-z0-9._/-]{{1,{max_length}}}$"  # returned as they are (see _decimal_pattern)
    return parse


# --------------------------------------------------------------------------- plausible dates
def past_date_parser(*, what: str = "the date") -> Callable[[str], dt.date]:
    """ISO date that has happened: not after today (``TIME_ZONE``) nor before 2000
    (``core.quarter.ensure_plausible_date``)."""
    def parse(text: str) -> dt.date:
        day = parse_date(text)
        try:
            return ensure_plausible_date(day, what=what)
        except ImplausibleDate as exc:
            raise CellError(str(exc)) from None

    return parse


def due_date_parser(*, what: str = "the due date") -> Callable[[str], dt.date]:
    """ISO date that may lie ahead, within the sane window of ``ensure_plausible_date``
    (2000 to ten years after today); callers check it against its opening date."""
    def parse(text: str) -> dt.date:
        day = parse_date(text)
        try:
            return ensure_plausible_date(day, what=what, future=True)
        except ImplausibleDate as exc:
            raise CellError(str(exc)) from None

    return parse


def parse_past_quarter(text: str) -> Quarter:
    """``YYYY-Qn`` not after the current quarter and not before 2000 (spend, indicator
    values, QBR components; contract.md "Dates are plausible";
    ``core.quarter.ensure_plausible_quarter``)."""
    return _past_quarter(text, today())


@lru_cache(maxsize=4096)
def _past_quarter(text: str, day: dt.date) -> Quarter:
    quarter = _parse_quarter_text(text)
    try:
        return ensure_plausible_quarter(quarter, day=day)
    except InvalidQuarter as exc:
        raise CellError(str(exc)) from None
