"""Termination review of a supplier flagged by a zero-tolerance finding: procurement sees
the findings behind the flag and the decisions taken; a procurement admin records the
decision (terminate, or keep with conditions) through ``audits.escalation``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from audits import escalation
from audits.models import TerminationDecision
from core import roles
from portal import selectors
from portal.access import admin_required, procurement_required, supplier_for
from portal.forms import TerminationDecisionForm, apply_errors


def _page(request, supplier, form=None, status=200):
    reviews = selectors.termination_reviews(supplier)
    open_review = next((review for review in reviews if review.is_open), None)
    return render(request, "portal/termination_review.html", {
        "supplier": supplier, "open_review": open_review,
        "decisions": [review for review in reviews if not review.is_open],
        "can_decide": roles.is_admin(request.user) and open_review is not None,
        "form": form or TerminationDecisionForm(), "terminate": TerminationDecision.TERMINATE,
    }, status=status)


@procurement_required
def termination_review(request, code: str):
    supplier = supplier_for(request.user, code)
    if request.method == "POST":
        return _decide(request, supplier)
    return _page(request, supplier)


@admin_required
def _decide(request, supplier):
    open_review = supplier.termination_reviews.filter(decided_at__isnull=True).first()
    form = TerminationDecisionForm(request.POST)
    if open_review is None:
        messages.error(request, _("This supplier has no open termination review to decide."))
        return redirect("portal:termination-review", code=supplier.code)
    if form.is_valid():
        data = form.cleaned_data
        try:
            escalation.termination_review_decide(review=open_review, decision=data["decision"],
                                                 reason=data["reason"], conditions=data.get("conditions", ""),
                                                 actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if data["decision"] == TerminationDecision.TERMINATE:
                messages.success(request, _("Decision recorded: %(code)s is terminated.") % {"code": supplier.code})
            else:
                messages.success(request, _("Decision recorded: %(code)s is kept with conditions.")
                                 % {"code": supplier.code})
            return redirect("portal:termination-review", code=supplier.code)
    return _page(request, supplier, form=form, status=400)
