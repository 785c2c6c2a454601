"""Portfolio trends: interactive charts (``portal.chartdata``, drawn by Chart.js; the server's
SVG charts without JavaScript) with their numbers tables, a CSV per table and one XLSX
workbook (``scoring.trends``, ``reports.trends``)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.quarter import Quarter
from portal import chartdata, charts, selectors
from portal.access import procurement_required
from portal.templatetags.portal_tags import METRIC_LABELS
from reports.trends import TABLES, trends_csv, trends_xlsx
from scoring.trends import DEFAULT_QUARTERS, portfolio_trends


def _trends(request):
    quarters = selectors.scored_quarters()
    quarter = selectors.pick_quarter(request.GET.get("quarter"), quarters)
    if not quarter:
        return None, quarters
    try:
        count = max(2, min(40, int(request.GET.get("quarters") or DEFAULT_QUARTERS)))
    except ValueError:
        count = DEFAULT_QUARTERS
    return portfolio_trends(Quarter.parse(quarter), count), quarters


@procurement_required
def trends(request):
    result, quarters = _trends(request)
    chart_list = []
    if result is not None:
        for metric in ("scorecard", "audit"):
            shares = {row["quarter"]: float(row["share"]) * 100 for row in result.coverage if row["metric"] == metric}
            chart_list.append(charts.line_chart(
                _("%(metric)s coverage by quarter (%%)") % {"metric": METRIC_LABELS.get(metric, metric)},
                [(q, shares.get(q)) for q in result.quarters], y_max=100))
        chart_list.append(charts.line_chart(
            _("Suppliers graded A or B by quarter"),
            [(row["quarter"], float(row["A"] + row["B"]) if row["total"] else None) for row in result.grades],
            value_format="{:.0f}"))
        chart_list.append(charts.line_chart(
            _("Overdue CAPs at quarter end"),
            [(row["quarter"], float(row["overdue_caps"])) for row in result.findings], value_format="{:.0f}"))
    return render(request, "portal/trends.html", {"trends": result, "quarters": quarters, "charts": chart_list,
                                                  "chart_specs": chartdata.trends_charts(result) if result else [],
                                                  "quarter": result.quarters[-1] if result else None,
                                                  "tables": TABLES})


@procurement_required
def trends_export(request, table: str, extension: str):
    result, _quarters = _trends(request)
    if result is None:
        raise Http404("no quarter has been recalculated yet")
    if extension == "xlsx" and table == "all":
        response = HttpResponse(trends_xlsx(result), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    elif extension == "csv" and table in TABLES:
        response = HttpResponse(trends_csv(result, table), content_type="text/csv; charset=utf-8")
    else:
        raise Http404("unknown table")
    response["Content-Disposition"] = f'attachment; filename="trends-{table}-{result.quarters[-1]}.{extension}"'
    return response
