"""Onboarding screening: the questionnaire a candidate answers, the review, the decision,
and the rule that a candidate becomes active only after an activating decision (domain.md,
onboarding). Keyword-only services that validate before saving; every change is recorded in
the models' history (core/history.py); they raise ``ValidationError`` / ``PermissionDenied``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import roles
from core.history import actor_fields, record_bulk_history, stamp
from core.quarter import ImplausibleDate, ensure_plausible_date
from core.quarter import today as business_day
from suppliers.models import (
    ISO_TOPICS,
    Screening,
    ScreeningCondition,
    ScreeningDecision,
    ScreeningItem,
    ScreeningStatus,
    ScreeningTopic,
    Supplier,
    SupplierStatus,
    Verdict,
)


def _require_writer(actor, what: str) -> None:
    if not roles.can_write_master_data(actor):
        raise PermissionDenied(f"Only procurement can {what}.")


@transaction.atomic
def screening_open(*, supplier: Supplier, actor) -> Screening:
    """Open the onboarding questionnaire of a candidate: one item per policy topic."""
    _require_writer(actor, "open a screening")
    if supplier.status != SupplierStatus.CANDIDATE:
        raise ValidationError({"supplier": _("Only a candidate supplier is screened.")})
    if Screening.objects.filter(supplier=supplier).exclude(status=ScreeningStatus.DECIDED).exists():
        raise ValidationError({"supplier": _("This supplier already has a screening under way.")})
    who = actor_fields(actor)
    screening = stamp(Screening(supplier=supplier, opened_by_label=who["actor_label"]), actor=actor)
    screening.save()
    items = ScreeningItem.objects.bulk_create([ScreeningItem(screening=screening, topic=topic)
                                               for topic in ScreeningTopic.values])
    record_bulk_history(ScreeningItem, items)
    return screening


def _person(actor):
    """The user behind ``actor`` for the answered-by/submitted-by columns, or None."""
    return actor if getattr(actor, "is_authenticated", False) else None


def separation_error(screening: Screening, actor) -> str | None:
    """Why ``actor`` may not review or decide ``screening``, or None: whoever answered an
    item of the questionnaire or submitted it cannot also judge it (separation of duties,
    docs/portal.md). One query."""
    person = _person(actor)
    if person is None:
        return None
    if screening.submitted_by_id == person.pk or screening.items.filter(answered_by=person).exists():
        return _("You answered or submitted this questionnaire, so another person in procurement must review "
                 "and decide it.")
    return None


def _ensure_separated(screening: Screening, actor, field: str) -> None:
    error = separation_error(screening, actor)
    if error:
        raise ValidationError({field: error})


def _locked(screening: Screening) -> Screening:
    return Screening.objects.select_for_update().select_related("supplier").get(pk=screening.pk)


@transaction.atomic
def screening_answer(*, screening: Screening, answers: dict[str, dict], actor) -> Screening:
    """Save the supplier's answers: ``{topic: {"answer", "evidence", "certificate_expires_on"}}``.
    Evidence must be a document of the same supplier."""
    screening = _locked(screening)
    if not screening.is_editable_by_supplier:
        raise ValidationError({"status": _("The questionnaire has been submitted and can no longer change.")})
    items = {item.topic: item for item in screening.items.all()}
    errors = {}
    for topic, data in answers.items():
        evidence = data.get("evidence")
        if evidence is not None and evidence.supplier_id != screening.supplier_id:
            errors[f"{topic}-evidence"] = _("Choose one of this supplier's documents.")
    if errors:
        raise ValidationError(errors)
    changed = []
    for topic, data in answers.items():
        item = items[topic]
        new = {"answer": data.get("answer", ""), "evidence": data.get("evidence"),
               "certificate_expires_on": data.get("certificate_expires_on")}
        if any(getattr(item, name) != value for name, value in new.items()):
            for name, value in new.items():
                setattr(item, name, value)
            item.answered_by = _person(actor)
            changed.append(item)
    ScreeningItem.objects.bulk_update(changed, ["answer", "evidence", "certificate_expires_on", "answered_by"])
    record_bulk_history(ScreeningItem, changed, updated=True)
    return screening


@transaction.atomic
def screening_submit(*, screening: Screening, actor) -> Screening:
    """Hand the questionnaire to procurement: every topic answered or evidenced, and every
    ISO certificate claimed with evidence has its expiry date."""
    screening = _locked(screening)
    if screening.status != ScreeningStatus.OPEN:
        raise ValidationError({"status": _("Only an open questionnaire can be submitted.")})
    errors = {}
    for item in screening.items.all():
        if not item.answer.strip() and item.evidence_id is None:
            errors[f"{item.topic}-answer"] = _("Answer this question or attach evidence.")
        if item.topic in ISO_TOPICS and item.evidence_id and item.certificate_expires_on is None:
            errors[f"{item.topic}-certificate_expires_on"] = _("Give the certificate's expiry date.")
    if errors:
        raise ValidationError(errors)
    who = actor_fields(actor)
    screening.status = ScreeningStatus.SUBMITTED
    screening.submitted_at = timezone.now()
    screening.submitted_by_label = who["actor_label"]
    screening.submitted_by = _person(actor)
    stamp(screening, actor=actor).save(update_fields=["status", "submitted_at", "submitted_by_label", "submitted_by"])
    return screening


@transaction.atomic
def screening_review(*, screening: Screening, verdicts: dict[str, tuple[str, str]], actor) -> Screening:
    """Record the reviewer's verdict and comment per topic: ``{topic: (verdict, comment)}``."""
    _require_writer(actor, "review a screening")
    screening = _locked(screening)
    if screening.status != ScreeningStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted questionnaire can be reviewed.")})
    _ensure_separated(screening, actor, "__all__")
    errors = {}
    for topic, (verdict, comment) in verdicts.items():
        if verdict in (Verdict.NEEDS_IMPROVEMENT, Verdict.UNSATISFACTORY) and not comment.strip():
            errors[f"{topic}-reviewer_comment"] = _("Say what is missing.")
    if errors:
        raise ValidationError(errors)
    who = actor_fields(actor)
    now = timezone.now()
    changed = []
    for item in screening.items.all():
        if item.topic not in verdicts:
            continue
        verdict, comment = verdicts[item.topic]
        if (item.verdict, item.reviewer_comment) != (verdict, comment):
            item.verdict, item.reviewer_comment = verdict, comment
            item.reviewed_at, item.reviewed_by_label = now, who["actor_label"]
            changed.append(item)
    ScreeningItem.objects.bulk_update(changed, ["verdict", "reviewer_comment", "reviewed_at", "reviewed_by_label"])
    record_bulk_history(ScreeningItem, changed, updated=True)
    return screening


