"""Notifications of the indicator-value review workflow (audits.notifications holds the
delivery: once-only keys, the person's e-mail preference and language, the daily digest)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from audits import notifications
from audits.models import NotificationKind
from scoring.models import ValueState


def notify_value_step(value, actor) -> None:
    """A supplier's submitted indicator value goes to the analysts for review; a review
    (accepted or rejected with its comment) goes back to the supplier's users."""
    notify_value_steps([value], actor)


def notify_value_steps(values: Sequence, actor) -> None:
    """``notify_value_step`` for many values (a bulk review): the same notifications, in
    each recipient's language, with a fixed number of queries whatever the count (the
    recipients, their preferences, one insert). ``values`` carry ``supplier`` and
    ``indicator`` (``select_related``)."""
    actor_id = getattr(actor, "pk", None)
    reviewed = [v for v in values if v.state in (ValueState.ACCEPTED, ValueState.REJECTED)]
    members = notifications.supplier_user_ids({v.supplier_id for v in reviewed}) if reviewed else {}
    analysts = notifications.analyst_ids() if any(v.state == ValueState.SUBMITTED for v in values) else []
    steps = []
    for value in values:
        if value.state == ValueState.SUBMITTED:
            steps.append((value, NotificationKind.VALUE_SUBMITTED, analysts))
        elif value.state in (ValueState.ACCEPTED, ValueState.REJECTED):
            steps.append((value, NotificationKind.VALUE_REVIEWED, members.get(value.supplier_id, [])))
    recipients_of = {id(value): [r for r in recipients if r and r != actor_id] for value, _kind, recipients in steps}
    languages = notifications.preferences({r for ids in recipients_of.values() for r in ids})
    drafts = []
    for value, kind, _recipients in steps:
        drafts += notifications.drafts_for(recipients_of[id(value)], _subject(value), languages=languages, kind=kind,
                                           item=f"value:{value.pk}:{value.state}", supplier_id=value.supplier_id)
    notifications.deliver_on_commit(notifications.create(drafts))


def _subject(value):
    """The sentence of ``value``'s step, built in the active language when called."""
    names = {"indicator": value.indicator.code, "quarter": value.quarter, "code": value.supplier.code,
             "comment": value.review_comment}

    def subject():
        if value.state == ValueState.SUBMITTED:
            return _("%(indicator)s value for %(quarter)s submitted by supplier %(code)s: review it") % names
        if value.state == ValueState.ACCEPTED:
            return _("Your %(indicator)s value for %(quarter)s is accepted") % names
        return _("Your %(indicator)s value for %(quarter)s is rejected: %(comment)s") % names
    return subject
