"""Bulk review of the value queue: one decision on many submitted values, all or nothing,
through the one review write (scoring.services.values_review)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.models import Notification, NotificationPreference
from scoring.models import Indicator, IndicatorValue, ValueOrigin, ValueState
from tests import clock
from tests.history import changes

BULK_URL = "/scorecard/values/bulk/"


@pytest.fixture
def make_values(role_users, own_supplier):
    quarter = str(clock.last_closed_quarter())
    env = Indicator.objects.get(code="ENV-01")

    def make(n: int, supplier=own_supplier) -> list[IndicatorValue]:
        now = timezone.now()
        return [IndicatorValue.objects.create(
            supplier=supplier, quarter=quarter, indicator=env, value="true", origin=ValueOrigin.SUPPLIER,
            state=ValueState.SUBMITTED, submitted_at=now, submitted_by=role_users["supplier_user"],
            submitted_by_label="supplier_user") for _ in range(n)]

    return make


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _states(values) -> list[str]:
    return list(IndicatorValue.objects.filter(pk__in=[v.pk for v in values]).order_by("pk")
                .values_list("state", flat=True))


def test_accepting_selected_values_writes_each_review_its_history_and_notification(
        role_users, make_values, django_capture_on_commit_callbacks):
    values = make_values(3)
    untouched = make_values(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(role_users["procurement_analyst"]).post(
            BULK_URL, {"selected": [v.pk for v in values], "decision": "accept", "next": "/scorecard/values/"})
    assert response.status_code == 302 and response["Location"] == "/scorecard/values/"
    assert _states(values) == ["accepted"] * 3 and _states(untouched) == ["submitted"]
    value = IndicatorValue.objects.get(pk=values[0].pk)
    assert value.reviewed_by == role_users["procurement_analyst"] and value.reviewed_at is not None
    [entry] = changes(IndicatorValue, value.pk, action="updated")
    assert entry["user"] == "procurement_analyst" and entry["channel"] == "portal"
    assert entry["changes"]["state"] == ["submitted", "accepted"]
    notes = Notification.objects.filter(kind="value_reviewed", recipient=role_users["supplier_user"])
    assert notes.count() == 3 and all("accepted" in n.subject for n in notes)


def test_rejecting_needs_a_reason_and_records_it_in_the_supplier_language(role_users, make_values):
    NotificationPreference.objects.create(user=role_users["supplier_user"], delivery="daily", language="zh-hans")
    values = make_values(2)
    client = _client(role_users["procurement_analyst"])
    response = client.post(BULK_URL, {"selected": [v.pk for v in values], "decision": "reject", "comment": " "},
                           follow=True)
    assert "Say why the values are rejected" in response.content.decode()
    assert _states(values) == ["submitted", "submitted"]

    client.post(BULK_URL, {"selected": [v.pk for v in values], "decision": "reject",
                           "comment": "The CDP response is for 2024"})
    assert _states(values) == ["rejected", "rejected"]
    [entry] = changes(IndicatorValue, values[1].pk, action="updated")
    assert entry["reason"] == "The CDP response is for 2024"
    subjects = list(Notification.objects.filter(kind="value_reviewed").values_list("subject", flat=True))
    assert len(subjects) == 2 and all("The CDP response is for 2024" in s and "ENV-01" in s for s in subjects)
    assert all(s != f"Your ENV-01 value for {values[0].quarter} is rejected: The CDP response is for 2024"
               for s in subjects)  # written in Chinese


@pytest.mark.parametrize("case", ["nothing", "other_supplier_for_supplier_scope", "unknown", "stale", "bad_id"])
def test_bad_selection_changes_nothing(role_users, make_values, other_supplier, case):
    values = make_values(2)
    selected = [v.pk for v in values]
    if case == "nothing":
        selected, expected = [], "Select at least one value"
    elif case == "unknown":
        selected, expected = [*selected, 999999], "1 of the selected values are not in your review queue"
    elif case == "other_supplier_for_supplier_scope":
        selected, expected = [*selected, 999998], "not in your review queue"
    elif case == "bad_id":
        selected, expected = [*selected, "1; drop"], "The selection is not a list of values"
    else:
        IndicatorValue.objects.filter(pk=values[1].pk).update(state=ValueState.REJECTED)
        expected = "Already reviewed since the page was loaded"
    response = _client(role_users["procurement_analyst"]).post(
        BULK_URL, {"selected": selected, "decision": "accept"}, follow=True)
    assert response.status_code == 200 and expected in response.content.decode()
    assert _states(values)[0] == "submitted"
    assert not changes(IndicatorValue, values[0].pk, action="updated")
    assert not Notification.objects.filter(kind="value_reviewed").exists()


def test_all_matching_the_filter_takes_the_filtered_queue_and_checks_its_count(
        role_users, make_values, other_supplier):
    own = make_values(3)
    other = make_values(2, supplier=other_supplier)
    client = _client(role_users["procurement_admin"])
    url = BULK_URL + "?supplier=OTHER-1"
    response = client.post(url, {"scope": "all", "count": "3", "decision": "accept"}, follow=True)
    assert "The queue changed since the page was loaded (2 values match now)" in response.content.decode()
    assert _states(other) == ["submitted"] * 2

    response = client.post(url, {"scope": "all", "count": "2", "decision": "accept"}, follow=True)
    assert "Accepted 2 values" in response.content.decode()
    assert _states(other) == ["accepted"] * 2 and _states(own) == ["submitted"] * 3


def test_only_writers_see_and_use_the_bulk_form(role_users, make_values):
    values = make_values(1)
    analyst_page = _client(role_users["procurement_analyst"]).get("/scorecard/values/").content.decode()
    assert 'id="bulk-values"' in analyst_page and 'name="selected"' in analyst_page
    viewer_page = _client(role_users["viewer"]).get("/scorecard/values/").content.decode()
    assert 'id="bulk-values"' not in viewer_page and 'name="selected"' not in viewer_page
    for role in ("viewer", "supplier_user"):
        response = _client(role_users[role]).post(BULK_URL, {"selected": [values[0].pk], "decision": "accept"})
        assert response.status_code == 403
    assert _states(values) == ["submitted"]


def _review_queries(client, values) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(BULK_URL, {"selected": [v.pk for v in values], "decision": "reject",
                                           "comment": "wrong year"})
    assert response.status_code == 302 and set(_states(values)) == {"rejected"}
    return len(queries)


def test_query_count_does_not_grow_with_the_selection(role_users, make_values, other_supplier):
    client = _client(role_users["procurement_analyst"])
    small = _review_queries(client, make_values(2) + make_values(1, supplier=other_supplier))
    larger = _review_queries(client, make_values(20) + make_values(10, supplier=other_supplier))
    assert larger == small <= 15
    # 200 values in one request: SQLite splits the inserts by its 999 parameters; on
    # PostgreSQL it is the same count as above.
    assert _review_queries(client, make_values(120) + make_values(80, supplier=other_supplier)) <= small + 6


def test_the_page_its_export_and_all_matching_read_one_filter(role_users, make_values, other_supplier):
    own = make_values(3)
    other = make_values(2, supplier=other_supplier)
    client = _client(role_users["procurement_admin"])
    query = "?supplier=%EF%BC%AF%EF%BC%B4%EF%BC%A8%EF%BC%A5%EF%BC%B2%EF%BC%8D%EF%BC%91"  # "ＯＴＨＥＲ－１", full-width
    page = client.get("/scorecard/values/" + query)
    assert page.status_code == 200 and page.context["page"].paginator.count == 2
    export = client.get("/scorecard/values/" + query + "&format=csv")
    assert b"".join(export.streaming_content).decode("utf-8-sig").count("OTHER-1") == 2
    response = client.post(BULK_URL + query, {"scope": "all", "count": "2", "decision": "accept"}, follow=True)
    assert "Accepted 2 values" in response.content.decode()
    assert _states(other) == ["accepted"] * 2 and _states(own) == ["submitted"] * 3
    # A supplier code that is not one: the page answers 400, the bulk action reviews nothing.
    assert client.get("/scorecard/values/?supplier=OTHER%2A1").status_code == 400
    response = client.post(BULK_URL + "?supplier=OTHER%2A1", {"scope": "all", "count": "3", "decision": "accept"},
                           follow=True)
    assert "supplier:" in response.content.decode() and _states(own) == ["submitted"] * 3
