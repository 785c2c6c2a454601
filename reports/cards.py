"""Layout of one supplier's PDF report card. Plain data in (``CardData``), PDF bytes out:
no database access here, ``reports.exporters`` gathers the stored results. Every text is
in the active language (the exporter renders under the requester's language)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reports.fonts import register_font
from scoring.breakdown import Gain, is_gated
from scoring.labels import category_label, indicator_title, qbr_component_label

GRADE_COLOURS = {"A": "#2e7d32", "B": "#7cb342", "C": "#f9a825", "D": "#ef6c00", "X": "#c62828"}
FLAG_TEXT = {
    "termination_review": gettext_lazy("Termination review: a zero-tolerance finding sets the score to 0."),
    "no_valid_audit": gettext_lazy("Not every active production site has a valid full audit."),
    "audit_expiring": gettext_lazy("A site's full audit expires within 90 days."),
    "open_priority_finding": gettext_lazy("An open Priority finding."),
    "low_completeness": gettext_lazy("Fewer than 75 per cent of the applicable indicators have a value."),
    "no_ecovadis": gettext_lazy("No EcoVadis score."),
}
CAP_STATE_TEXT = {
    "not_started": gettext_lazy("Not started"), "submitted": gettext_lazy("Submitted"),
    "approved": gettext_lazy("Approved"), "rejected": gettext_lazy("Rejected"),
    "implemented": gettext_lazy("Implemented"), "verified_closed": gettext_lazy("Verified closed"),
    "no CAP": gettext_lazy("No CAP"),
}
SEVERITY_TEXT = {
    "priority": gettext_lazy("Priority"), "major": gettext_lazy("Major"), "minor": gettext_lazy("Minor"),
    "risk": gettext_lazy("Risk"), "ofi": gettext_lazy("Opportunity for improvement"),
}


@dataclass(frozen=True)
class OpenFinding:
    finding_ref: str
    site_code: str
    severity: str
    provision: str
    opened_on: dt.date
    cap_due_on: dt.date | None
    cap_state: str
    correction_due_on: dt.date | None
    cap_overdue: bool
    correction_overdue: bool


@dataclass(frozen=True)
class QbrLine:
    component: str
    score: float | None  # None: missing, left out and the other weights rescaled
    weight: Decimal
    weight_used: float | None  # fraction of the card; None when left out


@dataclass
class CardData:
    supplier_code: str
    supplier_name: str
    quarter: str
    methodology: str
    population: str
    score: Decimal
    grade: str
    flags: list[str]
    subscores: list[tuple[str, Decimal, Decimal | None]]  # (category key, category weight, subscore)
    trend: list[tuple[str, Decimal, str]]  # (quarter, score, grade), oldest first
    gains: list[Gain]
    findings: list[OpenFinding]
    qbr: list[QbrLine]
    qbr_total: Decimal | None
    qbr_incomplete: bool
    as_of: dt.date
    footer: str
    extra: dict = field(default_factory=dict)


def _styles(font: str):
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, leading=14, textColor=colors.grey),
        # A heading is never left alone at the bottom of a page: it moves with what follows.
        "h2": ParagraphStyle("h2", parent=base, fontSize=11, leading=14, spaceBefore=7, spaceAfter=3,
                             keepWithNext=1),
        "big": ParagraphStyle("big", parent=base, fontSize=22, leading=26),
    }


def _p(text, style):
    from reportlab.platypus import Paragraph

    return Paragraph(escape("" if text is None else str(text)), style)


CODE_FONT_SIZES = (8, 7, 6.5, 6, 5.5)


def _code(text: str, width: float, font: str):
    """A reference code (finding, site) in a table cell of ``width`` points: never broken
    mid-code. The font shrinks (8 pt down to 5.5 pt) until the code fits on one line; a
    code longer still keeps its single line."""
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph

    text = "" if text is None else str(text)
    available = width - 2 * TABLE_PADDING
    size = next((size for size in CODE_FONT_SIZES if stringWidth(text, font, size) <= available),
                CODE_FONT_SIZES[-1])
    style = ParagraphStyle("code", fontName=font, fontSize=size, leading=size + 2, splitLongWords=0)
    return Paragraph(escape(text).replace(" ", "&nbsp;"), style)


def _num(value, places: int = 2) -> str:
    return "—" if value is None else f"{float(value):.{places}f}"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


TABLE_PADDING = 6  # reportlab's default left and right cell padding, points


def _table(rows, widths, font, *, header: bool = True, zebra: bool = True):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#555555")),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff1")))
    if zebra:
        for index in range(2, len(rows), 2):
            commands.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor("#fafafa")))
    table.setStyle(TableStyle(commands))
    return table


def trend_chart(trend: list[tuple[str, Decimal, str]], font: str):
    """Score by quarter as a line with the grade of each point; 0–100 axis."""
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.graphics.widgets.markers import makeMarker
    from reportlab.lib import colors

    drawing = Drawing(480, 118)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 35, 18, 430, 84
    chart.data = [[float(score) for _, score, _ in trend]]
    chart.categoryAxis.categoryNames = [quarter for quarter, _, _ in trend]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7.5
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 25
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#dddddd")
    chart.lines[0].strokeColor = colors.HexColor("#1565c0")
    chart.lines[0].strokeWidth = 1.8
    chart.lines[0].symbol = makeMarker("FilledCircle", size=5)
    chart.lineLabelFormat = "%.1f"
    chart.lineLabels.fontName = font
    chart.lineLabels.fontSize = 7
    chart.lineLabels.dy = 6
    drawing.add(chart)
    drawing.add(String(0, 110, _("Score trend (stored results of each quarter)"), fontName=font, fontSize=8,
                       fillColor=colors.grey))
    return drawing


def _findings_section(card: CardData, st: dict, width: float, font: str) -> list:
    """The open findings at the card's date, with overdue due dates in red."""
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    out = []
    out.append(_p(_("Open findings at %(date)s") % {"date": card.as_of.isoformat()}, st["h2"]))
    if card.findings:
        rows = [[_("Finding"), _("Site"), _("Severity"), _("Provision"), _("Opened"), _("CAP due"), _("CAP"),
                 _("Correction due")]]
        late = " " + _("overdue")
        widths = [width * w for w in (0.17, 0.11, 0.08, 0.08, 0.10, 0.16, 0.13, 0.17)]
        overdue_cells = []
        for index, finding in enumerate(card.findings, start=1):
            rows.append([_code(finding.finding_ref, widths[0], font), _code(finding.site_code, widths[1], font),
                         _p(SEVERITY_TEXT.get(finding.severity, finding.severity), st["small"]),
                         finding.provision, _date(finding.opened_on),
                         _date(finding.cap_due_on) + (late if finding.cap_overdue else ""),
                         _p(CAP_STATE_TEXT.get(finding.cap_state, finding.cap_state.replace("_", " ")), st["small"]),
                         _date(finding.correction_due_on) + (late if finding.correction_overdue else "")])
            if finding.cap_overdue:
                overdue_cells.append((5, index))
            if finding.correction_overdue:
                overdue_cells.append((7, index))
        table = _table(rows, widths, font)
        for column, row in overdue_cells:
            table.setStyle(TableStyle([("TEXTCOLOR", (column, row), (column, row), colors.HexColor("#c62828"))]))
        out.append(table)
    else:
        out.append(_p(_("No open findings."), st["base"]))
    return out


