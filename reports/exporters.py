"""The quarterly report files, written from what the recalculation stored (never
recomputed), each stating the run that produced its data:

- ``write_workbook``: the XLSX workbook, streamed in openpyxl's write-only mode so a
  100,000-supplier quarter stays far below 1 GB of memory;
- ``write_report_cards``: PDF report cards, one PDF for one supplier or a zip of one PDF
  per supplier.

The scores CSV is ``reports.scores_csv.write_scores_csv``; the workbook's Scores sheet reuses
its rows (``score_rows``) so both files always agree.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from audits.selectors import site_cycle_status
from core.quarter import Quarter
from disclosure.emissions import METHODS, SUPPLIER_SPECIFIC, SUPPLIER_SPECIFIC_AMBITION
from reports import selectors
from reports.cards import CardData, OpenFinding, QbrLine, render_card, render_card_bytes
from reports.scores_csv import SCORE_COLUMNS, NoStoredScores, safe_cell, score_rows
from scoring.breakdown import points_to_gain
from scoring.decomposition import INDICATOR, Decomposition, decompose_quarter
from scoring.labels import effect_label, indicator_title
from scoring.methodology import CATEGORIES, CATEGORY_KEYS, MethodologyParams
from scoring.models import QuarterlyScore, ScoreRun
from scoring.selectors import coverage_metrics, methodology_params

Progress = Callable[[int, int], None] | None  # (done, total) units of the file

SHEETS = ["Summary", "Scores", "Movers", "Indicators", "Indicator values", "Coverage gaps", "Audits", "Findings",
          "QBR", "Emissions"]
# Scores sheet columns (contract.md order) that hold numbers, with their display format.
SCORE_NUMBER_FORMATS = {"spend_basis": "#,##0.00", "score": "0.00", "rba": "0.00", "environment": "0.00",
                        "minerals": "0.00", "ecovadis": "0.00", "esg_disclosure": "0.00", "completeness": "0.0000"}
GRADE_FILLS = {"A": "C6EFCE", "B": "E2EFDA", "C": "FFEB9C", "D": "F8CBAD", "X": "FFC7CE"}
QBR_ORDER = ("quality", "delivery", "cost", "service")
MONEY, SHARE, POINTS, DATE = "#,##0.00", "0.0%", "0.00", "yyyy-mm-dd"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", start_color="ECEFF1")
STATUS_TEXT = {"missing": "missing", "not_applicable": "n/a"}
CARD_BATCH = 200


def _text(value):
    """Strings as a spreadsheet must see them: never a formula, no XML-illegal characters."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value))
    return value


class _Sheet:
    """A write-only sheet: a bold frozen header with filters, one number format per column."""

    def __init__(self, ws, columns: list[tuple[str, str | None, int]], freeze: str = "A2"):
        self.ws = ws
        self.formats = [number_format for _, number_format, _ in columns]
        for index, (_name, _format, width) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = freeze
        header = []
        for name, _format, _width in columns:
            cell = WriteOnlyCell(ws, name)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            header.append(cell)
        ws.append(header)
        self.rows = 1

    def append(self, values: Iterable) -> None:
        cells = []
        for value, number_format in zip(values, self.formats, strict=True):
            if number_format is None or value is None or isinstance(value, str | bool):
                cells.append(_text(value))
            else:
                cell = WriteOnlyCell(self.ws, value)
                cell.number_format = number_format
                cells.append(cell)
        self.ws.append(cells)
        self.rows += 1

    @property
    def last_column(self) -> str:
        return get_column_letter(len(self.formats))

    def close(self) -> None:
        self.ws.auto_filter.ref = f"A1:{self.last_column}{max(self.rows, 2)}"


class _Stages:
    """Counts the work of a file in real units across its stages (each stage sized by its
    rows, a small sheet counting one) and passes ``(done, total)`` to the callback."""

    def __init__(self, callback: Progress, stages: dict[str, int]):
        self.callback = callback
        self.starts, total = {}, 0
        for name, size in stages.items():
            self.starts[name] = (total, max(size, 1))
            total += max(size, 1)
        self.total = total
        self.last = -1

    def report(self, stage: str, done: int | None = None) -> None:
        """``done`` units of ``stage`` (default: the whole stage)."""
        if self.callback is None:
            return
        start, size = self.starts[stage]
        units = start + (size if done is None else min(done, size))
        if units != self.last:
            self.last = units
            self.callback(units, self.total)


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text != "" else None


