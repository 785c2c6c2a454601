"""docs/security.md: sign-in lock-out, API tokens, anonymous API calls, control characters in
addresses, what a supplier user sees and what a terminated supplier's users may still do."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audits.models import CorrectiveAction, Finding
from core import roles
from core.tasks_guard import _refuse_without_broker, broker_configured
from scoring.models import IndicatorValue
from suppliers.models import Document, Supplier, SupplierStatusChange
from suppliers.services import supplier_change_status
from tests import files

PDF = files.PDF


@pytest.fixture(autouse=True)
def _fresh_counters():
    """Failed-token counts live in the cache, per client address."""
    cache.clear()
    yield
    cache.clear()


# --------------------------------------------------------------------------- sign-in and tokens


def test_repeated_wrong_passwords_lock_the_account_with_a_clear_message(role_users, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "viewer", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "viewer", "password": "pw-viewer"})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # An admin unlocks it (the admin's "access attempts" page or this command).
    call_command("axes_reset_username", "viewer")
    assert client.post("/accounts/login/", {"username": "viewer", "password": "pw-viewer"}).status_code == 302


def test_a_procurement_admin_unlocks_an_account_in_the_admin(role_users, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/accounts/login/", {"username": "viewer", "password": "wrong"})
    attempt = AccessAttempt.objects.get(username="viewer")
    admin = role_users[roles.PROCUREMENT_ADMIN]
    admin.is_staff = True
    admin.save()
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    assert client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 302
    assert Client().post("/accounts/login/", {"username": "viewer", "password": "pw-viewer"}).status_code == 302


def test_the_token_endpoint_counts_failures_and_answers_429_when_locked(role_users, settings):
    client = APIClient()
    answers = [client.post("/api/v1/auth/token/", {"username": "viewer", "password": "nope"}).status_code
               for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert answers == [400] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # the last failure locks
    locked = client.post("/api/v1/auth/token/", {"username": "viewer", "password": "pw-viewer"})
    assert locked.status_code == 429 and "ask a procurement admin to unlock it" in locked.json()["detail"]
    assert AccessAttempt.objects.filter(username="viewer").exists()
    assert not Token.objects.exists()


def test_tokens_expire(role_users, settings):
    response = APIClient().post("/api/v1/auth/token/", {"username": "viewer", "password": "pw-viewer"})
    assert response.status_code == 200 and response.json()["expires_at"]
    key = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/suppliers/").status_code == 200
    Token.objects.filter(key=key).update(created=Token.objects.get(key=key).created
                                         - dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS + 1))
    expired = client.get("/api/v1/suppliers/")
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert not Token.objects.filter(key=key).exists()


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_tokens_are_revoked_when_the_password_changes_or_the_user_is_deactivated(role_users, change):
    user = role_users["viewer"]
    token = Token.objects.create(user=user)
    if change == "password":
        user.set_password("A-new-password-2026")
    else:
        user.is_active = False
    user.save()
    assert not Token.objects.filter(key=token.key).exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/suppliers/").status_code == 401


def test_unchanged_user_keeps_the_token(role_users):
    user = role_users["viewer"]
    token = Token.objects.create(user=user)
    user.first_name = "Vera"
    user.save()
    assert Token.objects.filter(key=token.key).exists()


def test_repeated_bad_tokens_are_throttled(db, settings):
    settings.TOKEN_FAILURE_LIMIT = 3
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert [client.get("/api/v1/suppliers/").status_code for _ in range(4)] == [401, 401, 401, 429]


def test_anonymous_api_requests_get_401_with_www_authenticate(db):
    response = APIClient().get("/api/v1/suppliers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --------------------------------------------------------------------------- control characters


@pytest.mark.parametrize("role", [*roles.ROLES, None])
@pytest.mark.parametrize("address", ["/suppliers/%00/", "/suppliers/?q=%00", "/api/v1/suppliers/?search=%00",
                                     "/api/v1/findings/%00/", "/api/v1/suppliers/?code=a%0Ab",
                                     "/findings/F%1F1/", "/api/v1/changes/?entity=site&object=%00"])
def test_control_characters_in_an_address_answer_400(role_users, role, address):
    client = Client()
    if role:
        client.force_login(role_users[role])
    response = client.get(address)
    assert response.status_code == 400
    assert "control character" in response.content.decode()


# --------------------------------------------------------------------------- what a supplier sees


def test_supplier_users_see_no_spend_basis_rank_or_procurement_reasons(api_as, role_users, own_supplier):
    supplier_change_status(supplier=own_supplier, status="suspended", actor=role_users["procurement_admin"],
                           reason="late payments dispute with buyer X")
    history = api_as(roles.SUPPLIER_USER).get(f"/api/v1/suppliers/{own_supplier.pk}/status-history/").json()
    assert history[0]["reason"] == "Status changed by procurement." and history[0]["changed_by_label"] == ""
    internal = api_as(roles.VIEWER).get(f"/api/v1/suppliers/{own_supplier.pk}/status-history/").json()
    assert (internal[0]["reason"], internal[0]["changed_by_label"]) == (
        "late payments dispute with buyer X", "procurement_admin")
    page = Client()
    page.force_login(role_users[roles.SUPPLIER_USER])
    text = page.get("/suppliers/OWN-1/").content.decode()
    assert "late payments" not in text and "procurement_admin" not in text
    assert SupplierStatusChange.objects.get().reason == "late payments dispute with buyer X"  # stored unchanged


def test_scores_hide_the_spend_basis_and_rank_from_supplier_users(api_as, role_users, own_supplier):
    from scoring.models import Methodology, QuarterlyScore, ScoreRun

    methodology = Methodology.objects.get(version="v1")
    run = ScoreRun.objects.create(quarter="2026-Q3", methodology=methodology, status="succeeded")
    QuarterlyScore.objects.create(run=run, supplier=own_supplier, quarter="2026-Q3", methodology=methodology,
                                  population="full", rank=1, spend_basis="1000000.00", score="70.00", grade="B",
                                  points={}, flags=[])
    own = api_as(roles.SUPPLIER_USER).get("/api/v1/scores/").json()["results"][0]
    assert (own["rank"], own["spend_basis"], own["score"]) == (None, None, "70.00")
    viewer = api_as(roles.VIEWER).get("/api/v1/scores/").json()["results"][0]
    assert (viewer["rank"], viewer["spend_basis"]) == (1, "1000000.00")


# --------------------------------------------------------------------------- terminated suppliers


@pytest.fixture
def terminated(own_supplier, make_site, role_users):
    from audits.models import Audit, Provision

    site = make_site(own_supplier, "OWN-1-F1")
    audit = Audit.objects.create(audit_ref="T-A", site=site, audit_type="vap_full", conducted_on=dt.date(2025, 3, 10),
                                 status="corrective_actions_open")
    finding = Finding.objects.create(audit=audit, provision=Provision.objects.get(version="8.0", code="A3"),
                                     severity="major", opened_on=dt.date(2025, 3, 10), finding_ref="T-F")
    CorrectiveAction.objects.create(finding=finding, manager="customer")
    Supplier.objects.filter(pk=own_supplier.pk).update(status="terminated")
    return finding


def test_a_terminated_suppliers_user_reads_but_no_longer_uploads_or_submits(api_as, terminated):
    client = api_as(roles.SUPPLIER_USER)
    assert client.get("/api/v1/findings/").status_code == 200
    assert client.get(f"/api/v1/findings/{terminated.pk}/").status_code == 200
    document = client.post("/api/v1/documents/", {
        "kind": "iso_14001", "title": "ISO", "expires_on": "2027-01-15",
        "file": SimpleUploadedFile("iso.pdf", PDF, content_type="application/pdf")}, format="multipart")
    assert document.status_code == 403 and "terminated" in document.json()["detail"]
    value = client.post("/api/v1/indicator-values/", {"supplier_code": "OWN-1", "quarter": "2026-Q3",
                                                      "indicator_code": "ENV-06", "value": "45"})
    assert value.status_code == 403
    cap = terminated.corrective_action
    assert client.patch(f"/api/v1/corrective-actions/{cap.pk}/", {"owner": "HR"}, format="json").status_code == 403
    assert client.post(f"/api/v1/corrective-actions/{cap.pk}/submit/", {}, format="json").status_code == 403
    evidence = client.post(f"/api/v1/corrective-actions/{cap.pk}/evidence/",
                           {"file": SimpleUploadedFile("r.pdf", PDF)}, format="multipart")
    assert evidence.status_code == 403
    assert (Document.objects.count(), IndicatorValue.objects.count()) == (0, 0)
    assert CorrectiveAction.objects.get(pk=cap.pk).owner == ""
    # Procurement still works on the supplier's records.
    assert api_as(roles.PROCUREMENT_ANALYST).patch(f"/api/v1/corrective-actions/{cap.pk}/", {"owner": "HR"},
                                                   format="json").status_code == 200


def test_a_terminated_suppliers_user_cannot_upload_in_the_portal(terminated, role_users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(role_users[roles.SUPPLIER_USER])
    assert client.get("/suppliers/OWN-1/documents/").status_code == 200
    response = client.post("/suppliers/OWN-1/documents/", {
        "kind": "iso_14001", "title": "ISO", "expires_on": "2027-01-15",
        "file": SimpleUploadedFile("iso.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 403
    assert Document.objects.count() == 0


# --------------------------------------------------------------------------- safe defaults


def test_servers_default_to_production_settings():
    from pathlib import Path

    from django.conf import settings

    for name in ("wsgi.py", "asgi.py"):
        text = (Path(settings.BASE_DIR) / "config" / name).read_text()
        assert 'setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")' in text


def test_without_a_broker_tasks_are_refused_unless_eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_BROKER_URL = False, ""
    assert [message.id for message in broker_configured()] == ["core.E001"]
    with pytest.raises(ImproperlyConfigured, match="CELERY_BROKER_URL"):
        _refuse_without_broker()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert broker_configured() == []
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = "", True  # the laptop default
    assert broker_configured() == []


def test_production_settings_never_run_tasks_in_process():
    import subprocess
    import sys

    from django.conf import settings

    script = "import django; django.setup(); from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER)"
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": "x", "ALLOWED_HOSTS": "h",
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr[-2000:]


