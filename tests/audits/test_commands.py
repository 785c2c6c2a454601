import pytest
from django.core.management import call_command

from audits.models import Audit, Finding


@pytest.fixture
def site(own_supplier, make_site):
    return make_site(own_supplier, "OWN-1-F1")


def test_import_audits_and_findings_commands(site, write_csv, capsys):
    audits = write_csv("audit_ref,site_code,audit_type,conducted_on,score\nA-1,OWN-1-F1,vap_full,2025-03-10,180\n")
    call_command("import_audits", str(audits))
    assert capsys.readouterr().out.strip() == "created 1, updated 0, unchanged 0"
    findings = write_csv("\ufeffaudit_ref,finding_ref,provision_code,severity,opened_on\nA-1,F-1,A3,major,2025-03-10\n")
    call_command("import_findings", str(findings), "--dry-run")
    assert "dry run, nothing written" in capsys.readouterr().out
    assert not Finding.objects.exists()
    call_command("import_findings", str(findings))
    call_command("import_findings", str(findings))
    assert capsys.readouterr().out.strip().splitlines()[-1] == "created 0, updated 0, unchanged 1"


def test_import_command_prints_every_error_and_exits_1(site, write_csv, capsys):
    path = write_csv("audit_ref,site_code,audit_type,conducted_on,score,saq_risk\n"
                     "A-1,OWN-1-F1,saq,2025-03-10,180,low\nA-2,NOPE,vap_full,2025-03-10,,\n")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_audits", str(path))
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        "row 2, column score: an SAQ has no audit score; leave the cell empty",
        "row 3, column site_code: unknown site code 'NOPE'",
        "2 error(s); nothing was written",
    ]
    assert not Audit.objects.exists()