def render_card(card: CardData, stream) -> None:
    """Write the card as a PDF (A4, one or two pages) to a binary stream."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_font()
    st = _styles(font)

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(15 * mm, 10 * mm, card.footer)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, _("page %(number)s") % {"number": doc.page})
        canvas.restoreState()

    doc = SimpleDocTemplate(stream, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=18 * mm,
                            title=_("ESG report card %(quarter)s %(code)s") % {"quarter": card.quarter,
                                                                             "code": card.supplier_code},
                            author="Supplier ESG Scorecard", subject=card.supplier_name)
    width = A4[0] - 30 * mm
    story = [
        _p(_("ESG report card · %(quarter)s") % {"quarter": card.quarter}, st["subtitle"]),
        _p(card.supplier_name, st["title"]),
        _p(_("Supplier %(code)s · methodology %(version)s · %(population)s") % {
            "code": card.supplier_code, "version": card.methodology,
            "population": _("full scorecard") if card.population == "full" else _("EcoVadis-only population")},
           st["subtitle"]),
        Spacer(1, 6),
    ]

    grade_style = st["big"].clone("grade", textColor=colors.HexColor(GRADE_COLOURS.get(card.grade, "#455a64")))
    headline = Table(
        [[_p(_("Score"), st["subtitle"]), _p(_("Grade"), st["subtitle"]), _p(_("QBR total"), st["subtitle"])],
         [_p(_num(card.score), st["big"]), _p(card.grade, grade_style), _p(_num(card.qbr_total), st["big"])]],
        colWidths=[width / 3] * 3, hAlign="LEFT")
    headline.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#cfd8dc"))]))
    story += [headline, Spacer(1, 4)]
    for flag in card.flags:
        story.append(_p(f"• {FLAG_TEXT.get(flag, flag)}", st["small"]))

    story.append(_p(_("Trend"), st["h2"]))
    if len(card.trend) >= 1:
        story.append(trend_chart(card.trend, font))

    story.append(_p(_("Subscores"), st["h2"]))
    if card.population == "full":
        rows = [[_("Category"), _("Weight"), _("Subscore")]]
        rows += [[_p(category_label(key), st["base"]), _num(weight, 0), _num(value)]
                 for key, weight, value in card.subscores]
        story.append(_table(rows, [width * 0.6, width * 0.2, width * 0.2], font))
    else:
        story.append(_p(_("EcoVadis-only population: the score is the EcoVadis overall score (ECO-01); "
                          "no subscores."), st["base"]))

    story.append(_p(_("Where the most points are to gain"), st["h2"]))
    if card.gains:
        rows = [[_("Indicator"), _("Title"), _("Points now"), _("Score gain at 100")]]
        rows += [[gain.code, _p(indicator_title(gain.code, gain.title), st["base"]),
                  _("missing") if gain.points is None else _num(gain.points),
                  f"+{gain.gain:.2f}"] for gain in card.gains]
        story.append(_table(rows, [width * 0.13, width * 0.55, width * 0.14, width * 0.18], font))
    elif is_gated(card.flags):
        story.append(_p(_("Termination review: the score stays 0 whatever the indicators until the review is "
                          "closed, so no indicator has points to gain."), st["base"]))
    else:
        story.append(_p(_("Every applicable indicator has full points."), st["base"]))

    story += _findings_section(card, st, width, font)

    story.append(_p(_("Quarterly business review card"), st["h2"]))
    rows = [[_("Component"), _("Score"), _("Weight"), _("Weight used"), _("Contribution")]]
    for line in card.qbr:
        contribution = (None if line.score is None or line.weight_used is None
                        else line.score * line.weight_used)
        rows.append([_p(qbr_component_label(line.component), st["small"]),
                     _("missing") if line.score is None else _num(line.score), _num(line.weight, 0),
                     "—" if line.weight_used is None else f"{line.weight_used * 100:.1f}%", _num(contribution)])
    rows.append([_("Total"), _num(card.qbr_total), "", "", ""])
    table = _table(rows, [width * 0.3, width * 0.15, width * 0.15, width * 0.2, width * 0.2], font)
    table.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.HexColor("#555555"))]))
    story.append(table)
    if card.qbr_incomplete:
        story.append(_p(_("Incomplete card: missing components are left out and the other weights rescaled."),
                        st["small"]))
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)


def render_card_bytes(card: CardData) -> bytes:
    buffer = io.BytesIO()
    render_card(card, buffer)
    return buffer.getvalue()
