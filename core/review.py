"""The one review rule for whatever a supplier submits and procurement reviews: indicator
values (scorecard.md section 5), training completions and yearly GHG inventories (issue
#14). Submitted → accepted or rejected; only ``accepted`` counts.

- only a ``submitted`` item is reviewed;
- the decision is ``accepted`` or ``rejected``;
- a rejection needs a comment (the supplier must know what to correct).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
