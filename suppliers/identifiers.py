"""Supplier identifiers for matching third-party lists (docs/industry-files.md, "Matching").

``lei`` (Legal Entity Identifier, ISO 17442: 20 characters, the last two check digits by
ISO 7064 MOD 97-10), ``duns`` (Dun & Bradstreet D-U-N-S number: 9 digits), ``ecovadis_id``
and ``cdp_account`` (the platforms' own ids: identifiers as contract.md defines them). Each
parser takes the text as typed, returns the stored form, and raises ``CellError`` with the
reason; the model validators, the supplier import, the API and the third-party imports all
use these functions.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

from core.parsers import CellError, normalize_identifier

IDENTIFIER_FIELDS = ("lei", "duns", "ecovadis_id", "cdp_account")
IDENTIFIER_LABELS = {"lei": "LEI", "duns": "DUNS", "ecovadis_id": "EcoVadis id", "cdp_account": "CDP account"}

_LEI = re.compile(r"[0-9A-Z]{18}[0-9]{2}")
_DUNS_SEPARATORS = re.compile(r"[\s\-]")


def lei_checksum_ok(lei: str) -> bool:
    """ISO 7064 MOD 97-10 as ISO 17442 uses it: letters A–Z count 10–35, the number mod 97 is 1."""
    return int("".join(str(int(char, 36)) for char in lei)) % 97 == 1


def parse_lei(text: str) -> str:
    """``'5493001kjtiigc8y1r12 '`` → ``'5493001KJTIIGC8Y1R12'``; refuses a wrong length,
    characters other than ASCII letters and digits, or wrong check digits."""
    lei = unicodedata.normalize("NFKC", text).strip().upper()
    if len(lei) != 20:
        raise CellError(f"'{text}' is not an LEI: an LEI has 20 characters, this one {len(lei)}")
    if not _LEI.fullmatch(lei):
        raise CellError(f"'{text}' is not an LEI: 18 letters or digits followed by 2 check digits")
    if not lei_checksum_ok(lei):
        raise CellError(f"'{text}' is not an LEI: its check digits are wrong (ISO 17442, MOD 97-10)")
    return lei


def parse_duns(text: str) -> str:
    """``'12-345-6789'`` → ``'123456789'``: exactly 9 digits once spaces and hyphens are removed."""
    duns = _DUNS_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    if not (len(duns) == 9 and duns.isascii() and duns.isdigit()):
        raise CellError(f"'{text}' is not a DUNS number: 9 digits")
    return duns


def _platform_id(what: str):
    def parse(text: str) -> str:
        value = normalize_identifier(text)
        if len(value) > 64:
            raise CellError(f"'{text}' is not {what}: at most 64 characters")
        return value

    return parse


parse_ecovadis_id = _platform_id("an EcoVadis id")
parse_cdp_account = _platform_id("a CDP account")

PARSERS = {"lei": parse_lei, "duns": parse_duns, "ecovadis_id": parse_ecovadis_id,
           "cdp_account": parse_cdp_account}


def optional_parser(field: str):
    """The parser of ``field`` for an import column or API field where empty means "none"."""
    parse = PARSERS[field]
    return lambda text: "" if not text.strip() else parse(text)


def _validator(field: str):
    def validate(value: str) -> None:
        if not value:
            return
        try:
            stored = PARSERS[field](value)
        except CellError as exc:
            raise ValidationError(str(exc)) from exc
        if stored != value:
            raise ValidationError(f"store the {IDENTIFIER_LABELS[field]} as '{stored}'")

    validate.__name__ = validate.__qualname__ = f"validate_{field}"
    return validate


validate_lei = _validator("lei")
validate_duns = _validator("duns")
validate_ecovadis_id = _validator("ecovadis_id")
validate_cdp_account = _validator("cdp_account")


def assignment_errors(assignments: list[tuple[int, str, dict[str, str]]]) -> list[tuple[int, str, str]]:
    """Uniqueness of identifiers being given to suppliers, for a whole file in one query per
    identifier: ``assignments`` are (line, supplier code, {field: parsed value}); returns
    (line, field, message) for a value another supplier holds, or one given to two suppliers
    in the same file."""
    from suppliers.models import Supplier

    errors = []
    for field in IDENTIFIER_FIELDS:
        wanted = {values[field] for _, _, values in assignments if values.get(field)}
        if not wanted:
            continue
        owners = dict(Supplier.objects.filter(**{f"{field}__in": wanted}).values_list(field, "code"))
        first: dict[str, tuple[int, str]] = {}
        for line, code, values in assignments:
            value = values.get(field)
            if not value:
                continue
            owner = owners.get(value)
            if owner is not None and owner != code:
                errors.append((line, field, f"{value} is already the {IDENTIFIER_LABELS[field]} of supplier {owner}"))
            elif value in first and first[value][1] != code:
                errors.append((line, field, f"{value} is also given to supplier {first[value][1]} "
                                            f"in row {first[value][0]}"))
            first.setdefault(value, (line, code))
    return errors
