"""Notifications of the indicator-value review workflow (audits.notifications holds the
delivery: once-only keys, the person's e-mail preference and language, the daily digest)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from audits import notifications
from audits.models import NotificationKind
from scoring.models import ValueState


def notify_value_step(value, actor) -> None:
    """A supplier's submitted indicator value goes to the analysts for review; a review
    (accepted or rejected with its comment) goes back to the supplier's users."""
    actor_id = getattr(actor, "pk", None)
    supplier_id = value.supplier_id
    code = value.supplier.code
    indicator = value.indicator.code
    if value.state == ValueState.SUBMITTED:
        kind, recipients = NotificationKind.VALUE_SUBMITTED, notifications.analyst_ids()

        def subject():
            return _("%(indicator)s value for %(quarter)s submitted by supplier %(code)s: review it") % {
                "indicator": indicator, "quarter": value.quarter, "code": code}
    elif value.state in (ValueState.ACCEPTED, ValueState.REJECTED):
        kind = NotificationKind.VALUE_REVIEWED
        recipients = notifications.supplier_user_ids([supplier_id]).get(supplier_id, [])

        def subject():
            if value.state == ValueState.ACCEPTED:
                return _("Your %(indicator)s value for %(quarter)s is accepted") % {
                    "indicator": indicator, "quarter": value.quarter}
            return _("Your %(indicator)s value for %(quarter)s is rejected: %(comment)s") % {
                "indicator": indicator, "quarter": value.quarter, "comment": value.review_comment}
    else:
        return
    recipients = [r for r in recipients if r and r != actor_id]
    drafts = notifications.drafts_for(recipients, subject, kind=kind, item=f"value:{value.pk}:{value.state}",
                                      supplier_id=supplier_id)
    notifications.deliver_on_commit(notifications.create(drafts))
