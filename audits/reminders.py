"""The daily reminder and escalation job.

At ``as_of`` it finds: findings whose CAP or correction is overdue, sites whose latest
full audit expires within 90 / 30 / 0 days, relevant sites of the 95%-of-spend
population never audited, sites whose RBA Factory of Choice recognition expires within
90 / 30 / 0 days (the latest one of each site), and zero-tolerance findings not yet under
termination review.
Each becomes a notification per recipient (the responsible analyst — or every analyst
when none is assigned — and the supplier's users), in-app and by e-mail. Keys make each
reminder once-only per threshold and due date; stale ones are cancelled first.
Running the job twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from audits import dates, escalation, notifications, selectors
from audits.models import Finding, NotificationKind

logger = logging.getLogger(__name__)

EXPIRY_THRESHOLDS = (90, 30, 0)  # days before expiry; 0 = expired


@dataclass
class ReminderRun:
    as_of: dt.date
    cancelled: int = 0
    created: int = 0
    emails: int = 0
    digests: int = 0
    reviews_opened: int = 0

    def summary(self) -> str:
        return (f"{self.as_of}: {self.created} new notification(s), {self.emails} e-mail(s) sent, "
                f"{self.digests} daily digest(s), "
                f"{self.cancelled} cancelled, {self.reviews_opened} termination review(s) opened or extended")


def send_daily_reminders(*, as_of: dt.date, actor="send_audit_reminders") -> ReminderRun:
    run = ReminderRun(as_of=as_of)
    with transaction.atomic():
        run.cancelled = notifications.cancel_stale()
        run.reviews_opened = len(escalation.open_termination_reviews(actor=actor))
        analysts = notifications.analyst_ids()
        drafts = (_finding_drafts(as_of, analysts) + _site_drafts(as_of, analysts)
                  + _recognition_drafts(as_of, analysts))
        run.created = len(notifications.create(drafts))
    # Everything pending: this run's rows, and any left by an earlier failed delivery; then
    # one digest per person who chose a daily e-mail.
    run.emails = notifications.deliver()
    run.digests = notifications.send_digests(as_of)
    logger.info("audit reminders %s", run.summary())
    return run


def _recipients(analyst_id: int | None, fallback: list[int], supplier_users: list[int]) -> list[int]:
    first = [analyst_id] if analyst_id else fallback
    return list(dict.fromkeys([*first, *supplier_users]))


def _finding_drafts(as_of: dt.date, analysts: list[int], findings=None, *, threshold: str = "overdue",
                    corrections: bool = True, skip: int | None = None) -> list[notifications.Draft]:
    """Overdue reminders of ``findings`` (every finding by default) at ``as_of``: CAP
    overdue, and correction overdue unless ``corrections`` is false; ``threshold`` goes
    into the once-only key; ``skip`` (a user id) gets none."""
    rows = list(
        selectors.with_overdue(Finding.objects.all() if findings is None else findings, as_of).filter(is_overdue=True)
        .annotate(cap_due=selectors.working_due("cap_due_on"),
                  correction_due=selectors.working_due("correction_due_on"))
        .order_by("id")
        .values_list("id", "finding_ref", "cap_due", "correction_due", "cap_overdue", "correction_overdue",
                     "audit_id", "audit__site_id", "audit__site__supplier_id", "audit__site__supplier__code",
                     "audit__responsible_analyst_id")
    )
    members = notifications.supplier_user_ids(row[8] for row in rows)
    languages = notifications.preferences({*analysts, *(row[10] for row in rows if row[10]),
                                           *(u for users in members.values() for u in users)})
    drafts = []
    for (fid, ref, cap_due, correction_due, cap_overdue, correction_overdue, audit_id, site_id, supplier_id, code,
         analyst) in rows:
        common = {"supplier_id": supplier_id, "site_id": site_id, "audit_id": audit_id, "finding_id": fid,
                  "item": f"finding:{fid}", "threshold": threshold}
        recipients = [r for r in _recipients(analyst, analysts, members.get(supplier_id, [])) if r != skip]
        if cap_overdue:
            def subject(ref=ref, code=code, due=cap_due):
                return _("CAP overdue: finding %(ref)s (supplier %(code)s) was due %(due)s") % {
                    "ref": ref, "code": code, "due": due.isoformat()}
            drafts += notifications.drafts_for(recipients, subject, languages=languages,
                                               kind=NotificationKind.CAP_OVERDUE, due_on=cap_due, **common)
        if correction_overdue and corrections:
            def subject(ref=ref, code=code, due=correction_due):
                return _("Correction overdue: finding %(ref)s (supplier %(code)s) was due %(due)s") % {
                    "ref": ref, "code": code, "due": due.isoformat()}
            drafts += notifications.drafts_for(recipients, subject, languages=languages,
                                               kind=NotificationKind.CORRECTION_OVERDUE, due_on=correction_due,
                                               **common)
    return drafts


def cap_reminders_send(*, finding_ids, actor, as_of: dt.date | None = None) -> int:
    """The findings board's "send reminders": a CAP-overdue reminder now about each of
    the selected findings, to the same people the daily job reminds (the responsible
    analyst or every analyst, and the supplier's users; not the sender), in each one's
    language and by each one's e-mail preference (immediate now, daily in the digest, off:
    in the portal only; ``notifications.deliver``). Once a day per finding and person: a
    second press the same day sends nothing again. All or nothing: ``ValidationError``
    keyed ``findings`` when nothing is selected or a selected finding's CAP is not overdue
    at ``as_of`` (the business day by default; ``selectors.overdue_conditions``);
    ``PermissionDenied`` unless ``actor`` is a procurement writer. Returns the number of
    notifications written."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from core import roles
    from core.quarter import today as business_day

    if not roles.can_write_master_data(actor):
        raise PermissionDenied(_("Only procurement analysts and administrators send reminders."))
    as_of = as_of or business_day()
    ids = list(dict.fromkeys(finding_ids))
    if not ids:
        raise ValidationError({"findings": _("Select at least one finding.")})
    with transaction.atomic():
        findings = Finding.objects.filter(pk__in=ids)
        overdue = set(selectors.with_overdue(findings, as_of).filter(cap_overdue=True).values_list("pk", flat=True))
        refused = sorted(Finding.objects.filter(pk__in=set(ids) - overdue).values_list("finding_ref", flat=True))
        if len(overdue) + len(refused) < len(ids):
            raise ValidationError({"findings": _("Some selected findings do not exist; nothing was sent.")})
        if refused:
            raise ValidationError({"findings": _("No overdue CAP to remind about: %(refs)s. Nothing was sent; "
                                                 "select only findings whose CAP is overdue.") % {
                "refs": ", ".join(refused[:10])}})
        drafts = _finding_drafts(as_of, notifications.analyst_ids(), findings, threshold=f"reminded:{as_of}",
                                 corrections=False, skip=getattr(actor, "pk", None))
        created = notifications.create(drafts)
        notifications.deliver_on_commit(created)
    return len(created)


