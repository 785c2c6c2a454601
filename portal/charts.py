"""Charts drawn on the server as SVG: plain values in, markup out (no ORM, no JS).

Every chart carries a ``<title>`` and an ``aria-label``; the page puts the numbers behind
it in a table next to it, so nothing is only in the picture.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
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


_NARROW = set("il.,:;'!|Ij")
_SEMI = set("frt-()[]/ ")
_WIDE = set("mwMW%@")


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """A slightly generous estimate of how wide ``text`` renders at font size ``size`` (no
    font metrics on the server; calibrated on DejaVu Sans, a wide fallback font): CJK
    characters a full em, digits and most letters about 0.6 em. Margins are computed from
    it so that no label is clipped."""
    width = 0.0
    for char in str(text):
        if ord(char) >= 0x2E80 or unicodedata.east_asian_width(char) in ("W", "F"):
            width += 1.0
            continue
        if char in _NARROW:
            em = 0.3
        elif char in _SEMI:
            em = 0.4
        elif char in _WIDE:
            em = 1.0
        elif char.isdigit():
            em = 0.64
        elif char.isupper():
            em = 0.72
        elif char.islower():
            em = 0.6
        else:
            em = 0.84
        width += em * (1.13 if bold else 1.0)
    return width * size * 1.04


def compact_number(value: float) -> str:
    """Big numbers shortened for chart labels: 45,843,412 → "45.8M", 12,500 → "12.5k";
    small ones with at most one decimal."""
    number = float(value)
    if abs(number) >= 1e4:
        for unit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(number) >= unit * 0.99995:  # 999,960 is "1M", not "1000k"
                text = f"{number / unit:.1f}".rstrip("0").rstrip(".")
                return f"{text}{suffix}"
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.1f}"


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × a power of ten) not
    below ``value``, so the axis reads 150M / 75M / 0 rather than 136.1M / 68M / 0."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value * (1 - 1e-9):
            return step * magnitude
    return 10 * magnitude


def _full(value: float) -> str:
    """A value in full for a tooltip: 45843412.5 → "45,843,412.5", 86.5 → "86.5"."""
    number = float(value)
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def _format(value_format: str | Callable[[float], str], value: float) -> str:
    return value_format(value) if callable(value_format) else value_format.format(value)


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
    bar_w, row_h, top = 330, 34, 10
    label_w = math.ceil(max([text_width(label, 13) for label, *_ in rows] + [60])) + 12
    verdicts = [f"{max(0.0, min(1.0, float(share))) * 100:.1f}% {met_text if met else missed_text}"
                for _, share, _, met in rows]
    verdict_w = math.ceil(max([text_width(text, 13, bold=True) for text in verdicts] + [60])) + 12
    width = label_w + bar_w + verdict_w
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
        body.append(_text(label_w + bar_w + 8, y + 17, verdicts[index], size=13, colour=colour, weight="bold"))
    return _svg(width, height, title, body)


def bar_chart(title: str, bars: Sequence[Bar], *, height: int = 190) -> SafeString:
    """Vertical bars with their value on top and the label below; each slot is as wide as
    its widest label, so labels never run into each other or off the picture."""
    count = max(1, len(bars))
    values = [compact_number(bar.value) for bar in bars]
    widest = max([text_width(bar.label, 12) for bar in bars]
                 + [text_width(text, 12, bold=True) for text in values] + [0])
    slot = max(84, min(110, 560 // count), min(160, math.ceil(widest) + 16))
    width = 20 + slot * count
    top, bottom = 22, 30  # room for the value above the tallest bar and the labels below
    plot_h = height - top - bottom
    top_value = max([bar.value for bar in bars] + [1])
    base = top + plot_h
    body = [f'<line x1="10" x2="{width - 10}" y1="{base}" y2="{base}" stroke="#9aa5b1"/>']
    for index, bar in enumerate(bars):
        x = 10 + index * slot + slot * 0.18
        w = slot * 0.64
        h = plot_h * (max(0.0, bar.value) / top_value)
        y = base - h
        value_text = values[index]
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{bar.colour}" rx="2">'
                    f"<title>{escape(f'{bar.label}: {_full(bar.value)}')}</title></rect>")
        body.append(_text(x + w / 2, y - 5, value_text, size=12, anchor="middle", weight="bold"))
        body.append(_text(x + w / 2, base + 17, bar.label, size=12, anchor="middle"))
    return _svg(width, height, title, body)


def line_chart(title: str, points: Sequence[tuple[str, float | None]], *, y_max: float | None = None,
               bands: Sequence[tuple[str, float]] = (),
               value_format: str | Callable[[float], str] = "{:.1f}", width: int = 600) -> SafeString:
    """A line over labelled points (quarters); ``bands`` draws horizontal guides such as
    grade thresholds: (label, minimum), labelled in the right margin, clear of the points.

    Margins follow the labels: the left one the widest y-axis label, the right one the
    widest band label; the first and last points sit in from the plot's edges by half the
    widest point or quarter label, so no label is cut off at the edge of the picture."""
    height, top, bottom = 230, 22, 30
    values = [v for _, v in points if v is not None]
    top_value = y_max if y_max is not None else (nice_ceiling(max(values) * 1.1) if values and max(values) > 0
                                                 else 1)
    low_value = min(0.0, min(values)) if values else 0.0
    span = (top_value - low_value) or 1
    ticks = (low_value, (low_value + top_value) / 2, top_value)
    big = max(abs(low_value), abs(top_value)) >= 10_000
    tick_texts = [compact_number(tick) if big else f"{tick:,.0f}" for tick in ticks]
    shown = [(label, value, _format(value_format, value) if value is not None else "") for label, value in points]
    visible_bands = [(label, minimum) for label, minimum in bands if low_value < minimum < top_value]
    band_texts = [f"{label} ≥ {minimum:g}" for label, minimum in visible_bands]

    left = math.ceil(max([text_width(text, 10) for text in tick_texts] + [8])) + 12
    right = math.ceil(max([text_width(text, 10) + 10 for text in band_texts] + [10]))
    plot_w, plot_h = width - left - right, height - top - bottom
    inset = math.ceil(max([text_width(label, 10) / 2 for label, _, _ in shown]
                          + [text_width(text, 10) / 2 for _, _, text in shown] + [6])) + 4
    inset = min(inset, plot_w / 4)

    def y_of(value: float) -> float:
        return top + plot_h - (value - low_value) / span * plot_h

    def x_of(index: int) -> float:
        if len(points) < 2:
            return left + plot_w / 2
        return left + inset + index * (plot_w - 2 * inset) / (len(points) - 1)

    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fbfcfd" stroke="#dde3ea"/>']
    for (_, minimum), text in zip(visible_bands, band_texts, strict=True):
        y = y_of(minimum)
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c5ced8" '
                    f'stroke-dasharray="4 3"/>')
        body.append(_text(left + plot_w + 5, y + 3.5, text, size=10, colour="#5b6773"))
    for tick, text in zip(ticks, tick_texts, strict=True):
        body.append(_text(left - 6, y_of(tick) + 4, text, size=10, anchor="end", colour="#5b6773"))
    coords = []
    for index, (label, value, text) in enumerate(shown):
        x = x_of(index)
        body.append(_text(x, height - 10, label, size=10, anchor="middle", colour="#5b6773"))
        if value is not None:
            coords.append((x, y_of(value), label, value, text))
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, *_ in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="#1565c0" stroke-width="2.5"/>')
    for x, y, label, value, text in coords:
        tip = escape(f"{label}: {_full(value)}")
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1565c0"><title>{tip}</title></circle>')
        body.append(_text(x, y - 8, text, size=10, anchor="middle"))
    return _svg(width, height, title, body)
