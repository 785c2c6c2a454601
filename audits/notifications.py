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
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audits import selectors
from audits.models import (
    CONDUCTED_STATUSES,
    FULL_AUDIT_TYPES,
    Audit,
    AuditStatus,
    CapState,
    Delivery,
    FindingStatus,
    Notification,
    NotificationDigest,
    NotificationKind,
    NotificationPreference,
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
    pending = _pending().exclude(recipient__notification_preference__delivery=Delivery.DAILY)
    if notification_ids is not None:
        pending = pending.filter(id__in=list(notification_ids))
    return _send(pending)


def _pending():
    return (Notification.objects.filter(emailed_at__isnull=True, cancelled_at__isnull=True, email_error="")
            .filter(Q(claim_expires_at__isnull=True) | Q(claim_expires_at__lt=Now())))


def _send(pending, *, digest_day: dt.date | None = None) -> int:
    token = uuid.uuid4()
    lease_until = ExpressionWrapper(Now() + dt.timedelta(seconds=jobs.lease_seconds()),
                                    output_field=DateTimeField())
    if not pending.update(claim_expires_at=lease_until, batch=token):
        return 0
    claimed = list(Notification.objects.filter(batch=token).select_related("recipient").order_by("recipient_id", "id"))
    settings_of = preferences({n.recipient_id for n in claimed})
    by_recipient: dict = defaultdict(list)
    unreachable = []
    for notification in claimed:
        user = notification.recipient
        if user.email and user.is_active and settings_of[user.pk][0] != Delivery.OFF:
            by_recipient[user].append(notification)
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
            if digest_day is not None and not _claim_digest(user, digest_day, len(items)):
                Notification.objects.filter(pk__in=ids).update(claim_expires_at=None)
                continue
            try:
                with translation.override(settings_of[user.pk][1]):
                    message = _message(user, items, digest=digest_day is not None)
                message.connection = connection
                message.message()  # builds the headers: a bad subject is refused here
                accepted = connection.send_messages([message])
            except MESSAGE_REFUSALS as exc:
                logger.warning("notification e-mail to %s refused: %s", user.email, exc)
                Notification.objects.filter(pk__in=ids).update(
                    email_error=f"{type(exc).__name__}: {exc}"[:1000], claim_expires_at=None)
                continue
            if accepted:
                Notification.objects.filter(pk__in=ids).update(emailed_at=Now(), claim_expires_at=None)
                sent += 1
    except Exception:
        Notification.objects.filter(batch=token, emailed_at__isnull=True, email_error="").update(
            claim_expires_at=None)
        if digest_day is not None:  # unsent digests of the day may go out on a later run
            NotificationDigest.objects.filter(day=digest_day, recipient_id__in=[
                n.recipient_id for n in Notification.objects.filter(batch=token, emailed_at__isnull=True)]).delete()
        raise
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return sent


def _message(user, items: list[Notification], *, digest: bool = False) -> EmailMessage:
    """One e-mail for ``items`` in the active language (the recipient's)."""
    if digest:
        subject = _("Your daily ESG digest: %(count)d notifications") % {"count": len(items)}
    elif len(items) == 1:
        subject = items[0].subject
    else:
        subject = _("%(count)d ESG notifications") % {"count": len(items)}
    body = "\n\n".join(f"{item.subject}\n{item.body}".strip() for item in items)
    if digest:
        body = _("What needs your attention since the last digest:") + "\n\n" + body
    return EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])


def _claim_digest(user, day: dt.date, count: int) -> bool:
    """Record the person's digest of ``day``; False when one was already sent that day."""
    with transaction.atomic():
        _digest, created = NotificationDigest.objects.get_or_create(recipient=user, day=day,
                                                                   defaults={"items": count})
    return created


def send_digests(day: dt.date) -> int:
    """The daily digest: for every person who chose ``daily``, one e-mail with all their
    pending notifications, at most one per person per ``day`` (``NotificationDigest``);
    what arrives after it waits for the next day's digest. Returns the e-mails sent."""
    pending = _pending().filter(recipient__notification_preference__delivery=Delivery.DAILY)
    return _send(pending, digest_day=day)


def preferences(user_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """User id → (delivery, language) for notifications: the person's
    ``NotificationPreference``, else immediate e-mail in their supplier contact language
    (``SupplierMembership.language``), else English. Two queries."""
    user_ids = set(user_ids)
    result = dict.fromkeys(user_ids, (Delivery.IMMEDIATE, "en"))
    for pk, language in SupplierMembership.objects.filter(user_id__in=user_ids).values_list("user_id", "language"):
        result[pk] = (Delivery.IMMEDIATE, language or "en")
    for pk, delivery, language in NotificationPreference.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "delivery", "language"):
        result[pk] = (delivery, language)
    return result


