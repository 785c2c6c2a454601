import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from audits.importers import AuditImporter, FindingImporter
from audits.models import Audit, CorrectiveAction, Finding, Notification, TerminationReview
from core.importing import ImportFailed
from suppliers.models import Supplier
from tests.history import changes

AUDITS = """audit_ref,site_code,audit_type,audit_firm,conducted_on,score,recognition,saq_risk
VAP-1,OWN-1-F1,vap_full,Firm A,2025-03-10,182.5,gold,
VAP-2,OWN-1-F1,vap_closure,Firm A,2025-09-01,195,,
SAQ-1,OWN-1-F1,saq,,2025-01-15,,,medium
ETP-1,OWN-1-F2,equivalent_third_party,Firm B,2024-02-29,,,
"""


@pytest.fixture
def sites(own_supplier, make_site):
    return [make_site(own_supplier, "OWN-1-F1"), make_site(own_supplier, "OWN-1-F2")]


def run(importer_class, path, **kwargs):
    return importer_class(actor="test").run(path, **kwargs)


def errors_of(importer_class, path) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        run(importer_class, path)
    return [str(error) for error in failure.value.errors]


# --------------------------------------------------------------------------- audits


def test_import_audits_creates_rows_with_validity_and_status(sites, write_csv):
    result = run(AuditImporter, write_csv(AUDITS))
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    full = Audit.objects.get(audit_ref="VAP-1")
    assert full.site == sites[0]
    assert full.conducted_on == dt.date(2025, 3, 10)
    assert full.score == Decimal("182.5")
    assert full.recognition == "gold"
    assert full.valid_until == dt.date(2027, 3, 9)
    assert full.status == "closed"
    assert full.audit_firm == "Firm A"
    saq = Audit.objects.get(audit_ref="SAQ-1")
    assert (saq.saq_risk, saq.score, saq.valid_until) == ("medium", None, None)
    closure = Audit.objects.get(audit_ref="VAP-2")
    assert closure.score == Decimal("195") and closure.valid_until is None
    assert Audit.objects.get(audit_ref="ETP-1").valid_until == dt.date(2026, 2, 28)


def test_reimporting_the_same_file_changes_nothing(sites, write_csv):
    path = write_csv(AUDITS)
    run(AuditImporter, path)
    recorded = len(changes(Audit))
    result = run(AuditImporter, path)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert len(changes(Audit)) == recorded  # no row changed, nothing recorded


def test_update_counts_and_empty_optional_cells_keep_stored_values(sites, write_csv):
    run(AuditImporter, write_csv(AUDITS))
    result = run(AuditImporter, write_csv(
        "audit_ref,site_code,audit_type,conducted_on,score\nVAP-1,OWN-1-F1,vap_full,2025-03-11,\n"))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    audit = Audit.objects.get(audit_ref="VAP-1")
    assert audit.conducted_on == dt.date(2025, 3, 11)
    assert audit.valid_until == dt.date(2027, 3, 10)
    assert audit.score == Decimal("182.5")  # empty cell: not given
    assert audit.audit_firm == "Firm A"
    entry = changes(Audit, "VAP-1")[-1]
    assert entry["changes"]["conducted_on"] == ["2025-03-10", "2025-03-11"]
    assert entry["action"] == "updated" and entry["channel"].startswith("import:")


@pytest.mark.parametrize(("row", "expected"), [
    ("X,OWN-1-F1,saq,,2025-01-15,150,,low", "row 2, column score: an SAQ has no audit score; leave the cell empty"),
    ("X,OWN-1-F1,saq,,2025-01-15,,,", "row 2, column saq_risk: required for an SAQ (low, medium or high)"),
    ("X,OWN-1-F1,vap_full,,2025-01-15,,,low",
     "row 2, column saq_risk: only an SAQ has a risk band; leave the cell empty"),
    ("X,OWN-1-F1,vap_full,,2025-01-15,200.5,,", "row 2, column score: 200.5 is above the maximum 200"),
    ("X,OWN-1-F1,vap_full,,2025-01-15,-1,,", "row 2, column score: -1 is below the minimum 0"),
    ("X,OWN-1-F1,vap_full,,15/01/2025,,,", "row 2, column conducted_on: '15/01/2025' is not an ISO date (YYYY-MM-DD)"),
    ("X,NOPE,vap_full,,2025-01-15,,,", "row 2, column site_code: unknown site code 'NOPE'"),
    ("X,OWN-1-F1,initial,,2025-01-15,,,",
     "row 2, column audit_type: 'initial' is not a known audit type; expected one of: vap_full, vap_closure, "
     "equivalent_third_party, saq"),
    ("X,OWN-1-F1,vap_full,,2025-01-15,,bronze,",
     "row 2, column recognition: 'bronze' is not a known recognition; expected one of: platinum, gold, silver, none"),
    ("X,OWN-1-F1,saq,,2025-01-15,,,severe",
     "row 2, column saq_risk: 'severe' is not a known SAQ risk band; expected one of: low, medium, high"),
])
def test_bad_audit_rows_are_refused_with_row_and_column(sites, write_csv, row, expected):
    header = "audit_ref,site_code,audit_type,audit_firm,conducted_on,score,recognition,saq_risk\n"
    assert expected in errors_of(AuditImporter, write_csv(header + row + "\n"))


