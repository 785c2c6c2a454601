"""Independent reference implementation of the scorecard methodology v1 (docs/scorecard.md).

Written from the methodology text alone, without looking at ``scoring.engine`` or
``suppliers.spend``, so that the cross-check tests can catch disagreements between the two.
It is deliberately naive: plain Python loops per supplier, exact ``Fraction`` arithmetic
everywhere, the v1 table hard-coded, and its own quarter/date arithmetic.

Inputs are raw rows (lists of dicts), as the imports would store them:

- suppliers: {code}
- sites: {site_code, supplier_code, is_production, status}
- spend: {supplier_code, quarter "YYYY-Qn", amount Decimal, currency}
- fx: {quarter, currency, rate_to_base Decimal}
- audits: {audit_ref, site_code, audit_type, conducted_on date, score Decimal|None,
  recognition str|None, saq_risk str|None}
- findings: {finding_ref, audit_ref, severity, zero_tolerance bool, opened_on date,
  due_on date|None, closed_on date|None}
- values (accepted only): {supplier_code, quarter, indicator_code, value str,
  submitted_at datetime, seq int}
- qbr: {supplier_code, quarter, component, score Decimal} (not part of the outputs here)
- recognitions (keyword, optional): {site_code, program, awarded_on date, expires_on date|None}
  (section 9, "Factory of Choice coverage"; ``expires_on`` None = the default expiry)
- derived (keyword, optional): {"sources": {code: source}, "inventories": [{supplier_code,
  year, scope1_tco2e Decimal, scope2_market_tco2e / scope2_location_tco2e / scope3_tco2e /
  revenue Decimal|None, revenue_currency str|None}], "courses": [{course_code, required,
  valid_months|None}], "training": [{supplier_code, person_ref, is_esg_staff, active,
  course_code, completed_on date|None}]} (section 9; accepted rows only)

Choices where the text leaves room (each named where it is used):

- Same-day full audits at one site: "the higher score" ranks an audit with a score above
  one without; then the greater ``audit_ref``.
- Several accepted values in one quarter with the same ``submitted_at``: the greater ``seq``
  (the later stored row) wins.
- Population spend shares with no scored supplier (total 0) are reported as 0.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from decimal import Decimal
from fractions import Fraction

BASE_CURRENCY = "USD"
TARGET = Decimal("0.95")

# code, category, weight, source, normalisation, params -- scorecard.md section 3, v1.
INDICATORS = (
    ("RBA-01", "rba", 5, "audit", "percent", {}),
    ("RBA-02", "rba", 6, "audit", "half", {}),
    ("RBA-03", "rba", 5, "audit", "count", {"step": 100}),
    ("RBA-04", "rba", 4, "audit", "count", {"step": 40}),
    ("RBA-05", "rba", 2, "audit", "count", {"step": 10}),
    ("RBA-06", "rba", 4, "audit", "percent", {}),
    ("RBA-07", "rba", 3, "audit", "mapping", {}),
    ("RBA-08", "rba", 2, "audit", "mapping", {}),
    ("RBA-09", "rba", 4, "audit", "bool", {}),
    ("ENV-01", "environment", 3, "reported", "bool", {}),
    ("ENV-02", "environment", 2, "reported", "bool", {}),
    ("ENV-03", "environment", 3, "reported", "mapping", {}),
    ("ENV-04", "environment", 4, "reported", "mapping", {}),
    ("ENV-05", "environment", 3, "reported", "change", {}),
    ("ENV-06", "environment", 3, "reported", "percent", {}),
    ("ENV-07", "environment", 3, "reported", "percent", {}),
    ("ENV-08", "environment", 2, "reported", "percent", {}),
    ("ENV-09", "environment", 2, "reported", "percent", {"target": 70}),
    ("MIN-01", "minerals", 3, "reported", "bool", {}),
    ("MIN-02", "minerals", 4, "reported", "percent", {}),
    ("MIN-03", "minerals", 2, "reported", "bool", {}),
    ("MIN-04", "minerals", 3, "reported", "percent", {}),
    ("MIN-05", "minerals", 3, "reported", "bool", {}),
    ("ECO-01", "ecovadis", 7, "reported", "score", {}),
    ("ECO-02", "ecovadis", 2, "reported", "score", {}),
    ("ECO-03", "ecovadis", 2, "reported", "score", {}),
    ("ECO-04", "ecovadis", 2, "reported", "score", {}),
    ("ECO-05", "ecovadis", 2, "reported", "score", {}),
    ("ESG-01", "esg_disclosure", 3, "reported", "bool", {}),
    ("ESG-02", "esg_disclosure", 2, "reported", "bool", {}),
    ("ESG-03", "esg_disclosure", 2, "reported", "bool", {}),
    ("ESG-04", "esg_disclosure", 3, "reported", "percent", {}),
)
CATEGORIES = ("rba", "environment", "minerals", "ecovadis", "esg_disclosure")
REPORTED_CODES = tuple(row[0] for row in INDICATORS if row[3] == "reported")

CDP = {"a": 100, "a-": 90, "b": 75, "b-": 65, "c": 50, "c-": 40, "d": 25, "d-": 15, "f": 0}
SBTI = {"none": 0, "committed": 40, "near_term_validated": 80, "net_zero_validated": 100}
SAQ_POINTS = {"low": 100, "medium": 60, "high": 20}
SAQ_RANK = {"low": 0, "medium": 1, "high": 2}
RECOGNITION_POINTS = {"platinum": 100, "gold": 85, "silver": 70, "none": 40}
MAPPINGS = {"ENV-03": CDP, "ENV-04": SBTI}
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n"}

FULL_AUDIT_TYPES = ("vap_full", "equivalent_third_party")
COUNTED_SEVERITIES = ("priority", "major", "minor")

SCORE_COLUMNS = (
    "supplier_code",
    "population",
    "spend_basis",
    "score",
    "grade",
    "rba",
    "environment",
    "minerals",
    "ecovadis",
    "esg_disclosure",
    "completeness",
    "flags",
)

# Indicator states besides a value.
MISSING = "missing"
NOT_APPLICABLE = "n/a"


class ReferenceMissingFxRates(ValueError):
    """Spend rows in the window whose (quarter, currency) has no FX rate."""

    def __init__(self, pairs):
        self.pairs = sorted(pairs)
        super().__init__("missing FX rates for " + ", ".join(f"{q} {c}" for q, c in self.pairs))


# --- quarters and dates (scorecard.md section 1) -----------------------------------------

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def quarter_index(text: str) -> int:
    match = _QUARTER.match(text)
    if not match:
        raise ValueError(f"not a quarter: {text!r}")
    return int(match.group(1)) * 4 + int(match.group(2)) - 1


def quarter_text(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


def as_of_date(quarter: str) -> dt.date:
    index = quarter_index(quarter)
    year, month = index // 4, (index % 4 + 1) * 3
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def minus_months(day: dt.date, months: int) -> dt.date:
    year, month = day.year, day.month - months
    while month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def within(day, as_of: dt.date, months: int) -> bool:
    """``as_of - months < day <= as_of``."""
    return day is not None and minus_months(as_of, months) < day <= as_of


# --- numbers -----------------------------------------------------------------------------


def clamp(value: Fraction) -> Fraction:
    return max(Fraction(0), min(Fraction(100), value))


def round_half_up(value: Fraction, places: int) -> Decimal:
    scale = 10**places
    magnitude = math.floor(abs(value) * scale + Fraction(1, 2))
    sign = -1 if value < 0 else 1
    return Decimal(sign * magnitude).scaleb(-places)


def fixed(value: Fraction, places: int) -> str:
    return format(round_half_up(value, places), "f")


def normalise_reported(code: str, kind: str, params: dict, raw: str) -> Fraction:
    text = raw.strip()
    if kind == "bool":
        word = text.lower()
        if word in TRUE_WORDS:
            return Fraction(100)
        if word in FALSE_WORDS:
            return Fraction(0)
        raise ValueError(f"{code}: not a boolean: {raw!r}")
    if kind == "mapping":
        table = MAPPINGS[code]
        if text.lower() not in table:
            raise ValueError(f"{code}: unknown code {raw!r}")
        return Fraction(table[text.lower()])
    number = Fraction(Decimal(text))
    if kind in ("percent", "score") and not 0 <= number <= 100:
        raise ValueError(f"{code}: {raw!r} outside 0-100")
    if kind == "percent":
        return clamp(number / params.get("target", 100) * 100)
    if kind == "score":
        return clamp(number)
    if kind == "change":
        return clamp((10 - number) / 20 * 100)
    raise ValueError(f"{code}: unknown normalisation {kind}")


# --- spend and populations (section 2) ---------------------------------------------------


def spend_bases(suppliers, spend, fx, quarter: str, base_currency: str = BASE_CURRENCY) -> dict[str, Fraction]:
    """Exact spend basis per supplier code that has spend rows in Q-3 ... Q."""
    q = quarter_index(quarter)
    known = {row["code"] for row in suppliers}
    rates = {(quarter_index(row["quarter"]), row["currency"]): Fraction(row["rate_to_base"]) for row in fx}
    bases: dict[str, Fraction] = {}
    missing = set()
    for row in spend:
        if row["supplier_code"] not in known:
            raise ValueError(f"spend row for unknown supplier {row['supplier_code']!r}")
        index = quarter_index(row["quarter"])
        if not q - 3 <= index <= q:
            continue
        if row["currency"] == base_currency:
            rate = Fraction(1)
        elif (index, row["currency"]) in rates:
            rate = rates[(index, row["currency"])]
        else:
            missing.add((quarter_text(index), row["currency"]))
            continue
        code = row["supplier_code"]
        bases[code] = bases.get(code, Fraction(0)) + Fraction(row["amount"]) * rate
    if missing:
        raise ReferenceMissingFxRates(missing)
    return bases


def populations(bases: dict[str, Fraction], target=TARGET) -> list[tuple[str, Fraction, str]]:
    """(code, basis, population) of the scored suppliers, in ranking order."""
    ranked = sorted(((code, basis) for code, basis in bases.items() if basis > 0), key=lambda cb: (-cb[1], cb[0]))
    total = sum((basis for _, basis in ranked), Fraction(0))
    threshold = Fraction(target) * total
    result = []
    cumulative = Fraction(0)
    for code, basis in ranked:
        result.append((code, basis, "full" if cumulative < threshold else "ecovadis_only"))
        cumulative += basis
    return result


# --- audit-derived indicators (section 4) ------------------------------------------------


def _latest_valid_full_audit(site_audits, as_of: dt.date):
    valid = [a for a in site_audits if a["audit_type"] in FULL_AUDIT_TYPES and within(a["conducted_on"], as_of, 24)]
    if not valid:
        return None
    # Same day: the higher score (a score beats no score), then the greater audit_ref.
    return max(
        valid,
        key=lambda a: (
            a["conducted_on"],
            a.get("score") is not None,
            Fraction(a["score"]) if a.get("score") is not None else Fraction(0),
            a["audit_ref"],
        ),
    )


def _is_open(finding, as_of: dt.date) -> bool:
    closed = finding.get("closed_on")
    return finding["opened_on"] <= as_of and (closed is None or closed > as_of)


def audit_indicators(supplier_sites, audits_by_site, supplier_findings, as_of: dt.date):
    """(points-or-state per RBA code, flag names from audits) for one supplier."""
    states: dict[str, object] = {}
    flags: set[str] = set()
    relevant = [s for s in supplier_sites if s["is_production"] and s["status"] == "active"]

    zero_tolerance = any(f["zero_tolerance"] and within(f["opened_on"], as_of, 24) for f in supplier_findings)
    states["RBA-09"] = Fraction(0) if zero_tolerance else Fraction(100)
    if zero_tolerance:
        flags.add("termination_review")
    if any(f["severity"] == "priority" and _is_open(f, as_of) for f in supplier_findings):
        flags.add("open_priority_finding")

    if not relevant:
        for code in ("RBA-01", "RBA-02", "RBA-03", "RBA-04", "RBA-05", "RBA-06", "RBA-07", "RBA-08"):
            states[code] = NOT_APPLICABLE
        return states, flags

    latest = {s["site_code"]: _latest_valid_full_audit(audits_by_site.get(s["site_code"], []), as_of) for s in relevant}
    with_audit = [audit for audit in latest.values() if audit is not None]
    states["RBA-01"] = clamp(Fraction(100 * len(with_audit), len(relevant)))

    scores = [Fraction(a["score"]) for a in with_audit if a.get("score") is not None]
    states["RBA-02"] = clamp(sum(scores, Fraction(0)) / len(scores) / 2) if scores else MISSING

    for code, severity, step in (("RBA-03", "priority", 100), ("RBA-04", "major", 40), ("RBA-05", "minor", 10)):
        count = sum(1 for f in supplier_findings if f["severity"] == severity and _is_open(f, as_of))
        states[code] = Fraction(max(0, 100 - step * count))

    due = [f for f in supplier_findings if f["severity"] in COUNTED_SEVERITIES and within(f.get("due_on"), as_of, 12)]
    if due:
        on_time = sum(1 for f in due if f.get("closed_on") is not None and f["closed_on"] <= f["due_on"])
        states["RBA-06"] = clamp(Fraction(100 * on_time, len(due)))
    else:
        states["RBA-06"] = NOT_APPLICABLE

    saqs = [
        a
        for s in relevant
        for a in audits_by_site.get(s["site_code"], [])
        if a["audit_type"] == "saq" and within(a["conducted_on"], as_of, 12)
    ]
    if saqs:
        latest_saq = max(saqs, key=lambda a: (a["conducted_on"], SAQ_RANK[a["saq_risk"].lower()]))
        states["RBA-07"] = Fraction(SAQ_POINTS[latest_saq["saq_risk"].lower()])
    else:
        states["RBA-07"] = MISSING

    recognition = Fraction(0)
    for audit in latest.values():
        if audit is not None:
            recognition += RECOGNITION_POINTS[(audit.get("recognition") or "none").lower()]
    states["RBA-08"] = recognition / len(relevant)

    horizon = as_of + dt.timedelta(days=90)
    if any(not within(audit["conducted_on"], horizon, 24) for audit in with_audit):
        flags.add("audit_expiring")
    return states, flags


# --- reported indicators (section 5) -----------------------------------------------------


def reported_indicators(supplier_values, quarter: str):
    q = quarter_index(quarter)
    states: dict[str, object] = {}
    for code, _, _, source, kind, params in INDICATORS:
        if source != "reported":
            continue
        candidates = [
            v for v in supplier_values if v["indicator_code"] == code and q - 3 <= quarter_index(v["quarter"]) <= q
        ]
        if not candidates:
            states[code] = MISSING
            continue
        chosen = max(candidates, key=lambda v: (quarter_index(v["quarter"]), v["submitted_at"], v["seq"]))
        states[code] = normalise_reported(code, kind, params, chosen["value"])
    return states


def emissions_indicators(supplier_inventories, as_of: dt.date) -> dict[str, object]:
    """Section 9, source ``emissions``: the points of ENV-01, ENV-02 and ENV-05 (or MISSING)."""
    by_year = {inv["year"]: inv for inv in supplier_inventories}
    years = [y for y in by_year if as_of.year - 2 <= y <= as_of.year - 1]
    if not years:
        return {"ENV-01": Fraction(0), "ENV-02": Fraction(0), "ENV-05": MISSING}
    y = max(years)
    current = by_year[y]
    states = {"ENV-01": Fraction(100), "ENV-02": Fraction(100 if current["scope3_tco2e"] is not None else 0)}
    prior = by_year.get(y - 1)
    states["ENV-05"] = MISSING
    if prior is None:
        return states
    if current["scope2_market_tco2e"] is not None and prior["scope2_market_tco2e"] is not None:
        scope2 = "scope2_market_tco2e"
    elif current["scope2_location_tco2e"] is not None and prior["scope2_location_tco2e"] is not None:
        scope2 = "scope2_location_tco2e"
    else:
        return states
    if current["revenue"] is None or prior["revenue"] is None:
        return states
    if not current["revenue_currency"] or current["revenue_currency"] != prior["revenue_currency"]:
        return states

    def intensity(inv):
        return (Fraction(inv["scope1_tco2e"]) + Fraction(inv[scope2])) / Fraction(inv["revenue"])

    if intensity(prior) == 0:
        return states
    change = 100 * (intensity(current) / intensity(prior) - 1)
    states["ENV-05"] = clamp((10 - change) / 20 * 100)
    return states


def person_key(ref: str) -> str:
    text = ref.strip()
    return text.lower() if "@" in text else text


def training_indicator(supplier_records, courses, as_of: dt.date):
    """Section 9, source ``training``: the points of ESG-04 (or MISSING). ``supplier_records``:
    one supplier's rows {person_ref, is_esg_staff, active, course_code, completed_on|None};
    ``courses``: [{course_code, required, valid_months|None}]."""
    required = [c for c in courses if c["required"]]
    if not required:
        return MISSING
    persons: dict[str, dict] = {}
    for row in supplier_records:
        person = persons.setdefault(person_key(row["person_ref"]), {
            "staff": row["is_esg_staff"] and row["active"], "done": set()})
        course = next((c for c in required if c["course_code"] == row["course_code"]), None)
        day = row["completed_on"]
        if course is None or day is None or day > as_of:
            continue
        if course["valid_months"] is not None and not day > minus_months(as_of, course["valid_months"]):
            continue
        person["done"].add(course["course_code"])
    staff = [p for p in persons.values() if p["staff"]]
    if not staff:
        return MISSING
    trained = sum(1 for p in staff if len(p["done"]) == len(required))
    return clamp(Fraction(100 * trained, len(staff)))


def _fold(text) -> str:
    return " ".join(str(text or "").split()).lower()


def minerals_indicators(supplier_reports, smelter_list, as_of: dt.date) -> dict[str, object]:
    """Section 9, source ``minerals_reports``: raw MIN-01 … MIN-04 of one supplier (bool, or a
    Fraction / MISSING). ``supplier_reports``: [{report_id, template, declaration_date, rows:
    [{metal, smelter_id_input, smelter_lookup, smelter_name, country, smelter_identification}]}]
    (accepted only); ``smelter_list``: [{smelter_id, metal, name, history: [(as_of, status)]}]."""
    def status_at(entry):
        dated = [(day, status) for day, status in entry["history"] if day <= as_of]
        return max(dated)[1] if dated else None

    def share(report, metals):
        units = {}
        for row in report["rows"]:
            metal = _fold(row["metal"])
            if metal not in metals:
                continue
            sid = ((row["smelter_identification"] or "").strip().upper()
                   or (row["smelter_id_input"] or "").strip().upper())
            lookup = _fold(row["smelter_lookup"])
            name = (row["smelter_name"] or "").strip() or (
                "" if lookup in ("smelter not listed", "smelter not yet identified") else row["smelter_lookup"].strip())
            if not sid and name:
                same = [e for e in smelter_list if e["metal"] == metal and _fold(e["name"]) == _fold(name)]
                if len(same) == 1:
                    sid = same[0]["smelter_id"]
            if sid:
                entry = next((e for e in smelter_list if e["smelter_id"] == sid and e["metal"] == metal), None)
                units[("id", metal, sid)] = entry is not None and status_at(entry) == "conformant"
            elif lookup == "smelter not yet identified":
                units[("not_yet", metal)] = False
            else:
                units[("name", metal, _fold(name), _fold(row["country"]))] = False
        if not units:
            return MISSING
        return Fraction(100 * sum(units.values()), len(units))

    result = {}
    for template, flag, value, metals in (("cmrt", "MIN-01", "MIN-02", {"tin", "tantalum", "tungsten", "gold"}),
                                          ("emrt", "MIN-03", "MIN-04", {"cobalt"})):
        eligible = [r for r in supplier_reports
                    if r["template"] == template and within(r["declaration_date"], as_of, 12)]
        latest = max(eligible, key=lambda r: (r["declaration_date"], r["report_id"]), default=None)
        result[flag] = latest is not None
        result[value] = MISSING if latest is None else share(latest, metals)
    return result


# --- totals (section 6) ------------------------------------------------------------------


def _weighted(states, codes) -> Fraction | None:
    weights = Fraction(0)
    total = Fraction(0)
    for code, _, weight, _, _, _ in INDICATORS:
        if code not in codes or states[code] == NOT_APPLICABLE:
            continue
        weights += weight
        if states[code] != MISSING:
            total += weight * states[code]
    return total / weights if weights else None


def grade_of(rounded: Decimal) -> str:
    if rounded >= 85:
        return "A"
    if rounded >= 70:
        return "B"
    if rounded >= 50:
        return "C"
    return "D"


def reference_details(
    suppliers,
    sites,
    spend,
    fx,
    audits,
    findings,
    values,
    qbr,
    quarter: str,
    base_currency: str = BASE_CURRENCY,
    target=TARGET,
    *,
    derived=None,
) -> list[dict]:
    """Everything the reference computes per scored supplier, exact, in ranking order."""
    sources = (derived or {}).get("sources", {})
    inventories_by_supplier: dict[str, list] = {}
    for inventory in (derived or {}).get("inventories", ()):
        inventories_by_supplier.setdefault(inventory["supplier_code"], []).append(inventory)
    training_by_supplier: dict[str, list] = {}
    for record in (derived or {}).get("training", ()):
        training_by_supplier.setdefault(record["supplier_code"], []).append(record)
    as_of = as_of_date(quarter)
    ranked = populations(spend_bases(suppliers, spend, fx, quarter, base_currency), target)

    sites_by_supplier: dict[str, list] = {}
    site_owner = {}
    for site in sites:
        sites_by_supplier.setdefault(site["supplier_code"], []).append(site)
        site_owner[site["site_code"]] = site["supplier_code"]
    audits_by_site: dict[str, list] = {}
    audit_site = {}
    for audit in audits:
        audits_by_site.setdefault(audit["site_code"], []).append(audit)
        audit_site[audit["audit_ref"]] = audit["site_code"]
    findings_by_supplier: dict[str, list] = {}
    for finding in findings:
        owner = site_owner[audit_site[finding["audit_ref"]]]
        findings_by_supplier.setdefault(owner, []).append(finding)
    values_by_supplier: dict[str, list] = {}
    for value in values:
        values_by_supplier.setdefault(value["supplier_code"], []).append(value)

    details = []
    all_codes = {row[0] for row in INDICATORS}
    for code, basis, population in ranked:
        states, flags = audit_indicators(
            sites_by_supplier.get(code, []), audits_by_site, findings_by_supplier.get(code, []), as_of
        )
        states.update(reported_indicators(values_by_supplier.get(code, []), quarter))
        if sources.get("ESG-04") == "training":
            states["ESG-04"] = training_indicator(training_by_supplier.get(code, []),
                                                  (derived or {}).get("courses", ()), as_of)
        if "emissions" in sources.values():
            from_inventories = emissions_indicators(inventories_by_supplier.get(code, []), as_of)
            states.update({c: from_inventories[c] for c, source in sources.items() if source == "emissions"})
        gated = states["RBA-09"] == 0
        subscores: dict[str, Fraction | None] = dict.fromkeys(CATEGORIES)
        completeness = None
        if population == "full":
            exact = _weighted(states, all_codes)
            for key in CATEGORIES:
                subscores[key] = _weighted(states, {row[0] for row in INDICATORS if row[1] == key})
            applicable = [c for c in all_codes if states[c] != NOT_APPLICABLE]
            completeness = Fraction(sum(1 for c in applicable if states[c] != MISSING), len(applicable))
            if states["RBA-01"] != NOT_APPLICABLE and states["RBA-01"] < 100:
                flags.add("no_valid_audit")
            if completeness < Fraction(3, 4):
                flags.add("low_completeness")
        else:
            exact = states["ECO-01"] if states["ECO-01"] != MISSING else Fraction(0)
            if states["ECO-01"] == MISSING:
                flags.add("no_ecovadis")
        if gated:
            rounded, grade = Decimal("0.00"), "X"
        else:
            rounded = round_half_up(exact, 2)
            grade = grade_of(rounded)
        details.append(
            {
                "supplier_code": code,
                "population": population,
                "basis": basis,
                "exact_score": exact,
                "score": rounded,
                "grade": grade,
                "subscores": subscores,
                "completeness": completeness,
                "states": states,
                "flags": sorted(flags),
                "gated": gated,
            }
        )
    return details


def reference_scores(
    suppliers,
    sites,
    spend,
    fx,
    audits,
    findings,
    values,
    qbr,
    quarter: str,
    base_currency: str = BASE_CURRENCY,
    target=TARGET,
    *,
    derived=None,
) -> list[dict]:
    """The scores CSV columns of docs/contract.md (as text), one row per scored supplier."""
    rows = []
    for d in reference_details(
        suppliers, sites, spend, fx, audits, findings, values, qbr, quarter, base_currency, target, derived=derived
    ):
        row = {
            "supplier_code": d["supplier_code"],
            "population": d["population"],
            "spend_basis": fixed(d["basis"], 2),
            "score": format(d["score"], "f"),
            "grade": d["grade"],
        }
        for key in CATEGORIES:
            row[key] = "" if d["subscores"][key] is None else fixed(d["subscores"][key], 2)
        row["completeness"] = "" if d["completeness"] is None else fixed(d["completeness"], 4)
        row["flags"] = ";".join(d["flags"])
        rows.append(row)
    return rows


# --- coverage (section 7) ----------------------------------------------------------------


def plus_months(day: dt.date, months: int) -> dt.date:
    year, month = day.year, day.month + months
    while month > 12:
        month -= 12
        year += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def recognition_last_day(recognition) -> dt.date:
    """Section 9: without ``expires_on``, valid to the day before awarded_on + 24 months."""
    if recognition.get("expires_on") is not None:
        return recognition["expires_on"]
    return plus_months(recognition["awarded_on"], 24) - dt.timedelta(days=1)


def foc_recognised(sites, recognitions, as_of: dt.date) -> set[str]:
    """Suppliers with >= 1 relevant site whose every relevant site holds an ``rba_foc``
    recognition with awarded_on <= D <= expires_on (section 9)."""
    held = {
        r["site_code"]
        for r in recognitions
        if r["program"] == "rba_foc" and r["awarded_on"] <= as_of <= recognition_last_day(r)
    }
    relevant: dict[str, list[str]] = {}
    for site in sites:
        if site["is_production"] and site["status"] == "active":
            relevant.setdefault(site["supplier_code"], []).append(site["site_code"])
    return {code for code, site_codes in relevant.items() if all(c in held for c in site_codes)}


def _metric(denominator, satisfied, target):
    """denominator: [(code, basis)] in ranking order; satisfied: set of codes."""
    total = sum((basis for _, basis in denominator), Fraction(0))
    if total == 0:
        return {"share": 1.0, "target": float(target), "met": True, "gaps": []}, Fraction(1)
    numerator = sum((basis for code, basis in denominator if code in satisfied), Fraction(0))
    share = numerator / total
    gaps = []
    cumulative = numerator
    for code, basis in denominator:
        if code in satisfied:
            continue
        cumulative += basis
        gaps.append(
            {"supplier": code, "spend": float(round_half_up(basis, 2)), "cumulative_share": float(cumulative / total)}
        )
    return {"share": float(share), "target": float(target), "met": share >= Fraction(target), "gaps": gaps}, share


def reference_coverage(
    suppliers,
    sites,
    spend,
    fx,
    audits,
    findings,
    values,
    qbr,
    quarter: str,
    base_currency: str = BASE_CURRENCY,
    target=TARGET,
    *,
    exact: bool = False,
    recognitions=(),
    derived=None,
) -> dict:
    """The ``coverage_report --format json`` document; ``exact=True`` adds ``exact_shares``."""
    details = reference_details(
        suppliers, sites, spend, fx, audits, findings, values, qbr, quarter, base_currency, target, derived=derived
    )
    relevant_owners = {s["supplier_code"] for s in sites if s["is_production"] and s["status"] == "active"}
    everyone = [(d["supplier_code"], d["basis"]) for d in details]
    total = sum((basis for _, basis in everyone), Fraction(0))
    result = {
        "quarter": quarter,
        "base_currency": base_currency,
        "total_spend": float(round_half_up(total, 2)),
        "target": float(target),
        "populations": {},
        "metrics": {},
    }
    exact_shares = {}
    for population in ("full", "ecovadis_only"):
        members = [d for d in details if d["population"] == population]
        share = sum((d["basis"] for d in members), Fraction(0)) / total if total else Fraction(0)
        exact_shares[population] = share
        result["populations"][population] = {"suppliers": len(members), "spend_share": float(share)}
    by_code = {d["supplier_code"]: d for d in details}
    specs = {
        "audit": (
            [(c, b) for c, b in everyone if c in relevant_owners],
            {c for c, d in by_code.items() if d["states"]["RBA-01"] != NOT_APPLICABLE and d["states"]["RBA-01"] == 100},
        ),
        "scorecard": (everyone, {c for c, d in by_code.items() if d["population"] == "full"}),
        "sbti": (
            everyone,
            {c for c, d in by_code.items() if d["states"]["ENV-04"] != MISSING and d["states"]["ENV-04"] >= 40},
        ),
        "ghg_disclosure": (
            everyone,
            {c for c, d in by_code.items() if d["states"]["ENV-01"] != MISSING and d["states"]["ENV-01"] == 100},
        ),
    }
    specs["foc"] = (
        [(c, b) for c, b in everyone if c in relevant_owners],
        foc_recognised(sites, recognitions, as_of_date(quarter)),
    )
    for name, (denominator, satisfied) in specs.items():
        result["metrics"][name], exact_shares[name] = _metric(denominator, satisfied, target)
    if exact:
        result["exact_shares"] = exact_shares
    return result