def drafts_for(recipient_ids: Iterable[int], subject, *, languages: dict[int, tuple[str, str]] | None = None,
               **fields) -> list[Draft]:
    """One draft per recipient with ``subject()`` (a callable building the sentence)
    rendered in the recipient's language (``preferences``)."""
    recipient_ids = list(dict.fromkeys(recipient_ids))
    languages = preferences(recipient_ids) if languages is None else languages
    drafts = []
    for recipient_id in recipient_ids:
        with translation.override(languages.get(recipient_id, (None, "en"))[1]):
            drafts.append(Draft(recipient_id=recipient_id, subject=str(subject()), **fields))
    return drafts


def preference_save(*, user, delivery: str, language: str) -> NotificationPreference:
    """Set how ``user`` receives notifications by e-mail and in which language."""
    from django.core.exceptions import ValidationError

    errors = {}
    if delivery not in Delivery.values:
        errors["delivery"] = _("Choose immediately, daily or no e-mail.")
    if language not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = _("Choose English or Chinese.")
    if errors:
        raise ValidationError(errors)
    preference = NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)
    if (preference.pk, preference.delivery, preference.language) != (preference.pk or 0, delivery, language):
        preference.delivery, preference.language = delivery, language
        preference.save()
    return preference


# --------------------------------------------------------------------------- workflow steps


def notify_cap_step(cap, to_state: str, actor) -> None:
    """Tell the person who must act next about a CAP step: a submitted plan goes to the
    audit's responsible analyst (every analyst when none); changes requested and approval
    go to the supplier's users. Delivered once the transaction commits."""
    finding = cap.finding
    audit = finding.audit
    supplier_id = audit.site.supplier_id
    code = audit.site.supplier.code
    actor_id = getattr(actor, "pk", None)
    if to_state == CapState.SUBMITTED:
        kind = NotificationKind.CAP_SUBMITTED
        recipients = [audit.responsible_analyst_id] if audit.responsible_analyst_id else analyst_ids()

        def subject():
            return _("CAP submitted for finding %(ref)s (supplier %(code)s): review it") % {
                "ref": finding.finding_ref, "code": code}
    elif to_state in (CapState.REJECTED, CapState.APPROVED):
        kind = (NotificationKind.CAP_CHANGES_REQUESTED if to_state == CapState.REJECTED
                else NotificationKind.CAP_APPROVED)
        recipients = supplier_user_ids([supplier_id]).get(supplier_id, [])

        def subject():
            if to_state == CapState.REJECTED:
                return _("Changes requested to the CAP of finding %(ref)s: %(reason)s") % {
                    "ref": finding.finding_ref, "reason": cap.rejection_reason or "—"}
            return _("The CAP of finding %(ref)s is approved: carry it out and report it implemented") % {
                "ref": finding.finding_ref}
    else:
        return
    recipients = [r for r in recipients if r and r != actor_id]
    stamp_at = cap.state_changed_at.isoformat() if cap.state_changed_at else ""
    drafts = drafts_for(recipients, subject, kind=kind, item=f"cap:{cap.pk}:{stamp_at}", supplier_id=supplier_id,
                        site_id=audit.site_id, audit_id=audit.pk, finding_id=finding.pk)
    deliver_on_commit(create(drafts))


def cancel_stale(*, finding_ids: Iterable[int] | None = None) -> int:
    """Cancel live notifications whose item has closed or whose due date has changed
    (the in-app list hides them; a new due date gets its own reminders)."""
    now = timezone.now()
    live = Notification.objects.filter(cancelled_at__isnull=True)
    if finding_ids is not None:
        live = live.filter(finding_id__in=list(finding_ids))
    finding_closed = Q(finding__status__in=[FindingStatus.CLOSED, FindingStatus.WITHDRAWN])
    # The working due dates (an extension's, else the given one: selectors.working_due).
    cancelled = live.alias(working=selectors.working_due("cap_due_on", "finding__")).filter(
        kind=NotificationKind.CAP_OVERDUE).filter(
        finding_closed | Q(working__isnull=True) | Q(working__lt=F("due_on")) | Q(working__gt=F("due_on"))
        | Q(finding__corrective_action__state__in=CAP_ANSWERED)
    ).update(cancelled_at=now)
    cancelled += live.alias(working=selectors.working_due("correction_due_on", "finding__")).filter(
        kind=NotificationKind.CORRECTION_OVERDUE).filter(
        finding_closed | Q(working__isnull=True) | Q(working__lt=F("due_on")) | Q(working__gt=F("due_on"))
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
