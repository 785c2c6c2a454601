"""Demo audits, SAQs and findings, loaded through the same importers as the RBA platform
exports (so corrective actions, change log and termination reviews appear as they would)."""

from __future__ import annotations

import datetime as dt
import io
import random

from django.contrib.auth import get_user_model

from audits import selectors, services
from audits.importers import AuditImporter, FindingImporter
from audits.models import AuditFirm, CapState, CorrectiveAction
from suppliers.models import Site

FIRMS = ["Bureau Veritas", "ELEVATE", "Intertek", "SGS", "TÜV Rheinland", "UL Solutions"]
# (provision, severity, typical description)
FINDINGS = [
    ("A3", "major", "Working hours exceeded 60 per week for 30% of sampled workers"),
    ("A4", "minor", "Overtime premium miscalculated for night shift"),
    ("B1", "major", "Machine guarding missing on two stamping presses"),
    ("B2", "minor", "Emergency exit partially blocked in warehouse"),
    ("B7", "minor", "Dormitory occupancy above the site's own limit"),
    ("C2", "minor", "Wastewater discharge log incomplete"),
    ("C3", "major", "Hazardous chemicals stored without secondary containment"),
    ("D1", "minor", "Gift policy not communicated to purchasing staff"),
    ("E4", "ofi", "Risk assessment could cover labour agents"),
    ("A1", "risk", "Recruitment fee policy for foreign workers not documented"),
]


def seed_audits(*, suppliers, rng: random.Random, as_of: dt.date) -> int:
    """Audits for most production sites (some expired, some never audited), with findings."""
    sites = list(Site.objects.filter(supplier__in=suppliers).select_related("supplier").order_by("code"))
    audit_lines = ["audit_ref,site_code,audit_type,audit_firm,conducted_on,score,recognition,saq_risk"]
    finding_lines = ["audit_ref,finding_ref,provision_code,severity,zero_tolerance,opened_on,due_on,closed_on,"
                     "description"]
    # The biggest suppliers are the best audited, as in a real programme; the tail is patchy.
    ranked = selectors.last_closed_population(as_of)
    top = set(ranked["supplier_id"][: max(1, len(ranked) // 12)])
    for site in sites:
        is_top = site.supplier_id in top
        if not site.is_production or (not is_top and rng.random() < 0.12):
            continue  # never audited
        saq_day = as_of - dt.timedelta(days=rng.randint(20, 500))
        audit_lines.append(f"SAQ-{site.code},{site.code},saq,,{saq_day},,,"
                           f"{rng.choices(['low', 'medium', 'high'], [5, 3, 1])[0]}")
        end = as_of - dt.timedelta(days=rng.randint(30, 660 if is_top and rng.random() < 0.9 else 900))
        score = rng.choices([200, rng.randint(170, 199), rng.randint(140, 179), rng.randint(90, 139)], [1, 4, 4, 2])[0]
        recognition = "platinum" if score == 200 else "gold" if score >= 180 else "silver" if score >= 160 else "none"
        ref = f"VAP-{site.code}-{end.year}"
        audit_lines.append(f"{ref},{site.code},{rng.choice(['vap_full'] * 4 + ['equivalent_third_party'])},"
                           f"{rng.choice(FIRMS)},{end},{score},{recognition},")
        for number in range(rng.choices([0, 1, 2, 3, 4], [2, 3, 3, 2, 1])[0]):
            provision, severity, description = rng.choice(FINDINGS)
            due = end + dt.timedelta(days={"major": 180, "minor": 270, "risk": 270}.get(severity, 270))
            closed = ""
            if rng.random() < 0.6:
                closed_day = end + dt.timedelta(days=rng.randint(20, 320))
                closed = str(closed_day) if closed_day <= as_of else ""
            finding_lines.append(f"{ref},{ref}-F{number + 1},{provision},{severity},no,{end},{due},{closed},"
                                 f"\"{description}\"")
    # One small supplier's forced-labour finding: the termination-review path of the demo.
    flagged = [s for s in sites if s.is_production and s.supplier.status == "active"][-1:]
    for site in flagged:
        end = as_of - dt.timedelta(days=45)
        ref = f"VAP-{site.code}-ZT"
        audit_lines.append(f"{ref},{site.code},vap_full,ELEVATE,{end},120,none,")
        finding_lines.append(f"{ref},{ref}-F1,A1,priority,yes,{end},{end + dt.timedelta(days=30)},,"
                             "\"Passports of foreign workers retained by the labour agent\"")
    AuditImporter(actor="seed_demo").run(_csv(audit_lines))
    FindingImporter(actor="seed_demo").run(_csv(finding_lines))
    _recognise_some_factories(sites, top, rng, as_of)
    _advance_some_caps(rng, as_of)
    plan_audits(dt.date.today())
    return len(audit_lines) - 1


def _recognise_some_factories(sites, top: set, rng: random.Random, as_of: dt.date) -> int:
    """RBA Factory of Choice for most active production sites of the biggest suppliers and a
    few of the tail (docs/factory-of-choice.md), some awarded long enough ago to have expired,
    through the import like every recognition."""
    lines = ["site_code,program,awarded_on"]
    for site in sites:
        if not site.is_production or site.status != "active":
            continue
        if rng.random() < (0.7 if site.supplier_id in top else 0.05):
            lines.append(f"{site.code},rba_foc,{as_of - dt.timedelta(days=rng.randint(30, 900))}")
    if len(lines) > 1:
        from audits.recognitions import SiteRecognitionImporter

        SiteRecognitionImporter(actor="seed_demo").run(_csv(lines))
    return len(lines) - 1


def _csv(lines: list[str]) -> bytes:
    buffer = io.StringIO()
    buffer.write("\n".join(lines) + "\n")
    return buffer.getvalue().encode("utf-8")


def _advance_some_caps(rng: random.Random, as_of: dt.date) -> None:
    """Walk some open findings' plans through the workflow, so every CAP state is on show
    with its history (the analyst enters what the suppliers sent by e-mail)."""
    analyst = get_user_model().objects.filter(username="analyst").first()
    if analyst is None:
        return
    open_caps = list(CorrectiveAction.objects.filter(state=CapState.NOT_STARTED, finding__closed_on__isnull=True,
                                                     finding__severity__in=["major", "minor"])
                     .select_related("finding").order_by("id")[:45])
    for index, cap in enumerate(open_caps):
        cap = services.cap_update(
            cap=cap, actor=analyst, root_cause="Procedure not followed during peak season",
            corrective_action="Retrain supervisors and correct the affected records",
            preventive_action="Monthly internal check by the EHS team", owner="Site EHS manager",
            planned_completion=as_of + dt.timedelta(days=rng.randint(20, 120)))
        cap = services.cap_submit(cap=cap, actor=analyst, note="Plan agreed with the site")
        if index % 3 >= 1:
            cap = services.cap_approve(cap=cap, actor=analyst, note="Root cause and actions are adequate")
        if index % 3 == 2:
            services.cap_implement(cap=cap, actor=analyst, note="Training done; records corrected")


def plan_audits(as_of: dt.date) -> int:
    """The register of audit firms (the demo's firms approved), then planned audits for the
    biggest due sites, as an analyst would create them."""
    for name in FIRMS:
        AuditFirm.objects.get_or_create(name=name, defaults={"approved": True})
    analyst = get_user_model().objects.filter(username="analyst").first()
    if analyst is None:
        return 0
    return len(services.audits_plan(as_of=as_of, actor=analyst, limit=15))
