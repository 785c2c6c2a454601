"""The exports read through the columnar reader (``core.frames``) and write exactly what the
row-by-row ORM reading wrote before: the same scores CSV text, the same workbook cells, on a
generated quarter of a few hundred suppliers (tricky names, nulls, open and closed findings
with and without a CAP, QBR components missing). The ``legacy_*`` functions below are the
reads the exports used before, kept here as the reference."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from audits.models import Audit, CapState, CorrectiveAction, Finding, Provision
from reports import exporters, scores_csv
from reports import selectors as report_selectors
from scoring import selectors as scoring_selectors
from scoring.demo import _raw_value
from scoring.methodology import V1
from scoring.models import Indicator, IndicatorValue, QbrComponent, QuarterlyScore
from scoring.services import score_run_now
from suppliers.models import FxRate, Site, SpendRecord, Supplier
from tests import clock

pytestmark = pytest.mark.django_db

SUPPLIERS = 300
NAMES = ["Plain Parts {n}", 'Comma, "quoted" {n}', "深圳电子 {n}", "=HYPERLINK(\"x\") {n}", "-{n}", "Line\nbreak {n}",
         "Tab\tand;semicolon {n}", "@at {n}"]


def generate(count: int = SUPPLIERS, seed: int = 13):
    """``count`` suppliers with spend (two currencies), sites, full audits, findings (some
    with a CAP), accepted values and QBR components; the last closed quarter recalculated.
    Returns that quarter."""
    rng = random.Random(seed)
    quarter = clock.last_closed_quarter()
    window = quarter.window(4)
    FxRate.objects.bulk_create([FxRate(quarter=str(q), currency="CNY", rate_to_base=Decimal("0.1437"))
                                for q in window])
    Supplier.objects.bulk_create([
        Supplier(code=f"G-{n:04d}", name=NAMES[n % len(NAMES)].format(n=n), country="CN",
                 category="production" if n % 5 else "non_production") for n in range(count)])
    suppliers = list(Supplier.objects.filter(code__startswith="G-").order_by("code").values_list("id", flat=True))
    spend, sites = [], []
    for n, supplier_id in enumerate(suppliers, start=1):
        for q in window:
            if rng.random() < 0.85:
                spend.append(SpendRecord(supplier_id=supplier_id, quarter=str(q),
                                         currency=rng.choice(["CNY", "USD"]),
                                         amount=Decimal(f"{1e7 / n ** 1.2 * rng.uniform(0.5, 1.5):.4f}")))
        for k in range(rng.choice([0, 1, 1, 2])):
            sites.append(Site(supplier_id=supplier_id, code=f"G-{supplier_id}-{k}", name=f"Werk {k}", country="CN",
                              is_production=rng.random() < 0.9, status="active" if rng.random() < 0.9 else "closed"))
    SpendRecord.objects.bulk_create(spend)
    Site.objects.bulk_create(sites)
    audits = []
    for site_id in Site.objects.filter(code__startswith="G-").values_list("id", flat=True):
        for k in range(rng.choice([0, 1, 2])):
            audits.append(Audit(audit_ref=f"GA-{site_id}-{k}", site_id=site_id, audit_type="vap_full", status="closed",
                                conducted_on=quarter.as_of - dt.timedelta(days=rng.randint(0, 900)),
                                score=Decimal(rng.randint(100, 199)) + Decimal(rng.choice(["0", "0.5"])),
                                recognition=rng.choice(["platinum", "gold", "silver", "none", None])))
    Audit.objects.bulk_create(audits)
    provisions = list(Provision.objects.values_list("id", flat=True)[:5])
    findings = []
    for audit_id, conducted_on in Audit.objects.filter(audit_ref__startswith="GA-").values_list("id", "conducted_on"):
        for k in range(rng.choice([0, 1, 2, 3])):
            closed = conducted_on + dt.timedelta(days=rng.randint(10, 300)) if rng.random() < 0.4 else None
            if closed is not None and closed > clock.today():
                closed = None
            findings.append(Finding(
                audit_id=audit_id, finding_ref=f"GF-{audit_id}-{k}", provision_id=rng.choice(provisions),
                severity=rng.choice(["priority", "major", "minor", "minor", "risk", "ofi"]),
                zero_tolerance=rng.random() < 0.05, opened_on=conducted_on,
                cap_due_on=conducted_on + dt.timedelta(days=30) if rng.random() < 0.8 else None,
                correction_due_on=conducted_on + dt.timedelta(days=rng.choice([90, 180])) if rng.random() < 0.9
                else None,
                closed_on=closed, status="closed" if closed else "open",
                description=rng.choice(["", "Fire exit blocked", "=cmd|' /C calc'!A0", "加班超时\nsecond line"])))
    Finding.objects.bulk_create(findings)
    caps = [CorrectiveAction(finding_id=finding_id, owner=rng.choice(["", "王经理", "QA lead"]),
                             state=rng.choice(list(CapState.values)),
                             planned_completion=clock.days_ago(rng.randint(-60, 60)) if rng.random() < 0.5 else None)
            for finding_id in Finding.objects.filter(finding_ref__startswith="GF-").values_list("id", flat=True)
            if rng.random() < 0.7]
    CorrectiveAction.objects.bulk_create(caps)
    indicators = dict(Indicator.objects.values_list("code", "id"))
    now = timezone.now()
    values, qbr = [], []
    for supplier_id in suppliers:
        maturity = rng.random()
        values += [IndicatorValue(supplier_id=supplier_id, quarter=str(quarter), indicator_id=indicators[spec.code],
                                  value=_raw_value(rng, spec, maturity), state="accepted", origin="import",
                                  submitted_at=now)
                   for spec in V1.indicators if spec.source == "reported" and rng.random() < 0.6]
        for component in ("quality", "delivery", "cost", "service"):
            if rng.random() < 0.7:
                qbr.append(QbrComponent(supplier_id=supplier_id, quarter=str(quarter), component=component,
                                        score=Decimal(rng.randint(5000, 10000)) / 100))
    IndicatorValue.objects.bulk_create(values)
    QbrComponent.objects.bulk_create(qbr)
    run = score_run_now(quarter=quarter)
    assert run.status == "succeeded", run.error
    return quarter


# --------------------------------------------------------------------------- the reads as they were


def legacy_score_rows(quarter, methodology=None):
    fixed = scores_csv._fixed
    for score in scoring_selectors.stored_scores(quarter, methodology).iterator(chunk_size=5000):
        full = score.population == "full"
        yield [
            score.supplier.code, score.supplier.name, score.quarter, score.methodology.version, score.population,
            fixed(score.spend_basis, 2), fixed(score.score, 2), score.grade,
            *[fixed(getattr(score, name), 2) if full else "" for name in scores_csv.SUBSCORES],
            fixed(score.completeness, 4) if full else "",
            ";".join(sorted(score.flags)),
        ]


def legacy_indicator_rows(quarter, run):
    return iter(report_selectors.run_scores(quarter, run).filter(population="full").order_by("rank")
                .values_list("supplier__code", "supplier__name", "points"))


def legacy_qbr_rows(quarter, run):
    return iter(report_selectors.run_scores(quarter, run).order_by("rank")
                .values_list("supplier__code", "supplier__name", "population", "qbr_components", "qbr_total",
                             "qbr_incomplete"))


def legacy_finding_cells(as_of):
    for finding in report_selectors.open_findings(as_of):
        site = finding.audit.site
        cap = getattr(finding, "corrective_action", None)
        overdue = finding.correction_overdue
        yield [site.supplier.code, site.supplier.name, site.code, finding.audit.audit_ref,
               finding.finding_ref, finding.provision.code, finding.severity, finding.zero_tolerance,
               finding.opened_on, finding.cap_due_working, cap.state if cap else "no_cap",
               finding.cap_overdue, finding.correction_due_working, overdue,
               (as_of - finding.correction_due_working).days if overdue else None, cap.owner if cap else "",
               cap.planned_completion if cap else None, finding.description]


def new_finding_cells(as_of):
    for row in report_selectors.open_finding_rows(as_of, batch_rows=97):
        has_cap = row["cap_state"] is not None
        overdue = row["correction_overdue"]
        yield [row["supplier_code"], row["supplier_name"], row["site_code"], row["audit_ref"], row["finding_ref"],
               row["provision"], row["severity"], row["zero_tolerance"], row["opened_on"], row["cap_due_working"],
               row["cap_state"] if has_cap else "no_cap", row["cap_overdue"], row["correction_due_working"], overdue,
               (as_of - row["correction_due_working"]).days if overdue else None,
               row["cap_owner"] if has_cap else "", row["planned_completion"] if has_cap else None,
               row["description"]]


def typed(rows):
    """Rows with each value's type beside it (1 == True == Decimal(1) must not pass)."""
    return [[(type(value).__name__, value) for value in row] for row in rows]


