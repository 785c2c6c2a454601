"""Supplier list and supplier page: filters, sorting, the scorecard breakdown, history,
and status changes (with the onboarding screening rule)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits import services as audit_services
from core.quarter import months_before
from scoring.services import score_run_now
from suppliers.models import SpendRecord, Supplier, SupplierStatusChange


def test_list_shows_the_quarters_score_grade_and_flags(world, client_as):
    response = client_as("viewer").get("/suppliers/")
    rows = {s.code: s for s in response.context["page"].object_list}
    assert set(rows) == {"OWN-1", "OTHER-1", "CAND-1"}
    assert rows["OWN-1"].q_grade and rows["OWN-1"].q_rank == 1
    assert rows["CAND-1"].q_score is None
    assert "深圳华强电子有限公司" in response.content.decode()


def _expiring_at_the_quarters_end(world):
    """Move OWN-1's audit so that it runs out 30 days after the scored quarter's last day D, and
    recalculate: the stored "audit expiring" flag is computed at D (no longer valid at D + 90
    days), not at today, so the world's audit (expiring as seen today) is flagged only on some days."""
    end = months_before(world.quarter.as_of, 24) + dt.timedelta(days=30)
    audit_services.audit_update(audit=world.own_audit, actor=world.analyst, start_date=end - dt.timedelta(days=3),
                                conducted_on=end)
    assert score_run_now(quarter=world.quarter, actor=world.analyst).status == "succeeded"


def test_list_filters_and_search(world, client_as):
    _expiring_at_the_quarters_end(world)
    client = client_as("viewer")

    def codes(query):
        return [s.code for s in client.get(f"/suppliers/?{query}").context["page"].object_list]

    assert codes("q=华强") == ["OWN-1"]
    assert codes("country=DE") == ["OTHER-1"]
    assert codes("status=candidate") == ["CAND-1"]
    assert codes("population=full") == ["OTHER-1", "OWN-1"]  # both cross the 95% walk, sorted by code
    assert codes("flag=audit_expiring") == ["OWN-1"]
    grade = Supplier.objects.get(code="OWN-1").scores.get().grade
    assert "OWN-1" in codes(f"grade={grade}")
    assert codes("q=nothing-matches") == []
    assert "No supplier matches these filters" in client.get("/suppliers/?q=nothing-matches").content.decode()


def test_list_sorts_by_any_column(world, client_as):
    client = client_as("viewer")
    by_spend = [s.code for s in client.get("/suppliers/?sort=spend").context["page"].object_list]
    assert by_spend[:2] == ["OWN-1", "OTHER-1"] and by_spend[-1] == "CAND-1"  # unscored last
    by_code_desc = [s.code for s in client.get("/suppliers/?sort=-code").context["page"].object_list]
    assert by_code_desc == ["OWN-1", "OTHER-1", "CAND-1"]
    by_country = [s.code for s in client.get("/suppliers/?sort=country").context["page"].object_list]
    assert by_country == ["CAND-1", "OWN-1", "OTHER-1"]  # CN, CN (then by code), DE


def test_list_paginates_with_a_constant_number_of_queries(world, client_as, make_supplier):
    client = client_as("viewer")
    client.get("/suppliers/")
    with CaptureQueriesContext(connection) as few:
        client.get("/suppliers/")
    for n in range(60):
        make_supplier(f"BULK-{n:03d}")
    client.get("/suppliers/")  # the first request after a change counts the suppliers again (the stored total)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/suppliers/")
    assert len(many) == len(few)
    assert response.context["page"].paginator.num_pages == 2


def test_supplier_page_has_breakdown_with_weight_raw_points_source_and_evidence(world, client_as):
    response = client_as("viewer").get("/suppliers/OWN-1/")
    card = response.context["card"]
    rows = {row.code: row for row in card.rows}
    assert len(rows) == 32
    eco = rows["ECO-01"]
    assert eco.weight == Decimal("7")
    assert float(eco.raw) == 60.0
    assert eco.points == 60.0
    assert eco.value.source == "EcoVadis 2026"
    body = response.content.decode()
    assert 'href="https://example.com/ecovadis"' in body
    assert rows["RBA-04"].source == "audit"
    assert sum(row.contribution or 0 for row in card.rows) == pytest.approx(float(card.score.score), abs=0.01)
    assert card.gains, "what to improve"
    assert "Score by quarter" in body and "<svg" in body


def test_supplier_page_spend_and_sites(world, client_as):
    SpendRecord.objects.create(supplier=world.own, quarter=str(world.quarter.previous()), currency="EUR",
                               amount=Decimal("10"))
    response = client_as("viewer").get("/suppliers/OWN-1/")
    spend = {entry["quarter"]: entry for entry in response.context["spend"]}
    assert spend[str(world.quarter)]["base"] == Decimal("1000")
    assert spend[str(world.quarter.previous())]["complete"] is False  # no EUR rate
    site, cycle = response.context["sites"][0]
    assert site.code == "OWN-1-F1" and cycle["status"] == "expiring"
    assert "AUD-OWN-1" in response.content.decode()


def test_supplier_page_without_scores_says_so(world, client_as):
    body = client_as("viewer").get("/suppliers/CAND-1/").content.decode()
    assert "No stored score yet" in body


def test_status_change_records_who_and_why(world, client_as):
    response = client_as("procurement_analyst").post("/suppliers/OTHER-1/status/",
                                                     {"status": "suspended", "reason": "Audit refused"})
    assert response.status_code == 302
    change = SupplierStatusChange.objects.get(supplier=world.other)
    assert (change.to_status, change.reason, change.changed_by_label) == ("suspended", "Audit refused",
                                                                          "procurement_analyst")


def test_candidate_cannot_become_active_without_an_approved_screening(world, client_as):
    response = client_as("procurement_admin").post("/suppliers/CAND-1/status/",
                                                   {"status": "active", "reason": "Needed"})
    assert response.status_code == 400
    assert "onboarding screening" in response.content.decode()
    assert Supplier.objects.get(code="CAND-1").status == "candidate"


def test_status_change_errors_are_shown_next_to_the_fields(world, client_as):
    response = client_as("procurement_admin").post("/suppliers/OTHER-1/status/", {"status": "candidate",
                                                                                  "reason": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]


def test_list_shows_spend_basis_and_score_change_and_sorts_by_them(world, client_as):
    from scoring.models import QuarterlyScore

    previous = QuarterlyScore.objects.get(supplier__code="OWN-1", quarter=str(world.quarter))
    current_score = previous.score
    previous.pk, previous.quarter, previous.score = None, str(world.quarter.previous()), current_score - Decimal("5")
    previous.save()
    client = client_as("viewer")
    response = client.get(f"/suppliers/?quarter={world.quarter}")
    rows = {s.code: s for s in response.context["page"].object_list}
    assert rows["OWN-1"].q_change == Decimal("5")
    assert rows["OTHER-1"].q_change is None and rows["CAND-1"].q_spend is None
    assert rows["OWN-1"].q_spend == Decimal("1000") and rows["OTHER-1"].q_spend == Decimal("500")
    page = response.content.decode()
    assert "+5.00" in page and "1,000.00" in page

    def codes(sort):
        return [s.code for s in client.get(f"/suppliers/?quarter={world.quarter}&sort={sort}")
                .context["page"].object_list]

    assert codes("-spend_basis") == ["OWN-1", "OTHER-1", "CAND-1"]
    assert codes("change")[0] == "OWN-1"  # the only supplier with a change; the others last
