"""The data frames the scoring engine works on, one per table, read in bulk by
``scoring.selectors``. Keeping them ORM-free lets the engine run and be tested on plain
frames.

Column types (pandas):

``population`` — one row per *scored* supplier (spend basis > 0), from
``suppliers.spend.assign_populations``:
    supplier_id int64, supplier_code str, basis object (decimal.Decimal, > 0, unrounded),
    population str ("full" | "ecovadis_only")

``sites`` — every site of those suppliers:
    site_id int64, supplier_id int64, is_production bool, status str ("active" | "closed")

``audits`` — every audit at those sites (all types, all dates; the engine filters):
    audit_ref str, site_id int64,
    audit_type str ("vap_full" | "vap_closure" | "equivalent_third_party" | "saq"),
    conducted_on datetime64[ns] (midnight), score float64 (NaN when absent),
    recognition object (str or None), saq_risk object (str or None)

``findings`` — every finding of those audits (all dates; the engine filters):
    finding_ref str, site_id int64, severity str ("priority"|"major"|"minor"|"risk"|"ofi"),
    zero_tolerance bool, opened_on datetime64[ns], due_on datetime64[ns] (NaT),
    closed_on datetime64[ns] (NaT)

``values`` — accepted reported indicator values of those suppliers, quarters Q-3 … Q
(the engine still filters on the window):
    value_id int64, supplier_id int64, indicator_code str, quarter_ordinal int64
    (``Quarter.ordinal``), submitted_at datetime64[ns, UTC], value str (canonical, already
    validated at input: decimal text such as "72.5" for numeric kinds, "true"/"false"
    for bool, the mapping code for mapping kinds, any case)

``qbr`` — non-ESG QBR components of those suppliers for quarter Q:
    supplier_id int64, component str ("quality"|"delivery"|"cost"|"service"), score float64

``recognitions`` — site recognitions at those suppliers' sites (all dates; the engine filters),
from ``audits.selectors.recognitions_frame``; read by the coverage metric ``foc`` (section 9):
    site_id int64, program str ("rba_foc"), awarded_on datetime64[ns],
    expires_on datetime64[ns] (the last valid day; always set, the default of section 9 is
    applied when the recognition is stored)

``inventories`` — accepted yearly GHG inventories of those suppliers for the years
year(D)-3 … year(D)-1, from ``scoring.selectors.inventories_frame``; read only when the
methodology takes ENV-01/ENV-02/ENV-05 from the source ``emissions`` (section 9;
``scoring.derived.emissions_raw``):
    supplier_id int64, year int64, scope1_tco2e / scope2_market_tco2e / scope2_location_tco2e /
    scope3_tco2e / revenue object (Decimal or None), revenue_currency str ("" when none)

``training_persons`` / ``training_courses`` / ``training_records`` — read only when the
methodology takes ESG-04 from the source ``training`` (section 9; ``scoring.derived.training_raw``),
from ``scoring.selectors.training_frames``:
    persons: person_id int64, supplier_id int64, is_esg_staff bool, active bool
    courses: course_id int64, required bool, valid_months float64 (NaN: never expires)
    records (accepted only): person_id int64, course_id int64, completed_on datetime64[ns]
    (NaT: enrolled, not completed)

``minerals_reports`` / ``minerals_rows`` / ``smelters`` — read only when the methodology
takes MIN-01 … MIN-04 from the source ``minerals_reports`` (section 9;
``scoring.derived.minerals_raw``), from ``scoring.selectors.minerals_frames``:
    reports (accepted, dated within the 12 months before D): report_id int64, supplier_id
    int64, template str ("cmrt"|"emrt"), declaration_date datetime64[ns]
    rows (their smelter rows, as written): report_id int64, row int64, metal,
    smelter_id_input, smelter_lookup, smelter_name, country, smelter_identification str
    smelters (the smelter list): smelter_id str, metal str, name str, status str (in force
    at D; None before the smelter's first dated status)

Optional frames default to empty (an engine call without them sees no recognition).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from core.quarter import Quarter

POPULATION_COLUMNS = ["supplier_id", "supplier_code", "basis", "population"]
SITE_COLUMNS = ["site_id", "supplier_id", "is_production", "status"]
AUDIT_COLUMNS = ["audit_ref", "site_id", "audit_type", "conducted_on", "score", "recognition", "saq_risk"]
FINDING_COLUMNS = ["finding_ref", "site_id", "severity", "zero_tolerance", "opened_on", "due_on", "closed_on"]
VALUE_COLUMNS = ["value_id", "supplier_id", "indicator_code", "quarter_ordinal", "submitted_at", "value"]
QBR_COLUMNS = ["supplier_id", "component", "score"]
RECOGNITION_COLUMNS = ["site_id", "program", "awarded_on", "expires_on"]
TRAINING_PERSON_COLUMNS = ["person_id", "supplier_id", "is_esg_staff", "active"]
TRAINING_COURSE_COLUMNS = ["course_id", "required", "valid_months"]
TRAINING_RECORD_COLUMNS = ["person_id", "course_id", "completed_on"]
MINERALS_REPORT_COLUMNS = ["report_id", "supplier_id", "template", "declaration_date"]
MINERALS_ROW_COLUMNS = ["report_id", "row", "metal", "smelter_id_input", "smelter_lookup", "smelter_name", "country",
                        "smelter_identification"]
SMELTER_COLUMNS = ["smelter_id", "metal", "name", "status"]
INVENTORY_COLUMNS = ["supplier_id", "year", "scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e",
                     "scope3_tco2e", "revenue", "revenue_currency"]

# scorecard.md section 5, which accepted value of Q-3 … Q counts for an indicator: the
# greatest by these keys, most significant first (the latest quarter, then the latest
# submission, then the higher id, which makes the choice total). Each key is given as
# (``IndicatorValue`` field, ``values`` frame column): the SQL selector and the engine's
# frame pick both order by this one definition.
VALUE_PRECEDENCE = (("quarter", "quarter_ordinal"), ("submitted_at", "submitted_at"), ("id", "value_id"))


@dataclass(frozen=True)
class ScoringInputs:
    quarter: Quarter
    population: pd.DataFrame
    sites: pd.DataFrame
    audits: pd.DataFrame
    findings: pd.DataFrame
    values: pd.DataFrame
    qbr: pd.DataFrame
    recognitions: pd.DataFrame = field(default_factory=lambda: empty_frame(RECOGNITION_COLUMNS))
    inventories: pd.DataFrame = field(default_factory=lambda: empty_frame(INVENTORY_COLUMNS))
    training_persons: pd.DataFrame = field(default_factory=lambda: empty_frame(TRAINING_PERSON_COLUMNS))
    training_courses: pd.DataFrame = field(default_factory=lambda: empty_frame(TRAINING_COURSE_COLUMNS))
    training_records: pd.DataFrame = field(default_factory=lambda: empty_frame(TRAINING_RECORD_COLUMNS))
    minerals_reports: pd.DataFrame = field(default_factory=lambda: empty_frame(MINERALS_REPORT_COLUMNS))
    minerals_rows: pd.DataFrame = field(default_factory=lambda: empty_frame(MINERALS_ROW_COLUMNS))
    smelters: pd.DataFrame = field(default_factory=lambda: empty_frame(SMELTER_COLUMNS))


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})