def _qbr_components(weights: dict) -> list[str]:
    """QBR components in reading order: quality, delivery, cost, service, …, esg."""
    names = [name for name in QBR_ORDER if name in weights]
    names += sorted(name for name in weights if name not in QBR_ORDER and name != "esg")
    return names + (["esg"] if "esg" in weights else [])


def ordered_indicators(params: MethodologyParams) -> list:
    """Indicator specs by category (RBA, environment, minerals, EcoVadis, disclosure), then code."""
    rank = {key: index for index, key in enumerate(CATEGORY_KEYS)}
    return sorted(params.indicators, key=lambda spec: (rank.get(spec.category, len(rank)), spec.code))


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    """Spreadsheets hold no time zone: UTC, without microseconds."""
    return timezone.make_naive(moment, dt.UTC).replace(microsecond=0)


def _run_text(run: ScoreRun) -> str:
    """"run 12 (v1, finished 2026-10-02 08:00 UTC)" in the active language."""
    if run.finished_at:
        return _("run %(id)s (%(version)s, finished %(moment)s UTC)") % {
            "id": run.pk, "version": run.methodology.version, "moment": f"{run.finished_at:%Y-%m-%d %H:%M}"}
    return _("run %(id)s (%(version)s)") % {"id": run.pk, "version": run.methodology.version}


# --------------------------------------------------------------------------- workbook


def write_workbook(quarter: Quarter, target, progress: Progress = None, *, run: ScoreRun | None = None,
                   today: dt.date | None = None) -> int:
    """Write the quarterly workbook to a path or binary stream; returns the suppliers written.

    Sheets: Summary, Scores, Movers (``_movers_sheet``: every supplier's change decomposition
    against the previous quarter), Indicators, Indicator values, Coverage gaps, Audits,
    Findings, QBR, Emissions (the section 11 estimate: ``reports.selectors.emissions_estimate``).
    ``progress`` is called with ``(done, total)`` as sheets fill: one unit per row of the
    Scores, Indicators and QBR sheets, one per other sheet and one for saving.
    Raises ``NoStoredScores`` before any run, and ``selectors.ScoresReplaced`` when a
    recalculation replaces the quarter's results meanwhile.
    """
    run = run or selectors.producing_run(quarter)
    totals = selectors.quarter_totals(quarter, run)
    if totals.suppliers == 0:
        selectors.ensure_still_current(quarter, run)  # raises: the run's rows were replaced
    full = totals.by_population.get("full", {}).get("suppliers", 0)
    params = methodology_params(run.methodology)
    coverage = selectors.coverage_for(quarter, run)
    as_of = selectors.register_as_of(quarter, today)
    stages = _Stages(progress, {"summary": 1, "scores": totals.suppliers, "movers": 1, "indicators": full,
                                "qbr": totals.suppliers, "gaps": 1, "audits": 1, "findings": 1, "emissions": 1,
                                "save": 1})
    workbook = Workbook(write_only=True)
    sheets = {title: workbook.create_sheet(title) for title in SHEETS}  # the reading order
    _summary_sheet(sheets["Summary"], quarter, run, params, totals, coverage, as_of)
    stages.report("summary")
    written = _scores_sheet(sheets["Scores"], quarter, lambda done: stages.report("scores", done))
    if written != totals.suppliers:
        selectors.ensure_still_current(quarter, run)
    stages.report("scores")
    directory = selectors.supplier_directory()  # one read of the suppliers for every sheet
    _movers_sheet(sheets["Movers"], quarter, run, selectors.supplier_labels(directory))
    stages.report("movers")
    _indicator_sheets(sheets["Indicators"], sheets["Indicator values"], quarter, run, params,
                      lambda done: stages.report("indicators", done))
    stages.report("indicators")
    _qbr_sheet(sheets["QBR"], quarter, run, lambda done: stages.report("qbr", done))
    stages.report("qbr")
    names = selectors.supplier_names(directory)
    _gaps_sheet(sheets["Coverage gaps"], coverage, names)
    stages.report("gaps")
    _audits_sheet(sheets["Audits"], as_of, run, names)
    stages.report("audits")
    _findings_sheet(sheets["Findings"], as_of)
    stages.report("findings")
    _emissions_sheet(sheets["Emissions"], quarter, names)
    stages.report("emissions")
    selectors.ensure_still_current(quarter, run)
    workbook.save(target)
    stages.report("save")
    return written


