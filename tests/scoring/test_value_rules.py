"""Value review rules live in ``scoring.services``: a rejection needs a comment and evidence
must be a document of the same supplier, for the API and the portal alike."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from core import roles
from scoring import services
from scoring.models import Indicator, IndicatorValue
from suppliers.models import Document

pytestmark = pytest.mark.django_db


def document_of(supplier) -> Document:
    document = Document(supplier=supplier, kind="evidence", title="x", original_name="x.pdf",
                        content_type="application/pdf", size=4)
    document.file.save("x.pdf", ContentFile(b"%PDF"), save=True)
    return document


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def submit(supplier, user, evidence_ref=""):
    return services.indicator_value_submit(
        supplier=supplier, quarter="2026-Q3", indicator=Indicator.objects.get(code="ENV-06"), value="45",
        actor=user, evidence_ref=evidence_ref)


def test_evidence_must_be_the_same_suppliers_document(own_supplier, other_supplier, role_users):
    user = role_users[roles.SUPPLIER_USER]
    for ref in (f"document:{document_of(other_supplier).pk}", "document:999999", "document:x"):
        with pytest.raises(ValidationError) as refused:
            submit(own_supplier, user, ref)
        assert list(refused.value.message_dict) == ["evidence_ref"]
    assert not IndicatorValue.objects.exists()
    own = document_of(own_supplier)
    assert submit(own_supplier, user, f"document:{own.pk}").evidence_ref == f"document:{own.pk}"
    assert submit(own_supplier, user, "https://example.com/cdp-2026.pdf").state == "submitted"


def test_a_rejection_needs_a_comment(own_supplier, role_users, api_as):
    value = submit(own_supplier, role_users[roles.SUPPLIER_USER])
    analyst = role_users[roles.PROCUREMENT_ANALYST]
    with pytest.raises(ValidationError) as refused:
        services.value_review(value=value, state="rejected", actor=analyst, comment="  ")
    assert list(refused.value.message_dict) == ["comment"]
    response = api_as(roles.PROCUREMENT_ANALYST).post(f"/api/v1/indicator-values/{value.pk}/reject/", {})
    assert response.status_code == 400 and list(response.json()) == ["comment"]
    value.refresh_from_db()
    assert (value.state, value.reviewed_at) == ("submitted", None)
    services.value_review(value=value, state="rejected", actor=analyst, comment="Evidence is for 2024")
    value.refresh_from_db()
    assert (value.state, value.review_comment) == ("rejected", "Evidence is for 2024")
    with pytest.raises(ValidationError, match="only submitted values"):
        services.value_review(value=value, state="accepted", actor=analyst)


def test_only_procurement_writers_review_a_value_whatever_the_door(own_supplier, role_users, api_as):
    from django.core.exceptions import PermissionDenied

    value = submit(own_supplier, role_users[roles.SUPPLIER_USER])
    for role in (roles.VIEWER, roles.SUPPLIER_USER):
        with pytest.raises(PermissionDenied):
            services.value_review(value=value, state="accepted", actor=role_users[role])
        with pytest.raises(PermissionDenied):
            services.values_review(value_ids=[value.pk], state="accepted", actor=role_users[role])
    response = api_as(roles.SUPPLIER_USER).post(f"/api/v1/indicator-values/{value.pk}/accept/", {})
    assert response.status_code == 403
    assert response.json()["detail"] == "Only procurement analysts and administrators review submissions."
    value.refresh_from_db()
    assert (value.state, value.reviewed_at) == ("submitted", None)
    assert value.history.count() == 1


def test_the_admin_accepts_the_selected_values_all_or_nothing(own_supplier, role_users, client):
    user = role_users[roles.SUPPLIER_USER]
    first = submit(own_supplier, user)
    second = services.indicator_value_submit(
        supplier=own_supplier, quarter="2026-Q3", indicator=Indicator.objects.get(code="ENV-01"), value="yes",
        actor=user)
    admin = role_users[roles.PROCUREMENT_ADMIN]
    services.value_review(value=second, state="rejected", actor=admin, comment="No certificate")
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    url = "/admin/scoring/indicatorvalue/"
    response = client.post(url, {"action": "accept", "_selected_action": [first.pk, second.pk]}, follow=True)
    assert "Nothing was accepted" in response.content.decode()
    first.refresh_from_db()
    assert first.state == "submitted"
    response = client.post(url, {"action": "accept", "_selected_action": [first.pk]}, follow=True)
    assert "1 value(s) accepted." in response.content.decode()
    first.refresh_from_db()
    assert (first.state, first.reviewed_by) == ("accepted", admin)
