"""Factory of Choice expiry reminders (issue #14): the daily reminder job warns 90 / 30 / 0
days before a site's latest rba_foc recognition stops being valid, once per threshold, like
audits; a later recognition cancels them."""

import datetime as dt

import pytest

from audits import reminders
from audits.models import Notification, SiteRecognition

D = dt.date


@pytest.fixture
def users(role_users):
    for name, user in role_users.items():
        user.email = f"{name}@example.com"
        user.save()
    return role_users


@pytest.fixture
def site(own_supplier, make_site):
    return make_site(own_supplier, "OWN-1-F1")


def foc(site, awarded_on, expires_on):
    return SiteRecognition.objects.create(site=site, program="rba_foc", awarded_on=awarded_on, expires_on=expires_on)


def live(kind="recognition_expiring"):
    return Notification.objects.filter(kind=kind, cancelled_at__isnull=True)


def test_thresholds_at_their_boundaries_once_each(site, users, mailoutbox):
    recognition = foc(site, D(2024, 1, 10), D(2026, 1, 9))  # last valid day 2026-01-09
    reminders.send_daily_reminders(as_of=D(2025, 10, 11))  # 91 days to the first invalid day
    assert not live().exists()
    reminders.send_daily_reminders(as_of=D(2025, 10, 12))  # exactly 90
    assert set(live().values_list("threshold", flat=True)) == {"90"}
    recipients = set(live().values_list("recipient__username", flat=True))
    assert "supplier_user" in recipients and "procurement_analyst" in recipients
    first = live().count()
    reminders.send_daily_reminders(as_of=D(2025, 10, 13))  # nothing twice
    assert live().count() == first
    reminders.send_daily_reminders(as_of=D(2025, 12, 11))  # exactly 30
    reminders.send_daily_reminders(as_of=D(2026, 1, 9))  # last valid day: still 30
    reminders.send_daily_reminders(as_of=D(2026, 1, 10))  # expired
    assert sorted(set(live().values_list("threshold", flat=True))) == ["0", "30", "90"]
    assert live().count() == 3 * first
    row = live().get(threshold="0", recipient__username="supplier_user")
    assert (row.recognition_id, row.site_id, row.due_on) == (recognition.pk, site.pk, D(2026, 1, 9))
    assert row.subject == ("Factory of Choice recognition of site OWN-1-F1 (supplier OWN-1) expired: "
                           "last valid day 2026-01-09")
    assert len(mailoutbox) == 3 * first


def test_a_later_recognition_cancels_and_is_the_one_watched(site, users):
    foc(site, D(2024, 1, 10), D(2026, 1, 9))
    reminders.send_daily_reminders(as_of=D(2025, 12, 20))
    assert set(live().values_list("threshold", flat=True)) == {"30"}
    foc(site, D(2025, 12, 19), D(2027, 12, 18))
    run = reminders.send_daily_reminders(as_of=D(2025, 12, 21))
    assert run.cancelled >= 1 and not live().exists()


def test_the_owner_is_told_instead_of_every_analyst(site, users, own_supplier):
    own_supplier.owner = users["procurement_admin"]
    own_supplier.save()
    foc(site, D(2024, 1, 10), D(2026, 1, 9))
    reminders.send_daily_reminders(as_of=D(2025, 12, 20))
    assert set(live().values_list("recipient__username", flat=True)) == {"procurement_admin", "supplier_user"}


def test_closed_sites_and_terminated_suppliers_get_none(site, users, own_supplier, make_site):
    closed = make_site(own_supplier, "OWN-1-F2", status="closed")
    foc(closed, D(2024, 1, 10), D(2026, 1, 9))
    other = foc(site, D(2024, 1, 10), D(2026, 1, 9))
    own_supplier.status = "terminated"
    own_supplier.save()
    reminders.send_daily_reminders(as_of=D(2025, 12, 20))
    assert not live().exists()
    assert other.pk


def test_reminders_are_written_in_each_recipients_language(site, users):
    from audits.models import NotificationPreference

    NotificationPreference.objects.create(user=users["supplier_user"], delivery="immediate", language="zh-hans")
    foc(site, D(2024, 1, 10), D(2026, 1, 9))
    reminders.send_daily_reminders(as_of=D(2026, 1, 10))
    chinese = live().get(recipient__username="supplier_user").subject
    english = live().get(recipient__username="procurement_analyst").subject
    assert "OWN-1-F1" in chinese and "expired" not in chinese
    assert english.startswith("Factory of Choice recognition of site OWN-1-F1")