def test_one_bad_row_means_nothing_is_written_and_every_error_is_reported(sites, write_csv):
    path = write_csv(AUDITS + "BAD-1,OWN-1-F9,vap_full,,2025-01-01,,,\nBAD-2,OWN-1-F1,saq,,2025-01-01,,,\n")
    assert errors_of(AuditImporter, path) == [
        "row 6, column site_code: unknown site code 'OWN-1-F9'",
        "row 7, column saq_risk: required for an SAQ (low, medium or high)",
    ]
    assert Audit.objects.count() == 0


def test_missing_required_column_and_duplicate_keys(sites, write_csv):
    assert errors_of(AuditImporter, write_csv("audit_ref,site_code,conducted_on\nX,OWN-1-F1,2025-01-01\n")) == [
        "row 1, column audit_type: required column is missing from the header"]
    dup = ("audit_ref,site_code,audit_type,conducted_on\n"
           "X,OWN-1-F1,vap_full,2025-01-01\nX,OWN-1-F2,vap_full,2025-01-01\n")
    assert "row 3, column audit_ref: duplicate of row 2 (X)" in errors_of(AuditImporter, write_csv(dup))


def test_dry_run_validates_and_writes_nothing(sites, write_csv):
    result = run(AuditImporter, write_csv(AUDITS), dry_run=True)
    assert (result.created, result.dry_run) == (4, True)
    assert Audit.objects.count() == 0


def test_gb18030_and_any_column_order(sites, write_csv):
    text = ("conducted_on,audit_type,site_code,audit_ref,audit_firm\n"
            "2025-01-01,vap_full,OWN-1-F1,SH-1,华测检测认证集团股份有限公司\n")
    run(AuditImporter, write_csv(text, encoding="gb18030"))
    assert Audit.objects.get(audit_ref="SH-1").audit_firm == "华测检测认证集团股份有限公司"


def test_closure_audit_parent_from_the_same_file(sites, write_csv):
    text = ("audit_ref,site_code,audit_type,conducted_on,parent_audit_ref\n"
            "C-1,OWN-1-F1,vap_closure,2025-09-01,F-1\n"
            "F-1,OWN-1-F1,vap_full,2025-03-01,\n")
    result = run(AuditImporter, write_csv(text))
    assert result.created == 2
    assert Audit.objects.get(audit_ref="C-1").parent.audit_ref == "F-1"
    assert run(AuditImporter, write_csv(text)).unchanged == 2


def test_closure_parent_must_be_a_full_audit_at_the_same_site(sites, write_csv):
    text = ("audit_ref,site_code,audit_type,conducted_on,parent_audit_ref,saq_risk\n"
            "F-2,OWN-1-F2,vap_full,2025-03-01,,\n"
            "S-1,OWN-1-F1,saq,2025-03-01,,low\n"
            "C-1,OWN-1-F1,vap_closure,2025-09-01,F-2,\n"
            "C-2,OWN-1-F1,vap_closure,2025-09-01,S-1,\n"
            "C-3,OWN-1-F1,vap_closure,2025-09-01,NONE,\n"
            "F-3,OWN-1-F1,vap_full,2025-09-01,F-2,\n")
    assert errors_of(AuditImporter, write_csv(text)) == [
        "row 4, column parent_audit_ref: 'F-2' is at another site",
        "row 5, column parent_audit_ref: 'S-1' is not a full audit",
        "row 6, column parent_audit_ref: unknown audit reference 'NONE'",
        "row 7, column parent_audit_ref: only a closure audit has a parent audit",
    ]


def test_import_audits_runs_a_fixed_number_of_queries(sites, write_csv, django_assert_max_num_queries):
    rows = "".join(f"R-{i},OWN-1-F{1 + i % 2},vap_full,Firm,2025-01-{1 + i % 28:02d},150,silver,\n" for i in range(300))
    path = write_csv("audit_ref,site_code,audit_type,audit_firm,conducted_on,score,recognition,saq_risk\n" + rows)
    # incl. the methodology in force (validity of valid_until), +3 for the savepoint and the
    # lock that serialise imports of one kind (PostgreSQL); SQLite splits each bulk insert
    # (rows and their history rows) into batches of 999 parameters.
    with django_assert_max_num_queries(30):
        assert run(AuditImporter, path).created == 300


# --------------------------------------------------------------------------- findings

