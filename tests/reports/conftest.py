"""A small quarter built from contract.md import files and recalculated (2026-Q2 and
2026-Q3), so the exports read real stored results: a Chinese supplier name, a name that
looks like a formula, an EcoVadis-only supplier under the gate, QBR components, open
findings (one overdue) with a corrective action plan."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from audits.models import CapState, CorrectiveAction
from core.quarter import Quarter
from scoring.services import score_run_now

Q3 = Quarter.parse("2026-Q3")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

FILES = {
    "import_suppliers": (
        "code,name,country,category\n"
        "A,深圳华强电子有限公司,CN,production\nB,Müller Präzision,DE,production\nC,=Evil Corp,US,non_production\n"
        "D,Delta Parts,VN,production\n"
    ),
    "import_sites": (
        "supplier_code,site_code,name,country,is_production,status\n"
        "A,A-F1,深圳工厂,CN,yes,active\nB,B-F1,Werk 1,DE,yes,active\nB,B-F2,Werk 2,DE,yes,closed\n"
        "C,C-F1,Office,US,no,active\nD,D-F1,Plant,VN,y,active\n"
    ),
    "import_fx_rates": "quarter,currency,rate_to_base\n2026-Q3,CNY,0.15\n2026-Q2,CNY,0.14\n",
    "import_spend": (
        "supplier_code,quarter,amount,currency\n"
        "A,2026-Q3,4000,CNY\nA,2026-Q2,1000,CNY\nB,2026-Q1,300,USD\nB,2025-Q3,1000,USD\nC,2025-Q4,60,USD\n"
        "D,2026-Q1,50,USD\nD,2026-Q2,-10,USD\n"
    ),
    "import_audits": (
        "audit_ref,site_code,audit_type,audit_firm,conducted_on,score,recognition,saq_risk\n"
        "AUD-A1,A-F1,vap_full,Firm,2025-06-15,180,gold,\n"
        "SAQ-A1,A-F1,saq,,2026-01-10,,,low\n"
        "AUD-B1,B-F1,vap_full,Firm,2024-09-30,195,platinum,\n"
        "AUD-D1,D-F1,vap_full,Firm,2026-03-01,150,none,\n"
    ),
    "import_findings": (
        "audit_ref,finding_ref,provision_code,severity,zero_tolerance,opened_on,due_on,closed_on\n"
        "AUD-A1,F-A1,B1,major,no,2025-06-15,2025-12-15,2025-12-01\n"
        "AUD-A1,F-A2,A3,minor,no,2025-06-15,2026-03-15,\n"
        "AUD-A1,F-A3,C2,minor,no,2026-08-01,2027-04-28,\n"
        "AUD-D1,F-D1,A1,priority,yes,2026-03-01,2026-04-01,\n"
    ),
    "import_indicator_values": (
        "supplier_code,quarter,indicator_code,value\n"
        "A,2026-Q2,ECO-01,60\nA,2026-Q3,ENV-03,B\nA,2026-Q3,ENV-06,45.5\nC,2026-Q3,ENV-01,yes\n"
        "C,2026-Q1,ENV-03,B\nC,2026-Q3,ENV-04,committed\n"
    ),
    "import_qbr_components": (
        "supplier_code,quarter,component,score\n"
        "A,2026-Q3,quality,90\nA,2026-Q3,delivery,80\nA,2026-Q3,cost,70\n"
        "B,2026-Q3,quality,60\nB,2026-Q3,delivery,65\nB,2026-Q3,cost,70\nB,2026-Q3,service,75\n"
    ),
}


@pytest.fixture
def quarter_scored(db, tmp_path, settings):
    """Both quarters recalculated; returns the 2026-Q3 run."""
    settings.MEDIA_ROOT = tmp_path / "media"
    for command, text in FILES.items():
        path = tmp_path / f"{command}.csv"
        path.write_text(text, encoding="utf-8")
        call_command(command, str(path), stdout=io.StringIO())
    # The import opened a CAP per finding; F-A3's plan is already submitted.
    CorrectiveAction.objects.filter(finding__finding_ref="F-A2").update(owner="王经理")
    CorrectiveAction.objects.filter(finding__finding_ref="F-A3").update(state=CapState.SUBMITTED)
    score_run_now(quarter=Quarter.parse("2026-Q2"))
    return score_run_now(quarter=Q3)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
