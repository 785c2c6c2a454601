"""The one review rule for whatever a supplier submits and procurement reviews: indicator
values (scorecard.md section 5), training completions and yearly GHG inventories (issue
#14). Submitted → accepted or rejected; only ``accepted`` counts.

- only a ``submitted`` item is reviewed;
- the decision is ``accepted`` or ``rejected``;
- a rejection needs a comment (the supplier must know what to correct);
- only procurement writers (analysts, administrators) review (``ensure_reviewer``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core import roles
from core.history import history_context, record_bulk_history

SUBMITTED = "submitted"
ACCEPTED = "accepted"
REJECTED = "rejected"
REVIEW_STATES = (ACCEPTED, REJECTED)
# The decision words of review URLs and forms, to the state they decide.
DECISIONS = {"accept": ACCEPTED, "reject": REJECTED}


def ensure_reviewer(actor) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may review what suppliers submit: a
    procurement writer (``core.roles.can_write_master_data``; analysts and administrators)."""
    if not roles.can_write_master_data(actor):
        raise PermissionDenied(_("Only procurement analysts and administrators review submissions."))


def ensure_reviewable(*, current_state: str, state: str, comment: str, what: str = "items",
                      reason_message: str | None = None) -> None:
    """Raise ``ValidationError`` keyed ``state``/``comment`` unless a ``current_state``
    item may be reviewed to ``state`` with ``comment``. ``what`` names the items in the
    message ("only submitted <what> can be reviewed; this one is <state>")."""
    if state not in REVIEW_STATES:
        raise ValidationError({"state": _("Choose accept or reject.")})
    if current_state != SUBMITTED:
        raise ValidationError({"state": f"only submitted {what} can be reviewed; this one is {current_state}"})
    if state == REJECTED and not (comment or "").strip():
        message = reason_message or _("Say why it is rejected so the supplier can correct it.")
        raise ValidationError({"comment": message})


def _auto_now_fields(model) -> list[str]:
    """The names of ``model``'s fields stamped on every save (``auto_now``)."""
    return [field.name for field in model._meta.concrete_fields if getattr(field, "auto_now", False)]


def record_review(item, *, state: str, actor, comment: str = ""):
    """Write a decision ``ensure_reviewable`` allowed on ``item`` (any model with ``state``,
    ``reviewed_at``, ``reviewed_by`` and ``review_comment``): who, when, the comment, and
    the history entry with the comment as its reason. Returns ``item``."""
    record_reviews(type(item), [item], state=state, actor=actor, comment=comment)
    return item


def record_reviews(model, items: list, *, state: str, actor, comment: str = "") -> list:
    """``record_review`` for many ``items`` of ``model`` given one decision (a bulk review):
    every item gets the same state, time, reviewer and comment, and one history row each
    with the comment as its reason. A model's ``auto_now`` fields (``updated_at`` of an
    inventory) take the review time as a ``save()`` would set them (``QuerySet.update``
    leaves them alone). A fixed number of queries whatever the count (one UPDATE, one
    history INSERT per 5,000 items). The caller has checked each item with
    ``ensure_reviewable`` (and locked them). Returns ``items``."""
    if not items:
        return items
    now = timezone.now()
    reviewer = actor if getattr(actor, "pk", None) is not None else None
    fields = {"state": state, "reviewed_at": now, "reviewed_by": reviewer, "review_comment": comment}
    fields.update((name, now) for name in _auto_now_fields(model))
    for item in items:
        for name, value in fields.items():
            setattr(item, name, value)
    model.objects.filter(pk__in=[item.pk for item in items]).update(**fields)
    with history_context(user=reviewer, reason=comment or None):
        record_bulk_history(model, items, updated=True)
    return items