def expiry_threshold(valid_until: dt.date, as_of: dt.date) -> int | None:
    """The most urgent threshold reached: days until the first day the audit is no
    longer valid, compared with 90 / 30 / 0."""
    days_left = (valid_until - as_of).days + 1
    reached = [t for t in EXPIRY_THRESHOLDS if days_left <= t]
    return min(reached) if reached else None


def _site_drafts(as_of: dt.date, analysts: list[int]) -> list[notifications.Draft]:
    cycle = selectors.site_cycle_status(as_of, expiring_days=max(EXPIRY_THRESHOLDS))
    cycle = cycle[cycle["relevant"] & (cycle["supplier_status"] != "terminated")]
    population = _full_population_ids(as_of)
    members = notifications.supplier_user_ids(cycle["supplier_id"].tolist())
    languages = notifications.preferences({*analysts, *(int(a) for a in cycle["responsible_analyst_id"].dropna()),
                                           *(u for users in members.values() for u in users)})
    drafts = []
    for row in cycle.itertuples(index=False):
        recipients = _recipients(row.responsible_analyst_id, analysts, members.get(row.supplier_id, []))
        common = {"supplier_id": row.supplier_id, "site_id": row.site_id}
        if row.status == dates.NEVER_AUDITED:
            if row.supplier_id not in population:
                continue
            def subject(row=row):
                return _("Site %(site)s of supplier %(code)s has never had a full audit") % {
                    "site": row.site_code, "code": row.supplier_code}
            drafts += notifications.drafts_for(recipients, subject, languages=languages,
                                               kind=NotificationKind.SITE_NEVER_AUDITED, item=f"site:{row.site_id}",
                                               **common)
            continue
        threshold = expiry_threshold(row.valid_until, as_of)
        if threshold is None:
            continue
        def subject(row=row, threshold=threshold):
            if threshold == 0:
                text = _("Audit %(ref)s of site %(site)s (supplier %(code)s) expired: last valid day %(until)s")
            else:
                text = _("Audit %(ref)s of site %(site)s (supplier %(code)s) expires within %(days)s days: "
                         "last valid day %(until)s")
            return text % {"ref": row.last_full_audit_ref, "site": row.site_code, "code": row.supplier_code,
                           "days": threshold, "until": row.valid_until.isoformat()}
        drafts += notifications.drafts_for(recipients, subject, languages=languages,
                                           kind=NotificationKind.AUDIT_EXPIRING, item=f"audit:{row.last_full_audit_id}",
                                           threshold=str(threshold), due_on=row.valid_until,
                                           audit_id=row.last_full_audit_id, **common)
    return drafts


