"""Onboarding screening: questionnaire, per-item verdicts, decision, and the rule that a
candidate becomes active only after an approved or conditional screening."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from suppliers.models import Document, Screening, ScreeningCondition, ScreeningTopic, Supplier, SupplierMembership
from tests import clock

TOPICS = ScreeningTopic.values


def answers(document=None, **overrides):
    data = {}
    for topic in TOPICS:
        data[f"{topic}-answer"] = f"Answer about {topic}"
        if document is not None and topic == "iso_14001":
            data[f"{topic}-evidence"] = str(document.pk)
            data[f"{topic}-certificate_expires_on"] = document.expires_on.isoformat()
    data.update(overrides)
    return data


def verdicts(verdict="satisfactory", **overrides):
    data = {f"{topic}-verdict": verdict for topic in TOPICS}
    data.update({f"{topic}-reviewer_comment": "" for topic in TOPICS})
    data.update(overrides)
    return data


def candidate_user(world, role_users):
    membership = SupplierMembership.objects.get(user=role_users["supplier_user"])
    membership.supplier = world.candidate
    membership.save()
    user = role_users["supplier_user"]
    return user


def test_whole_screening_then_activation(world, client_as, role_users):
    admin = client_as("procurement_admin")
    url = "/suppliers/CAND-1/screening/"
    assert admin.post(url + "open/").status_code == 302
    screening = Screening.objects.get(supplier=world.candidate)
    assert screening.items.count() == len(TOPICS)

    candidate_user(world, role_users)
    supplier = client_as("supplier_user")
    assert "Onboarding questionnaire" in supplier.get("/suppliers/CAND-1/").content.decode()
    document = Document(supplier=world.candidate, kind="iso_14001", title="ISO", original_name="iso.pdf",
                        content_type="application/pdf", size=8,
                        expires_on=clock.today() + dt.timedelta(days=400))
    document.file.save("iso.pdf", ContentFile(b"%PDF-1.4"), save=True)

    # Submitting with a question unanswered is refused next to that question; answers are kept.
    response = supplier.post(url + "submit/", answers(document, **{"forced_labour-answer": ""}))
    assert response.status_code == 400
    form = response.context["answers_form"]
    assert form.errors["forced_labour-answer"]
    assert form["operations-answer"].value() == "Answer about operations"
    assert supplier.post(url + "submit/", answers(document)).status_code == 302
    screening.refresh_from_db()
    assert screening.status == "submitted" and screening.submitted_by_label == "supplier_user"

    # Supplier users do not review or decide.
    assert supplier.post(url + "review/", verdicts()).status_code == 403
    assert supplier.post(url + "decide/", {"decision": "approved"}).status_code == 403

    # Deciding before every item is reviewed is refused.
    response = admin.post(url + "decide/", {"decision": "approved"})
    assert response.status_code == 400 and response.context["decision_form"].errors["decision"]
    # A poor verdict needs a comment.
    response = admin.post(url + "review/", verdicts(**{"financial_stability-verdict": "needs_improvement"}))
    assert response.status_code == 400
    assert admin.post(url + "review/", verdicts(**{"financial_stability-verdict": "needs_improvement",
                                                   "financial_stability-reviewer_comment": "Send 2025 accounts"})
                      ).status_code == 302
    # Conditional approval needs its conditions.
    assert admin.post(url + "decide/", {"decision": "conditional"}).status_code == 400
    due = clock.today() + dt.timedelta(days=60)
    # Each condition needs its due date.
    response = admin.post(url + "decide/", {"decision": "conditional", "condition_1": "Accounts within 60 days"})
    assert response.status_code == 400 and "due by" in str(response.context["decision_form"].non_field_errors())
    assert admin.post(url + "decide/", {"decision": "conditional", "condition_1": "Accounts within 60 days",
                                        "condition_1_due_on": due.isoformat()}).status_code == 302
    screening.refresh_from_db()
    assert (screening.decision, screening.decided_by_label) == ("conditional", "procurement_admin")
    assert screening.decided_at is not None
    assert list(screening.condition_items.values_list("text", "due_on", "met_on")) == [
        ("Accounts within 60 days", due, None)]

    response = admin.post("/suppliers/CAND-1/status/", {"status": "active", "reason": "Screened"})
    assert response.status_code == 302
    assert Supplier.objects.get(code="CAND-1").status == "active"


def test_rejected_screening_keeps_the_candidate_inactive(world, client_as):
    admin = client_as("procurement_admin")
    url = "/suppliers/CAND-1/screening/"
    admin.post(url + "open/")
    analyst = client_as("procurement_analyst")  # answers on the supplier's behalf; the admin judges
    analyst.post(url + "answer/", answers())
    analyst.post(url + "submit/", answers())
    admin.post(url + "review/", verdicts("unsatisfactory", **{
        f"{t}-reviewer_comment": "No evidence" for t in TOPICS}))
    response = admin.post(url + "decide/", {"decision": "approved"})
    assert response.status_code == 400  # an unsatisfactory item cannot be approved
    assert admin.post(url + "decide/", {"decision": "rejected"}).status_code == 400  # needs a reason
    assert admin.post(url + "decide/", {"decision": "rejected", "comment": "Forced-labour controls missing"}
                      ).status_code == 302
    response = admin.post("/suppliers/CAND-1/status/", {"status": "active", "reason": "Try"})
    assert response.status_code == 400
    assert Supplier.objects.get(code="CAND-1").status == "candidate"


def test_returning_the_questionnaire_reopens_it(world, client_as):
    admin = client_as("procurement_admin")
    url = "/suppliers/CAND-1/screening/"
    admin.post(url + "open/")
    admin.post(url + "submit/", answers())
    assert admin.post(url + "return/", {"comment": ""}).status_code == 400
    assert admin.post(url + "return/", {"comment": "Attach the code of conduct"}).status_code == 302
    assert Screening.objects.get().status == "open"


def test_only_candidates_are_screened_and_board_lists_them(world, client_as):
    admin = client_as("procurement_admin")
    admin.post("/suppliers/OWN-1/screening/open/", follow=True)
    assert not Screening.objects.filter(supplier=world.own).exists()
    rows = admin.get("/screening/").context["rows"]
    assert [(s.code, screening) for s, screening in rows] == [("CAND-1", None)]


def _submitted_by(client_as, role="procurement_analyst"):
    """Open the CAND-1 questionnaire as the admin; ``role`` answers and submits it."""
    url = "/suppliers/CAND-1/screening/"
    client_as("procurement_admin").post(url + "open/")
    writer = client_as(role)
    assert writer.post(url + "submit/", answers()).status_code == 302
    return url


def test_whoever_answered_cannot_review_or_decide(world, client_as, role_users):
    url = _submitted_by(client_as)
    analyst, admin = client_as("procurement_analyst"), client_as("procurement_admin")
    page = analyst.get(url).content.decode()
    assert "another person in procurement must review" in page and "Record decision" not in page
    response = analyst.post(url + "review/", verdicts())
    assert response.status_code == 400
    assert "another person in procurement" in str(response.context["review_form"].non_field_errors())
    response = analyst.post(url + "decide/", {"decision": "approved"})
    assert response.status_code == 400
    screening = Screening.objects.get()
    assert screening.items.exclude(verdict="pending").count() == 0 and screening.status == "submitted"
    assert screening.submitted_by == role_users["procurement_analyst"]
    assert set(screening.items.values_list("answered_by", flat=True)) == {role_users["procurement_analyst"].pk}
    # Another person reviews and decides.
    assert admin.post(url + "review/", verdicts()).status_code == 302
    assert admin.post(url + "decide/", {"decision": "approved"}).status_code == 302
    assert Screening.objects.get().decision == "approved"


def test_a_supplier_answering_does_not_block_procurement(world, client_as, role_users):
    candidate_user(world, role_users)
    url = "/suppliers/CAND-1/screening/"
    client_as("procurement_admin").post(url + "open/")
    assert client_as("supplier_user").post(url + "submit/", answers()).status_code == 302
    analyst = client_as("procurement_analyst")
    assert analyst.post(url + "review/", verdicts()).status_code == 302
    assert analyst.post(url + "decide/", {"decision": "approved"}).status_code == 302


def test_conditions_are_tracked_until_met(world, client_as):
    url = _submitted_by(client_as)
    admin = client_as("procurement_admin")
    admin.post(url + "review/", verdicts())
    today = clock.today()
    past = {"decision": "conditional", "condition_1": "Send 2025 accounts",
            "condition_1_due_on": (today - dt.timedelta(days=1)).isoformat()}
    assert admin.post(url + "decide/", past).status_code == 400
    # Conditions belong to a conditional approval only.
    assert admin.post(url + "decide/", {"decision": "approved", "condition_1": "X",
                                        "condition_1_due_on": today.isoformat()}).status_code == 400
    assert admin.post(url + "decide/", {
        "decision": "conditional",
        "condition_1": "Send 2025 accounts", "condition_1_due_on": (today + dt.timedelta(days=30)).isoformat(),
        "condition_2": "Sign the code of conduct", "condition_2_due_on": today.isoformat(),
    }).status_code == 302
    screening = Screening.objects.get()
    first, second = screening.condition_items.all()  # by due date
    assert (first.text, second.text) == ("Sign the code of conduct", "Send 2025 accounts")
    assert screening.conditions.splitlines() == [
        f"Send 2025 accounts ({(today + dt.timedelta(days=30)).isoformat()})",
        f"Sign the code of conduct ({today.isoformat()})"]
    # A viewer sees the conditions but cannot record them met.
    viewer = client_as("viewer")
    assert "Sign the code of conduct" in viewer.get(url).content.decode()
    assert viewer.post(url + "condition-met/", {"condition": first.pk}).status_code == 403
    # Met in the future: refused; met today: recorded with who.
    future = (today + dt.timedelta(days=1)).isoformat()
    assert admin.post(url + "condition-met/", {"condition": first.pk, "met_on": future}).status_code == 400
    assert admin.post(url + "condition-met/", {"condition": first.pk, "note": "Signed copy filed"}).status_code == 302
    first.refresh_from_db()
    assert (first.met_on, first.met_by_label, first.note) == (today, "procurement_admin", "Signed copy filed")
    assert first.history.first().history_change_reason == "Signed copy filed"
    assert admin.post(url + "condition-met/", {"condition": first.pk}).status_code == 400  # already met
    assert admin.post(url + "condition-met/", {"condition": 999999}).status_code == 404
    # The open condition turns overdue after its due date, in words.
    assert "Overdue" not in admin.get(url).content.decode()
    # (a due date set in the past here stands for the days passing; the session would expire)
    ScreeningCondition.objects.filter(pk=second.pk).update(due_on=today - dt.timedelta(days=1))
    assert "Overdue" in admin.get(url).content.decode()


def test_activation_is_offered_after_the_decision(world, client_as):
    url = _submitted_by(client_as)
    admin = client_as("procurement_admin")
    assert "Activate the supplier now" not in admin.get(url).content.decode()
    assert admin.post(url + "activate/").status_code == 302  # refused: no decision yet
    assert Supplier.objects.get(code="CAND-1").status == "candidate"
    admin.post(url + "review/", verdicts())
    admin.post(url + "decide/", {"decision": "approved"})
    assert "Activate the supplier now" in admin.get(url).content.decode()
    assert "Activate the supplier now" not in client_as("viewer").get(url).content.decode()
    assert client_as("viewer").post(url + "activate/").status_code == 403
    assert admin.post(url + "activate/").status_code == 302
    supplier = Supplier.objects.get(code="CAND-1")
    assert supplier.status == "active"
    change = supplier.status_changes.get()
    assert change.reason == "Activated after the onboarding screening (Approved)."


@pytest.mark.parametrize(("due_in_days", "met", "overdue"), [
    (-1, False, True), (0, False, False), (5, False, False), (-1, True, False)])
def test_a_condition_is_overdue_when_unmet_after_its_due_date(due_in_days, met, overdue):
    day = dt.date(2026, 5, 20)
    condition = ScreeningCondition(text="Send the accounts", due_on=day + dt.timedelta(days=due_in_days),
                                   met_on=day - dt.timedelta(days=3) if met else None)
    assert condition.is_overdue(day) is overdue
