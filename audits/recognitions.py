"""Site recognitions (RBA Factory of Choice): the plausible-date rule, the cross-field
checks and ``import_site_recognitions`` (contract.md "Additions", scorecard.md section 9).

The natural key is (site_code, program, awarded_on). ``expires_on`` is the last valid day;
when the cell is empty it is ``audits.dates.recognition_default_expiry(awarded_on)``.
Imports by procurement are accepted on import (issue 14).
"""

from __future__ import annotations

import datetime as dt

from audits.dates import recognition_default_expiry
from audits.models import RecognitionProgram, SiteRecognition
from core.importing import NOT_GIVEN, Column, Importer, Kind, RowError, upsert
from core.parsers import CellError, choice_parser, identifier_parser, parse_date
from core.quarter import ImplausibleDate, ensure_plausible_date
from suppliers.models import Site


def parse_awarded_on(text: str) -> dt.date:
    """An ISO date that is plausible for an award: not after today (``core.quarter.today``)
    and not before 2000-01-01. Raises ``CellError``."""
    day = parse_date(text)
    return check_awarded_on(day)


def check_awarded_on(day: dt.date) -> dt.date:
    """The plausibility rule of ``awarded_on`` on a parsed date (import and API): the one
    rule of past events, ``core.quarter.ensure_plausible_date``."""
    try:
        return ensure_plausible_date(day, what="the award date")
    except ImplausibleDate as exc:
        raise CellError(str(exc)) from None


def parse_program(text: str) -> str:
    """``rba_foc`` (any case, trimmed); any other program is refused (section 9)."""
    return choice_parser(RecognitionProgram.values, what="program")(text)


def expiry_error(awarded_on: dt.date | None, expires_on: dt.date | None) -> str | None:
    """``expires_on`` (the last valid day) may not lie before ``awarded_on``."""
    if awarded_on is not None and expires_on is not None and expires_on < awarded_on:
        return f"expires_on {expires_on.isoformat()} is before awarded_on {awarded_on.isoformat()}"
    return None


def effective_expiry(awarded_on: dt.date, expires_on: dt.date | None) -> dt.date:
    """The stored ``expires_on``: the given one, else the default of section 9."""
    return expires_on if expires_on is not None else recognition_default_expiry(awarded_on)


class SiteRecognitionImporter(Importer):
    name = "import_site_recognitions"
    key = ("site_code", "program", "awarded_on")
    columns = (
        Column("site_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("program", parse_program, kind=Kind.CHOICE),
        Column("awarded_on", parse_awarded_on, kind=Kind.DATE),
        Column("expires_on", parse_date, required=False, kind=Kind.DATE),
    )

    def check_row(self, line, values, errors):
        awarded_on = values.get("awarded_on", NOT_GIVEN)
        expires_on = values.get("expires_on", NOT_GIVEN)
        if awarded_on is NOT_GIVEN or expires_on in (NOT_GIVEN, None):
            return
        message = expiry_error(awarded_on, expires_on)
        if message:
            errors.append(RowError(line, "expires_on", message))

    def resolve(self, rows, errors):
        site_ids = dict(Site.objects.filter(code__in={r.values["site_code"] for r in rows}).values_list("code", "id"))
        for row in rows:
            row.values["site_id"] = site_ids.get(row.values["site_code"])
            if row.values["site_id"] is None:
                errors.append(RowError(row.line, "site_code", f"unknown site code '{row.values['site_code']}'"))

    def write(self, rows, *, dry_run):
        site_ids = {r.values["site_id"] for r in rows}
        existing = {(rec.site_id, rec.program, rec.awarded_on): rec
                    for rec in SiteRecognition.objects.filter(site_id__in=site_ids)}

        def expiry(values):
            given_expiry = values.get("expires_on", NOT_GIVEN)
            return effective_expiry(values["awarded_on"], None if given_expiry is NOT_GIVEN else given_expiry)

        result, created, changes = upsert(
            SiteRecognition,
            rows=(
                ((r.values["site_id"], r.values["program"], r.values["awarded_on"]),
                 {"site_id": r.values["site_id"], "program": r.values["program"],
                  "awarded_on": r.values["awarded_on"], "expires_on": expiry(r.values)})
                for r in rows
            ),
            existing=existing,
            create=lambda key, values: SiteRecognition(**values),
            dry_run=dry_run,
        )
        return result