@transaction.atomic
def screening_return(*, screening: Screening, actor, comment: str) -> Screening:
    """Send a submitted questionnaire back to the supplier for more information."""
    _require_writer(actor, "return a screening")
    screening = _locked(screening)
    if screening.status != ScreeningStatus.SUBMITTED:
        raise ValidationError({"status": _("Only a submitted questionnaire can be returned.")})
    if not comment.strip():
        raise ValidationError({"comment": _("Say what the supplier should add.")})
    screening.status = ScreeningStatus.OPEN
    screening.decision_comment = comment
    stamp(screening, actor=actor, reason=comment).save(update_fields=["status", "decision_comment"])
    return screening


@transaction.atomic
def screening_decide(*, screening: Screening, decision: str, actor, comment: str = "",
                     conditions: list[tuple[str, dt.date]] | None = None) -> Screening:
    """Decide a reviewed screening: approved (no item unsatisfactory), conditional (with one
    or more conditions, each ``(text, due_on)``, due today or later) or rejected (with the
    reason). Whoever answered or submitted the questionnaire cannot decide it
    (``separation_error``). Who and when are recorded; each condition becomes a
    ``ScreeningCondition`` tracked until procurement confirms it met."""
    _require_writer(actor, "decide a screening")
    screening = _locked(screening)
    conditions = [(text.strip(), due_on) for text, due_on in (conditions or []) if (text or "").strip() or due_on]
    errors = {}
    if screening.status != ScreeningStatus.SUBMITTED:
        errors["decision"] = _("Only a submitted questionnaire can be decided.")
    elif decision not in ScreeningDecision.values:
        errors["decision"] = _("Choose approved, conditional or rejected.")
    else:
        errors.update(_decision_errors(screening, decision, actor, comment, conditions))
    if errors:
        raise ValidationError(errors)
    who = actor_fields(actor)
    screening.status = ScreeningStatus.DECIDED
    screening.decision = decision
    screening.decision_comment = comment
    screening.conditions = "\n".join(f"{text} ({due_on.isoformat()})" for text, due_on in conditions)
    screening.decided_at = timezone.now()
    screening.decided_by = who["actor"]
    screening.decided_by_label = who["actor_label"]
    stamp(screening, actor=actor, reason=comment).save()
    created = ScreeningCondition.objects.bulk_create(
        [ScreeningCondition(screening=screening, text=text, due_on=due_on) for text, due_on in conditions])
    record_bulk_history(ScreeningCondition, created)
    return screening


