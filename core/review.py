"""The one review rule for whatever a supplier submits and procurement reviews: indicator
values (scorecard.md section 5), training completions and yearly GHG inventories (issue
#14). Submitted → accepted or rejected; only ``accepted`` counts.

- only a ``submitted`` item is reviewed;
- the decision is ``accepted`` or ``rejected``;
- a rejection needs a comment (the supplier must know what to correct).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.history import stamp

SUBMITTED = "submitted"
ACCEPTED = "accepted"
REJECTED = "rejected"
REVIEW_STATES = (ACCEPTED, REJECTED)


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


def record_review(item, *, state: str, actor, comment: str = ""):
    """Write a decision ``ensure_reviewable`` allowed on ``item`` (any model with ``state``,
    ``reviewed_at``, ``reviewed_by`` and ``review_comment``): who, when, the comment, and
    the history entry with the comment as its reason. Returns ``item``."""
    item.state = state
    item.reviewed_at = timezone.now()
    item.reviewed_by = actor
    item.review_comment = comment
    stamp(item, actor=actor, reason=comment).save(update_fields=["state", "reviewed_at", "reviewed_by",
                                                                 "review_comment"])
    return item
