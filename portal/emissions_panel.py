"""The dashboard's supply-chain emissions panel (scorecard.md section 11): read from the
quarter's stored estimate, never recomputed on a page view. Two queries whatever the number
of suppliers (the stored estimate, the names of the largest emitters)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.quarter import Quarter
from disclosure import emissions
from disclosure.selectors import stored_emissions_head
from portal import charts
from suppliers.models import Supplier

LARGEST_EMITTERS = 5


def emissions_panel(quarter: str | None) -> dict | None:
    """{"quarter", "computed_at", "total_tco2e", "base_currency", "methods": [(method,
    {"suppliers", "spend_share", "tco2e"})], "supplier_specific_share", "ambition", "met",
    "chart", "emitters": [{"supplier", "name", "method", "tco2e"}]} for ``quarter``, or None
    when no estimate is stored for it (the run stores one; docs/emissions.md)."""
    if not quarter:
        return None
    stored = stored_emissions_head(Quarter.parse(quarter), LARGEST_EMITTERS)
    if stored is None:
        return None
    report, computed_at = stored
    share = report["methods"][emissions.SUPPLIER_SPECIFIC]["spend_share"]
    ambition = emissions.SUPPLIER_SPECIFIC_AMBITION
    top = [line for line in report["suppliers"] if line["tco2e"] is not None][:LARGEST_EMITTERS]
    names = dict(Supplier.objects.filter(code__in=[line["supplier"] for line in top]).values_list("code", "name"))
    return {
        "quarter": report["quarter"], "computed_at": computed_at, "total_tco2e": report["total_tco2e"],
        "base_currency": report["base_currency"],
        "methods": [(name, report["methods"][name]) for name in emissions.METHODS],
        "supplier_specific_share": share, "ambition": ambition, "met": share >= ambition,
        "chart": charts.coverage_bars(_("Spend covered by supplier-specific data"),
                                      [(_("Supplier-specific"), share, ambition, share >= ambition)],
                                      met_text=_("met"), missed_text=_("missed")),
        "emitters": [{**line, "name": names.get(line["supplier"], "")} for line in top],
    }
