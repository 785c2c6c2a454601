"""Writes for disclosure: a supplier's consent to appear on the public supplier list; the
completions and yearly GHG inventories a supplier submits and procurement reviews (issue #14)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import roles, uploads
from core.history import stamp
from core.parsers import CellError, parse_currency
from core.quarter import Quarter
from core.review import ensure_reviewable, ensure_reviewer, record_review
from disclosure import importers, selectors, training
from disclosure.models import (
    Course,
    EmissionInventory,
    EmissionsEstimate,
    InventorySource,
    InventoryState,
    TrainingPerson,
    TrainingRecord,
    TrainingSubmission,
    normalise_person_ref,
)
from suppliers.documents import document_upload
from suppliers.models import DocumentKind, Supplier
from suppliers.selectors import can_act_for_supplier
from suppliers.services import ensure_supplier_user_may_submit
from suppliers.spend import MissingFxRates

logger = logging.getLogger(__name__)


@transaction.atomic
def supplier_set_publishable(*, supplier: Supplier, publishable: bool, actor, reason: str) -> Supplier:
    """Mark a supplier as allowed (or not) on the public supplier list (scorecard.md
    section 10), recording who, when and why. A reason is required; setting the current
    value again changes and records nothing. Raises ``ValidationError`` ({"reason": …})."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "a reason is required"})
    if supplier.publishable == publishable:
        return supplier
    supplier.publishable = publishable
    stamp(supplier, actor=actor, reason=reason).save(update_fields=["publishable", "updated_at"])
    return supplier


# --------------------------------------------------------------------------- supplier submissions


def _ensure_may_act(actor, supplier: Supplier) -> None:
    if not can_act_for_supplier(actor, supplier):
        raise PermissionDenied(_("Your role does not allow submitting for this supplier."))
    ensure_supplier_user_may_submit(actor=actor, supplier=supplier)  # a terminated supplier's users read only


def _file_error(upload, errors: dict, key: str) -> None:
    if upload is None:
        errors[key] = _("Attach the file.")
        return
    try:
        uploads.check_document(upload)
    except uploads.UploadRefused as exc:
        errors[key] = str(exc)


def _accept_completion(submission: TrainingSubmission, actor) -> TrainingRecord:
    """Write an accepted completion into the person's record for the course: the later
    completion wins (an earlier one never replaces a later stored date)."""
    record = (TrainingRecord.objects.select_for_update()
              .filter(person_id=submission.person_id, course_id=submission.course_id).first())
    reason = f"training submission {submission.pk} accepted"
    if record is None:
        record = TrainingRecord(person_id=submission.person_id, course_id=submission.course_id,
                                completed_on=submission.completed_on, score=submission.score,
                                state=InventoryState.ACCEPTED)
        stamp(record, actor=actor, reason=reason).save()
        return record
    if record.completed_on is None or submission.completed_on > record.completed_on:
        record.completed_on, record.score = submission.completed_on, submission.score
    record.state = InventoryState.ACCEPTED
    stamp(record, actor=actor, reason=reason).save()
    return record


