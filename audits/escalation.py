"""Termination review: a zero-tolerance finding flags its supplier at once and notifies
the procurement admins; a recorded decision (terminate / keep with conditions, who,
when, why) clears the flag."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits import notifications
from audits.models import (
    DECISION_CHOICES,
    Finding,
    FindingStatus,
    NotificationKind,
    TerminationDecision,
    TerminationReview,
)
from core import roles
from core.history import actor_fields, history_context, record_bulk_history, stamp
from suppliers.models import Supplier, SupplierStatus


def open_termination_reviews(*, actor, finding_ids: Iterable[int] | None = None) -> list[TerminationReview]:
    """Attach every zero-tolerance finding not yet under review (of ``finding_ids``, or
    all) to its supplier's open review, opening one where there is none; flag those
    suppliers for termination review and notify the procurement admins. Idempotent and
    bulk: a fixed number of queries whatever the number of findings."""
    pending = Finding.objects.filter(zero_tolerance=True, termination_review__isnull=True).exclude(
        status=FindingStatus.WITHDRAWN)
    if finding_ids is not None:
        pending = pending.filter(id__in=list(finding_ids))
    rows = list(pending.order_by("id").values_list(
        "id", "finding_ref", "severity", "provision__code", "audit__site_id", "audit_id",
        "audit__site__supplier_id", "audit__site__supplier__code", "audit__site__supplier__name"))
    if not rows:
        return []
    supplier_ids = sorted({row[6] for row in rows})
    open_reviews = _open_reviews(supplier_ids)
    missing = [s for s in supplier_ids if s not in open_reviews]
    if missing:
        TerminationReview.objects.bulk_create([TerminationReview(supplier_id=s) for s in missing],
                                              ignore_conflicts=True)
        open_reviews = _open_reviews(supplier_ids)
    Finding.objects.bulk_update(
        [Finding(id=row[0], termination_review_id=open_reviews[row[6]].pk) for row in rows],
        ["termination_review"], batch_size=1000,
    )
    flagged = list(Supplier.objects.filter(id__in=supplier_ids, termination_review=False)
                   .values_list("pk", flat=True))
    Supplier.objects.filter(pk__in=flagged).update(termination_review=True, updated_at=timezone.now())
    with history_context(user=actor, reason="zero-tolerance finding"):
        record_bulk_history(TerminationReview, [open_reviews[s] for s in missing if s in open_reviews])
        record_bulk_history(Finding, Finding.objects.filter(id__in=[row[0] for row in rows]), updated=True)
        record_bulk_history(Supplier, Supplier.objects.filter(pk__in=flagged), updated=True)
    admins = notifications.admin_ids()
    drafts = [
        notifications.Draft(
            kind=NotificationKind.ZERO_TOLERANCE, item=f"finding:{row[0]}", recipient_id=admin,
            subject=_("Termination review: zero-tolerance finding %(ref)s at supplier %(code)s")
            % {"ref": row[1], "code": row[7]},
            body=_("Supplier %(code)s %(name)s has a zero-tolerance finding (%(severity)s, provision %(provision)s)."
                   " The supplier is flagged for termination review until a decision is recorded.")
            % {"code": row[7], "name": row[8], "severity": row[2], "provision": row[3]},
            supplier_id=row[6], site_id=row[4], audit_id=row[5], finding_id=row[0],
        )
        for row in rows for admin in admins
    ]
    notifications.deliver_on_commit(notifications.create(drafts))
    return [open_reviews[s] for s in supplier_ids]


def _open_reviews(supplier_ids: list[int]) -> dict[int, TerminationReview]:
    return {review.supplier_id: review for review in
            TerminationReview.objects.filter(supplier_id__in=supplier_ids, decided_at__isnull=True)}


@transaction.atomic
def termination_review_decide(*, review: TerminationReview, decision: str, reason: str, actor,
                              conditions: str = "") -> TerminationReview:
    """Record the decision on an open review. ``terminate`` also terminates the supplier;
    ``keep_with_conditions`` needs the conditions. Either way the supplier's flag clears."""
    if actor is not None and not isinstance(actor, str) and not roles.is_admin(actor):
        raise PermissionDenied("Only a procurement admin can decide a termination review.")
    review = TerminationReview.objects.select_for_update().select_related("supplier").get(pk=review.pk)
    errors = {}
    if not review.is_open:
        errors["decision"] = "this review has already been decided"
    if decision not in dict(DECISION_CHOICES):
        errors["decision"] = f"'{decision}' is not a decision; use terminate or keep_with_conditions"
    if not (reason or "").strip():
        errors["reason"] = "say why"
    if decision == TerminationDecision.KEEP_WITH_CONDITIONS and not (conditions or "").strip():
        errors["conditions"] = "state the conditions under which the supplier is kept"
    if errors:
        raise ValidationError(errors)
    who = actor_fields(actor)
    review.decision = decision
    review.reason = reason
    review.conditions = conditions
    review.decided_at = timezone.now()
    review.decided_by = who["actor"]
    review.decided_by_label = who["actor_label"]
    stamp(review, actor=actor, reason=reason).save()
    supplier = review.supplier
    supplier.termination_review = False
    stamp(supplier, actor=actor, reason=f"termination review #{review.pk} decided").save(
        update_fields=["termination_review", "updated_at"])
    if decision == TerminationDecision.TERMINATE and supplier.status != SupplierStatus.TERMINATED:
        from suppliers.services import supplier_change_status

        supplier.refresh_from_db()
        supplier_change_status(supplier=supplier, status=SupplierStatus.TERMINATED, actor=actor,
                               # The supplier sees its status history: the internal reasoning
                               # stays on the review, which only procurement can open.
                               reason=f"termination review #{review.pk} decision")
    return review


def termination_review_reconcile(*, review: TerminationReview, actor) -> bool:
    """After findings were withdrawn: an open review with no zero-tolerance finding left
    (withdrawn ones do not count) closes as ``findings_withdrawn`` and the supplier's flag
    clears. Returns whether the review closed."""
    review = TerminationReview.objects.select_for_update().select_related("supplier").get(pk=review.pk)
    if not review.is_open or review.findings.filter(zero_tolerance=True).exclude(
            status=FindingStatus.WITHDRAWN).exists():
        return False
    who = actor_fields(actor)
    review.decision = TerminationDecision.FINDINGS_WITHDRAWN
    review.reason = "every finding under review was withdrawn"
    review.decided_at = timezone.now()
    review.decided_by = who["actor"]
    review.decided_by_label = who["actor_label"]
    stamp(review, actor=actor, reason=review.reason).save()
    supplier = review.supplier
    supplier.termination_review = False
    stamp(supplier, actor=actor, reason="termination review closed: findings withdrawn").save(
        update_fields=["termination_review", "updated_at"])
    return True