def _recognition_drafts(as_of: dt.date, analysts: list[int]) -> list[notifications.Draft]:
    """Factory of Choice expiry reminders, like audits': for each active site of a supplier
    not terminated, its latest ``rba_foc`` recognition awarded by ``as_of`` (the one expiring
    last); thresholds 90 / 30 / 0 days before the day after ``expires_on`` (its last valid
    day). Recipients: the supplier's owner, else every analyst, and the supplier's users.
    A later recognition cancels the reminders (``notifications.cancel_stale``). One query
    besides the recipients'."""
    latest = {}
    for row in selectors.latest_recognitions(as_of):
        latest[row["site_id"]] = row  # ordered by expires_on: the last one of the site wins
    members = notifications.supplier_user_ids({row["supplier_id"] for row in latest.values()})
    languages = notifications.preferences({*analysts, *(row["owner_id"] for row in latest.values() if row["owner_id"]),
                                           *(u for users in members.values() for u in users)})
    drafts = []
    for row in latest.values():
        threshold = expiry_threshold(row["expires_on"], as_of)
        if threshold is None:
            continue
        def subject(row=row, threshold=threshold):
            if threshold == 0:
                text = _("Factory of Choice recognition of site %(site)s (supplier %(code)s) expired: "
                         "last valid day %(until)s")
            else:
                text = _("Factory of Choice recognition of site %(site)s (supplier %(code)s) expires within "
                         "%(days)s days: last valid day %(until)s")
            return text % {"site": row["site_code"], "code": row["supplier_code"], "days": threshold,
                           "until": row["expires_on"].isoformat()}
        recipients = _recipients(row["owner_id"], analysts, members.get(row["supplier_id"], []))
        drafts += notifications.drafts_for(recipients, subject, languages=languages,
                                           kind=NotificationKind.RECOGNITION_EXPIRING,
                                           item=f"recognition:{row['id']}", threshold=str(threshold),
                                           due_on=row["expires_on"], supplier_id=row["supplier_id"],
                                           site_id=row["site_id"], recognition_id=row["id"])
    return drafts


def _full_population_ids(as_of: dt.date) -> set[int]:
    """Suppliers of the full-scorecard (95%-of-spend) population of the last closed
    quarter at ``as_of``; empty (and logged) when it cannot be computed."""
    from suppliers.spend import MissingFxRates

    try:
        population = selectors.last_closed_population(as_of)
    except MissingFxRates as exc:
        logger.warning("never-audited reminders skipped for %s: %s", as_of, exc)
        return set()
    return {int(s) for s, p in zip(population["supplier_id"], population["population"], strict=True) if p == "full"}