FINDINGS = """audit_ref,finding_ref,provision_code,severity,zero_tolerance,opened_on,due_on,closed_on,description
VAP-1,VAP-1-01,a3,major,,2025-03-10,,,Excessive overtime
VAP-1,VAP-1-02,B1,priority,no,2025-03-10,,,Blocked fire exit
VAP-1,VAP-1-03,C1,minor,0,2025-03-10,2025-06-30,2025-06-01,Permit expired
VAP-1,VAP-1-04,E6,ofi,,2025-03-10,,,Training records
"""


@pytest.fixture
def audits(sites, write_csv):
    run(AuditImporter, write_csv(AUDITS))


def test_import_findings_creates_findings_with_deadlines_and_caps(audits, write_csv):
    result = run(FindingImporter, write_csv(FINDINGS))
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    major = Finding.objects.get(finding_ref="VAP-1-01")
    assert major.provision.code == "A3" and major.provision.version == "8.0"
    assert major.zero_tolerance is False
    assert major.correction_due_on == dt.date(2025, 9, 6)  # 180 days from the deadline table
    assert major.cap_due_on == dt.date(2025, 3, 24)  # 14 days after the audit end (no report date)
    assert major.status == "open" and major.description == "Excessive overtime"
    priority = Finding.objects.get(finding_ref="VAP-1-02")
    assert priority.correction_due_on == dt.date(2025, 4, 9)  # B = health & safety: 30 days
    assert priority.corrective_action.manager == "rba"
    minor = Finding.objects.get(finding_ref="VAP-1-03")
    assert minor.correction_due_on == dt.date(2025, 6, 30)  # due_on given
    assert (minor.status, minor.closed_on, minor.closed_via) == ("closed", dt.date(2025, 6, 1), "import")
    assert minor.corrective_action.state == "verified_closed"
    ofi = Finding.objects.get(finding_ref="VAP-1-04")
    assert (ofi.cap_due_on, ofi.correction_due_on) == (None, None)
    assert CorrectiveAction.objects.count() == 4
    # The audit has open findings now.
    assert Audit.objects.get(audit_ref="VAP-1").status == "corrective_actions_open"


def test_import_findings_records_every_change_in_the_change_log(audits, write_csv):
    run(FindingImporter, write_csv(FINDINGS))
    created = changes(Finding, action="created")
    assert sorted(row["object"] for row in created) == ["VAP-1-01", "VAP-1-02", "VAP-1-03", "VAP-1-04"]
    path = write_csv("audit_ref,finding_ref,provision_code,severity,opened_on,closed_on\nVAP-1,VAP-1-01,A3,major,"
                     "2025-03-10,2025-05-01\n")
    run(FindingImporter, path)
    entry = changes(Finding, "VAP-1-01")[-1]
    assert entry["changes"]["closed_on"] == [None, "2025-05-01"]
    assert entry["changes"]["status"] == ["open", "closed"]
    assert entry["channel"] == f"import:{Path(path).name}" and entry["reason"] == "import_findings"


def test_reimporting_findings_changes_nothing(audits, write_csv):
    path = write_csv(FINDINGS)
    run(FindingImporter, path)
    result = run(FindingImporter, path)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)


def test_closing_every_finding_by_import_closes_the_audit(audits, write_csv):
    run(FindingImporter, write_csv(FINDINGS))
    run(FindingImporter, write_csv(
        "audit_ref,finding_ref,provision_code,severity,opened_on,closed_on\n"
        "VAP-1,VAP-1-01,A3,major,2025-03-10,2025-05-01\nVAP-1,VAP-1-02,B1,priority,2025-03-10,2025-04-01\n"
        "VAP-1,VAP-1-04,E6,ofi,2025-03-10,2025-04-01\n"))
    assert Audit.objects.get(audit_ref="VAP-1").status == "closed"


@pytest.mark.parametrize(("row", "expected"), [
    ("VAP-1,X-1,A3,major,,2025-03-10,,2025-03-09", "row 2, column closed_on: closed_on is before opened_on"),
    ("VAP-1,X-1,Z9,major,,2025-03-10,,",
     "row 2, column provision_code: unknown provision code 'Z9' (RBA Code 8.0 or 7.0)"),
    ("NOPE,X-1,A3,major,,2025-03-10,,", "row 2, column audit_ref: unknown audit reference 'NOPE'"),
    ("VAP-1,X-1,A3,critical,,2025-03-10,,",
     "row 2, column severity: 'critical' is not a known severity; expected one of: priority, major, minor, risk, ofi"),
    ("VAP-1,X-1,A3,major,maybe,2025-03-10,,",
     "row 2, column zero_tolerance: 'maybe' is not a yes/no value; use true/false, yes/no, 1/0 or y/n"),
    ("VAP-1,X-1,A3,major,,,,", "row 2, column opened_on: a value is required"),
    ("VAP-1,X-1,A3,major,,2025-03-10,2025-02-30,", "row 2, column due_on: '2025-02-30' is not a valid date"),
])
def test_bad_finding_rows_are_refused(audits, write_csv, row, expected):
    header = "audit_ref,finding_ref,provision_code,severity,zero_tolerance,opened_on,due_on,closed_on\n"
    assert expected in errors_of(FindingImporter, write_csv(header + row + "\n"))
    assert Finding.objects.count() == 0