def _scores_sheet(ws, quarter: Quarter, progress: Callable[[int], None]) -> int:
    """The scores CSV rows (``score_rows``), numbers as numbers, grades coloured."""
    sheet = _Sheet(ws, [(name, SCORE_NUMBER_FORMATS.get(name), 14) for name in SCORE_COLUMNS])
    numeric = [name in SCORE_NUMBER_FORMATS for name in SCORE_COLUMNS]
    written = 0
    for row in score_rows(quarter):
        sheet.append([_decimal(cell) if is_number else cell for cell, is_number in zip(row, numeric, strict=True)])
        written += 1
        if written % 2000 == 0:
            progress(written)
    grade_column = get_column_letter(SCORE_COLUMNS.index("grade") + 1)
    for grade, colour in GRADE_FILLS.items():
        ws.conditional_formatting.add(
            f"{grade_column}2:{grade_column}{max(sheet.rows, 2)}",
            CellIsRule(operator="equal", formula=[f'"{grade}"'],
                       fill=PatternFill("solid", start_color=colour, end_color=colour)))
    sheet.close()
    return written


def movers_rows(quarter: Quarter, run: ScoreRun, labels: dict[int, tuple[str, str]] | None = None) -> Iterator[list]:
    """The Movers sheet's rows: every supplier scored in ``quarter`` (by ``run``'s methodology)
    and in the quarter before (official), the one with the largest absolute change first (then
    by code); per supplier its ``scoring.decomposition`` lines as the supplier page and
    ``GET scores/decomposition/{code}/`` give them (``decompose_quarter``: the same rule, a
    fixed number of queries): a ``method`` line with the method effect when the methodology
    changed, then the data effect's lines (every indicator whose status, value or points
    changed, gate, population, rescaling, rounding) sorted by absolute effect, never cut. The
    lines of a supplier add up to its total change. A change that cannot be split (the previous
    quarter cannot be scored under this methodology) is one ``unsplit`` line.

    Row: supplier code, name, previous score, score, total change, line kind, line label,
    indicator code, weight share (0–1), points before, points after, effect (score points).
    ``labels``: supplier id → (code, name) (``selectors.supplier_labels``; read when not given)."""
    changes = decompose_quarter(quarter, methodology=run.methodology)
    if not changes:
        return
    suppliers = selectors.supplier_labels() if labels is None else labels
    order = sorted(changes, key=lambda supplier_id: (-abs(changes[supplier_id].total), suppliers[supplier_id][0]))
    for supplier_id in order:
        change = changes[supplier_id]
        head = [*suppliers[supplier_id], change.previous_score, change.score, change.total]
        for kind, code, share, before, after, effect in _mover_lines(change):
            label = indicator_title(code) if kind == INDICATOR else effect_label(kind)
            yield [*head, kind, label, code or None, share, before, after, effect]


def _mover_lines(change: Decomposition) -> Iterator[tuple]:
    if change.method_effect is None:
        if change.total:
            yield "unsplit", "", None, None, None, change.total
        return
    if change.method_effect:
        yield "method", "", None, None, None, change.method_effect
    for line in change.lines:
        yield line.kind, line.code, line.weight_share, line.points_before, line.points_after, line.effect


def _movers_sheet(ws, quarter: Quarter, run: ScoreRun, labels: dict[int, tuple[str, str]]) -> None:
    sheet = _Sheet(ws, [(_("supplier code"), None, 14), (_("supplier name"), None, 30),
                        (_("previous score"), POINTS, 12), (_("score"), POINTS, 10), (_("total change"), POINTS, 12),
                        (_("line"), None, 12), (_("what moved"), None, 44), (_("indicator"), None, 10),
                        (_("weight share"), SHARE, 12), (_("points before"), POINTS, 12),
                        (_("points after"), POINTS, 12), (_("effect"), POINTS, 10)], freeze="C2")
    for row in movers_rows(quarter, run, labels):
        sheet.append(row)
    sheet.close()


