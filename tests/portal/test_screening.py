"""Onboarding screening: questionnaire, per-item verdicts, decision, and the rule that a
candidate becomes active only after an approved or conditional screening."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile

from suppliers.models import Document, Screening, ScreeningTopic, Supplier, SupplierMembership
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
    assert admin.post(url + "decide/", {"decision": "conditional", "conditions": "Accounts within 60 days"}
                      ).status_code == 302
    screening.refresh_from_db()
    assert (screening.decision, screening.decided_by_label) == ("conditional", "procurement_admin")
    assert screening.decided_at is not None

    response = admin.post("/suppliers/CAND-1/status/", {"status": "active", "reason": "Screened"})
    assert response.status_code == 302
    assert Supplier.objects.get(code="CAND-1").status == "active"


def test_rejected_screening_keeps_the_candidate_inactive(world, client_as):
    admin = client_as("procurement_admin")
    url = "/suppliers/CAND-1/screening/"
    admin.post(url + "open/")
    admin.post(url + "answer/", answers())
    admin.post(url + "submit/", answers())
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
