"""Findings have one write path (``audits.services.findings_record``): an import and the same
rows through the API end in the same database state, and both refuse the same rows.

Where the import and the app used to disagree, the rule pinned here wins:
- an SAQ has no findings, and findings belong to an audit under way or reported (an import
  also takes a ``closed`` audit, which its open findings reopen); never a planned, scheduled or
  cancelled one;
- a finding is not opened before its audit started;
- dates are plausible (contract.md) and ``sample_share`` is a percent, through every door.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from audits import services
from audits.importers import FindingImporter
from audits.models import Audit, CorrectiveAction, Finding, Notification, TerminationReview
from core.importing import ImportFailed
from suppliers.models import Supplier

pytestmark = pytest.mark.django_db

D = dt.date
HEADER = "audit_ref,finding_ref,provision_code,severity,zero_tolerance,opened_on,due_on,description,sample_share\n"
ROWS = [
    # finding_ref, provision, severity, zero_tolerance, opened_on, due_on, description, sample_share
    ("ZT-1", "A1", "priority", True, "2025-03-10", "2025-04-09", "Recruitment fees", ""),
    ("M-1", "A3", "major", False, "2025-03-10", "2025-09-06", "Excessive overtime", "25"),
    ("N-1", "B1", "minor", False, "2025-03-11", "2025-12-06", "Permit expired", ""),
    ("O-1", "E6", "ofi", False, "2025-03-12", "2026-01-31", "Training records", "5.5"),
]
TRACKED = (Finding, CorrectiveAction, Audit, Supplier, TerminationReview)
# Bookkeeping of the historical rows: when, and the row's own id.
UNCOMPARED = {"history_id", "history_date", "created_at", "updated_at", "opened_at", "state_changed_at", "channel",
              "history_change_reason"}


@pytest.fixture
def analyst(role_users):
    return role_users["procurement_analyst"]


@pytest.fixture
def audit(own_supplier, make_site, make_audit):
    return make_audit(make_site(own_supplier, "OWN-1-F1"), audit_ref="VAP-1", status="report_pending",
                      start_date=D(2025, 3, 8), conducted_on=D(2025, 3, 10), report_received_on=D(2025, 3, 20))


def _names() -> dict:
    """Ids → natural keys, so that states written in rolled-back transactions compare."""
    return {
        "audit": dict(Audit.objects.values_list("id", "audit_ref")),
        "finding": dict(Finding.objects.values_list("id", "finding_ref")),
        "supplier": dict(Supplier.objects.values_list("id", "code")),
        "review": {pk: f"review of {code}" for pk, code in
                   TerminationReview.objects.values_list("id", "supplier__code")},
    }


def _plain(row: dict, names: dict) -> dict:
    row = {k: v for k, v in row.items() if k not in UNCOMPARED and k != "id"}
    for field, kind in (("audit_id", "audit"), ("finding_id", "finding"), ("supplier_id", "supplier"),
                        ("termination_review_id", "review"), ("site_id", None), ("provision_id", None)):
        if field in row and kind is not None:
            row[field] = names[kind].get(row[field], row[field])
    return row


def snapshot() -> dict:
    """The database state the findings write path touches, with ids replaced by natural keys."""
    names = _names()
    state = {
        model.__name__: sorted((_plain(row, names) for row in model.objects.values()), key=repr)
        for model in TRACKED
    }
    state["history"] = {
        model.__name__: sorted((_plain(row, names) for row in model.history.values()), key=repr)
        for model in TRACKED
    }
    state["notifications"] = sorted(Notification.objects.values_list("kind", "recipient__username", "subject"))
    return state


def channels() -> set[str]:
    return {channel for model in TRACKED for channel in model.history.values_list("channel", flat=True)}


def through_the_import(user, write_csv) -> tuple[dict, set[str]]:
    lines = [f"VAP-1,{ref},{code},{severity},{'yes' if zt else 'no'},{opened},{due},{text},{share}\n"
             for ref, code, severity, zt, opened, due, text, share in ROWS]
    with transaction.atomic():
        before = channels()
        result = FindingImporter(actor=user).run(write_csv(HEADER + "".join(lines)))
        assert (result.created, result.extra["termination_reviews"]) == (4, 1)
        state, used = snapshot(), channels() - before
        transaction.set_rollback(True)
    return state, used


def through_the_api(client, write_csv) -> tuple[dict, set[str]]:
    with transaction.atomic():
        before = channels()
        for ref, code, severity, zt, opened, due, text, share in ROWS:
            payload = {"audit_ref": "VAP-1", "finding_ref": ref, "provision_code": code, "severity": severity,
                       "zero_tolerance": zt, "opened_on": opened, "correction_due_on": due, "description": text}
            if share:
                payload["sample_share"] = share
            response = client.post("/api/v1/findings/", payload, format="json")
            assert response.status_code == 201, response.content
        state, used = snapshot(), channels() - before
        transaction.set_rollback(True)
    return state, used


def test_an_import_and_the_same_rows_through_the_api_end_in_the_same_state(audit, role_users, api_as, write_csv):
    analyst = role_users["procurement_analyst"]
    imported, import_channels = through_the_import(analyst, write_csv)
    posted, api_channels = through_the_api(api_as("procurement_analyst"), write_csv)
    assert imported == posted
    # What both wrote, once: four findings and their CAPs, one termination review, the flag.
    assert [row["finding_ref"] for row in imported["Finding"]] == ["M-1", "N-1", "O-1", "ZT-1"]
    assert len(imported["CorrectiveAction"]) == 4
    assert [row["termination_review"] for row in imported["Supplier"] if row["code"] == "OWN-1"] == [True]
    assert len(imported["TerminationReview"]) == 1
    history = imported["history"]
    assert sorted(row["history_type"] for row in history["Finding"]) == ["+", "+", "+", "+", "~"]
    assert [row["history_type"] for row in history["CorrectiveAction"]] == ["+"] * 4
    written = [row for name, rows in history.items() for row in rows
               if name in ("Finding", "CorrectiveAction", "TerminationReview") or row["history_type"] == "~"]
    assert {row["history_user_id"] for row in written} == {analyst.pk}
    assert len(imported["notifications"]) == 1
    # Only the door differs.
    assert {channel.split(":")[0] for channel in import_channels} == {"import"}
    assert api_channels == {"api"}


def test_the_import_reopens_a_closed_audit_the_app_refuses_it(own_supplier, make_site, make_audit, role_users,
                                                               api_as, write_csv):
    make_audit(make_site(own_supplier, "OWN-1-F1"), audit_ref="VAP-1", status="closed", conducted_on=D(2025, 3, 10))
    response = api_as("procurement_analyst").post("/api/v1/findings/", {
        "audit_ref": "VAP-1", "provision_code": "A3", "severity": "major", "opened_on": "2025-03-10"}, format="json")
    assert response.json() == {"audit": ["findings cannot be added to a closed audit"]}
    FindingImporter(actor=role_users["procurement_analyst"]).run(write_csv(
        "audit_ref,finding_ref,provision_code,severity,opened_on\nVAP-1,M-1,A3,major,2025-03-10\n"))
    assert Audit.objects.get(audit_ref="VAP-1").status == "corrective_actions_open"


@pytest.mark.parametrize(("audit_type", "status", "message"), [
    ("saq", "closed", "an SAQ has no findings"),
    ("vap_full", "planned", "findings cannot be added to a planned audit"),
    ("vap_full", "scheduled", "findings cannot be added to a scheduled audit"),
    ("vap_full", "cancelled", "findings cannot be added to a cancelled audit"),
])
def test_the_import_refuses_findings_of_an_audit_that_cannot_have_them(own_supplier, make_site, make_audit,
                                                                       write_csv, audit_type, status, message):
    make_audit(make_site(own_supplier, "OWN-1-F1"), audit_ref="A-1", audit_type=audit_type, status=status,
               conducted_on=D(2025, 3, 10))
    with pytest.raises(ImportFailed) as failure:
        FindingImporter(actor="test").run(write_csv(
            "audit_ref,finding_ref,provision_code,severity,opened_on\nA-1,M-1,A3,major,2025-03-10\n"))
    assert [str(error) for error in failure.value.errors] == [f"row 2, column audit_ref: {message}"]
    assert Finding.objects.count() == 0


def test_no_door_opens_a_finding_before_its_audit_started(audit, analyst, provision, write_csv):
    with pytest.raises(ImportFailed) as failure:
        FindingImporter(actor="test").run(write_csv(
            "audit_ref,finding_ref,provision_code,severity,opened_on\nVAP-1,M-1,A3,major,2025-03-07\n"))
    assert [str(error) for error in failure.value.errors] == [
        "row 2, column opened_on: the finding cannot be opened before the audit started (2025-03-08)"]
    with pytest.raises(ValidationError) as refused:
        services.finding_create(audit=audit, provision=provision("A3"), severity="major", opened_on=D(2025, 3, 7),
                                actor=analyst)
    assert refused.value.message_dict == {
        "opened_on": ["the finding cannot be opened before the audit started (2025-03-08)"]}
    # The audit's first day is fine (start_date 2025-03-08, before the end date).
    assert services.finding_create(audit=audit, provision=provision("A3"), severity="major",
                                   opened_on=D(2025, 3, 8), actor=analyst).opened_on == D(2025, 3, 8)


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("opened_on", "1999-12-31", "opened_on 1999-12-31 is before 2000-01-01"),
    ("cap_due_on", "2999-01-01", "cap_due_on 2999-01-01 is more than 10 years ahead"),
    ("correction_due_on", "2025-03-01", "correction_due_on is before opened_on"),
    ("sample_share", "150", "the share of the sample is a percent between 0 and 100"),
])
def test_the_api_refuses_what_the_import_refuses(audit, api_as, field, value, expected):
    payload = {"audit_ref": "VAP-1", "provision_code": "A3", "severity": "major", "opened_on": "2025-03-10",
               field: value}
    response = api_as("procurement_analyst").post("/api/v1/findings/", payload, format="json")
    assert response.status_code == 400, response.content
    assert expected in response.json()[field][0]
    assert Finding.objects.count() == 0


def test_the_app_and_the_import_differ_only_in_their_documented_defaults(audit, role_users, api_as, write_csv):
    """Without a flag, a Priority finding against A1 is zero-tolerance in the app, not in an
    import (contract.md); without a due date, the computed one is the scorecard's due date in
    the app (set when the finding is recorded), not in an import (no ``due_on`` in the file)."""
    api_as("procurement_analyst").post("/api/v1/findings/", {
        "audit_ref": "VAP-1", "finding_ref": "APP-1", "provision_code": "A1", "severity": "priority",
        "opened_on": "2025-03-10"}, format="json")
    FindingImporter(actor=role_users["procurement_analyst"]).run(write_csv(
        "audit_ref,finding_ref,provision_code,severity,opened_on\nVAP-1,IMP-1,A1,priority,2025-03-10\n"))
    app, imported = Finding.objects.get(finding_ref="APP-1"), Finding.objects.get(finding_ref="IMP-1")
    assert (app.zero_tolerance, app.due_on_given) == (True, True)
    assert (imported.zero_tolerance, imported.due_on_given) == (False, False)
    assert (app.cap_due_on, app.correction_due_on) == (imported.cap_due_on, imported.correction_due_on)


def test_findings_record_runs_a_fixed_number_of_queries(audit, analyst, provision,
                                                              django_assert_max_num_queries):
    rows = [services.FindingRow(audit_id=audit.pk, provision_id=provision(code).pk, severity="minor",
                                opened_on=D(2025, 3, 10), finding_ref=f"Q-{i}", zero_tolerance=False)
            for i, code in enumerate(["A3", "B1", "C1", "E6"] * 50)]
    with django_assert_max_num_queries(20):
        recorded = services.findings_record(rows[:1], actor=analyst, channel=services.FindingChannel.APP)
    assert recorded.result.created == 1
    # SQLite splits each bulk insert (rows and their history rows) into batches of 999 parameters.
    with django_assert_max_num_queries(32):
        recorded = services.findings_record(rows[1:], actor=analyst, channel=services.FindingChannel.APP)
    assert recorded.result.created == 199
    assert CorrectiveAction.objects.filter(finding__audit=audit).count() == 200