@transaction.atomic
def training_completion_submit(*, supplier: Supplier, person_ref: str, course: Course | None,
                               completed_on: dt.date | None, certificate, actor,
                               score: Decimal | None = None) -> TrainingSubmission:
    """A completion of ``course`` by the supplier's person ``person_ref`` (trimmed; e-mails
    lower-cased, section 9), with its certificate (a Django ``UploadedFile`` that passes
    ``core.uploads.check_document``; stored as one of the supplier's evidence documents).

    A supplier user's submission waits for procurement's review and counts only once
    accepted; a procurement writer's is accepted at once. A person not yet known is added
    (ESG staff, active: the next import sets the flags). Rules: ``completed_on`` plausible
    (not after today, not before 2000), ``score`` 0–100 or None, one pending submission per
    person and course. Raises ``ValidationError`` keyed ``person_ref``/``course``/
    ``completed_on``/``score``/``certificate`` (nothing written), ``PermissionDenied``,
    ``core.uploads.StorageUnavailable``.
    """
    _ensure_may_act(actor, supplier)
    errors = {}
    ref = normalise_person_ref(person_ref or "")
    if not ref:
        errors["person_ref"] = _("A person reference is required.")
    elif len(ref) > 254:
        errors["person_ref"] = _("A person reference has at most 254 characters.")
    if course is None:
        errors["course"] = _("Choose a course.")
    if completed_on is None:
        errors["completed_on"] = _("The completion date is required.")
    else:
        try:
            training.check_completed_on(completed_on)
        except CellError as exc:
            errors["completed_on"] = str(exc)
    if score is not None and not (0 <= score <= 100):
        errors["score"] = _("A score lies between 0 and 100.")
    _file_error(certificate, errors, "certificate")
    if not errors and TrainingSubmission.objects.filter(
            person__supplier=supplier, person__person_ref=ref, course=course,
            state=InventoryState.SUBMITTED).exists():
        errors["course"] = _("A completion of this course by this person already awaits review.")
    if errors:
        raise ValidationError(errors)
    person = TrainingPerson.objects.filter(supplier=supplier, person_ref=ref).first()
    if person is None:
        person = stamp(TrainingPerson(supplier=supplier, person_ref=ref), actor=actor)
        person.save()
    try:
        document = document_upload(supplier=supplier, kind=DocumentKind.EVIDENCE, upload=certificate, actor=actor,
                                   title=_("Training certificate %(course)s") % {"course": course.code})
    except ValidationError as exc:
        raise ValidationError({"certificate": exc.message_dict.get("file", exc.messages)}) from exc
    is_supplier = roles.is_supplier_user(actor)
    now = timezone.now()
    submission = TrainingSubmission(
        person=person, course=course, completed_on=completed_on, score=score, certificate=document,
        state=InventoryState.SUBMITTED if is_supplier else InventoryState.ACCEPTED, submitted_at=now,
        submitted_by=actor, reviewed_at=None if is_supplier else now, reviewed_by=None if is_supplier else actor)
    stamp(submission, actor=actor).save()
    if not is_supplier:
        _accept_completion(submission, actor)
    return submission


@transaction.atomic
def training_submission_review(*, submission: TrainingSubmission, state: str, actor,
                               comment: str = "") -> TrainingSubmission:
    """Accept or reject a submitted completion (``core.review.ensure_reviewable``: only a
    submitted one, a rejection needs a comment). Accepting writes the completion into the
    person's training record (the later completion wins), from which ESG-04 counts it.
    Raises ``ValidationError`` keyed ``state``/``comment``, ``PermissionDenied``."""
    ensure_reviewer(actor)
    submission = TrainingSubmission.objects.select_for_update().get(pk=submission.pk)
    ensure_reviewable(current_state=submission.state, state=state, comment=comment, what="completions")
    record_review(submission, state=state, actor=actor, comment=comment)
    if state == InventoryState.ACCEPTED:
        _accept_completion(submission, actor)
    return submission


INVENTORY_FIGURES = ("scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e", "scope3_tco2e", "revenue",
                     "revenue_currency", "source", "verified")


def _inventory_values(year, figures: dict) -> tuple[dict, int | None, dict]:
    """The checks of ``inventory_submit`` on its figures: (errors, year, cleaned values)."""
    errors = {}
    try:
        year = importers.parse_year(str(year if year is not None else ""))
    except CellError as exc:
        errors["year"] = str(exc)
    values = {name: figures.get(name) for name in INVENTORY_FIGURES}
    if values["scope1_tco2e"] is None:
        errors["scope1_tco2e"] = _("Scope 1 is required.")
    for name in ("scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e", "scope3_tco2e"):
        if values[name] is not None and values[name] < 0:
            errors[name] = _("Emissions cannot be negative.")
    if values["revenue"] is not None and values["revenue"] <= 0:
        errors["revenue"] = _("A revenue must be greater than 0.")
    values["revenue_currency"] = (values["revenue_currency"] or "").strip().upper()
    if values["revenue_currency"]:
        try:
            parse_currency(values["revenue_currency"])
        except CellError as exc:
            errors["revenue_currency"] = str(exc)
    values["source"] = values["source"] or InventorySource.OTHER
    if values["source"] not in InventorySource.values:
        errors["source"] = _("Choose CDP, RBA platform or other.")
    values["verified"] = bool(values["verified"])
    for name, message in importers.inventory_errors(values).items():
        errors.setdefault(name, message)
    return errors, year, values


