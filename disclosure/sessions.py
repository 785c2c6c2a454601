"""Webinars and sessions (issue #14): ``import_training_sessions``,
``import_session_attendance``, the portal's ticks (``set_attendance``) and the yearly report.

- A session: ``session_code`` (its key), ``held_on`` (ISO date, not before 2000; may lie in
  the future: sessions are planned), ``topic``, optional ``course_code`` (a known course).
- Attendance: (session, supplier, person_ref), person_ref read as everywhere (trimmed; e-mails
  lower-cased, ``normalise_person_ref``). An empty ``course_code`` keeps a stored session's
  course. A person not yet known is added to the supplier
  (ESG staff, active: the training-record import sets the flags). Attendance is recorded only
  for a session held on or before today.
- Yearly report (``yearly_report``): per calendar year of ``held_on`` / ``completed_on``,
  counts only, never person references.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _

from core.history import stamp
from core.importing import NOT_GIVEN, Column, Importer, Kind, RowError, given, upsert
from core.parsers import CellError, identifier_parser, parse_date, text_parser
from core.quarter import PLAUSIBLE_FROM, today
from disclosure.models import (
    Course,
    InventoryState,
    SessionAttendance,
    TrainingPerson,
    TrainingRecord,
    TrainingSession,
    normalise_person_ref,
)
from disclosure.training import parse_person_ref
from suppliers.importers import resolve_supplier_codes
from suppliers.models import Supplier


def check_held_on(day: dt.date) -> dt.date:
    """A session date: not before 2000-01-01 (``core.quarter.PLAUSIBLE_FROM``); planned
    sessions may lie in the future. Raises ``CellError``."""
    if day < PLAUSIBLE_FROM:
        raise CellError(f"the session date {day.isoformat()} is before {PLAUSIBLE_FROM.isoformat()}")
    return day


def parse_held_on(text: str) -> dt.date:
    return check_held_on(parse_date(text))


def attendance_error(session: TrainingSession) -> str | None:
    """Why attendance cannot be recorded for ``session`` yet, or None."""
    if session.held_on > today():
        return f"session {session.code} is held on {session.held_on.isoformat()}, after today"
    return None


class TrainingSessionImporter(Importer):
    name = "import_training_sessions"
    key = ("session_code",)
    columns = (
        Column("session_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("held_on", parse_held_on, kind=Kind.DATE),
        Column("topic", text_parser(max_length=255)),
        Column("course_code", identifier_parser(max_length=50), required=False, default="", kind=Kind.CODE),
    )

    def resolve(self, rows, errors):
        codes = {given(r.values["course_code"], "") for r in rows} - {""}
        course_ids = dict(Course.objects.filter(code__in=codes).values_list("code", "id"))
        for row in rows:
            code = given(row.values["course_code"], "")
            # An empty cell keeps a stored session's course (as every import's optional cell).
            row.values["course_id"] = course_ids.get(code) if code else NOT_GIVEN
            if code and row.values["course_id"] is None:
                errors.append(RowError(row.line, "course_code", f"unknown course code '{code}'"))

    def write(self, rows, *, dry_run):
        codes = [r.values["session_code"] for r in rows]
        existing = {(s.code,): s for s in TrainingSession.objects.filter(code__in=codes)}
        result, created, changes = upsert(
            TrainingSession,
            rows=(((r.values["session_code"],),
                   {"code": r.values["session_code"], "held_on": r.values["held_on"], "topic": r.values["topic"],
                    "course_id": r.values["course_id"]}) for r in rows),
            existing=existing, dry_run=dry_run,
            create=lambda key, values: TrainingSession(**{n: given(v, None) for n, v in values.items()}),
        )
        return result


def _ensure_persons(pairs: set[tuple[int, str]], *, dry_run: bool) -> dict[tuple[int, str], int]:
    """(supplier_id, person_ref) → person id, adding the persons not yet known (bulk).
    On a dry run the new ones get negative placeholder ids."""
    supplier_ids = {supplier_id for supplier_id, _ref in pairs}
    known = {(p.supplier_id, p.person_ref): p.pk
             for p in TrainingPerson.objects.filter(supplier_id__in=supplier_ids)}
    missing = sorted(pair for pair in pairs if pair not in known)
    _, created, _ = upsert(TrainingPerson, rows=((pair, {"supplier_id": pair[0], "person_ref": pair[1]})
                                                 for pair in missing),
                           existing={}, create=lambda key, values: TrainingPerson(**values), dry_run=dry_run)
    for index, person in enumerate(created):
        known[(person.supplier_id, person.person_ref)] = person.pk if not dry_run else -1 - index
    return known


class SessionAttendanceImporter(Importer):
    name = "import_session_attendance"
    key = ("session_code", "supplier_code", "person_ref")
    columns = (
        Column("session_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("supplier_code", identifier_parser(max_length=50), kind=Kind.CODE),
        Column("person_ref", parse_person_ref),
    )

    def resolve(self, rows, errors):
        resolve_supplier_codes(rows, errors)
        sessions = {s.code: s for s in TrainingSession.objects.filter(
            code__in={r.values["session_code"] for r in rows})}
        for row in rows:
            session = sessions.get(row.values["session_code"])
            row.values["session_id"] = session.pk if session else None
            if session is None:
                errors.append(RowError(row.line, "session_code",
                                       f"unknown session code '{row.values['session_code']}'"))
            elif attendance_error(session):
                errors.append(RowError(row.line, "session_code", attendance_error(session)))

    def write(self, rows, *, dry_run):
        persons = _ensure_persons({(r.values["supplier_id"], r.values["person_ref"]) for r in rows}, dry_run=dry_run)
        keys = [(r.values["session_id"], persons[(r.values["supplier_id"], r.values["person_ref"])]) for r in rows]
        existing = {(a.session_id, a.person_id): a for a in SessionAttendance.objects.filter(
            session_id__in={k[0] for k in keys}, person_id__in=[k[1] for k in keys if k[1] > 0])}
        result, created, changes = upsert(
            SessionAttendance,
            rows=((key, {"session_id": key[0], "person_id": key[1]}) for key in keys),
            existing=existing, create=lambda key, values: SessionAttendance(**values), dry_run=dry_run,
        )
        return result


@transaction.atomic
def set_attendance(*, session: TrainingSession, supplier: Supplier, attended: list[int], new_refs: list[str],
                   actor) -> tuple[int, int]:
    """The portal's ticks for one supplier at one session: exactly the persons ``attended``
    (ids of the supplier's persons) and the references ``new_refs`` (added as persons when not
    yet known) attended; others of that supplier are removed. Returns (added, removed).
    Raises ``ValidationError`` keyed ``session``/``attended``/``new_refs``; nothing written then."""
    errors = {}
    error = attendance_error(session)
    if error:
        errors["session"] = error
    ids = set(attended)
    own = set(TrainingPerson.objects.filter(supplier=supplier, pk__in=ids).values_list("pk", flat=True))
    if ids - own:
        errors["attended"] = _("Only persons of this supplier can be ticked.")
    refs = []
    for line in new_refs:
        ref = normalise_person_ref(line)
        if not ref:
            continue
        if len(ref) > 254:
            errors["new_refs"] = _("A person reference has at most 254 characters.")
        refs.append(ref)
    if errors:
        raise ValidationError(errors)
    for ref in refs:
        person = TrainingPerson.objects.filter(supplier=supplier, person_ref=ref).first()
        if person is None:
            person = stamp(TrainingPerson(supplier=supplier, person_ref=ref), actor=actor)
            person.save()
        ids.add(person.pk)
    current = {a.person_id: a for a in SessionAttendance.objects.filter(session=session, person__supplier=supplier)}
    removed = 0
    for person_id, attendance in current.items():
        if person_id not in ids:
            stamp(attendance, actor=actor).delete()
            removed += 1
    added = 0
    for person_id in sorted(ids - set(current)):
        stamp(SessionAttendance(session=session, person_id=person_id), actor=actor).save()
        added += 1
    return added, removed


def yearly_report() -> list[dict]:
    """Per calendar year, newest first: ``sessions`` held; ``attendances`` (person ×
    session), ``attendees`` (distinct persons) and ``suppliers_attending`` (distinct
    suppliers) of the sessions held that year; ``persons_completed`` and
    ``suppliers_completed``: distinct persons / suppliers with an accepted completion dated
    that year; ``suppliers_trained``: distinct suppliers that attended a session or completed
    a course that year. Counts only (no person reference). Four queries, grouped in the
    database except the union of suppliers."""
    years: dict[int, dict] = {}

    def row(year):
        return years.setdefault(year, {"year": year, "sessions": 0, "attendances": 0, "attendees": 0,
                                       "suppliers_attending": 0, "persons_completed": 0, "suppliers_completed": 0,
                                       "suppliers_trained": 0})

    for entry in (TrainingSession.objects.annotate(year=ExtractYear("held_on")).values("year")
                  .annotate(n=Count("id")).order_by()):
        row(entry["year"])["sessions"] = entry["n"]
    for entry in (SessionAttendance.objects.annotate(year=ExtractYear("session__held_on")).values("year")
                  .annotate(attendances=Count("id"), attendees=Count("person_id", distinct=True),
                            suppliers=Count("person__supplier_id", distinct=True)).order_by()):
        row(entry["year"]).update(attendances=entry["attendances"], attendees=entry["attendees"],
                                  suppliers_attending=entry["suppliers"])
    completed = (TrainingRecord.objects.filter(state=InventoryState.ACCEPTED, completed_on__isnull=False)
                 .annotate(year=ExtractYear("completed_on")))
    for entry in (completed.values("year").annotate(persons=Count("person_id", distinct=True),
                                                    suppliers=Count("person__supplier_id", distinct=True))
                  .order_by()):
        row(entry["year"]).update(persons_completed=entry["persons"], suppliers_completed=entry["suppliers"])
    attended = (SessionAttendance.objects.annotate(year=ExtractYear("session__held_on"))
                .values_list("year", "person__supplier_id"))
    trained = (set(attended.order_by().distinct())
               | set(completed.values_list("year", "person__supplier_id").order_by().distinct()))
    for year, _supplier in trained:
        row(year)["suppliers_trained"] += 1
    return [years[year] for year in sorted(years, reverse=True)]


@transaction.atomic
def session_create(*, code: str, held_on: dt.date | None, topic: str, course: Course | None,
                   actor) -> TrainingSession:
    """A new session, as ``import_training_sessions`` would write it. Raises
    ``ValidationError`` keyed ``code``/``held_on``/``topic``; nothing written then."""
    errors = {}
    code = (code or "").strip()
    if not code:
        errors["code"] = _("A session code is required.")
    elif TrainingSession.objects.filter(code=code).exists():
        errors["code"] = _("A session with this code exists.")
    if held_on is None:
        errors["held_on"] = _("The session date is required.")
    else:
        try:
            check_held_on(held_on)
        except CellError as exc:
            errors["held_on"] = str(exc)
    if not (topic or "").strip():
        errors["topic"] = _("A topic is required.")
    if errors:
        raise ValidationError(errors)
    session = TrainingSession(code=code, held_on=held_on, topic=topic.strip(), course=course)
    stamp(session, actor=actor).save()
    return session
