"""PDF report card layout and content rules: reference codes never broken, no heading
alone at the bottom of a page, a verified CAP is not an open finding, no points to gain
under the termination gate. Text extracted with pypdf."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from audits.models import CapState, CorrectiveAction, Finding, FindingStatus
from reports import exporters
from reports.cards import CardData, OpenFinding, QbrLine, render_card_bytes
from suppliers.models import Supplier
from tests.reports.conftest import Q3

LONG_REF = "AUD-2026-SHENZHEN-HUAQIANG-F0042"
LONG_SITE = "SZ-LONGHUA-PLANT-07"
QBR_HEADING = "Quarterly business review card"


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def finding(index: int, ref: str | None = None) -> OpenFinding:
    return OpenFinding(finding_ref=ref or f"F-{index:04d}", site_code="S-1", severity="minor", provision="A1",
                       opened_on=dt.date(2026, 1, 1), cap_due_on=dt.date(2026, 2, 1), cap_state="not_started",
                       correction_due_on=dt.date(2026, 6, 1), cap_overdue=True, correction_overdue=False)


def plain_card(findings: list[OpenFinding], flags: list[str] | None = None) -> CardData:
    return CardData(
        supplier_code="N-1", supplier_name="Nouveau Fournisseur", quarter="2026-Q3", methodology="v1",
        population="ecovadis_only", score=Decimal("0.00"), grade="B", flags=flags or [], subscores=[],
        trend=[("2026-Q3", Decimal("72.00"), "B")], gains=[], findings=findings,
        qbr=[QbrLine(component="quality", score=80.0, weight=Decimal("30"), weight_used=0.75),
             QbrLine(component="esg", score=72.0, weight=Decimal("10"), weight_used=0.25)],
        qbr_total=Decimal("78.00"), qbr_incomplete=False, as_of=dt.date(2026, 9, 30), footer="run 1")


def test_a_long_finding_reference_and_site_code_stay_on_one_line():
    text = "\n".join(pages_of(render_card_bytes(plain_card([finding(1, LONG_REF)] + [
        OpenFinding(**{**finding(2).__dict__, "site_code": LONG_SITE})]))))
    assert LONG_REF in text.splitlines() or any(LONG_REF in line for line in text.splitlines())
    assert any(LONG_SITE in line for line in text.splitlines())


def test_the_qbr_heading_is_never_alone_at_the_bottom_of_a_page():
    # However many findings push the QBR section down, its heading shares a page with its table.
    seen_a_page_break = False
    for count in range(20, 60):
        pages = pages_of(render_card_bytes(plain_card([finding(i) for i in range(count)])))
        heading = next(i for i, text in enumerate(pages) if QBR_HEADING in text)
        table = next(i for i, text in enumerate(pages) if "Component" in text and "Contribution" in text)
        assert heading == table, f"{count} findings: heading on page {heading + 1}, table on {table + 1}"
        seen_a_page_break = seen_a_page_break or len(pages) > 1 and heading > 0
    assert seen_a_page_break  # the range does push the section onto a second page


@pytest.mark.django_db
def test_a_finding_whose_cap_is_verified_closed_is_not_an_open_finding(quarter_scored):
    # Verified after the quarter's end (closed on 2026-10-10), and one verified with no closing date yet.
    Finding.objects.filter(finding_ref="F-A2").update(status=FindingStatus.CLOSED, closed_on=dt.date(2026, 10, 10))
    CorrectiveAction.objects.filter(finding__finding_ref__in=["F-A2", "F-A3"]).update(
        state=CapState.VERIFIED_CLOSED)
    buffer = io.BytesIO()
    exporters.write_report_cards(Q3, buffer, supplier_ids=[Supplier.objects.get(code="A").pk])
    text = "\n".join(pages_of(buffer.getvalue()))
    assert "F-A2" not in text and "F-A3" not in text
    assert "No open findings." in text


@pytest.mark.django_db
def test_a_finding_with_a_cap_still_to_verify_stays_open(quarter_scored):
    CorrectiveAction.objects.filter(finding__finding_ref="F-A2").update(state=CapState.IMPLEMENTED)
    buffer = io.BytesIO()
    exporters.write_report_cards(Q3, buffer, supplier_ids=[Supplier.objects.get(code="A").pk])
    text = "\n".join(pages_of(buffer.getvalue()))
    assert "F-A2" in text and "F-A3" in text


@pytest.mark.django_db
def test_a_gated_supplier_is_shown_no_points_to_gain(quarter_scored):
    buffer = io.BytesIO()
    exporters.write_report_cards(Q3, buffer, supplier_ids=[Supplier.objects.get(code="D").pk])
    text = "\n".join(pages_of(buffer.getvalue()))
    assert "Termination review" in text
    assert "Score gain at 100" not in text and "EcoVadis overall score\n" not in text
    assert "no indicator has points to gain" in text
