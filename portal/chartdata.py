"""Chart specifications for the interactive charts (Chart.js, vendored in
``static/vendor/chartjs``; drawn by ``static/portal/charts.js``): plain values in, a JSON-able
dict out, rendered into the page with ``json_script`` from the very numbers the page's tables
show (no ORM here, no second computation). Labels, legends and axis titles are translated
here, in the request's language.

A spec: ``{"id", "title", "kind": "line"|"bar", "labels": [x labels], "stacked": bool,
"y": {"title", "max", "suffix", "integer" (counts: whole ticks)}, "y2": same or None,
"datasets": [{"label", "data": [number or None per x label], "colour", "dashed", "kind" (a bar
chart's line), "axis": "y"|"y2"}]}``.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from portal.charts import GRADE_COLOURS
from portal.templatetags.portal_tags import METRIC_LABELS, supplier_category_label

PALETTE = ("#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#5d4037", "#455a64")


def _number(value) -> float | None:
    if value is None:
        return None
    return round(float(value), 4) if isinstance(value, Decimal | float) else value


def _dataset(label, data, colour, **extra) -> dict:
    return {"label": str(label), "data": [_number(value) for value in data], "colour": colour, "dashed": False,
            "kind": None, "axis": "y", **extra}


def _chart(chart_id, title, kind, labels, datasets, y_title, *, stacked=False, y_max=None, suffix="",
           y2=None) -> dict:
    return {"id": chart_id, "title": str(title), "kind": kind, "labels": list(labels), "stacked": stacked,
            "y": {"title": str(y_title), "max": y_max, "suffix": suffix, "integer": not suffix and y_max is None},
            "y2": y2, "datasets": datasets}


def trends_charts(trends) -> list[dict]:
    """The portfolio trends charts (``scoring.trends.Trends``): coverage against target,
    grade distribution, mean score per category (plain and spend-weighted), the full/tail
    split, findings opened and closed with the CAPs overdue at quarter end."""
    quarters = trends.quarters
    return [_coverage(trends, quarters), _grades(trends, quarters), _categories(trends, quarters),
            _populations(trends, quarters), _findings(trends, quarters)]


def _coverage(trends, quarters) -> dict:
    datasets = []
    metrics = list(dict.fromkeys(row["metric"] for row in trends.coverage))
    for index, metric in enumerate(metrics):
        rows = {row["quarter"]: row for row in trends.coverage if row["metric"] == metric}
        colour = PALETTE[index % len(PALETTE)]
        name = METRIC_LABELS.get(metric, metric)
        datasets.append(_dataset(name, [rows[q]["share"] * 100 if q in rows else None for q in quarters], colour))
        datasets.append(_dataset(_("%(metric)s: target") % {"metric": name},
                                 [rows[q]["target"] * 100 if q in rows else None for q in quarters], colour,
                                 dashed=True))
    return _chart("coverage", _("Coverage against target"), "line", quarters, datasets, _("Share (%)"), y_max=100,
                  suffix="%")


def _grades(trends, quarters) -> dict:
    rows = {row["quarter"]: row for row in trends.grades}
    datasets = [_dataset(_("Grade %(grade)s") % {"grade": grade}, [rows[q][grade] for q in quarters],
                         GRADE_COLOURS[grade]) for grade in ("A", "B", "C", "D", "X")]
    return _chart("grades", _("Grade distribution"), "bar", quarters, datasets, _("Suppliers"), stacked=True)


def _categories(trends, quarters) -> dict:
    datasets = []
    categories = list(dict.fromkeys(row["category"] for row in trends.categories))
    for index, category in enumerate(categories):
        rows = {row["quarter"]: row for row in trends.categories if row["category"] == category}
        colour = PALETTE[index % len(PALETTE)]
        name = supplier_category_label(category)
        datasets.append(_dataset(_("%(category)s: mean") % {"category": name},
                                 [rows[q]["mean_score"] if q in rows else None for q in quarters], colour))
        datasets.append(_dataset(_("%(category)s: spend-weighted mean") % {"category": name},
                                 [rows[q]["spend_weighted_mean_score"] if q in rows else None for q in quarters],
                                 colour, dashed=True))
    return _chart("categories", _("Mean score per category"), "line", quarters, datasets, _("Score (0-100)"),
                  y_max=100)


def _populations(trends, quarters) -> dict:
    rows = {row["quarter"]: row for row in trends.populations}
    shares = []
    for q in quarters:
        total = rows[q]["full_spend"] + rows[q]["ecovadis_only_spend"]
        shares.append(rows[q]["full_spend"] / total * 100 if total else None)
    datasets = [
        _dataset(_("Full scorecard: suppliers"), [rows[q]["full_suppliers"] for q in quarters], PALETTE[0]),
        _dataset(_("EcoVadis only: suppliers"), [rows[q]["ecovadis_only_suppliers"] for q in quarters], "#90a4ae"),
        _dataset(_("Full scorecard: share of spend (%)"), shares, PALETTE[2], kind="line", axis="y2"),
    ]
    return _chart("populations", _("Full scorecard and EcoVadis-only"), "bar", quarters, datasets, _("Suppliers"),
                  stacked=True, y2={"title": _("Share of spend (%)"), "max": 100, "suffix": "%"})


def _findings(trends, quarters) -> dict:
    rows = {row["quarter"]: row for row in trends.findings}
    datasets = [
        _dataset(_("Findings opened"), [rows[q]["opened"] for q in quarters], PALETTE[2]),
        _dataset(_("Findings closed"), [rows[q]["closed"] for q in quarters], PALETTE[1]),
        _dataset(_("Overdue CAPs at quarter end"), [rows[q]["overdue_caps"] for q in quarters], "#b3261e",
                 kind="line"),
    ]
    return _chart("findings", _("Findings and overdue CAPs"), "bar", quarters, datasets, _("Findings"))


def comparison_charts(result, coverage: list[tuple]) -> list[dict]:
    """The comparison page's charts: suppliers per grade under each version (the migration
    matrix's row and column sums) and each coverage metric's share under each version
    (``coverage``: ``[(snapshot, metrics)]`` as the page's coverage table)."""
    charts = []
    if result is not None:
        base = [sum(row) for row in result.matrix]
        other = [sum(column) for column in zip(*result.matrix, strict=True)] if result.matrix else []
        charts.append(_chart("compare-grades", _("Suppliers per grade under each version"), "bar",
                             list(result.grades), [_dataset(result.base, base, PALETTE[0]),
                                                   _dataset(result.other, other, PALETTE[2])], _("Suppliers")))
    if coverage:
        names = list(dict.fromkeys(metric["name"] for _snapshot, metrics in coverage for metric in metrics))
        datasets = []
        for index, (snapshot, metrics) in enumerate(coverage):
            shares = {metric["name"]: metric["share"] for metric in metrics}
            datasets.append(_dataset(snapshot.methodology.version,
                                     [shares[name] * 100 if shares.get(name) is not None else None for name in names],
                                     PALETTE[0 if index == 0 else 2]))
        if datasets:
            targets = {metric["name"]: metric["target"] for metric in coverage[0][1]}
            datasets.append(_dataset(_("Target"), [targets[name] * 100 if targets.get(name) is not None else None
                                                   for name in names], "#1d2733", kind="line", dashed=True))
        charts.append(_chart("compare-coverage", _("Coverage under each version"), "bar",
                             [str(METRIC_LABELS.get(name, name)) for name in names], datasets, _("Share (%)"),
                             y_max=100, suffix="%"))
    return charts
