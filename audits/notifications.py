"""In-app notifications and their e-mails, each sent once.

Once-only comes from the database, not from bookkeeping in memory: every notification
has a ``key`` naming (kind, item, due date, threshold, recipient) and the unique
constraint on it drops a second insert; e-mailing claims rows with a conditional
``UPDATE`` and a lease, and marks each message delivered as the server accepts it, so two
runs never mail the same row and a dropped connection resends nothing (``deliver``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from audits import selectors
from audits.models import (
    CONDUCTED_STATUSES,
    FULL_AUDIT_TYPES,
    Audit,
    AuditStatus,
    CapState,
    FindingStatus,
    Notification,
    NotificationKind,
    SiteRecognition,
)
from audits.selectors import CAP_AWAITING_SUBMISSION
from core import jobs, roles
from suppliers.models import SiteStatus, SupplierMembership

logger = logging.getLogger(__name__)

# A CAP in one of these states answers a "CAP overdue" reminder (selectors.overdue_conditions).
CAP_ANSWERED = [state for state in CapState.values if state not in CAP_AWAITING_SUBMISSION]


@dataclass(frozen=True)
class Draft:
    kind: str
    item: str  # e.g. "finding:12", "audit:3", "site:7"
    recipient_id: int
    subject: str
    body: str = ""
    threshold: str = ""
    due_on: dt.date | None = None
    supplier_id: int | None = None
    site_id: int | None = None
    audit_id: int | None = None
    finding_id: int | None = None
    recognition_id: int | None = None

    @property
    def key(self) -> str:
        due = self.due_on.isoformat() if self.due_on else "-"
        return f"{self.kind}:{self.item}:{due}:{self.threshold or '-'}:{self.recipient_id}"


def create(drafts: Iterable[Draft]) -> list[int]:
    """Insert the drafts whose key is new; returns the ids this call inserted."""
    token = uuid.uuid4()
    rows = [
        Notification(key=d.key, recipient_id=d.recipient_id, kind=d.kind, threshold=d.threshold, due_on=d.due_on,
                     subject=d.subject[:255], body=d.body, supplier_id=d.supplier_id, site_id=d.site_id,
                     audit_id=d.audit_id, finding_id=d.finding_id, recognition_id=d.recognition_id,
                     batch=token)
        for d in {d.key: d for d in drafts}.values()
    ]
    if not rows:
        return []
    Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return list(Notification.objects.filter(batch=token).values_list("id", flat=True))


def deliver_on_commit(notification_ids: list[int]) -> None:
    """E-mail the notifications once the surrounding transaction has committed."""
    if notification_ids:
        from audits import tasks

        transaction.on_commit(lambda: tasks.deliver_notifications.delay(list(notification_ids)))


# Per-message refusals: recorded on the notifications of that message, never retried; the
# batch goes on. Anything else (connection dropped, server down) stops the batch: what was
# accepted stays marked, the rest is released for the next run.
MESSAGE_REFUSALS = (BadHeaderError, ValueError, UnicodeError, smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def deliver(notification_ids: Iterable[int] | None = None) -> int:
    """E-mail pending notifications (the given ones, or every pending one), one message
    per recipient. Returns the number of messages the mail server accepted.

    Each message is marked delivered (``emailed_at``) as soon as the server accepts it, so
    a connection dropped after 3 of 10 messages resends none of the 3. Rows are claimed
    with a lease (``claim_expires_at``, core.jobs lease length): a run killed between
    claiming and sending leaves them to the next run once the lease expires. A message
    that cannot be built or is refused (e.g. a header with a newline) is recorded on its
    notifications (``email_error``) and the others go on. A connection error is raised
    after releasing the unsent claims (the task retries)."""
    pending = (Notification.objects.filter(emailed_at__isnull=True, cancelled_at__isnull=True, email_error="")
               .filter(Q(claim_expires_at__isnull=True) | Q(claim_expires_at__lt=Now())))
    if notification_ids is not None:
        pending = pending.filter(id__in=list(notification_ids))
    token = uuid.uuid4()
    lease_until = ExpressionWrapper(Now() + dt.timedelta(seconds=jobs.lease_seconds()),
                                    output_field=DateTimeField())
    if not pending.update(claim_expires_at=lease_until, batch=token):
        return 0
    claimed = list(Notification.objects.filter(batch=token).select_related("recipient").order_by("recipient_id", "id"))
    by_recipient: dict = defaultdict(list)
    unreachable = []
    for notification in claimed:
        if notification.recipient.email and notification.recipient.is_active:
            by_recipient[notification.recipient].append(notification)
        else:
            unreachable.append(notification.pk)
    # Nobody to e-mail: in-app only, done.
    Notification.objects.filter(pk__in=unreachable).update(emailed_at=Now(), claim_expires_at=None)
    sent = 0
    connection = get_connection()
    try:
        connection.open()
        for user, items in by_recipient.items():
            ids = [item.pk for item in items]
            try:
                message = _message(user, items)
                message.connection = connection
                message.message()  # builds the headers: a bad subject is refused here
                accepted = connection.send_messages([message])
            except MESSAGE_REFUSALS as exc:
                logger.warning("reminder e-mail to %s refused: %s", user.email, exc)
                Notification.objects.filter(pk__in=ids).update(
                    email_error=f"{type(exc).__name__}: {exc}"[:1000], claim_expires_at=None)
                continue
            if accepted:
                Notification.objects.filter(pk__in=ids).update(emailed_at=Now(), claim_expires_at=None)
                sent += 1
    except Exception:
        Notification.objects.filter(batch=token, emailed_at__isnull=True, email_error="").update(
            claim_expires_at=None)
        raise
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return sent


def _message(user, items: list[Notification]) -> EmailMessage:
    subject = items[0].subject if len(items) == 1 else _("%(count)d ESG audit reminders") % {"count": len(items)}
    body = "\n\n".join(f"{item.subject}\n{item.body}".strip() for item in items)
    return EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])


def cancel_stale(*, finding_ids: Iterable[int] | None = None) -> int:
    """Cancel live notifications whose item has closed or whose due date has changed
    (the in-app list hides them; a new due date gets its own reminders)."""
    now = timezone.now()
    live = Notification.objects.filter(cancelled_at__isnull=True)
    if finding_ids is not None:
        live = live.filter(finding_id__in=list(finding_ids))
    finding_closed = Q(finding__status__in=[FindingStatus.CLOSED, FindingStatus.WITHDRAWN])
    cancelled = live.filter(kind=NotificationKind.CAP_OVERDUE).filter(
        finding_closed | Q(finding__cap_due_on__isnull=True) | Q(finding__cap_due_on__lt=F("due_on"))
        | Q(finding__cap_due_on__gt=F("due_on"))
        | Q(finding__corrective_action__state__in=CAP_ANSWERED)
    ).update(cancelled_at=now)
    cancelled += live.filter(kind=NotificationKind.CORRECTION_OVERDUE).filter(
        finding_closed | Q(finding__correction_due_on__isnull=True)
        | Q(finding__correction_due_on__lt=F("due_on")) | Q(finding__correction_due_on__gt=F("due_on"))
    ).update(cancelled_at=now)
    if finding_ids is not None:
        return cancelled
    newer_full_audit = Audit.objects.filter(
        site_id=OuterRef("audit__site_id"), audit_type__in=FULL_AUDIT_TYPES, status__in=CONDUCTED_STATUSES,
        conducted_on__gt=OuterRef("audit__conducted_on"))
    cancelled += live.filter(kind=NotificationKind.AUDIT_EXPIRING).filter(
        Exists(newer_full_audit) | Q(audit__status=AuditStatus.CANCELLED) | Q(site__status=SiteStatus.CLOSED)
        | Q(audit__valid_until__isnull=True) | Q(audit__valid_until__lt=F("due_on"))
        | Q(audit__valid_until__gt=F("due_on"))
    ).update(cancelled_at=now)
    any_full_audit = Audit.objects.filter(site_id=OuterRef("site_id"), audit_type__in=FULL_AUDIT_TYPES,
                                          status__in=CONDUCTED_STATUSES)
    cancelled += live.filter(kind=NotificationKind.SITE_NEVER_AUDITED).filter(
        Exists(any_full_audit) | Q(site__status=SiteStatus.CLOSED)
    ).update(cancelled_at=now)
    # A Factory of Choice reminder ends with a later recognition of the site, a changed expiry,
    # or a closed site (audits.reminders._recognition_drafts).
    later_recognition = SiteRecognition.objects.filter(
        site_id=OuterRef("recognition__site_id"), program=OuterRef("recognition__program"),
        expires_on__gt=OuterRef("recognition__expires_on"))
    cancelled += live.filter(kind=NotificationKind.RECOGNITION_EXPIRING).filter(
        Exists(later_recognition) | Q(recognition__isnull=True) | Q(site__status=SiteStatus.CLOSED)
        | Q(recognition__expires_on__lt=F("due_on")) | Q(recognition__expires_on__gt=F("due_on"))
    ).update(cancelled_at=now)
    return cancelled


# --------------------------------------------------------------------------- recipients


def _active_users():
    return get_user_model().objects.filter(is_active=True)


def admin_ids() -> list[int]:
    return list(_active_users().filter(Q(is_superuser=True) | Q(groups__name=roles.PROCUREMENT_ADMIN))
                .distinct().order_by("id").values_list("id", flat=True))


def analyst_ids() -> list[int]:
    """Fallback recipients when an item has no responsible analyst."""
    return list(_active_users().filter(groups__name=roles.PROCUREMENT_ANALYST).distinct().order_by("id")
                .values_list("id", flat=True))


def supplier_user_ids(supplier_ids: Iterable[int]) -> dict[int, list[int]]:
    """Supplier id → ids of its active supplier users, one query."""
    result: dict[int, list[int]] = defaultdict(list)
    rows = SupplierMembership.objects.filter(supplier_id__in=set(supplier_ids), user__is_active=True).order_by(
        "user_id").values_list("supplier_id", "user_id")
    for supplier_id, user_id in rows:
        result[supplier_id].append(user_id)
    return result


def notifications_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications as read (the given ones, or all). Only the
    user's own rows can change: other ids are ignored. Returns how many changed."""
    unread = selectors.notifications_for(user).filter(read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(id__in=notification_ids)
    return unread.update(read_at=timezone.now())
