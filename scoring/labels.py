"""Names the system shows people, in the active language: indicator titles, categories,
QBR components and normalisations. Used by the portal pages and by the report files
(PDF cards, workbook), which render in the language their requester used.

The indicator catalogue (``scoring.methodology``, stored in ``scoring.Indicator``) keeps
English titles; the shipped indicators are translated by code and any other (custom)
indicator keeps its stored title.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

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

CATEGORY_LABELS = {
    "rba": _("RBA compliance"), "environment": _("Environment"), "minerals": _("Responsible minerals"),
    "ecovadis": _("EcoVadis"), "esg_disclosure": _("ESG disclosure"),
}

# QBR components (methodology ``qbr_weights`` keys); a component the system does not
# ship keeps its name.
QBR_COMPONENT_LABELS = {
    "quality": _("Quality"), "delivery": _("Delivery"), "cost": _("Cost"), "service": _("Service"),
    "esg": _("ESG score"),
}

# Normalisations (``scoring.methodology.NORMALISATIONS``, scorecard.md section 3).
NORMALISATION_LABELS = {
    "percent": _("percentage"), "score": _("score 0-100"), "scaled": _("scaled between bounds"),
    "count": _("count"), "bool": _("yes/no"), "mapping": _("mapped labels"), "change": _("change against a base"),
}


def indicator_title(code: str, stored: str = "") -> str:
    """The title of indicator ``code`` in the active language; an indicator without a
    translation (a custom one) keeps its ``stored`` title."""
    title = TITLES.get(str(code or "").strip().upper())
    if title is not None:
        return str(title)
    return stored or str(code or "")


def category_label(key: str) -> str:
    """A score category's name (``rba``, ``environment``…) in the active language."""
    label = CATEGORY_LABELS.get(key)
    return str(label) if label is not None else str(key or "")


def qbr_component_label(name: str) -> str:
    """A QBR component's name in the active language (unknown components as named)."""
    label = QBR_COMPONENT_LABELS.get(str(name or "").lower())
    return str(label) if label is not None else str(name or "").capitalize()


def normalisation_label(kind: str) -> str:
    """A normalisation's name in the active language (unknown kinds as named)."""
    label = NORMALISATION_LABELS.get(kind)
    return str(label) if label is not None else str(kind or "")


# Where an indicator's raw value comes from (scorecard.md section 9), in words.
SOURCE_LABELS = {"audit": _("audits"), "reported": _("reported"), "emissions": _("GHG inventories"),
                 "training": _("training records"), "minerals_reports": _("minerals reports")}


# Through which door a recalculation was started (``ScoreRun.trigger``).
TRIGGER_LABELS = {"api": _("API"), "portal": _("portal"), "command": _("command line"),
                  "schedule": _("schedule")}


def trigger_label(trigger: str) -> str:
    """How a run was started (``api``, ``portal``, ``command``, ``schedule``) in the active
    language; an unknown value as stored."""
    label = TRIGGER_LABELS.get(trigger)
    return str(label) if label is not None else str(trigger or "")
# The lines of a change decomposition that are not an indicator (``scoring.decomposition``;
# ``method`` is the method effect, listed as a line in the workbook's Movers sheet).
EFFECT_LABELS = {
    "gate_on": _("Termination-review gate turned on (score forced to 0)"),
    "gate_off": _("Termination-review gate turned off"),
    "population": _("Moved between the full and the EcoVadis-only population"),
    "rescaling": _("Rescaling: the applicable weight changed"),
    "rounding": _("Rounding to the cent"),
    "method": _("Methodology change (method effect)"),
    "unsplit": _("Change not split (the previous quarter cannot be scored under this methodology)"),
}


def effect_label(kind: str) -> str:
    """What a decomposition line of ``kind`` that is not an indicator stands for ("" for an
    indicator or an unknown kind)."""
    label = EFFECT_LABELS.get(kind)
    return str(label) if label is not None else ""