@pytest.fixture
def generated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    quarter = generate()
    return quarter, report_selectors.producing_run(quarter)


# --------------------------------------------------------------------------- tests


def test_scores_rows_and_csv_are_those_of_the_row_by_row_read(generated):
    quarter, _run = generated
    legacy = list(legacy_score_rows(quarter))
    assert len(legacy) == QuarterlyScore.objects.filter(quarter=str(quarter)).count() > SUPPLIERS * 0.9
    assert {row[4] for row in legacy} == {"full", "ecovadis_only"}  # both populations in the data
    assert typed(scores_csv.score_rows(quarter, batch_rows=41)) == typed(legacy)  # batches end mid-file
    assert typed(scores_csv.score_rows(quarter)) == typed(legacy)
    expected = scores_csv.csv_line(scores_csv.SCORE_COLUMNS) + "".join(
        scores_csv.csv_line([scores_csv.safe_cell(cell) for cell in row]) for row in legacy)
    assert scores_csv.scores_csv_text(quarter) == expected


def test_indicator_qbr_and_finding_rows_are_those_of_the_orm(generated):
    quarter, run = generated
    as_of = report_selectors.register_as_of(quarter)
    # A few due dates extended: the rows carry the working dates (an extension's, else as given).
    from audits.models import Finding

    extended = list(Finding.objects.filter(correction_due_on__isnull=False).order_by("id")[:5])
    for finding in extended:
        finding.correction_due_extended_to = finding.correction_due_on + dt.timedelta(days=400)
        finding.cap_due_extended_to = (finding.cap_due_on or finding.opened_on) + dt.timedelta(days=400)
    Finding.objects.bulk_update(extended, ["correction_due_extended_to", "cap_due_extended_to"])
    points = list(legacy_indicator_rows(quarter, run))
    assert points and typed(report_selectors.indicator_rows(quarter, run, batch_rows=37)) == typed(points)
    qbr = list(legacy_qbr_rows(quarter, run))
    assert any(incomplete for *_, incomplete in qbr), "a supplier with QBR components missing"
    assert typed(report_selectors.qbr_rows(quarter, run, batch_rows=53)) == typed(qbr)
    findings = list(legacy_finding_cells(as_of))
    assert any(row[10] == "no_cap" for row in findings), "an open finding without a CAP"
    assert any(row[11] for row in findings), "a CAP overdue"
    assert typed(new_finding_cells(as_of)) == typed(findings)
    shown = {row[4]: row for row in findings}
    assert any(finding.finding_ref in shown for finding in extended), "an open finding with an extension"
    for finding in extended:
        if finding.finding_ref in shown:
            assert shown[finding.finding_ref][12] == finding.correction_due_extended_to
    names = dict(Supplier.objects.values_list("code", "name"))
    assert report_selectors.supplier_names() == names


