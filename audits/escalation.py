"""Termination review: a zero-tolerance finding flags its supplier at once and notifies
the procurement admins; a recorded decision (terminate / keep with conditions, who,
when, why) clears the flag."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits import notifications
from audits.models import Finding, NotificationKind, TerminationDecision, TerminationReview
from core import roles
from core.changelog import actor_fields, record_changes
from suppliers.models import Supplier, SupplierStatus


def open_termination_reviews(*, actor, finding_ids: Iterable[int] | None = None) -> list[TerminationReview]:
    """Attach every zero-tolerance finding not yet under review (of ``finding_ids``, or
    all) to its supplier's open review, opening one where there is none; flag those
    suppliers for termination review and notify the procurement admins. Idempotent and
    bulk: a fixed number of queries whatever the number of findings."""
    pending = Finding.objects.filter(zero_tolerance=True, termination_review__isnull=True)
    if finding_ids is not None:
        pending = pending.filter(id__in=list(finding_ids))
    rows = list(pending.order_by("id").values_list(
        "id", "finding_ref", "severity", "provision__code", "audit__site_id", "audit_id",
        "audit__site__supplier_id", "audit__site__supplier__code", "audit__site__supplier__name"))
    if not rows:
        return []
    supplier_ids = sorted({row[6] for row in rows})
    open_reviews = _open_reviews(supplier_ids)
    missing = [TerminationReview(supplier_id=s) for s in supplier_ids if s not in open_reviews]
    if missing:
        TerminationReview.objects.bulk_create(missing, ignore_conflicts=True)
        open_reviews = _open_reviews(supplier_ids)
    Finding.objects.bulk_update(
        [Finding(id=row[0], termination_review_id=open_reviews[row[6]].pk) for row in rows],
        ["termination_review"], batch_size=1000,
    )
    flagged = list(Supplier.objects.filter(id__in=supplier_ids, termination_review=False)
                   .values_list("code", flat=True))
    Supplier.objects.filter(id__in=supplier_ids, termination_review=False).update(
        termination_review=True, updated_at=timezone.now())
    by_supplier: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        by_supplier[row[6]].append(row[1])
    codes = {row[6]: row[7] for row in rows}
    record_changes(actor=actor, entries=[
        ("supplier", codes[s], "termination_review",
         {"termination_review": [codes[s] not in flagged, True], "findings": refs,
          "review": open_reviews[s].pk})
        for s, refs in by_supplier.items()
    ], reason="zero-tolerance finding")
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
    if decision not in TerminationDecision.values:
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
    review.save()
    supplier = review.supplier
    Supplier.objects.filter(pk=supplier.pk).update(termination_review=False, updated_at=timezone.now())
    record_changes(actor=actor, entries=[("supplier", supplier.code, "termination_decision", {
        "termination_review": [True, False], "decision": decision, "conditions": conditions,
        "review": review.pk})], reason=reason)
    if decision == TerminationDecision.TERMINATE and supplier.status != SupplierStatus.TERMINATED:
        from suppliers.services import supplier_change_status

        supplier.refresh_from_db()
        supplier_change_status(supplier=supplier, status=SupplierStatus.TERMINATED, actor=actor,
                               # The supplier sees its status history: the internal reasoning
                               # stays on the review, which only procurement can open.
                               reason=f"termination review #{review.pk} decision")
    return review
