"""In-app notifications: each user sees only its own (a supplier user only its own
supplier's), the header counts the unread ones, and they can be marked read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audits.models import Notification

URL = "/notifications/"


@pytest.fixture
def inbox(world, role_users):
    def note(role, subject, **fields):
        fields.setdefault("kind", "cap_overdue")
        return Notification.objects.create(key=f"{role}:{subject}", recipient=role_users[role], subject=subject,
                                           **fields)

    return {
        "overdue": note("supplier_user", "CAP overdue: F-OWN-1", supplier=world.own, finding=world.own_finding,
                        due_on=world.today - dt.timedelta(days=3), body="Submit the plan for F-OWN-1."),
        "expiring": note("supplier_user", "Audit expiring at OWN-1-F1", kind="audit_expiring", supplier=world.own,
                         audit=world.own_audit),
        "read": note("supplier_user", "Old reminder", supplier=world.own, read_at=timezone.now()),
        "cancelled": note("supplier_user", "Cancelled reminder", supplier=world.own, cancelled_at=timezone.now()),
        # Addressed to the supplier user but about another supplier: never shown to it.
        "stray": note("supplier_user", "About OTHER-1", supplier=world.other, finding=world.other_finding),
        "analyst": note("procurement_analyst", "CAP overdue: F-OTHER-1", supplier=world.other,
                        finding=world.other_finding),
    }


def subjects(response):
    assert response.status_code == 200
    return [n.subject for n in response.context["page"].object_list]


def test_user_sees_only_its_own_unread_notifications(inbox, client_as):
    client = client_as("supplier_user")
    response = client.get(URL)
    assert sorted(subjects(response)) == ["Audit expiring at OWN-1-F1", "CAP overdue: F-OWN-1"]
    body = response.content.decode()
    assert 'href="/findings/F-OWN-1/"' in body and 'href="/audits/AUD-OWN-1/"' in body
    assert "OTHER-1" not in body
    assert sorted(subjects(client.get(f"{URL}?show=all"))) == [
        "Audit expiring at OWN-1-F1", "CAP overdue: F-OWN-1", "Old reminder"]
    assert subjects(client_as("procurement_analyst").get(URL)) == ["CAP overdue: F-OTHER-1"]
    assert subjects(client_as("viewer").get(URL)) == []
    assert "No unread notifications." in client_as("viewer").get(URL).content.decode()


def test_header_counts_unread_notifications_on_every_page(inbox, client_as):
    client = client_as("supplier_user")
    for url in ("/suppliers/OWN-1/", "/findings/", URL):
        assert "2 unread" in client.get(url).content.decode(), url
    assert "1 unread" in client_as("procurement_analyst").get("/dashboard/").content.decode()
    assert "unread" not in client_as("viewer").get("/dashboard/").content.decode()


def test_mark_one_as_read(inbox, client_as):
    client = client_as("supplier_user")
    response = client.post(f"{URL}read/", {"id": inbox["overdue"].pk, "next": "/findings/"})
    assert response.status_code == 302 and response["Location"] == "/findings/"
    inbox["overdue"].refresh_from_db()
    assert inbox["overdue"].read_at is not None
    assert "1 unread" in client.get("/findings/").content.decode()
    assert subjects(client.get(URL)) == ["Audit expiring at OWN-1-F1"]


def test_mark_all_as_read_touches_only_the_users_own(inbox, client_as):
    response = client_as("supplier_user").post(f"{URL}read/", {"all": "1"})
    assert response.status_code == 302 and response["Location"] == URL
    assert set(Notification.objects.filter(read_at__isnull=True).values_list("subject", flat=True)) == {
        "Cancelled reminder", "About OTHER-1", "CAP overdue: F-OTHER-1"}


@pytest.mark.parametrize("target", ["analyst", "stray", "cancelled"])
def test_another_users_or_hidden_notification_is_404(inbox, client_as, target):
    response = client_as("supplier_user").post(f"{URL}read/", {"id": inbox[target].pk})
    assert response.status_code == 404
    inbox[target].refresh_from_db()
    assert inbox[target].read_at is None


def test_redirect_after_marking_stays_on_this_site(inbox, client_as):
    response = client_as("supplier_user").post(f"{URL}read/", {"id": inbox["overdue"].pk,
                                                               "next": "https://evil.example/"})
    assert response["Location"] == URL


def test_roleless_and_anonymous_users_get_no_notifications(inbox, client_as, client):
    assert client_as("no_role").get(URL).status_code == 403
    assert client_as("no_role").post(f"{URL}read/", {"all": "1"}).status_code == 403
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    assert client_as("supplier_user").get(f"{URL}read/").status_code == 405