def test_exact_money_and_nulls_in_the_scores_rows(generated):
    quarter, _run = generated
    rows = {row[0]: row for row in scores_csv.score_rows(quarter)}
    for score in scoring_selectors.stored_scores(quarter):
        row = rows[score.supplier.code]
        assert row[5] == f"{score.spend_basis:.2f}" and Decimal(row[5]) == score.spend_basis
        if score.population != "full":
            assert row[8:14] == ["", "", "", "", "", ""]


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_workbook_is_byte_identical_to_the_row_by_row_one(generated, monkeypatch, time_machine):
    quarter, run = generated
    time_machine.move_to(timezone.now(), tick=False)  # the "Generated at" cell and the zip entries' times
    new = io.BytesIO()
    exporters.write_workbook(quarter, new, run=run)
    monkeypatch.setattr(exporters, "score_rows", legacy_score_rows)
    monkeypatch.setattr(report_selectors, "indicator_rows", legacy_indicator_rows)
    monkeypatch.setattr(report_selectors, "qbr_rows", legacy_qbr_rows)
    monkeypatch.setattr(report_selectors, "supplier_names",
                        lambda _directory=None: dict(Supplier.objects.values_list("code", "name")))
    monkeypatch.setattr(exporters, "_findings_sheet", legacy_findings_sheet)
    old = io.BytesIO()
    exporters.write_workbook(quarter, old, run=run)
    new_parts, old_parts = _parts(new.getvalue()), _parts(old.getvalue())
    assert new_parts.keys() == old_parts.keys()
    for name in old_parts:
        assert new_parts[name] == old_parts[name], name
    findings = load_workbook(io.BytesIO(new.getvalue()), read_only=True)["Findings"]
    assert sum(1 for _ in findings.iter_rows()) > 10


def legacy_findings_sheet(ws, as_of):
    """The Findings sheet as it was written from model instances."""
    sheet = exporters._Sheet(ws, FINDING_COLUMNS)
    for cells in legacy_finding_cells(as_of):
        sheet.append(cells)
    red = exporters.PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
    for column in ("L", "N"):
        ws.conditional_formatting.add(f"{column}2:{column}{max(sheet.rows, 2)}",
                                      exporters.CellIsRule(operator="equal", formula=["TRUE"], fill=red))
    sheet.close()


FINDING_COLUMNS = [("supplier_code", None, 14), ("supplier_name", None, 30), ("site_code", None, 14),
                   ("audit_ref", None, 16), ("finding_ref", None, 16), ("provision", None, 10),
                   ("severity", None, 10), ("zero_tolerance", None, 10), ("opened_on", exporters.DATE, 12),
                   ("cap_due_on", exporters.DATE, 12), ("cap_state", None, 14), ("cap_overdue", None, 12),
                   ("correction_due_on", exporters.DATE, 14), ("correction_overdue", None, 14),
                   ("days_overdue", "0", 10), ("cap_owner", None, 18), ("planned_completion", exporters.DATE, 14),
                   ("description", None, 50)]


def test_reads_are_batched_not_per_row(generated):
    quarter, run = generated
    with CaptureQueriesContext(connection) as captured:
        rows = list(scores_csv.score_rows(quarter, batch_rows=100))
    assert len(rows) == QuarterlyScore.objects.filter(quarter=str(quarter)).count()
    assert len(captured.captured_queries) == 3  # 100 + 100 + the rest
    with CaptureQueriesContext(connection) as captured:
        list(report_selectors.qbr_rows(quarter, run, batch_rows=1000))
    assert len(captured.captured_queries) == 1
