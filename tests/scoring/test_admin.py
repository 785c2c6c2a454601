"""Admin screens of the scorecard: render, published versions frozen, actions via services."""

import pytest
from django.contrib.auth import get_user_model

from scoring.models import Methodology

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, role_users):
    user = role_users["procurement_admin"]
    user.is_staff = True
    user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["indicator", "methodology", "indicatorvalue", "qbrcomponent", "scorerun",
                                   "quarterlyscore", "coveragesnapshot", "quarterclose"])
def test_changelists_render(admin_client, model):
    assert admin_client.get(f"/admin/scoring/{model}/").status_code == 200


def test_published_methodology_is_read_only_and_a_draft_is_created_through_the_action(admin_client):
    v1 = Methodology.objects.get(version="v1")
    page = admin_client.get(f"/admin/scoring/methodology/{v1.pk}/change/")
    assert page.status_code == 200
    assert b'name="coverage_target"' not in page.content
    response = admin_client.post("/admin/scoring/methodology/", {"action": "create_draft_from",
                                                                 "_selected_action": [v1.pk]})
    assert response.status_code == 302
    draft = Methodology.objects.exclude(pk=v1.pk).get()
    assert (draft.status, draft.based_on_id, draft.indicators.count()) == ("draft", v1.pk, 32)
    diff = admin_client.post("/admin/scoring/methodology/", {"action": "diff_two",
                                                             "_selected_action": [v1.pk, draft.pk]})
    assert diff.status_code == 200
    assert b"No differences." in diff.content


def test_analyst_without_admin_role_cannot_publish(client, role_users):
    analyst = role_users["procurement_analyst"]
    analyst.is_staff = True
    analyst.save()
    client.force_login(analyst)
    draft_source = Methodology.objects.get(version="v1")
    response = client.post("/admin/scoring/methodology/", {"action": "create_draft_from",
                                                           "_selected_action": [draft_source.pk]})
    # The action is not offered to an analyst: the changelist answers and nothing is created.
    assert response.status_code in (200, 302)
    assert b"create_draft_from" not in client.get("/admin/scoring/methodology/").content
    assert Methodology.objects.count() == 1
    assert get_user_model().objects.filter(username="procurement_analyst").exists()
