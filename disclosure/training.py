"""Courses and training records: ``import_courses`` and ``import_training_records``
(contract.md "Additions"), the rules of person identity (scorecard.md section 9).

- ``person_ref`` is matched exactly after trimming; an e-mail address is lower-cased
  (``disclosure.models.normalise_person_ref``).
- ``is_esg_staff`` and ``active`` belong to the person: an import sets them for the person
  (an empty cell is the contract's default, true); rows of one person in one file that
  disagree on them are refused.
- ``completed_on`` empty = enrolled; re-importing an enrolment over a stored completion keeps
  the completion (an empty cell never erases a date). ``completed_on`` is plausible: not
  after today, not before 2000-01-01.
- Imports by procurement are accepted on import (issue 14).
"""

from __future__ import annotations

import datetime as dt

from core.importing import Column, Importer, Kind, RowError, given, upsert
from core.parsers import CellError, decimal_parser, identifier_parser, parse_bool, parse_date, text_parser
from core.quarter import ImplausibleDate, ensure_plausible_date, within_months_before
from disclosure.models import Course, InventoryState, TrainingPerson, TrainingRecord, normalise_person_ref
from suppliers.importers import resolve_supplier_codes

PERSON_FIELDS = ("is_esg_staff", "active")


def parse_valid_months(text: str) -> int:
    """An integer of at least 1 (months a completion stays valid)."""
    cleaned = text.strip()
    if not cleaned.isdigit() or int(cleaned) < 1:
        raise CellError(f"'{text}' is not a whole number of months of at least 1")
    if int(cleaned) > 1200:
        raise CellError(f"'{text}' months is implausible (at most 1200)")
    return int(cleaned)


def check_completed_on(day: dt.date) -> dt.date:
    """A plausible completion date: not after today, not before 2000 (the one rule of past
    events, ``core.quarter.ensure_plausible_date``)."""
    try:
        return ensure_plausible_date(day, what="the completion date")
    except ImplausibleDate as exc:
        raise CellError(str(exc)) from None


def completion_valid(completed_on: dt.date | None, valid_months: int | None, day: dt.date) -> bool:
    """A completion counts at ``day`` (scorecard.md section 9): ``completed_on <= day`` and,
    when the course has ``valid_months``, ``completed_on > day - valid_months months``
    (``core.quarter.within_months_before``). The vectorised form is
    ``scoring.derived.training_raw``; both follow this definition."""
    if completed_on is None or completed_on > day:
        return False
    return valid_months is None or within_months_before(completed_on, day, valid_months)


def parse_completed_on(text: str) -> dt.date:
    return check_completed_on(parse_date(text))


def parse_person_ref(text: str) -> str:
    ref = normalise_person_ref(text_parser(max_length=254)(text))
    if not ref:
        raise CellError("a person reference is required")
    return ref


class CourseImporter(Importer):
    name = "import_courses"
    key = ("course_code",)
    columns = (
        Column("course_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("title", text_parser(max_length=255)),
        Column("title_zh", text_parser(max_length=255), required=False, default=""),
        Column("required", parse_bool, required=False, default=True, kind=Kind.BOOL),
        Column("valid_months", parse_valid_months, required=False, default=None, kind=Kind.CHOICE),
    )

    def write(self, rows, *, dry_run):
        codes = [r.values["course_code"] for r in rows]
        existing = {(c.code,): c for c in Course.objects.filter(code__in=codes)}
        defaults = {column.name: column.default for column in self.columns}

        def fields(values):
            # The contract's defaults apply to an empty cell: required true, never expires.
            return {"title": values["title"],
                    **{name: given(values[name], defaults[name]) for name in ("title_zh", "required", "valid_months")}}

        result, created, changes = upsert(
            Course,
            rows=(((r.values["course_code"],), {"code": r.values["course_code"], **fields(r.values)}) for r in rows),
            existing=existing, create=lambda key, values: Course(**values), dry_run=dry_run,
        )
        return result


class TrainingRecordImporter(Importer):
    name = "import_training_records"
    key = ("supplier_code", "person_ref", "course_code")
    columns = (
        Column("supplier_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("person_ref", parse_person_ref),
        Column("is_esg_staff", parse_bool, required=False, default=True, kind=Kind.BOOL),
        Column("active", parse_bool, required=False, default=True, kind=Kind.BOOL),
        Column("course_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("completed_on", parse_completed_on, required=False, kind=Kind.DATE),
        Column("score", decimal_parser(minimum=0, maximum=100, places=2), required=False, kind=Kind.PERCENT),
    )

    def resolve(self, rows, errors):
        resolve_supplier_codes(rows, errors)
        course_ids = dict(Course.objects.filter(code__in={r.values["course_code"] for r in rows})
                          .values_list("code", "id"))
        first_of_person: dict[tuple, tuple[int, dict]] = {}
        for row in rows:
            values = row.values
            values["course_id"] = course_ids.get(values["course_code"])
            if values["course_id"] is None:
                errors.append(RowError(row.line, "course_code", f"unknown course code '{values['course_code']}'"))
            person = {name: given(values[name], True) for name in PERSON_FIELDS}
            key = (values["supplier_code"], values["person_ref"])
            if key not in first_of_person:
                first_of_person[key] = (row.line, person)
                continue
            first_line, first = first_of_person[key]
            for name in PERSON_FIELDS:
                if person[name] != first[name]:
                    errors.append(RowError(row.line, name, f"person '{values['person_ref']}' has {name} "
                                                           f"{str(first[name]).lower()} in row {first_line}; "
                                                           "one person's rows must agree"))

    def write(self, rows, *, dry_run):
        supplier_ids = {r.values["supplier_id"] for r in rows}
        persons = {(p.supplier_id, p.person_ref): p
                   for p in TrainingPerson.objects.filter(supplier_id__in=supplier_ids)}
        person_rows = {}
        for r in rows:
            key = (r.values["supplier_id"], r.values["person_ref"])
            person_rows.setdefault(key, {"supplier_id": key[0], "person_ref": key[1],
                                         **{n: given(r.values[n], True) for n in PERSON_FIELDS}})
        _, new_persons, person_changes = upsert(
            TrainingPerson, rows=((key, values) for key, values in person_rows.items()), existing=persons,
            create=lambda key, values: TrainingPerson(**values), dry_run=dry_run,
        )
        if dry_run:
            # Persons were not written: give the new ones placeholder ids for the record upsert.
            for index, person in enumerate(new_persons):
                person.pk = -1 - index
        persons.update({(p.supplier_id, p.person_ref): p for p in new_persons})
        person_ids = {key: p.pk for key, p in persons.items()}
        existing = {(rec.person_id, rec.course_id): rec
                    for rec in TrainingRecord.objects.filter(person_id__in=[i for i in person_ids.values() if i > 0])}
        result, created, changes = upsert(
            TrainingRecord,
            rows=(
                ((person_ids[(r.values["supplier_id"], r.values["person_ref"])], r.values["course_id"]),
                 {"person_id": person_ids[(r.values["supplier_id"], r.values["person_ref"])],
                  "course_id": r.values["course_id"], "completed_on": r.values["completed_on"],
                  "score": r.values["score"], "state": InventoryState.ACCEPTED})
                for r in rows
            ),
            existing=existing,
            create=lambda key, values: TrainingRecord(**{n: given(v) for n, v in values.items()}),
            dry_run=dry_run,
        )
        return result
