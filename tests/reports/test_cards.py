"""PDF report cards: text extracted with pypdf, the CJK font embedded, the first page
rendered to PNG (test-artifacts/) when poppler's pdftoppm is installed."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import pytest
from pypdf import PdfReader

from reports import exporters
from reports.scores_csv import NoStoredScores
from scoring.models import QuarterlyScore
from suppliers.models import Supplier
from tests.reports.conftest import Q3

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def card_a(quarter_scored, tmp_path):
    path = tmp_path / "A.pdf"
    supplier = Supplier.objects.get(code="A")
    assert exporters.write_report_cards(Q3, path, supplier_ids=[supplier.pk]) == 1
    return path.read_bytes()


def test_a_card_names_the_supplier_in_chinese_with_score_grade_and_run(card_a, quarter_scored):
    text = text_of(card_a)
    score = QuarterlyScore.objects.get(quarter="2026-Q3", supplier__code="A")
    assert "深圳华强电子有限公司" in text
    # the headline: score, grade, QBR total
    assert f"Score\nGrade\nQBR total\n{score.score:.2f}\n{score.grade}\n{score.qbr_total:.2f}" in text
    assert f"score run {quarter_scored.pk} (v1" in text  # the footer names the run behind the data


def test_a_card_shows_trend_subscores_gains_findings_and_qbr(card_a):
    text = text_of(card_a)
    assert "2026-Q2" in text and "2026-Q3" in text  # the trend chart's quarters
    for category in ("RBA compliance", "Environment", "Responsible minerals", "EcoVadis", "ESG disclosure"):
        assert category in text
    assert "Science Based Targets status" in text  # ENV-04: the largest gain for A
    assert "F-A2" in text and "2026-03-15 overdue" in text and "F-A3" in text and "F-A1" not in text
    assert "Quality" in text and "ESG score" in text and "Incomplete card" in text


def test_the_cjk_font_is_embedded(card_a):
    reader = PdfReader(io.BytesIO(card_a))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = []
    for ref in fonts.values():
        font = ref.get_object()
        for descendant in font.get("/DescendantFonts", []):
            descriptors.append(descendant.get_object()["/FontDescriptor"].get_object())
        if "/FontDescriptor" in font:
            descriptors.append(font["/FontDescriptor"].get_object())
    assert descriptors and all("/FontFile2" in descriptor for descriptor in descriptors)


def test_cards_of_the_whole_quarter_come_as_a_zip(quarter_scored):
    buffer = io.BytesIO()
    assert exporters.write_report_cards(Q3, buffer) == 4
    with zipfile.ZipFile(buffer) as archive:
        assert sorted(archive.namelist()) == [f"{code}-2026-Q3.pdf" for code in "ABCD"]
        d = text_of(archive.read("D-2026-Q3.pdf"))
        c = text_of(archive.read("C-2026-Q3.pdf"))
    assert "Delta Parts" in d and "\nX\n" in d and "Termination review" in d and "EcoVadis-only" in d
    assert "=Evil Corp" in c


def test_a_supplier_without_a_stored_score_has_no_card(quarter_scored, make_supplier):
    newcomer = make_supplier("NEW-1")
    with pytest.raises(NoStoredScores):
        exporters.write_report_cards(Q3, io.BytesIO(), supplier_ids=[newcomer.pk])


def test_first_page_renders_to_png(card_a, artifacts, tmp_path):
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm not installed (Debian package poppler-utils): the PNG rendering is not checked")
    pdf = tmp_path / "card.pdf"
    pdf.write_bytes(card_a)
    target = artifacts / "report-card-A-2026-Q3"
    subprocess.run([pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)],
                   check=True, timeout=60)
    png = target.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000


def test_a_card_renders_from_plain_data_with_one_quarter_and_nothing_open():
    import datetime as dt
    from decimal import Decimal

    from reports.cards import CardData, QbrLine, render_card_bytes

    card = CardData(
        supplier_code="N-1", supplier_name="Nouveau <Fournisseur> & Cie", quarter="2026-Q3", methodology="v1",
        population="ecovadis_only", score=Decimal("72.00"), grade="B", flags=[], subscores=[],
        trend=[("2026-Q3", Decimal("72.00"), "B")], gains=[], findings=[],
        qbr=[QbrLine(component="esg", score=72.0, weight=Decimal("10"), weight_used=1.0)],
        qbr_total=Decimal("72.00"), qbr_incomplete=False, as_of=dt.date(2026, 9, 30), footer="run 1")
    text = text_of(render_card_bytes(card))
    assert "Nouveau <Fournisseur> & Cie" in text
    assert "72.00\nB\n72.00" in text
    assert "No open findings." in text and "Every applicable indicator has full points." in text