def _gaps_sheet(ws, coverage: dict, names: dict[str, str]) -> None:
    sheet = _Sheet(ws, [("metric", None, 16), ("supplier_code", None, 16), ("supplier_name", None, 36),
                        ("spend", MONEY, 16), ("cumulative_share", "0.0000", 16)])
    for metric, data in coverage_metrics(coverage):
        for gap in data.get("gaps", []):
            sheet.append([metric, gap["supplier"], names.get(gap["supplier"], ""), gap["spend"],
                          gap["cumulative_share"]])
    sheet.close()


EMISSIONS_COLUMNS = [("line", None, 10), ("supplier_code", None, 14), ("supplier_name", None, 30),
                     ("method", None, 18), ("suppliers", None, 10), ("spend_share", "0.0000", 12),
                     ("target", SHARE, 10), ("status", None, 10), ("tco2e", "#,##0.000", 16)]


def _emissions_sheet(ws, quarter: Quarter, names: dict[str, str]) -> None:
    """The supply-chain emissions estimate of Q (scorecard.md section 11): a ``total`` line,
    one ``method`` line per method (the supplier-specific share against the 95% ambition),
    then one ``supplier`` line per scored supplier in the estimate's order; a single
    ``not computed`` line saying why when Q's FX rates are missing."""
    sheet = _Sheet(ws, EMISSIONS_COLUMNS)
    report, error = selectors.emissions_estimate(quarter)
    if report is None:
        sheet.append(["not computed", None, error, None, None, None, None, None, None])
        sheet.close()
        return
    scored = sum(method["suppliers"] for method in report["methods"].values())
    sheet.append(["total", None, f"tCO2e, {report['base_currency']} spend of the four quarters ending {quarter}",
                  None, scored, 1.0 if scored else 0.0, None, None, report["total_tco2e"]])
    for name in METHODS:  # a stored document's keys come back in any order (jsonb)
        method = report["methods"][name]
        target = status = None
        if name == SUPPLIER_SPECIFIC:
            target = SUPPLIER_SPECIFIC_AMBITION
            status = "met" if method["spend_share"] >= target else "missed"
        sheet.append(["method", None, None, name, method["suppliers"], method["spend_share"], target, status,
                      method["tco2e"]])
    for line in report["suppliers"]:
        sheet.append(["supplier", line["supplier"], names.get(line["supplier"], ""), line["method"], None, None,
                      None, None, line["tco2e"]])
    sheet.close()


