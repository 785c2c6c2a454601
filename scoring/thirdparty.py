"""Third-party lists into indicator values: EcoVadis scorecard exports (ECO-01…05), CDP climate
scores (ENV-03) and the SBTi target dashboard (ENV-04); docs/industry-files.md.

Each list is an ``Importer`` (core/importing.py: validate-then-commit, row errors, dry run)
whose columns are found through a **column mapping** (``column name → header in the file``,
defaults in ``DEFAULT_MAPPINGS``, any of them overridable per import). Rows are matched to
suppliers by ``suppliers.matching.match_suppliers``; then

- ``matched`` rows become ``accepted`` indicator values through the one door
  ``scoring.services.indicator_values_import`` (with their source recorded);
- ``to_review`` rows (a fuzzy or ambiguous name) become pending ``MatchReview`` rows and write
  nothing until procurement confirms one (``match_review_confirm``);
- ``unmatched`` rows are reported only;
- ``refused`` rows (an EcoVadis scorecard older than 12 months at import) give no value; a
  matched one is kept in ``EcoVadisScorecard`` with ``scored = false``.

A row that cannot be read (a bad score, an unknown CDP grade or SBTi status, a missing
required cell, a duplicate) refuses the whole file; unmatched and to-review rows never block
the matched ones.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

import pycountry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from core.history import actor_fields, record_bulk_history, stamp
from core.importing import NOT_GIVEN, Column, Importer, ImportFailed, Kind, RowError, normalize_header
from core.parsers import CellError, parse_bool, past_date_parser, text_parser
from core.quarter import ImplausibleDate, Quarter, ensure_plausible_date, months_before, today
from scoring.models import (
    EcoVadisMedal,
    EcoVadisScorecard,
    Indicator,
    MatchReview,
    MatchReviewStatus,
    ThirdPartyList,
)
from scoring.selectors import current_methodology, methodology_params
from scoring.services import ImportedValue, indicator_values_import
from scoring.values import canonical_value
from suppliers import identifiers
from suppliers.matching import MATCHED, REVIEW, UNMATCHED, MatchQuery, match_suppliers, normalize_name
from suppliers.models import Supplier
from suppliers.services import supplier_set_identifier

TO_REVIEW, REFUSED = "to_review", "refused"
ECOVADIS_VALID_MONTHS = 12


def ecovadis_scoring_limit(day: dt.date) -> dt.date:
    """The newest publication date an EcoVadis scorecard may have at ``day`` and still be
    refused for scoring: published ``ECOVADIS_VALID_MONTHS`` months or more before ``day``
    (that date or earlier) it is kept for history only."""
    return months_before(day, ECOVADIS_VALID_MONTHS)

# Column name → header in the file (normalised like every header: case, spaces, "-" and "_"
# do not matter). EcoVadis and CDP exports sit behind logins: these defaults are documented
# guesses, overridable per import (docs/industry-files.md). The SBTi defaults are the public
# target dashboard's ("Companies taking action") export.
DEFAULT_MAPPINGS = {
    ThirdPartyList.ECOVADIS: {
        "company_name": "Company Name", "country": "Country", "ecovadis_id": "EcoVadis ID", "lei": "LEI",
        "duns": "DUNS", "published_on": "Publication Date", "medal": "Medal", "overall": "Overall Score",
        "environment": "Environment Score", "labor_human_rights": "Labor & Human Rights Score",
        "ethics": "Ethics Score", "sustainable_procurement": "Sustainable Procurement Score",
    },
    ThirdPartyList.CDP: {
        "company_name": "Organization", "country": "Country", "cdp_account": "Account Number", "lei": "LEI",
        "duns": "DUNS", "score": "Climate Change Score", "year": "Disclosure Year",
    },
    ThirdPartyList.SBTI: {
        "company_name": "Company Name", "country": "Location", "lei": "LEI",
        "near_term_status": "Near term - Target Status", "long_term_status": "Long term - Target Status",
        "net_zero_committed": "Net-Zero Committed", "date": "Date",
    },
}

# EcoVadis column → indicator.
ECOVADIS_INDICATORS = {"overall": "ECO-01", "environment": "ECO-02", "labor_human_rights": "ECO-03",
                       "ethics": "ECO-04", "sustainable_procurement": "ECO-05"}

# SBTi dashboard statuses (normalised) → ENV-04 code; see ``sbti_status``.
SBTI_NEAR_TERM = {"targets set": "near_term_validated", "target set": "near_term_validated",
                  "committed": "committed", "commitment removed": "none", "removed": "none"}
SBTI_LONG_TERM = {"targets set": "net_zero_validated", "target set": "net_zero_validated",
                  "committed": None, "commitment removed": None, "removed": None}

# Country names the lists write that pycountry does not know by that name.
COUNTRY_ALIASES = {
    "taiwan": "TW", "south korea": "KR", "korea": "KR", "korea, republic of": "KR", "vietnam": "VN",
    "russia": "RU", "usa": "US", "united states of america": "US", "uk": "GB", "hong kong": "HK",
    "hong kong sar, china": "HK", "mainland china": "CN", "china, mainland": "CN", "macau": "MO",
    "macao sar, china": "MO", "turkey": "TR", "czech republic": "CZ", "iran": "IR", "laos": "LA",
}


class MappingRefused(DomainError):
    """A column mapping naming an unknown column."""

    status_code = 400


def parse_country_name(text: str) -> str:
    """An ISO 3166 alpha-2 or alpha-3 code or an English country name → alpha-2
    (``'Sweden'`` → ``'SE'``, ``'Taiwan'`` → ``'TW'``)."""
    key = normalize_name(text)
    if key in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[key]
    try:
        return pycountry.countries.lookup(unicodedata.normalize("NFKC", text).strip()).alpha_2
    except LookupError:
        raise CellError(f"'{text}' is not a country name or ISO 3166 code") from None


def parse_medal(text: str) -> str:
    key = normalize_name(text).removesuffix(" medal")
    if key in ("", "no", "none", "no medal", "-"):
        return EcoVadisMedal.NONE
    if key in EcoVadisMedal.values:
        return key
    raise CellError(f"'{text}' is not an EcoVadis medal; expected Platinum, Gold, Silver, Bronze or none")


def _status_parser(table: dict, what: str):
    def parse(text: str) -> str:
        key = normalize_name(text)
        if key not in table:
            raise CellError(f"'{text}' is not a known {what}; expected one of: Targets Set, Committed, "
                            "Commitment Removed")
        return key

    return parse


def sbti_status(near_term: str | None, long_term: str | None, net_zero_committed: bool | None) -> str:
    """The ENV-04 code of a dashboard row (docs/industry-files.md, "SBTi status mapping"):
    long-term targets set (validated under the Net-Zero Standard) → ``net_zero_validated``;
    else near-term "Targets Set" → ``near_term_validated``; else "Committed" (near-term, or
    Net-Zero Committed = yes) → ``committed``; "Commitment Removed" → ``none``."""
    if long_term and SBTI_LONG_TERM[long_term]:
        return SBTI_LONG_TERM[long_term]
    code = SBTI_NEAR_TERM.get(near_term or "")
    if code in ("near_term_validated", "none"):
        return code
    if code == "committed" or net_zero_committed:
        return "committed"
    return "none"


def _year(text: str) -> int:
    if not (len(text.strip()) == 4 and text.strip().isdigit()) or not 2000 <= int(text) <= today().year:
        raise CellError(f"'{text}' is not a year (YYYY, 2000 to this year)")
    return int(text)


_ID_PARSERS = {name: identifiers.PARSERS[name] for name in identifiers.IDENTIFIER_FIELDS}
_VALUE = text_parser(max_length=60)


def _columns(kind: str) -> tuple[Column, ...]:
    common = (
        Column("company_name", text_parser(max_length=255)),
        Column("country", parse_country_name, required=False, default="", kind=Kind.CODE),
        *(Column(name, _ID_PARSERS[name], required=False, default="", kind=Kind.CODE)
          for name in identifiers.IDENTIFIER_FIELDS if name in DEFAULT_MAPPINGS[kind]),
    )
    if kind == ThirdPartyList.ECOVADIS:
        return (*common,
                Column("published_on", past_date_parser(what="the publication date"), kind=Kind.DATE),
                Column("medal", parse_medal, required=False, default=EcoVadisMedal.NONE, kind=Kind.CHOICE),
                Column("overall", _VALUE, kind=Kind.VALUE),
                *(Column(name, _VALUE, required=False, kind=Kind.VALUE) for name in list(ECOVADIS_INDICATORS)[1:]))
    if kind == ThirdPartyList.CDP:
        return (*common, Column("score", _VALUE, kind=Kind.CODE),
                Column("year", _year, required=False, kind=Kind.CODE))
    return (*common,
            Column("near_term_status", _status_parser(SBTI_NEAR_TERM, "SBTi near-term target status"),
                   required=False, kind=Kind.CHOICE),
            Column("long_term_status", _status_parser(SBTI_LONG_TERM, "SBTi long-term target status"),
                   required=False, kind=Kind.CHOICE),
            Column("net_zero_committed", parse_bool, required=False, kind=Kind.BOOL),
            Column("date", past_date_parser(), required=False, kind=Kind.DATE))


@dataclass
class _Row:
    """What ``resolve`` worked out for a parsed row."""

    quarter: str
    values: dict[str, str]  # indicator code → canonical value
    match_key: str
    identifier: tuple[str, str]  # (field, value) or ("", "")
    status: str = ""
    supplier_id: int | None = None
    method: str = ""
    candidates: tuple = ()
    note: str = ""
    scorecard: dict | None = None


class ThirdPartyImporter(Importer):
    """``import_ecovadis``, ``import_cdp_scores``, ``import_sbti`` (contract.md, "Additions").

    ``mapping``: {column name: header in the file} overriding ``DEFAULT_MAPPINGS[list]``
    (unknown column names raise ``MappingRefused``); ``as_of``: the day the CDP or SBTi list was
    downloaded (default today), whose quarter the values take; an EcoVadis value takes the
    quarter of its scorecard's publication date. ``ImportResult.extra`` holds the counts
    ``matched``, ``to_review``, ``unmatched``, ``refused`` and ``rows`` (the preview: one dict per
    row with ``row``, ``company_name``, ``country``, ``status``, ``supplier``, ``method``,
    ``quarter``, ``values``, ``candidates``, ``note``)."""

    list_kind: str = ""
    key = ("company_name",)  # names the column of a duplicate-row error; the key is ``natural_key``

    def __init__(self, *, actor=None, mapping: dict[str, str] | None = None, as_of: dt.date | None = None):
        super().__init__(actor=actor)
        self.columns = _columns(self.list_kind)
        defaults = DEFAULT_MAPPINGS[self.list_kind]
        unknown = sorted(set(mapping or {}) - set(defaults))
        if unknown:
            raise MappingRefused(f"unknown column(s) in the mapping: {', '.join(unknown)}; "
                                 f"the columns are: {', '.join(defaults)}")
        self.mapping = {**defaults, **{k: v for k, v in (mapping or {}).items() if v and v.strip()}}
        if as_of is not None:
            try:
                ensure_plausible_date(as_of, what="the list's date")
            except ImplausibleDate as exc:
                raise MappingRefused(str(exc)) from exc
        self.as_of = as_of
        self.resolved: dict[int, _Row] = {}
        self.file_name = ""

    # -- headers through the mapping ----------------------------------------------------
    def run(self, source, *, dry_run: bool = False, filename: str = ""):
        if not filename:
            name = getattr(source, "name", "") or (source if isinstance(source, str | PurePath) else "")
            filename = PurePath(str(name)).name if name else ""
        self.file_name = filename
        try:
            return super().run(source, dry_run=dry_run, filename=filename)
        except ImportFailed as failure:
            raise ImportFailed([RowError(e.row, self.mapping.get(e.column, e.column), e.message)
                                for e in failure.errors], failure.warnings) from None

    def _header_positions(self, header, errors, *, line=1):
        wanted = {normalize_header(self.mapping[column.name]): column.name for column in self.columns}
        positions: dict[str, int] = {}
        for index, written in enumerate(header):
            name = wanted.get(normalize_header(written))
            if name is None:
                continue
            if name in positions:
                errors.append(RowError(line, name, "the column appears twice in the header"))
            positions[name] = index
        for column in self.columns:
            if column.required and column.name not in positions:
                errors.append(RowError(line, column.name, "required column is missing from the header "
                                                          f"(mapping of '{column.name}')"))
        return positions

    # -- per list -------------------------------------------------------------------------
    def identity(self, values: dict) -> tuple:
        for name in identifiers.IDENTIFIER_FIELDS:
            if values.get(name) not in (None, NOT_GIVEN, ""):
                return (name, values[name])
        return ("name", normalize_name(values["company_name"]), _given(values.get("country")))

    def natural_key(self, row):
        return (*self.identity(row.values), str(self.quarter_of(row.values)))

    def quarter_of(self, values: dict) -> Quarter:
        return Quarter.containing(self.as_of or today())

    def indicator_texts(self, values: dict) -> dict[str, str]:
        """Indicator code → the raw text (or code) to check with ``canonical_value``, and the
        column to blame for an error (``{code: (text, column)}``)."""
        raise NotImplementedError

    def source_text(self, values: dict) -> str:
        raise NotImplementedError

    def refusal(self, values: dict) -> str:
        """Why a readable row gives no value (empty: it does)."""
        return ""

    # -- resolve: values, matching, conflicts --------------------------------------------
    def resolve(self, rows, errors):
        specs = methodology_params(current_methodology())
        resolved, queries = {}, []
        for row in rows:
            values, canonical, bad = row.values, {}, False
            for code, (text, column) in self.indicator_texts(values).items():
                try:
                    canonical[code] = canonical_value(specs.indicator(code), text)
                except (CellError, KeyError) as exc:
                    errors.append(RowError(row.line, column, str(exc)))
                    bad = True
            if bad:
                continue
            identity = self.identity(values)
            identifier = identity[:2] if identity[0] != "name" else ("", "")
            quarter = str(self.quarter_of(values))
            resolved[row.line] = _Row(quarter=quarter, values=canonical, identifier=identifier,
                                      match_key="|".join(map(str, (*identity, quarter)))[:400])
            queries.append((row, MatchQuery(
                name=values["company_name"], country=_given(values.get("country")),
                identifiers={name: values[name] for name in identifiers.IDENTIFIER_FIELDS
                             if values.get(name) not in (None, NOT_GIVEN, "")})))
        outcomes = match_suppliers([query for _, query in queries])
        rejected = set(MatchReview.objects.filter(kind=self.list_kind, status=MatchReviewStatus.REJECTED,
                                                  match_key__in=[r.match_key for r in resolved.values()])
                       .values_list("match_key", flat=True))
        # A confirmed row without an identifier: the same name and country go to the same supplier.
        confirmed = {_identity_key(key): supplier_id for key, supplier_id in MatchReview.objects.filter(
            kind=self.list_kind, status=MatchReviewStatus.CONFIRMED, identifier_field="").order_by("decided_at")
            .values_list("match_key", "supplier_id")}
        for (row, _), outcome in zip(queries, outcomes, strict=True):
            item = resolved[row.line]
            item.supplier_id, item.method, item.note = outcome.supplier_id, outcome.method, outcome.note
            item.candidates = tuple(candidate.as_dict() for candidate in outcome.candidates)
            item.status = {MATCHED: MATCHED, REVIEW: TO_REVIEW, UNMATCHED: UNMATCHED}[outcome.status]
            alias = confirmed.get(_identity_key(item.match_key)) if not item.identifier[0] else None
            if item.status != MATCHED and alias is not None:
                item.status, item.supplier_id, item.method = MATCHED, alias, "confirmed"
                item.candidates, item.note = (), "name and country confirmed by procurement before"
            if item.status == TO_REVIEW and item.match_key in rejected:
                item.status, item.note = UNMATCHED, "procurement rejected this match before"
            reason = self.refusal(row.values)
            if reason:
                item.status, item.note = REFUSED, reason
            item.scorecard = self.scorecard(row.values, item.values)
        self._check_conflicts(rows, resolved, errors)
        self.resolved = resolved

    def scorecard(self, values: dict, canonical: dict[str, str]) -> dict | None:
        return None

    def _check_conflicts(self, rows, resolved, errors) -> None:
        first: dict[tuple, int] = {}
        codes = dict(Supplier.objects.filter(pk__in={r.supplier_id for r in resolved.values() if r.supplier_id})
                     .values_list("id", "code"))
        for row in rows:
            item = resolved.get(row.line)
            if item is None or item.supplier_id is None:
                continue
            key = (item.supplier_id, item.quarter)
            if key in first:
                errors.append(RowError(row.line, "company_name", f"row {first[key]} already gives supplier "
                                       f"{codes[item.supplier_id]} a value for {item.quarter}"))
            first.setdefault(key, row.line)

    # -- write --------------------------------------------------------------------------
    def write(self, rows, *, dry_run):
        indicator_ids = dict(Indicator.objects.values_list("code", "id"))
        source_of = {row.line: self.source_text(row.values) for row in rows}
        values = [ImportedValue(supplier_id=item.supplier_id, quarter=item.quarter, indicator_id=indicator_ids[code],
                                value=value, source=source_of[line])
                  for line, item in self.resolved.items() if item.status == MATCHED
                  for code, value in item.values.items()]
        result = indicator_values_import(values=values, actor=self.actor or self.name, dry_run=dry_run)
        if not dry_run:
            scorecards_store([(item.supplier_id, item.scorecard) for item in self.resolved.values()
                              if item.scorecard and item.supplier_id and item.status in (MATCHED, REFUSED)])
            self._queue_reviews(rows, source_of)
        counts = {status: sum(1 for item in self.resolved.values() if item.status == status)
                  for status in (MATCHED, TO_REVIEW, UNMATCHED, REFUSED)}
        result.extra = {**counts, "rows": self._preview(rows)}
        return result

    def _queue_reviews(self, rows, source_of) -> None:
        by_line = {row.line: row for row in rows}
        waiting = [(line, item) for line, item in self.resolved.items() if item.status == TO_REVIEW]
        existing = {r.match_key: r for r in MatchReview.objects.filter(
            kind=self.list_kind, status=MatchReviewStatus.PENDING, match_key__in=[i.match_key for _, i in waiting])}
        to_create, to_update = [], []
        for line, item in waiting:
            values = by_line[line].values
            fields = {
                "file_name": self.file_name[:255], "line": line, "company_name": values["company_name"][:255],
                "country": _given(values.get("country")), "identifier_field": item.identifier[0],
                "identifier_value": item.identifier[1], "quarter": item.quarter,
                "payload": {"values": item.values, "source": source_of[line], "scorecard": item.scorecard},
                "candidates": list(item.candidates), "note": item.note[:255],
            }
            review = existing.get(item.match_key)
            if review is None:
                to_create.append(MatchReview(kind=self.list_kind, match_key=item.match_key, **fields))
            elif any(getattr(review, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(review, name, value)
                to_update.append(review)
        MatchReview.objects.bulk_create(to_create)
        MatchReview.objects.bulk_update(to_update, ["file_name", "line", "company_name", "country",
                                                    "identifier_field", "identifier_value", "quarter", "payload",
                                                    "candidates", "note"])
        record_bulk_history(MatchReview, to_create)
        record_bulk_history(MatchReview, to_update, updated=True)

    def _preview(self, rows) -> list[dict]:
        codes = dict(Supplier.objects.filter(pk__in={i.supplier_id for i in self.resolved.values() if i.supplier_id})
                     .values_list("id", "code"))
        preview = []
        for row in rows:
            item = self.resolved[row.line]
            preview.append({
                "row": row.line, "company_name": row.values["company_name"],
                "country": _given(row.values.get("country")), "status": item.status,
                "supplier": codes.get(item.supplier_id, ""), "method": item.method, "quarter": item.quarter,
                "values": item.values, "candidates": list(item.candidates), "note": item.note,
            })
        return preview


def _identity_key(match_key: str) -> str:
    return match_key.rsplit("|", 1)[0]


def _given(value, default=""):
    return default if value in (None, NOT_GIVEN) else value


class EcoVadisImporter(ThirdPartyImporter):
    name = "import_ecovadis"
    list_kind = ThirdPartyList.ECOVADIS

    def quarter_of(self, values):
        return Quarter.containing(values["published_on"])

    def natural_key(self, row):
        return (*self.identity(row.values), str(row.values["published_on"]))

    def indicator_texts(self, values):
        return {code: (values[column], column) for column, code in ECOVADIS_INDICATORS.items()
                if values.get(column) not in (None, NOT_GIVEN)}

    def refusal(self, values):
        limit = ecovadis_scoring_limit(self.as_of or today())
        if values["published_on"] <= limit:
            return (f"published on {values['published_on']}, {ECOVADIS_VALID_MONTHS} months or more before "
                    f"the import ({limit} or earlier): kept for history, not scored")
        return ""

    def scorecard(self, values, canonical):
        return {"published_on": values["published_on"].isoformat(),
                "medal": _given(values["medal"], EcoVadisMedal.NONE),
                "scored": not self.refusal(values), "source": self.source_text(values),
                **{column: canonical.get(code) for column, code in ECOVADIS_INDICATORS.items()}}

    def source_text(self, values):
        return f"EcoVadis scorecard {values['published_on']} ({self.file_name})"[:200]


class CdpImporter(ThirdPartyImporter):
    name = "import_cdp_scores"
    list_kind = ThirdPartyList.CDP

    def indicator_texts(self, values):
        return {"ENV-03": (values["score"], "score")}

    def source_text(self, values):
        year = values.get("year")
        label = f"CDP climate {year}" if year not in (None, NOT_GIVEN) else "CDP climate"
        return f"{label} ({self.file_name})"[:200]


class SbtiImporter(ThirdPartyImporter):
    name = "import_sbti"
    list_kind = ThirdPartyList.SBTI

    def check_row(self, line, values, errors):
        if all(values.get(name) in (None, NOT_GIVEN) for name in ("near_term_status", "long_term_status",
                                                                   "net_zero_committed")):
            errors.append(RowError(line, "near_term_status", "a status is required (near-term, long-term or "
                                                             "net-zero committed)"))

    def indicator_texts(self, values):
        code = sbti_status(_given(values.get("near_term_status"), None), _given(values.get("long_term_status"), None),
                           _given(values.get("net_zero_committed"), None))
        return {"ENV-04": (code, "near_term_status")}

    def source_text(self, values):
        return f"SBTi target dashboard {self.as_of or today()} ({self.file_name})"[:200]


IMPORTERS = {ThirdPartyList.ECOVADIS: EcoVadisImporter, ThirdPartyList.CDP: CdpImporter,
             ThirdPartyList.SBTI: SbtiImporter}


# --------------------------------------------------------------------------- scorecards and reviews


def scorecards_store(cards: list[tuple[int, dict]]) -> None:
    """Upsert EcoVadis scorecards on (supplier, publication date), with their history."""
    if not cards:
        return
    existing = {(s.supplier_id, s.published_on): s for s in EcoVadisScorecard.objects.filter(
        supplier_id__in={supplier_id for supplier_id, _ in cards})}
    to_create, to_update = [], []
    for supplier_id, card in cards:
        fields = {"medal": card["medal"], "scored": card["scored"], "source": card["source"],
                  **{name: None if card[name] is None else Decimal(card[name]) for name in ECOVADIS_INDICATORS}}
        published_on = dt.date.fromisoformat(card["published_on"])
        stored = existing.get((supplier_id, published_on))
        if stored is None:
            to_create.append(EcoVadisScorecard(supplier_id=supplier_id, published_on=published_on, **fields))
        elif any(getattr(stored, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(stored, name, value)
            to_update.append(stored)
    EcoVadisScorecard.objects.bulk_create(to_create)
    EcoVadisScorecard.objects.bulk_update(to_update, ["medal", "scored", "source", *ECOVADIS_INDICATORS])
    record_bulk_history(EcoVadisScorecard, to_create)
    record_bulk_history(EcoVadisScorecard, to_update, updated=True)


@transaction.atomic
def match_review_confirm(*, review: MatchReview, supplier: Supplier, actor, comment: str = "") -> MatchReview:
    """Procurement confirms that ``review``'s row is ``supplier`` (a candidate or any other
    supplier): the row's identifier is stored on the supplier (``supplier_set_identifier``; the
    next import matches by it), and the row's values are applied as accepted indicator values
    (``indicator_values_import``) and its EcoVadis scorecard kept. Recorded with who, when and the
    comment. Raises ``ValidationError`` when the review is not pending or the identifier cannot
    be stored (another supplier holds it, or the supplier has a different one)."""
    review = MatchReview.objects.select_for_update().get(pk=review.pk)
    if review.status != MatchReviewStatus.PENDING:
        raise ValidationError({"status": f"this match was already {review.status}"})
    if review.identifier_field:
        supplier_set_identifier(supplier=supplier, field=review.identifier_field, value=review.identifier_value,
                                actor=actor, reason=f"confirmed match: {review.kind} row {review.line} "
                                                    f"of {review.file_name}")
    indicator_ids = dict(Indicator.objects.values_list("code", "id"))
    payload = review.payload
    indicator_values_import(values=[
        ImportedValue(supplier_id=supplier.pk, quarter=review.quarter, indicator_id=indicator_ids[code], value=value,
                      source=payload.get("source", "")) for code, value in payload.get("values", {}).items()
    ], actor=actor)
    if payload.get("scorecard"):
        scorecards_store([(supplier.pk, payload["scorecard"])])
    return _decide(review, MatchReviewStatus.CONFIRMED, supplier=supplier, actor=actor, comment=comment)


@transaction.atomic
def match_review_reject(*, review: MatchReview, actor, comment: str) -> MatchReview:
    """Procurement says the row is none of the candidates: nothing is written, and later imports
    report the same row as unmatched instead of asking again. A rejection needs a comment."""
    review = MatchReview.objects.select_for_update().get(pk=review.pk)
    if review.status != MatchReviewStatus.PENDING:
        raise ValidationError({"status": f"this match was already {review.status}"})
    if not comment.strip():
        raise ValidationError({"comment": "say why the match is rejected"})
    return _decide(review, MatchReviewStatus.REJECTED, supplier=None, actor=actor, comment=comment)


def _decide(review, status, *, supplier, actor, comment) -> MatchReview:
    who = actor_fields(actor)
    review.status, review.supplier, review.comment = status, supplier, comment
    review.decided_at, review.decided_by, review.decided_by_label = timezone.now(), who["actor"], who["actor_label"]
    stamp(review, actor=actor, reason=comment).save()
    return review


# --------------------------------------------------------------------------- a supplier's own rating


RATING_SOURCES = {ThirdPartyList.ECOVADIS: "EcoVadis scorecard", ThirdPartyList.CDP: "CDP climate",
                  ThirdPartyList.SBTI: "SBTi target dashboard"}


def supplier_rating_values(*, kind: str, fields: dict) -> tuple[str, dict[str, str], str]:
    """Check one supplier's own third-party rating, as the lists' rows are checked, and return
    ``(quarter, {indicator code: canonical value}, source)``. ``fields`` per ``kind``:

    - ``ecovadis``: ``published_on`` (date, required, not after today), ``medal`` (optional),
      ``overall`` (required) and ``environment``, ``labor_human_rights``, ``ethics``,
      ``sustainable_procurement`` (optional), scores 0–100 → ECO-01 … ECO-05 in the quarter of
      the publication date; a scorecard published 12 months or more before today is refused;
    - ``cdp``: ``score`` (A … D-, F) → ENV-03, ``year`` (optional) in the source; this quarter;
    - ``sbti``: ``near_term_status``, ``long_term_status`` (dashboard words), ``net_zero_committed``
      (bool) → ENV-04 by ``sbti_status``; this quarter.

    Raises ``ValidationError`` keyed by the field at fault; nothing is written."""
    readers = {ThirdPartyList.ECOVADIS: _ecovadis_rating, ThirdPartyList.CDP: _cdp_rating,
               ThirdPartyList.SBTI: _sbti_rating}
    if kind not in readers:
        raise ValidationError({"kind": f"unknown rating '{kind}'"})
    specs = methodology_params(current_methodology())
    errors: dict[str, str] = {}

    def canonical(code: str, text, field: str) -> str | None:
        try:
            return canonical_value(specs.indicator(code), str(text))
        except CellError as exc:
            errors[field] = str(exc)
            return None

    quarter, values, source = readers[kind](fields, today(), canonical, errors)
    if errors:
        raise ValidationError(errors)
    return quarter, values, f"{source} (submitted by the supplier)"[:200]


def _ecovadis_rating(fields, day, canonical, errors):
    published_on = fields.get("published_on")
    if published_on is None:
        errors["published_on"] = "the publication date is required"
    elif published_on > day:
        errors["published_on"] = f"{published_on} is after today"
    elif published_on <= ecovadis_scoring_limit(day):
        errors["published_on"] = (f"published on {published_on}, {ECOVADIS_VALID_MONTHS} months or more ago: "
                                  "no longer scored")
    values = {code: canonical(code, fields[column], column) for column, code in ECOVADIS_INDICATORS.items()
              if fields.get(column) not in (None, "")}
    if "ECO-01" not in values and "overall" not in errors:
        errors["overall"] = "the overall score is required"
    medal = fields.get("medal") or EcoVadisMedal.NONE
    source = f"{RATING_SOURCES[ThirdPartyList.ECOVADIS]} {published_on}" + (
        f", {medal}" if medal != EcoVadisMedal.NONE else "")
    return (str(Quarter.containing(published_on)) if published_on else ""), values, source


def _cdp_rating(fields, day, canonical, errors):
    values = {"ENV-03": canonical("ENV-03", (fields.get("score") or "").strip(), "score")}
    label = RATING_SOURCES[ThirdPartyList.CDP]
    return str(Quarter.containing(day)), values, f"{label} {fields['year']}" if fields.get("year") else label


def _sbti_rating(fields, day, canonical, errors):
    near, long = fields.get("near_term_status") or None, fields.get("long_term_status") or None
    committed = fields.get("net_zero_committed")
    for name, table in (("near_term_status", SBTI_NEAR_TERM), ("long_term_status", SBTI_LONG_TERM)):
        if fields.get(name) and fields[name] not in table:
            errors[name] = f"'{fields[name]}' is not a known SBTi status"
    if not (near or long or committed):
        errors["near_term_status"] = "a status is required (near-term, long-term or net-zero committed)"
    values = {} if errors else {"ENV-04": canonical("ENV-04", sbti_status(near, long, committed),
                                                    "near_term_status")}
    return str(Quarter.containing(day)), values, f"{RATING_SOURCES[ThirdPartyList.SBTI]} {day}"


@transaction.atomic
def supplier_rating_submit(*, supplier: Supplier, kind: str, fields: dict, actor, evidence_ref: str = "") -> list:
    """A supplier's own EcoVadis scorecard, CDP score or SBTi status (``supplier_rating_values``
    checks it) recorded as indicator values through the one door of reported values,
    ``scoring.services.indicator_value_submit``: a supplier user's values are ``submitted`` and
    count only once procurement accepts each one in the value review (``value_review``); a
    procurement writer's are accepted at once. Returns the values written. Raises
    ``ValidationError`` (fields, ``evidence_ref``, ``quarter``) or ``PermissionDenied`` (a
    terminated supplier's user); nothing is written then."""
    from scoring.services import indicator_value_submit

    quarter, values, source = supplier_rating_values(kind=kind, fields=fields)
    indicators = Indicator.objects.in_bulk(list(values), field_name="code")
    return [indicator_value_submit(supplier=supplier, quarter=Quarter.parse(quarter), indicator=indicators[code],
                                   value=value, actor=actor, source=source, evidence_ref=evidence_ref)
            for code, value in sorted(values.items())]
