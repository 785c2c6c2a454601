"""Supplier contacts managed in the portal: invitation by e-mail with a one-time link to set
a password, the list, deactivation with a reason (suppliers.contacts)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from core import roles
from suppliers.models import SupplierMembership

INVITE = "/suppliers/OWN-1/contacts/invite/"
CONTACTS = "/suppliers/OWN-1/contacts/"


def invite(client, **overrides):
    data = {"name": "Li Wei", "email": "Li.Wei@Example.COM", "language": "en", **overrides}
    return client.post(INVITE, data)


def signs_in(username: str, password: str) -> bool:
    """Through the login form, as a person does (the sign-in lock-out needs the request)."""
    client = Client()
    client.post("/accounts/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_an_invited_contact_sets_a_password_once_and_signs_in(db, own_supplier, client_as,
                                                              django_capture_on_commit_callbacks):
    analyst = client_as("procurement_analyst")
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(analyst).status_code == 302
    user = get_user_model().objects.get(email="li.wei@example.com")
    assert user.username == "li.wei@example.com" and user.first_name == "Li Wei"
    assert user.is_active and not user.has_usable_password()
    assert roles.role_of(user) == roles.SUPPLIER_USER
    membership = user.supplier_membership
    assert (membership.supplier, membership.invited_by_label, membership.language) == (
        own_supplier, "procurement_analyst", "en")
    assert membership.history.first().history_change_reason == "invited"
    [message] = mail.outbox
    assert message.to == ["li.wei@example.com"] and "Supplier ESG Scorecard" in message.subject
    link = link_in(message)
    assert link.startswith("http://testserver/accounts/reset/")

    visitor = Client()
    form_page = visitor.get(link, follow=True)
    assert form_page.status_code == 200 and "new_password1" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = visitor.post(set_url, {"new_password1": "A-long-pass-2026!", "new_password2": "A-long-pass-2026!"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.has_usable_password()
    assert signs_in("li.wei@example.com", "A-long-pass-2026!")
    # The link works once.
    again = Client().get(link, follow=True)
    assert "new_password1" not in again.content.decode()
    # The contact sees its own supplier only.
    page = analyst.get(CONTACTS).content.decode()
    assert "li.wei@example.com" in page and "Active" in page


def test_the_invitation_is_written_in_the_contacts_language(db, own_supplier, client_as,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(client_as("procurement_admin"), language="zh-hans").status_code == 302
    [message] = mail.outbox
    assert "设置" in message.body or "密码" in message.body


@pytest.mark.parametrize(("overrides", "field"), [
    ({"email": "not-an-address"}, "email"),
    ({"email": "supplier_user@example.com"}, "email"),  # taken below
    ({"name": ""}, "name"),
    ({"name": "Li\x07Wei"}, "name"),
    ({"language": "fr"}, "language"),
])
def test_a_bad_invitation_is_refused_and_writes_nothing(db, own_supplier, client_as, role_users, overrides, field,
                                                        django_capture_on_commit_callbacks):
    role_users["viewer"].email = "supplier_user@example.com"
    role_users["viewer"].save()
    users_before = get_user_model().objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client_as("procurement_analyst"), **overrides)
    assert response.status_code == 400
    assert response.context["invite_form"].errors[field]
    assert get_user_model().objects.count() == users_before and not mail.outbox


def test_a_terminated_supplier_gets_no_new_contacts(db, own_supplier, client_as):
    own_supplier.status = "terminated"
    own_supplier.save()
    response = invite(client_as("procurement_analyst"))
    assert response.status_code == 400 and not get_user_model().objects.filter(email="li.wei@example.com").exists()


@pytest.mark.parametrize(("role", "page", "write"), [
    ("procurement_admin", 200, 302), ("procurement_analyst", 200, 302), ("viewer", 200, 403),
    ("supplier_user", 403, 403), ("no_role", 403, 403),
])
def test_who_sees_and_manages_contacts(db, own_supplier, client_as, role, page, write):
    client = client_as(role)
    assert client.get(CONTACTS).status_code == page
    assert invite(client).status_code == write
    body = client.get(CONTACTS).content.decode() if page == 200 else ""
    assert ("Invite a contact" in body) == (write == 302)


def test_deactivation_needs_a_reason_and_stops_sign_in(db, own_supplier, client_as, role_users):
    user = role_users["supplier_user"]
    membership = SupplierMembership.objects.get(user=user)
    url = f"/suppliers/OWN-1/contacts/{membership.pk}/deactivate/"
    analyst = client_as("procurement_analyst")
    assert analyst.post(url, {"reason": ""}).status_code == 400
    assert client_as("viewer").post(url, {"reason": "Left"}).status_code == 403
    user.refresh_from_db()
    assert user.is_active
    assert analyst.post(url, {"reason": "Left the company"}).status_code == 302
    user.refresh_from_db()
    membership.refresh_from_db()
    assert not user.is_active
    assert (membership.deactivated_by_label, membership.deactivation_reason) == (
        "procurement_analyst", "Left the company")
    assert membership.history.first().history_change_reason == "Left the company"
    assert not signs_in("supplier_user", "pw-supplier_user")
    assert analyst.post(url, {"reason": "Again"}).status_code == 400  # already deactivated
    assert "Deactivated" in analyst.get(CONTACTS).content.decode()


def test_a_contact_of_another_supplier_is_not_reachable(db, own_supplier, other_supplier, client_as, role_users):
    membership = SupplierMembership.objects.get(user=role_users["supplier_user"])  # of OWN-1
    response = client_as("procurement_analyst").post(
        f"/suppliers/OTHER-1/contacts/{membership.pk}/deactivate/", {"reason": "x"})
    assert response.status_code == 404
    assert get_user_model().objects.get(pk=membership.user_id).is_active


def test_the_invitation_can_be_sent_again_until_a_password_is_set(db, own_supplier, client_as, role_users,
                                                                  django_capture_on_commit_callbacks):
    analyst = client_as("procurement_analyst")
    with django_capture_on_commit_callbacks(execute=True):
        invite(analyst)
        membership = SupplierMembership.objects.get(user__email="li.wei@example.com")
        assert analyst.post(f"/suppliers/OWN-1/contacts/{membership.pk}/resend/").status_code == 302
    assert len(mail.outbox) == 2
    existing = SupplierMembership.objects.get(user=role_users["supplier_user"])  # has a password
    with django_capture_on_commit_callbacks(execute=True):
        analyst.post(f"/suppliers/OWN-1/contacts/{existing.pk}/resend/")
    assert len(mail.outbox) == 2