def _decision_errors(screening: Screening, decision: str, actor, comment: str,
                     conditions: list[tuple[str, dt.date | None]]) -> dict[str, str]:
    errors = {}
    separation = separation_error(screening, actor)
    if separation:
        return {"decision": separation}
    verdicts = list(screening.items.values_list("topic", "verdict"))
    pending = [topic for topic, verdict in verdicts if verdict == Verdict.PENDING]
    if pending:
        errors["decision"] = _("Review every item first (%(n)s not reviewed).") % {"n": len(pending)}
    elif decision == ScreeningDecision.APPROVED and any(v == Verdict.UNSATISFACTORY for _t, v in verdicts):
        errors["decision"] = _("An item is unsatisfactory: approve with conditions or reject.")
    if decision == ScreeningDecision.CONDITIONAL:
        if not conditions:
            errors["conditions"] = _("State the conditions.")
        elif any(not text or due_on is None for text, due_on in conditions):
            errors["conditions"] = _("Give each condition its text and the date it is due by.")
        elif any(due_on < business_day() for _text, due_on in conditions):
            errors["conditions"] = _("A condition cannot be due before today.")
        else:
            for _text, due_on in conditions:
                try:
                    ensure_plausible_date(due_on, what=str(_("the due date")), future=True)
                except ImplausibleDate as exc:
                    errors["conditions"] = str(exc)
    elif conditions:
        errors["conditions"] = _("Conditions belong to a conditional approval.")
    if decision == ScreeningDecision.REJECTED and not comment.strip():
        errors["comment"] = _("Say why the supplier is rejected.")
    return errors


@transaction.atomic
def screening_condition_met(*, condition: ScreeningCondition, actor, met_on: dt.date | None = None,
                            note: str = "") -> ScreeningCondition:
    """Record that a condition of a conditional approval is met, on ``met_on`` (default
    today; not in the future, not before the decision). Procurement writers only."""
    _require_writer(actor, "confirm a condition")
    condition = ScreeningCondition.objects.select_for_update().select_related("screening").get(pk=condition.pk)
    met_on = met_on or business_day()
    if condition.met_on is not None:
        raise ValidationError({"met_on": _("This condition is already recorded as met.")})
    try:
        ensure_plausible_date(met_on, what=str(_("the day it was met")))
    except ImplausibleDate as exc:
        raise ValidationError({"met_on": str(exc)}) from None
    decided_on = timezone.localdate(condition.screening.decided_at) if condition.screening.decided_at else None
    if decided_on and met_on < decided_on:
        raise ValidationError({"met_on": _("A condition cannot be met before the decision that set it.")})
    condition.met_on = met_on
    condition.met_by_label = actor_fields(actor)["actor_label"]
    condition.note = note
    stamp(condition, actor=actor, reason=note).save(update_fields=["met_on", "met_by_label", "note"])
    return condition


def latest_screening(supplier: Supplier) -> Screening | None:
    """The supplier's most recent screening (by opening time, then id), or None."""
    return supplier.screenings.order_by("-opened_at", "-id").first()


def latest_screenings(supplier_ids) -> dict[int, Screening]:
    """``{supplier_id: latest screening}`` for the suppliers that have one. One query."""
    latest: dict[int, Screening] = {}
    for screening in Screening.objects.filter(supplier_id__in=list(supplier_ids)).order_by("opened_at", "id"):
        latest[screening.supplier_id] = screening
    return latest


def _activation_message() -> str:
    return _("A candidate becomes active only after its onboarding screening is approved or approved with "
             "conditions.")


def activation_error(supplier: Supplier) -> str | None:
    """Why a candidate cannot become active yet, or None (domain.md, onboarding: a
    candidate is screened first; its latest screening must be decided approved or
    conditional). One query."""
    return activation_errors([supplier.pk]).get(supplier.pk)


def activation_errors(supplier_ids) -> dict[int, str]:
    """``activation_error`` for many suppliers at once (imports): ``{supplier_id: message}``
    for those that may not become active; the others are absent. The rule itself is
    ``Screening.allows_activation`` on the latest screening. One query whatever the number
    of suppliers."""
    supplier_ids = set(supplier_ids)
    latest = latest_screenings(supplier_ids)
    return {pk: _activation_message() for pk in supplier_ids
            if pk not in latest or not latest[pk].allows_activation}
