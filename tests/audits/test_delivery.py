"""Reminder e-mails under failure: each message is marked as the server accepts it, a
message that cannot be built is recorded and skipped, and a killed run's claims expire."""

from __future__ import annotations

import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from audits import notifications
from audits.models import Notification
from tests import clock

ACCEPTED: list = []
STATE = {"accept": 3}


class DroppingBackend(BaseEmailBackend):
    """Accepts ``STATE["accept"]`` messages, then the server drops the connection."""

    def send_messages(self, messages):
        for message in messages:
            if STATE["accept"] <= 0:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            STATE["accept"] -= 1
            message.message()
            ACCEPTED.append(message.to[0])
        return len(messages)


@pytest.fixture
def ten_pending(db, settings):
    settings.EMAIL_BACKEND = f"{__name__}.DroppingBackend"
    ACCEPTED.clear()
    users = [get_user_model().objects.create(username=f"u{i:02d}", email=f"u{i:02d}@example.com") for i in range(10)]
    return [Notification.objects.create(key=f"k{i}", recipient=user, kind="cap_overdue", subject=f"CAP overdue {i}")
            for i, user in enumerate(users)]


def test_a_dropped_connection_after_three_messages_resends_none_of_them(ten_pending):
    STATE["accept"] = 3
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notifications.deliver()
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 3
    assert Notification.objects.filter(emailed_at__isnull=True, claim_expires_at__isnull=True).count() == 7
    STATE["accept"] = 100
    assert notifications.deliver() == 7
    assert sorted(ACCEPTED) == [f"u{i:02d}@example.com" for i in range(10)]  # each exactly once
    assert notifications.deliver() == 0


def test_a_message_that_cannot_be_built_is_recorded_and_the_others_go(ten_pending):
    STATE["accept"] = 100
    Notification.objects.filter(key="k4").update(subject="CAP overdue: finding F-1\nBcc: everyone@example.com")
    assert notifications.deliver() == 9
    bad = Notification.objects.get(key="k4")
    assert (bad.emailed_at, "BadHeaderError" in bad.email_error) == (None, True)
    assert len(ACCEPTED) == 9
    # The bad one is not retried and does not stop later runs.
    Notification.objects.create(key="k10", recipient=bad.recipient, kind="cap_overdue", subject="CAP overdue 10")
    assert notifications.deliver() == 1
    assert Notification.objects.get(key="k4").emailed_at is None


def test_claims_of_a_run_killed_before_sending_are_taken_over_once_their_lease_expired(ten_pending):
    STATE["accept"] = 100
    in_a_minute = clock.database_now() + timezone.timedelta(minutes=1)
    Notification.objects.update(claim_expires_at=in_a_minute)  # a run holds them, then dies
    assert notifications.deliver() == 0
    Notification.objects.update(claim_expires_at=clock.database_now() - timezone.timedelta(seconds=1))
    assert notifications.deliver() == 10
    assert len(ACCEPTED) == 10
