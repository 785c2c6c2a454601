"""Portal pages: the public supplier list a quarter would publish and what changed since
the previous quarter; a supplier's publication consent (with a recorded reason)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.history import describe
from core.parsers import CellError, parse_quarter
from core.quarter import current_quarter
from disclosure import emissions, publication, selectors, services
from portal import charts
from portal.access import procurement_required, supplier_for, writer_required
from portal.views.common import paginate
from suppliers.models import Supplier
from suppliers.spend import MissingFxRates

# The customer's 95%-of-spend ambition, against which the page shows the share of spend whose
# estimate rests on the suppliers' own inventories.
SUPPLIER_SPECIFIC_AMBITION = emissions.SUPPLIER_SPECIFIC_AMBITION
TOP_EMITTERS = 20


def _list_or_error(quarter):
    try:
        return selectors.supplier_list(quarter), None
    except MissingFxRates as exc:
        return None, str(exc)


def _quarter(request):
    """The quarter asked for, else the last complete one."""
    try:
        if request.GET.get("quarter"):
            return parse_quarter(request.GET["quarter"])
    except CellError as exc:
        messages.error(request, str(exc))
    return current_quarter().previous()


@procurement_required
def supplier_publication(request):
    """The list ``export_supplier_list`` would write for the quarter, with sites added and
    removed since the previous quarter (matched by site code)."""
    quarter = _quarter(request)
    rows, error = _list_or_error(quarter)
    previous_rows, previous_error = _list_or_error(quarter.previous())
    changes = (publication.list_changes(rows, previous_rows) if rows is not None and previous_rows is not None
               else None)
    return render(request, "portal/supplier_publication.html", {
        "quarter": quarter, "previous": quarter.previous(), "error": error, "previous_error": previous_error,
        "count": 0 if rows is None else len(rows),
        "page": paginate(request, [] if rows is None else rows.to_dict("records"), 100),
        "added": [] if changes is None else changes["added"].to_dict("records"),
        "removed": [] if changes is None else changes["removed"].to_dict("records"),
        "columns": publication.LIST_COLUMNS,
    })


class PublishableForm(forms.Form):
    publishable = forms.BooleanField(required=False, label=gettext_lazy("May appear on the public supplier list"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=gettext_lazy("Reason"))


@writer_required
def supplier_publishable(request, code: str):
    """Toggle whether a supplier may appear on the public list; the reason is recorded."""
    supplier = supplier_for(request.user, code)
    form = PublishableForm(request.POST or None, initial={"publishable": supplier.publishable})
    if request.method == "POST" and form.is_valid():
        try:
            services.supplier_set_publishable(supplier=supplier, publishable=form.cleaned_data["publishable"],
                                              actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Publication setting saved."))
            return redirect("portal:supplier-publishable", code=supplier.code)
    # The supplier's recorded changes of its publication consent (core/history.py).
    history = [entry for entry in describe(Supplier, supplier.history.order_by("-history_date", "-history_id")[:200])
               if "publishable" in entry["changes"]][:20]
    return render(request, "portal/supplier_publishable.html", {"supplier": supplier, "form": form,
                                                                 "history": history},
                  status=400 if form.is_bound and form.errors else 200)


@procurement_required
def emissions_estimate(request):
    """The section 11 estimate of a quarter: tCO2e by method, the spend share covered by
    supplier-specific data against the 95% ambition, and the largest emitters."""
    quarter = _quarter(request)
    try:
        report, error = selectors.emissions_estimate(quarter), None
    except MissingFxRates as exc:
        report, error = None, str(exc)
    context = {"quarter": quarter, "error": error, "report": report, "ambition": SUPPLIER_SPECIFIC_AMBITION}
    if report is not None:
        share = report["methods"]["supplier_specific"]["spend_share"]
        context["coverage_chart"] = charts.coverage_bars(
            _("Spend covered by supplier-specific data"),
            [(_("Supplier-specific"), share, SUPPLIER_SPECIFIC_AMBITION, share >= SUPPLIER_SPECIFIC_AMBITION)],
            met_text=_("met"), missed_text=_("missed"))
        top = [line for line in report["suppliers"] if line["tco2e"] is not None][:TOP_EMITTERS]
        names = dict(Supplier.objects.filter(code__in=[line["supplier"] for line in top]).values_list("code", "name"))
        context["emitters"] = [{**line, "name": names.get(line["supplier"], "")} for line in top]
        context["methods"] = [(name, report["methods"][name]) for name in ("supplier_specific", "spend_based",
                                                                            "not_estimated")]
    return render(request, "portal/emissions_estimate.html", context)
