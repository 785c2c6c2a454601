"""Matching rows of third-party lists to suppliers (docs/industry-files.md, "Matching").

One function, ``match_suppliers``, for every list (EcoVadis, CDP, SBTi), in this order:

1. **identifier**: a row's ``lei``, ``duns``, ``ecovadis_id`` or ``cdp_account`` equal to a
   supplier's (ignoring case) → ``matched``;
2. **exact legal name and country**: ``normalize_name`` of the row's name equal to that of the
   supplier's legal name (its name when it has no legal name), same country → ``matched``
   (several such suppliers, or a supplier holding a *different* value of the row's identifier:
   ``review``);
3. **fuzzy**: rapidfuzz's ``WRatio`` of the normalised names, same country when the row gives
   one, score ≥ ``FUZZY_THRESHOLD`` → ``review`` with up to ``FUZZY_CANDIDATES`` candidates. A
   fuzzy match never writes a value: procurement confirms or rejects it in the match review
   queue (``scoring.thirdparty``).
4. otherwise ``unmatched``.

All suppliers are read in one query, whatever the number of rows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from suppliers.identifiers import IDENTIFIER_FIELDS
from suppliers.models import Supplier

FUZZY_THRESHOLD = 85.0
FUZZY_CANDIDATES = 3

MATCHED, REVIEW, UNMATCHED = "matched", "review", "unmatched"

_SPACES = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """Trimmed, NFKC, case-folded, runs of white space collapsed to one space; legal-form
    suffixes are kept (``'ACME  GmbH '`` → ``'acme gmbh'``, never ``'acme'``)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


@dataclass(frozen=True)
class MatchQuery:
    name: str
    country: str = ""  # ISO 3166 alpha-2, or "" when the list gives none
    identifiers: dict[str, str] = field(default_factory=dict)  # field → parsed value


@dataclass(frozen=True)
class Candidate:
    supplier_id: int
    code: str
    name: str
    score: float

    def as_dict(self) -> dict:
        return {"supplier_id": self.supplier_id, "code": self.code, "name": self.name, "score": self.score}


@dataclass(frozen=True)
class MatchOutcome:
    status: str  # matched | review | unmatched
    supplier_id: int | None = None
    method: str = ""  # "lei", "duns", "ecovadis_id", "cdp_account", "name", "fuzzy" or ""
    candidates: tuple[Candidate, ...] = ()
    note: str = ""


@dataclass
class _Supplier:
    id: int
    code: str
    label: str
    country: str
    identifiers: dict[str, str]


def match_suppliers(queries: list[MatchQuery], *, threshold: float = FUZZY_THRESHOLD) -> list[MatchOutcome]:
    """One ``MatchOutcome`` per query, in order (see the module docstring for the rule)."""
    suppliers = [
        _Supplier(row["id"], row["code"], row["legal_name"] or row["name"], row["country"],
                  {name: row[name] for name in IDENTIFIER_FIELDS if row[name]})
        for row in Supplier.objects.values("id", "code", "name", "legal_name", "country", *IDENTIFIER_FIELDS)
    ]
    # Platform ids compared case-insensitively (``EV-9`` = ``ev-9``); LEI and DUNS are already canonical.
    by_identifier = {(name, value.casefold()): s for s in suppliers for name, value in s.identifiers.items()}
    by_name: dict[tuple[str, str], list[_Supplier]] = {}
    names: dict[str, dict[int, str]] = {}  # country ("" = all) → {index: normalised name}
    for index, s in enumerate(suppliers):
        normalised = normalize_name(s.label)
        by_name.setdefault((normalised, s.country), []).append(s)
        names.setdefault(s.country, {})[index] = normalised
        names.setdefault("", {})[index] = normalised
    return [_match_one(query, suppliers, by_identifier, by_name, names, threshold) for query in queries]


def _candidate(s: _Supplier, score: float) -> Candidate:
    return Candidate(s.id, s.code, s.label, round(float(score), 1))


def _match_one(query, suppliers, by_identifier, by_name, names, threshold) -> MatchOutcome:
    for name in IDENTIFIER_FIELDS:
        value = query.identifiers.get(name)
        if value and (name, value.casefold()) in by_identifier:
            return MatchOutcome(MATCHED, by_identifier[(name, value.casefold())].id, name)
    normalised = normalize_name(query.name)
    if not normalised:
        return MatchOutcome(UNMATCHED, note="no known identifier and no name")
    exact = by_name.get((normalised, query.country), []) if query.country else []
    if len(exact) == 1:
        other = _conflicting_identifier(query, exact[0])
        if other is None:
            return MatchOutcome(MATCHED, exact[0].id, "name")
        return MatchOutcome(REVIEW, candidates=(_candidate(exact[0], 100),), method="name",
                            note=f"same name and country, but the supplier's {other} differs from the list's")
    if len(exact) > 1:
        return MatchOutcome(REVIEW, candidates=tuple(_candidate(s, 100) for s in exact), method="name",
                            note="several suppliers have this legal name and country")
    choices = names.get(query.country if query.country else "", {})
    found = process.extract(normalised, choices, scorer=fuzz.WRatio, score_cutoff=threshold,
                            limit=FUZZY_CANDIDATES)
    if found:
        return MatchOutcome(REVIEW, method="fuzzy",
                            candidates=tuple(_candidate(suppliers[index], score) for _, score, index in found))
    return MatchOutcome(UNMATCHED, note="no supplier with this identifier or a similar name")


def _conflicting_identifier(query: MatchQuery, supplier: _Supplier) -> str | None:
    for name, value in query.identifiers.items():
        if value and supplier.identifiers.get(name, value).casefold() != value.casefold():
            return name
    return None
