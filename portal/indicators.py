"""How the portal shows indicators: their titles in the user's language, and their raw
values (yes/no, labels for mapping codes, numbers with at most one decimal, percentages).

The indicator catalogue (``scoring.methodology``, stored in ``scoring.Indicator``) keeps
English titles; the portal translates the shipped ones by code and shows any other
(custom) indicator's title as stored.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from scoring.labels import TITLES as TITLES  # the shipped indicators' titles live with the catalogue
from scoring.labels import indicator_title as indicator_title
from scoring.methodology import NORMALISATIONS, V1

# Labels of the codes a mapping indicator stores (lower case), by indicator code.
VALUE_LABELS = {
    "ENV-04": {
        "none": _("None"),
        "committed": _("Committed"),
        "near_term_validated": _("Near-term targets validated"),
        "net_zero_validated": _("Net-zero target validated"),
    },
    "RBA-07": {"low": _("Low"), "medium": _("Medium"), "high": _("High")},
}

# Methodology descriptions the system writes itself (the v1 migration, drafts).
_DESCRIPTIONS = {
    "Scorecard methodology v1 as shipped (scorecard.md).": _("Scorecard methodology v1 as shipped (scorecard.md)."),
}
_DRAFT_DESCRIPTION = re.compile(r"^Draft based on (?P<version>\S+)$")

_SHIPPED = {spec.code: spec for spec in V1.indicators}
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")


def methodology_description(text: str) -> str:
    """A methodology's description in the active language when the system wrote it (v1,
    "Draft based on …"); what a person typed is shown as typed."""
    text = text or ""
    known = _DESCRIPTIONS.get(text.strip())
    if known is not None:
        return str(known)
    match = _DRAFT_DESCRIPTION.match(text.strip())
    if match:
        return str(_("Draft based on %(version)s") % {"version": match["version"]})
    return text


def normalisation_of(code_or_kind: str) -> str | None:
    """The normalisation of a shipped indicator code, or ``code_or_kind`` itself when it is
    a normalisation name; None when unknown (a custom indicator)."""
    key = str(code_or_kind or "").strip()
    if key in NORMALISATIONS:
        return key
    spec = _SHIPPED.get(key.upper())
    return spec.normalisation if spec else None


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
    else:
        try:
            number = float(Decimal(str(value).strip()))
        except (InvalidOperation, ValueError):
            return None
    return number if math.isfinite(number) else None


def format_number(number: float, places: int = 1) -> str:
    """At most ``places`` decimals, no trailing zeros: 66.6667 → "66.7", 2.0 → "2"."""
    text = f"{round(number, places):.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def display_value(value, code_or_kind: str = "") -> str:
    """A raw indicator value (as the engine stores it, or the canonical text of a reported
    value) for people: yes/no, the label of a mapping code, percentages as "66.7 %",
    other numbers with at most one decimal; "—" when there is none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "—"
    key = str(code_or_kind or "").strip().upper()
    kind = normalisation_of(code_or_kind)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    text = str(value).strip()
    lowered = text.lower()
    if kind == "bool" or (kind is None and lowered in ("true", "false")):
        if lowered in _TRUE:
            return str(_("yes"))
        if lowered in _FALSE:
            return str(_("no"))
    label = VALUE_LABELS.get(key, {}).get(lowered)
    if label is not None:
        return str(label)
    number = _number(value)
    if number is None:
        return text
    shown = format_number(number)
    if kind == "percent":
        return f"{shown} %"
    if kind == "change":
        return f"{'+' if number > 0 and shown != '0' else ''}{shown} %"
    return shown
