"""Charts drawn on the server as SVG: plain values in, markup out (no ORM, no JS).

Every chart carries a ``<title>`` and an ``aria-label``; the page puts the numbers behind
it in a table next to it, so nothing is only in the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.utils.safestring import SafeString, mark_safe

GRADE_COLOURS = {"A": "#2e7d32", "B": "#7cb342", "C": "#f9a825", "D": "#ef6c00", "X": "#b3261e"}
SEVERITY_COLOURS = {"priority": "#b3261e", "major": "#ef6c00", "minor": "#f9a825", "risk": "#5c7cfa",
                    "ofi": "#90a4ae"}
MET_COLOUR, MISSED_COLOUR, TARGET_COLOUR = "#2e7d32", "#b3261e", "#1d2733"
FONT = 'font-family="system-ui, \'Noto Sans CJK SC\', sans-serif"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = "#1565c0"
    note: str = ""  # shown after the value, e.g. "met"


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every text below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label={quoteattr(title)} class="chart" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", colour: str = "#1d2733",
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{colour}" '
            f'font-weight="{weight}" {FONT}>{escape(text)}</text>')


def coverage_bars(title: str, rows: Sequence[tuple[str, float, float, bool]], *, met_text: str = "met",
                  missed_text: str = "missed") -> SafeString:
    """Horizontal bars of shares (0–1) against their target line: (label, share, target, met)."""
    label_w, bar_w, row_h, top = 150, 330, 34, 10
    width = label_w + bar_w + 120
    height = top + row_h * len(rows) + 10
    body = []
    for index, (label, share, target, met) in enumerate(rows):
        y = top + index * row_h
        colour = MET_COLOUR if met else MISSED_COLOUR
        share = max(0.0, min(1.0, float(share)))
        body.append(_text(0, y + 17, label, size=13))
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" fill="#e8edf2" rx="2"/>')
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w * share:.1f}" height="18" fill="{colour}" '
                    f'rx="2"><title>{escape(f"{label}: {share * 100:.1f}%")}</title></rect>')
        tx = label_w + bar_w * max(0.0, min(1.0, float(target)))
        body.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y}" y2="{y + 26}" stroke="{TARGET_COLOUR}" '
                    f'stroke-width="2" stroke-dasharray="3 2"/>')
        verdict = met_text if met else missed_text
        body.append(_text(label_w + bar_w + 8, y + 17, f"{share * 100:.1f}% {verdict}", size=13, colour=colour,
                          weight="bold"))
    return _svg(width, height, title, body)


def bar_chart(title: str, bars: Sequence[Bar], *, height: int = 190) -> SafeString:
    """Vertical bars with their value on top and the label below."""
    count = max(1, len(bars))
    slot = max(84, min(110, 560 // count))
    width = 20 + slot * count
    plot_h = height - 50
    top_value = max([bar.value for bar in bars] + [1])
    body = [f'<line x1="10" x2="{width - 10}" y1="{plot_h + 20}" y2="{plot_h + 20}" stroke="#9aa5b1"/>']
    for index, bar in enumerate(bars):
        x = 10 + index * slot + slot * 0.18
        w = slot * 0.64
        h = plot_h * (bar.value / top_value)
        y = plot_h + 20 - h
        value_text = f"{bar.value:g}"
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{bar.colour}" rx="2">'
                    f"<title>{escape(f'{bar.label}: {value_text}')}</title></rect>")
        body.append(_text(x + w / 2, y - 4, value_text, size=12, anchor="middle", weight="bold"))
        body.append(_text(x + w / 2, plot_h + 36, bar.label, size=12, anchor="middle"))
    return _svg(width, height, title, body)


def line_chart(title: str, points: Sequence[tuple[str, float | None]], *, y_max: float | None = None,
               bands: Sequence[tuple[str, float]] = (), value_format: str = "{:.1f}") -> SafeString:
    """A line over labelled points (quarters); ``bands`` draws horizontal guides such as
    grade thresholds: (label, minimum)."""
    width, height, left, right, top, bottom = 600, 220, 46, 16, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, v in points if v is not None]
    top_value = y_max if y_max is not None else (max(values) * 1.15 if values and max(values) > 0 else 1)
    low_value = min(0.0, min(values)) if values else 0.0
    span = (top_value - low_value) or 1

    def y_of(value: float) -> float:
        return top + plot_h - (value - low_value) / span * plot_h

    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fbfcfd" stroke="#dde3ea"/>']
    for label, minimum in bands:
        if low_value < minimum < top_value:
            y = y_of(minimum)
            body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c5ced8" '
                        f'stroke-dasharray="4 3"/>')
            body.append(_text(left + plot_w - 4, y - 3, f"{label} ≥ {minimum:g}", size=10, anchor="end",
                              colour="#5b6773"))
    for tick in (low_value, (low_value + top_value) / 2, top_value):
        body.append(_text(left - 6, y_of(tick) + 4, f"{tick:,.0f}", size=10, anchor="end", colour="#5b6773"))
    step = plot_w / max(1, len(points) - 1) if len(points) > 1 else 0
    coords = []
    for index, (label, value) in enumerate(points):
        x = left + (index * step if len(points) > 1 else plot_w / 2)
        body.append(_text(x, height - 12, label, size=10, anchor="middle", colour="#5b6773"))
        if value is not None:
            coords.append((x, y_of(value), label, value))
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="#1565c0" stroke-width="2.5"/>')
    for x, y, label, value in coords:
        shown = value_format.format(value)
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1565c0"><title>{escape(f"{label}: {shown}")}'
                    f"</title></circle>")
        body.append(_text(x, y - 8, shown, size=10, anchor="middle"))
    return _svg(width, height, title, body)
