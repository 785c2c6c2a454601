"""Termination review: a zero-tolerance finding flags the supplier everywhere it appears;
a procurement admin records the decision (terminate / keep with conditions, why), which
is shown with who and when; nobody else can decide."""

from __future__ import annotations

import pytest

from audits import services as audit_services
from audits.models import Provision, TerminationReview
from suppliers.models import Supplier

URL = "/suppliers/OWN-1/termination-review/"
KEEP = {"decision": "keep_with_conditions", "conditions": "Independent monitoring of hiring for 12 months",
        "reason": "Remediation paid back to all workers; first occurrence"}


@pytest.fixture
def flagged(world):
    """Our supplier with a zero-tolerance finding (forced labour, A1) under review."""
    provision = Provision.objects.get(standard="rba", version="8.0", code="A1")
    finding = audit_services.finding_create(
        audit=world.own_audit, provision=provision, severity="priority", opened_on=world.own_audit.conducted_on,
        actor=world.analyst, finding_ref="F-OWN-ZT", description="Recruitment fees charged to workers")
    assert finding.zero_tolerance
    world.own.refresh_from_db()
    assert world.own.termination_review
    return TerminationReview.objects.get(supplier=world.own, decided_at__isnull=True)


def test_the_flag_shows_wherever_the_supplier_appears(flagged, client_as):
    admin = client_as("procurement_admin")
    for url in ("/suppliers/", "/suppliers/OWN-1/", "/findings/", "/findings/F-OWN-1/", "/audits/AUD-OWN-1/",
                "/suppliers/OWN-1/documents/", "/dashboard/"):
        body = admin.get(url).content.decode()
        assert f'href="{URL}"' in body, url
    page = admin.get("/suppliers/OWN-1/").content.decode()
    assert "Flagged for termination review" in page and "F-OWN-ZT" in page and "Record the decision" in page
    board = admin.get("/findings/?supplier=OTHER-1").content.decode()
    assert "termination review" not in board  # the other supplier is not flagged
    assert "See the review" in client_as("viewer").get("/dashboard/").content.decode()


def test_supplier_user_sees_its_flag_but_not_the_review(flagged, client_as):
    client = client_as("supplier_user")
    page = client.get("/suppliers/OWN-1/").content.decode()
    assert "Flagged for termination review" in page and "Procurement will decide" in page
    assert URL not in page
    assert "termination review" in client.get("/findings/").content.decode()
    assert client.get(URL).status_code == 403
    assert client.get("/suppliers/OTHER-1/termination-review/").status_code == 403


def test_review_page_lists_the_findings_behind_the_flag(flagged, client_as):
    response = client_as("procurement_admin").get(URL)
    assert response.status_code == 200
    assert response.context["open_review"] == flagged and response.context["can_decide"]
    assert "F-OWN-ZT" in response.content.decode()
    analyst = client_as("procurement_analyst").get(URL)
    assert analyst.status_code == 200 and not analyst.context["can_decide"]
    assert "Only a procurement admin can record the decision." in analyst.content.decode()


def test_admin_keeps_the_supplier_with_conditions(flagged, client_as):
    admin = client_as("procurement_admin")
    response = admin.post(URL, KEEP)
    assert response.status_code == 302 and response["Location"] == URL
    flagged.refresh_from_db()
    assert flagged.decision == "keep_with_conditions" and flagged.decided_by_label == "procurement_admin"
    assert flagged.conditions == KEEP["conditions"] and flagged.reason == KEEP["reason"]
    supplier = Supplier.objects.get(code="OWN-1")
    assert not supplier.termination_review and supplier.status == "active"
    # Who, when and why, on the review page and on the supplier page.
    review_page = admin.get(URL)
    assert review_page.context["open_review"] is None
    assert [r.pk for r in review_page.context["decisions"]] == [flagged.pk]
    body = review_page.content.decode()
    assert KEEP["reason"] in body and KEEP["conditions"] in body and "procurement_admin" in body
    page = client_as("viewer").get("/suppliers/OWN-1/").content.decode()
    assert "Termination review decided:" in page and KEEP["reason"] in page
    assert "Flagged for termination review" not in page
    assert KEEP["reason"] not in client_as("supplier_user").get("/suppliers/OWN-1/").content.decode()


def test_admin_terminates_the_supplier(flagged, client_as):
    response = client_as("procurement_admin").post(URL, {"decision": "terminate", "reason": "Repeat offence"})
    assert response.status_code == 302
    supplier = Supplier.objects.get(code="OWN-1")
    assert supplier.status == "terminated" and not supplier.termination_review
    change = supplier.status_changes.get(to_status="terminated")
    assert change.reason.startswith("termination review #") and "Repeat offence" not in change.reason


@pytest.mark.parametrize(("data", "field"), [
    ({**KEEP, "conditions": " "}, "conditions"),
    ({**KEEP, "reason": ""}, "reason"),
    ({"reason": "x"}, "decision"),
])
def test_incomplete_decision_is_refused_next_to_its_field(flagged, client_as, data, field):
    response = client_as("procurement_admin").post(URL, data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    flagged.refresh_from_db()
    assert flagged.is_open and Supplier.objects.get(code="OWN-1").termination_review


@pytest.mark.parametrize("role", ["procurement_analyst", "viewer", "supplier_user", "no_role"])
def test_only_an_admin_can_decide(flagged, client_as, role):
    assert client_as(role).post(URL, KEEP).status_code == 403
    flagged.refresh_from_db()
    assert flagged.is_open and Supplier.objects.get(code="OWN-1").termination_review


def test_nothing_to_decide_without_an_open_review(world, client_as):
    admin = client_as("procurement_admin")
    response = admin.get(URL)
    assert response.status_code == 200 and not response.context["can_decide"]
    assert "No open termination review for this supplier." in response.content.decode()
    response = admin.post(URL, KEEP)
    assert response.status_code == 302
    assert not TerminationReview.objects.exists()


def test_unknown_supplier_is_404(world, client_as):
    assert client_as("procurement_admin").get("/suppliers/NOPE/termination-review/").status_code == 404
