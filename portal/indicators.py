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

from scoring.methodology import NORMALISATIONS, V1

TITLES = {
    "RBA-01": _("Active production sites with a valid full audit (%)"),
    "RBA-02": _("Mean latest valid full-audit score (0-200)"),
    "RBA-03": _("Open Priority findings"),
    "RBA-04": _("Open Major findings"),
    "RBA-05": _("Open Minor findings"),
    "RBA-06": _("Findings due in the last 12 months closed on time (%)"),
    "RBA-07": _("Risk level of the latest SAQ"),
    "RBA-08": _("Mean recognition of latest valid full audits"),
    "RBA-09": _("Zero-tolerance finding in the last 24 months"),
    "ENV-01": _("Scope 1+2 GHG inventory disclosed"),
    "ENV-02": _("Scope 3 GHG inventory disclosed"),
    "ENV-03": _("CDP climate score"),
    "ENV-04": _("Science Based Targets status"),
    "ENV-05": _("YoY change of Scope 1+2 intensity (%)"),
    "ENV-06": _("Renewable share of electricity (%)"),
    "ENV-07": _("Production sites with valid ISO 14001 (%)"),
    "ENV-08": _("Waste diverted from landfill (%)"),
    "ENV-09": _("Post-consumer recycled fibre in packaging (%)"),
    "MIN-01": _("CMRT (3TG) submitted for the current year"),
    "MIN-02": _("3TG smelters RMAP-conformant (%)"),
    "MIN-03": _("EMRT (cobalt, mica) submitted"),
    "MIN-04": _("Cobalt refiners RMAP-conformant (%)"),
    "MIN-05": _("Minerals policy aligned with OECD guidance"),
    "ECO-01": _("EcoVadis overall score"),
    "ECO-02": _("EcoVadis Environment theme score"),
    "ECO-03": _("EcoVadis Labor & Human Rights theme score"),
    "ECO-04": _("EcoVadis Ethics theme score"),
    "ECO-05": _("EcoVadis Sustainable Procurement theme score"),
    "ESG-01": _("Sustainability report published within 18 months"),
    "ESG-02": _("Report prepared with GRI, SASB or ISSB"),
    "ESG-03": _("ESG data externally assured"),
    "ESG-04": _("ESG staff who completed our ESG courses (%)"),
}

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


def indicator_title(code: str, stored: str = "") -> str:
    """The title of indicator ``code`` in the active language; an indicator the portal has
    no translation for (a custom one) keeps its ``stored`` title."""
    title = TITLES.get(str(code or "").strip().upper())
    if title is not None:
        return str(title)
    return stored or str(code or "")


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