def test_a_bad_finding_file_writes_nothing(audits, write_csv):
    with pytest.raises(ImportFailed):
        run(FindingImporter, write_csv(FINDINGS + "VAP-1,VAP-1-05,Q1,minor,,2025-03-10,,,\n"))
    assert Finding.objects.count() == 0
    assert CorrectiveAction.objects.count() == 0
    assert Audit.objects.get(audit_ref="VAP-1").status == "closed"


def test_provision_codes_fall_back_to_code_7_0(audits, write_csv, provision):
    provision("A7").delete()  # a code only 7.0 still knows
    run(FindingImporter, write_csv(
        "audit_ref,finding_ref,provision_code,severity,opened_on\nVAP-1,X-1,a7,minor,2025-03-10\n"))
    assert Finding.objects.get().provision.version == "7.0"


def test_zero_tolerance_finding_flags_the_supplier_and_notifies_admins(audits, write_csv, role_users, own_supplier,
                                                                       mailoutbox, django_capture_on_commit_callbacks):
    role_users["procurement_admin"].email = "admin@example.com"
    role_users["procurement_admin"].save()
    text = ("audit_ref,finding_ref,provision_code,severity,zero_tolerance,opened_on\n"
            "VAP-1,ZT-1,A1,priority,yes,2025-03-10\nVAP-1,ZT-2,A2,priority,true,2025-03-10\n")
    with django_capture_on_commit_callbacks(execute=True):
        result = run(FindingImporter, write_csv(text))
    assert result.extra["termination_reviews"] == 1
    own_supplier.refresh_from_db()
    assert own_supplier.termination_review is True
    review = TerminationReview.objects.get()
    assert review.is_open and set(review.findings.values_list("finding_ref", flat=True)) == {"ZT-1", "ZT-2"}
    notes = Notification.objects.filter(kind="zero_tolerance")
    assert set(notes.values_list("recipient__username", flat=True)) == {"procurement_admin"}
    assert notes.count() == 2
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["admin@example.com"]
    # Re-import: nothing new, nothing sent.
    with django_capture_on_commit_callbacks(execute=True):
        run(FindingImporter, write_csv(text))
    assert len(mailoutbox) == 1 and TerminationReview.objects.count() == 1


def test_imported_priority_a1_without_the_flag_is_not_zero_tolerance(audits, write_csv, own_supplier):
    run(FindingImporter, write_csv(
        "audit_ref,finding_ref,provision_code,severity,opened_on\nVAP-1,P-1,A1,priority,2025-03-10\n"))
    assert Finding.objects.get().zero_tolerance is False
    assert Supplier.objects.get(pk=own_supplier.pk).termination_review is False


def test_due_on_kept_on_reimport_without_it_unless_inputs_change(audits, write_csv):
    run(FindingImporter, write_csv(
        "audit_ref,finding_ref,provision_code,severity,opened_on,due_on\nVAP-1,X-1,A3,major,2025-03-10,2025-04-30\n"))
    result = run(FindingImporter, write_csv(
        "audit_ref,finding_ref,provision_code,severity,opened_on\nVAP-1,X-1,A3,major,2025-03-10\n"))
    assert result.unchanged == 1
    assert Finding.objects.get().correction_due_on == dt.date(2025, 4, 30)
    run(FindingImporter, write_csv(
        "audit_ref,finding_ref,provision_code,severity,opened_on\nVAP-1,X-1,A3,minor,2025-03-10\n"))
    assert Finding.objects.get().correction_due_on == dt.date(2025, 12, 5)


def test_import_findings_runs_a_fixed_number_of_queries(audits, write_csv, django_assert_max_num_queries):
    rows = "".join(f"VAP-1,B-{i},{'ABCDE'[i % 5]}{1 + i % 6},{['major', 'minor', 'risk'][i % 3]},,2025-03-10,,"
                   f"{'2025-05-01' if i % 2 else ''}\n" for i in range(300))
    path = write_csv("audit_ref,finding_ref,provision_code,severity,zero_tolerance,opened_on,due_on,closed_on\n" + rows)
    # +3: the savepoint and the lock that serialise imports of one kind (PostgreSQL); SQLite
    # splits each bulk insert (rows and their history rows) into batches of 999 parameters.
    with django_assert_max_num_queries(50):
        assert run(FindingImporter, path).created == 300