def _cents(value) -> Decimal:
    """A money amount as the Decimal Excel stores exactly: rounded half up to cents (a float
    such as 1606813391.970001 or a JSON float would show stray digits)."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _summary_sheet(ws, quarter, run, params: MethodologyParams, totals, coverage: dict, as_of) -> None:
    ws.column_dimensions["A"].width = 30
    for letter in "BCD":
        ws.column_dimensions[letter].width = 18
    rows = 0

    def add(*values, formats=(), bold=False):
        nonlocal rows
        cells = []
        for index, value in enumerate(values):
            cell = WriteOnlyCell(ws, _text(value))
            number_format = formats[index] if index < len(formats) else None
            if number_format and value is not None and not isinstance(value, str):
                cell.number_format = number_format
            if bold:
                cell.font = HEADER_FONT
            cells.append(cell)
        ws.append(cells)
        rows += 1
        return rows

    total_spend = coverage.get("total_spend", totals.spend)
    add(f"ESG quarterly report {quarter}", bold=True)
    add("Quarter", str(quarter))
    add("Methodology", run.methodology.version)
    add("Score run", run.pk)
    add("Run finished (UTC)", _naive_utc(run.finished_at) if run.finished_at else "",
        formats=(None, "yyyy-mm-dd hh:mm"))
    add("Run input fingerprint", run.fingerprint)
    add("Produced from", f"the stored results of score {_run_text(run)}")
    add("Base currency", coverage.get("base_currency", ""))
    add("Total spend basis", _cents(total_spend), formats=(None, MONEY))
    add("Suppliers scored", totals.suppliers)
    add("Audit register as of", as_of, formats=(None, DATE))
    add("Generated at (UTC)", _naive_utc(timezone.now()), formats=(None, "yyyy-mm-dd hh:mm"))
    add()
    add("Population", "Suppliers", "Spend basis", "Spend share", bold=True)
    spend = totals.spend or Decimal(1)
    for population in ("full", "ecovadis_only"):
        data = totals.by_population.get(population, {"suppliers": 0, "spend": Decimal(0)})
        add(population, data["suppliers"], _cents(data["spend"]),
            float(data["spend"] / spend) if totals.spend else 0.0, formats=(None, None, MONEY, SHARE))
    add("total", totals.suppliers, _cents(totals.spend), 1.0, formats=(None, None, MONEY, SHARE))
    add()
    add("Coverage metric", "Share", "Target", "Status", bold=True)
    for name, metric in coverage_metrics(coverage):
        add(name, metric["share"], metric["target"], "met" if metric["met"] else "missed",
            formats=(None, SHARE, SHARE))
    add()
    header = add("Grade", "Full scorecard", "EcoVadis only", "Total", bold=True)
    grades = [grade for grade, _ in params.grade_bands] + ["X"]
    grades += sorted(grade for grade in totals.by_grade if grade not in grades)
    for grade in grades:
        counts = totals.by_grade.get(grade, {})
        full, tail = counts.get("full", 0), counts.get("ecovadis_only", 0)
        add(grade, full, tail, full + tail)
    last_grade_row = rows
    add()
    add("Indicator", "Category", "Weight", "Title", bold=True)
    for spec in ordered_indicators(params):
        add(spec.code, spec.category, spec.weight, indicator_title(spec.code, spec.title))
    add()
    add("QBR component", "Weight", bold=True)
    for name in _qbr_components(params.qbr_weights):
        add(name, params.qbr_weights[name])

    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    chart.title = "Suppliers by grade"
    chart.y_axis.title = "Suppliers"
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=header, max_row=last_grade_row), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last_grade_row))
    chart.height, chart.width = 8, 14
    ws.add_chart(chart, "F2")


def _indicator_sheets(points_ws, raws_ws, quarter, run, params: MethodologyParams,
                      progress: Callable[[int], None]) -> None:
    """Points (first sheet) and raw values (second) per indicator, full scorecard only."""
    codes = [spec.code for spec in ordered_indicators(params)]
    points = _Sheet(points_ws, [("supplier_code", None, 14), ("supplier_name", None, 30)]
                    + [(code, POINTS, 9) for code in codes], freeze="C2")
    raws = _Sheet(raws_ws, [("supplier_code", None, 14), ("supplier_name", None, 30)]
                  + [(code, "General", 11) for code in codes], freeze="C2")
    for done, (code_, name, stored) in enumerate(selectors.indicator_rows(quarter, run), start=1):
        point_row, raw_row = [code_, name], [code_, name]
        for code in codes:
            entry = stored.get(code) or {"status": "missing", "points": None, "raw": None}
            status = entry.get("status", "missing")
            if status == "value":
                point_row.append(entry.get("points"))
                raw_row.append(entry.get("raw"))
            else:
                point_row.append(STATUS_TEXT.get(status, status))
                raw_row.append(STATUS_TEXT.get(status, status))
        points.append(point_row)
        raws.append(raw_row)
        if done % 2000 == 0:
            progress(done)
    points.close()
    raws.close()


def _qbr_sheet(ws, quarter, run, progress: Callable[[int], None]) -> None:
    weights = {name: Decimal(str(weight)) for name, weight in run.methodology.qbr_weights.items()}
    names = _qbr_components(weights)
    columns = [("supplier_code", None, 14), ("supplier_name", None, 30), ("population", None, 14)]
    columns += [(name, POINTS, 10) for name in names]
    columns += [(f"weight_{name}", SHARE, 10) for name in names]
    columns += [("esg_contribution", POINTS, 14), ("qbr_total", POINTS, 11), ("qbr_incomplete", None, 13)]
    sheet = _Sheet(ws, columns, freeze="D2")
    rows = selectors.qbr_rows(quarter, run)
    for done, (code, name, population, components, total, incomplete) in enumerate(rows, start=1):
        lines = _qbr_lines(weights, names, components)
        esg = next((line for line in lines if line.component == "esg"), None)
        contribution = (round(esg.score * esg.weight_used, 2)
                        if esg is not None and esg.score is not None and esg.weight_used else None)
        sheet.append([code, name, population, *[line.score for line in lines],
                      *[line.weight_used for line in lines], contribution, total, incomplete])
        if done % 2000 == 0:
            progress(done)
    sheet.close()


def _qbr_lines(weights: dict[str, Decimal], names: list[str], components: dict) -> list[QbrLine]:
    """The stored components with the weights the card used (missing ones left out, the
    others rescaled, scorecard.md section 8)."""
    present = {name: components.get(name) for name in names if components.get(name) is not None}
    used = sum((weights[name] for name in present), Decimal(0))
    return [QbrLine(component=name, score=present.get(name), weight=weights[name],
                    weight_used=float(weights[name] / used) if name in present and used else None)
            for name in names]


def _audits_sheet(ws, as_of: dt.date, run: ScoreRun, names: dict[str, str]) -> None:
    sheet = _Sheet(ws, [("supplier_code", None, 14), ("supplier_name", None, 30), ("site_code", None, 14),
                         ("site_name", None, 24), ("site_status", None, 11), ("production", None, 11),
                         ("latest_full_audit", None, 18), ("conducted_on", DATE, 12), ("score", POINTS, 8),
                         ("recognition", None, 12), ("valid_until", DATE, 12), ("status", None, 14),
                         ("next_due", DATE, 12), ("upcoming_audit", None, 18), ("upcoming_on", DATE, 12)])
    cycle = site_cycle_status(as_of, expiring_days=run.methodology.expiring_days,
                              validity_months=run.methodology.audit_validity_months)
    for row in cycle.itertuples(index=False):
        score = None if row.score is None else float(row.score)
        sheet.append([row.supplier_code, names.get(row.supplier_code, ""), row.site_code, row.site_name,
                      row.site_status, bool(row.is_production), row.last_full_audit_ref, row.last_full_audit_on,
                      score, row.recognition, row.valid_until, row.status, row.next_due, row.upcoming_audit_ref,
                      row.upcoming_audit_date])
    sheet.close()


def _findings_sheet(ws, as_of: dt.date) -> None:
    """Open findings; the due dates are the working ones (an extension's, docs/audits.md)."""
    sheet = _Sheet(ws, [("supplier_code", None, 14), ("supplier_name", None, 30), ("site_code", None, 14),
                         ("audit_ref", None, 16), ("finding_ref", None, 16), ("provision", None, 10),
                         ("severity", None, 10), ("zero_tolerance", None, 10), ("opened_on", DATE, 12),
                         ("cap_due_on", DATE, 12), ("cap_state", None, 14), ("cap_overdue", None, 12),
                         ("correction_due_on", DATE, 14), ("correction_overdue", None, 14),
                         ("days_overdue", "0", 10), ("cap_owner", None, 18), ("planned_completion", DATE, 14),
                         ("description", None, 50)])
    for row in selectors.open_finding_rows(as_of):
        has_cap = row["cap_state"] is not None
        overdue = row["correction_overdue"]
        sheet.append([row["supplier_code"], row["supplier_name"], row["site_code"], row["audit_ref"],
                      row["finding_ref"], row["provision"], row["severity"], row["zero_tolerance"],
                      row["opened_on"], row["cap_due_working"], row["cap_state"] if has_cap else "no_cap",
                      row["cap_overdue"], row["correction_due_working"], overdue,
                      (as_of - row["correction_due_working"]).days if overdue else None,
                      row["cap_owner"] if has_cap else "", row["planned_completion"] if has_cap else None,
                      row["description"]])
    red = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
    for column in ("L", "N"):
        ws.conditional_formatting.add(f"{column}2:{column}{max(sheet.rows, 2)}",
                                      CellIsRule(operator="equal", formula=["TRUE"], fill=red))
    sheet.close()


# --------------------------------------------------------------------------- report cards


def write_report_cards(quarter: Quarter, path, supplier_ids: Iterable[int] | None = None, *,
                       progress: Progress = None, run: ScoreRun | None = None, today: dt.date | None = None) -> int:
    """PDF report cards from the stored results; returns the number of cards.

    One supplier id: ``path`` (a path or binary stream) receives that supplier's PDF.
    Otherwise (``None`` = every scored supplier): a zip with one ``<code>.pdf`` each.
    """
    run = run or selectors.producing_run(quarter)
    context = _CardContext(quarter, run, selectors.register_as_of(quarter, today))
    ids = None if supplier_ids is None else list(supplier_ids)
    if ids is not None and len(ids) == 1:
        scores = list(selectors.report_card_scores(quarter, run, ids))
        if not scores:
            raise NoStoredScores(_("This supplier has no stored score in %(quarter)s.") % {"quarter": quarter})
        with _binary(path) as stream:
            render_card(context.cards(scores)[0], stream)
        selectors.ensure_still_current(quarter, run)
        if progress:
            progress(1, 1)
        return 1
    total = len(ids) if ids is not None else selectors.run_scores(quarter, run).count()
    count = 0
    with _binary(path) as stream, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for batch in _batches(selectors.report_card_scores(quarter, run, ids), CARD_BATCH):
            for card in context.cards(batch):
                archive.writestr(f"{_safe_name(card.supplier_code)}-{quarter}.pdf", render_card_bytes(card))
                count += 1
                if progress:
                    progress(count, max(total, count))
    selectors.ensure_still_current(quarter, run)
    if count == 0:
        raise NoStoredScores(_("These suppliers have no stored scores in %(quarter)s.") % {"quarter": quarter})
    if progress:
        progress(count, count)
    return count


class _CardContext:
    """Everything the cards of one quarter share, and the batch reads they need."""

    def __init__(self, quarter: Quarter, run: ScoreRun, as_of: dt.date):
        self.quarter, self.run, self.as_of = quarter, run, as_of
        self.params = methodology_params(run.methodology)
        self.category_weights = self.params.category_weights()
        self.qbr_weights = {name: Decimal(str(w)) for name, w in run.methodology.qbr_weights.items()}
        self.qbr_names = _qbr_components(self.qbr_weights)
        fingerprint = (_(", inputs %(fingerprint)s") % {"fingerprint": run.fingerprint[:12]}
                       if run.fingerprint else "")
        self.footer = _("Stored results of score %(run)s%(inputs)s · audit register as of %(date)s · "
                        "generated %(moment)s UTC") % {
            "run": _run_text(run), "inputs": fingerprint, "date": as_of.isoformat(),
            "moment": f"{timezone.now():%Y-%m-%d %H:%M}"}

    def cards(self, scores: list[QuarterlyScore]) -> list[CardData]:
        ids = [score.supplier_id for score in scores]
        trends = selectors.score_trends(ids, self.quarter)
        findings = selectors.findings_by_supplier(self.as_of, ids)
        return [self.card(score, trends.get(score.supplier_id, []), findings.get(score.supplier_id, []))
                for score in scores]

    def card(self, score: QuarterlyScore, trend: list[tuple], findings: list) -> CardData:
        return CardData(
            supplier_code=score.supplier.code, supplier_name=score.supplier.name, quarter=score.quarter,
            methodology=self.run.methodology.version, population=score.population, score=score.score,
            grade=score.grade, flags=sorted(score.flags),
            subscores=[(key, self.category_weights.get(key, Decimal(0)), getattr(score, key))
                       for key, _title in CATEGORIES],
            trend=trend, gains=points_to_gain(self.params, score.population, score.points, flags=score.flags),
            findings=[self._finding(finding) for finding in findings],
            qbr=_qbr_lines(self.qbr_weights, self.qbr_names, score.qbr_components or {}),
            qbr_total=score.qbr_total, qbr_incomplete=score.qbr_incomplete, as_of=self.as_of, footer=self.footer,
        )

    def _finding(self, finding) -> OpenFinding:
        cap = getattr(finding, "corrective_action", None)
        return OpenFinding(
            finding_ref=finding.finding_ref, site_code=finding.audit.site.code, severity=finding.severity,
            provision=finding.provision.code, opened_on=finding.opened_on, cap_due_on=finding.cap_due_working,
            cap_state=cap.state if cap else "no CAP", correction_due_on=finding.correction_due_working,
            cap_overdue=finding.cap_overdue, correction_overdue=finding.correction_overdue,
        )


def _batches(items: Iterator, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text) or "supplier"


@contextmanager
def _binary(target):
    if isinstance(target, str | Path):
        with open(target, "wb") as handle:
            yield handle
    else:
        yield target