@transaction.atomic
def inventory_submit(*, supplier: Supplier, year: int | None, figures: dict, evidence, actor) -> EmissionInventory:
    """A supplier's GHG inventory of one reporting ``year`` with its evidence (a Django
    ``UploadedFile`` passing ``core.uploads.check_document``, kept as an evidence document).

    ``figures``: scope1_tco2e (Decimal ≥ 0, required), scope2_market_tco2e,
    scope2_location_tco2e, scope3_tco2e (Decimal ≥ 0 or None; at least one scope 2),
    revenue (Decimal > 0 or None), revenue_currency (ISO 4217, required with a revenue),
    source (``cdp``/``rba``/``other``), verified (bool). The year follows ``import_emissions``
    (``disclosure.importers.parse_year``). A supplier user's inventory waits for review and
    counts only once accepted; it replaces the year's submitted or rejected one, never an
    accepted one (procurement corrects those). A procurement writer's is accepted at once.
    Raises ``ValidationError`` keyed by field (nothing written), ``PermissionDenied``,
    ``core.uploads.StorageUnavailable``.
    """
    _ensure_may_act(actor, supplier)
    errors, year, values = _inventory_values(year, figures)
    _file_error(evidence, errors, "evidence")
    existing = None
    if "year" not in errors:
        existing = EmissionInventory.objects.select_for_update().filter(supplier=supplier, year=year).first()
        if existing is not None and existing.state == InventoryState.ACCEPTED and roles.is_supplier_user(actor):
            errors["year"] = _("%(year)s already has an accepted inventory; ask procurement to correct it.") % {
                "year": year}
    if errors:
        raise ValidationError(errors)
    try:
        document = document_upload(supplier=supplier, kind=DocumentKind.EVIDENCE, upload=evidence, actor=actor,
                                   title=_("GHG inventory %(year)s") % {"year": year})
    except ValidationError as exc:
        raise ValidationError({"evidence": exc.message_dict.get("file", exc.messages)}) from exc
    is_supplier = roles.is_supplier_user(actor)
    now = timezone.now()
    inventory = existing or EmissionInventory(supplier=supplier, year=year)
    for name, value in values.items():
        setattr(inventory, name, value)
    inventory.evidence = document
    inventory.state = InventoryState.SUBMITTED if is_supplier else InventoryState.ACCEPTED
    inventory.submitted_at, inventory.submitted_by = now, actor
    inventory.reviewed_at, inventory.reviewed_by = (None, None) if is_supplier else (now, actor)
    inventory.review_comment = ""
    stamp(inventory, actor=actor).save()
    return inventory


@transaction.atomic
def inventory_review(*, inventory: EmissionInventory, state: str, actor, comment: str = "") -> EmissionInventory:
    """Accept or reject a submitted inventory (``core.review.ensure_reviewable``); only an
    accepted one counts (sections 9 and 11). Raises ``ValidationError`` keyed
    ``state``/``comment``, ``PermissionDenied``."""
    ensure_reviewer(actor)
    inventory = EmissionInventory.objects.select_for_update().get(pk=inventory.pk)
    ensure_reviewable(current_state=inventory.state, state=state, comment=comment, what="inventories")
    record_review(inventory, state=state, actor=actor, comment=comment)
    return inventory


# --------------------------------------------------------------------------- the stored estimate


def store_emissions_estimate(quarter) -> EmissionsEstimate | None:
    """Compute the section 11 estimate of ``quarter`` (``disclosure.selectors
    .emissions_estimate``, the one computation) and store it for the dashboard; returns the
    row, or None (and stores nothing) when Q's FX rates are missing."""
    quarter = quarter if isinstance(quarter, Quarter) else Quarter.parse(str(quarter))
    try:
        report = selectors.emissions_estimate(quarter)
    except MissingFxRates as exc:
        logger.warning("emissions estimate of %s not stored: %s", quarter, exc)
        return None
    # The previous document (megabytes, a line per supplier) is replaced, not read.
    row, _created = EmissionsEstimate.objects.defer("data", "head").update_or_create(quarter=str(quarter),
                                                                                    defaults={"data": report})
    return row
