"""Login, logout, password change and reset, and the language switch."""

from __future__ import annotations

import re

from django.core import mail


def test_login_and_logout(world, client):
    response = client.post("/accounts/login/", {"username": "viewer", "password": "pw-viewer"})
    assert response["Location"] == "/"
    assert client.get("/dashboard/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/dashboard/").status_code == 302


def test_wrong_password_is_explained(db, client):
    response = client.post("/accounts/login/", {"username": "viewer", "password": "nope"})
    assert "didn&#x27;t match" in response.content.decode() or "didn't match" in response.content.decode()


def sign_in(client, username: str, password: str) -> bool:
    """Through the login form, as a person does (the sign-in lock-out needs the request)."""
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def test_password_change(world, client):
    assert sign_in(client, "viewer", "pw-viewer")
    response = client.post("/accounts/password_change/", {"old_password": "pw-viewer",
                                                          "new_password1": "Another-strong-2026",
                                                          "new_password2": "Another-strong-2026"})
    assert response["Location"] == "/accounts/password_change/done/"
    client.post("/accounts/logout/")
    assert sign_in(client, "viewer", "Another-strong-2026")


def test_password_change_errors_stay_next_to_the_fields(world, client):
    assert sign_in(client, "viewer", "pw-viewer")
    response = client.post("/accounts/password_change/", {"old_password": "wrong", "new_password1": "a",
                                                          "new_password2": "b"})
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]


def test_password_reset_by_mail(world, role_users, client):
    user = role_users["viewer"]
    user.email = "viewer@example.com"
    user.save()
    response = client.post("/accounts/password_reset/", {"email": "viewer@example.com"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": "Brand-new-pass-2026", "new_password2": "Brand-new-pass-2026"})
    assert response["Location"] == "/accounts/reset/done/"
    assert sign_in(client, "viewer", "Brand-new-pass-2026")


def test_switch_to_chinese(world, client_as):
    client = client_as("supplier_user")
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/suppliers/OWN-1/"})
    assert response["Location"] == "/suppliers/OWN-1/"
    body = client.get("/suppliers/OWN-1/").content.decode()
    assert 'lang="zh-Hans"' in body
    assert "评分卡" in body  # "Scorecard"
    assert "深圳华强电子有限公司" in body
