"""EcoVadis, CDP and SBTi lists (scoring/thirdparty.py, docs/industry-files.md): generated files
in the documented default layouts, matching, the review queue, refusals and the recalculation."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from core.importing import ImportFailed
from core.quarter import Quarter
from scoring.models import EcoVadisScorecard, IndicatorValue, MatchReview, QuarterlyScore, ValueState
from scoring.thirdparty import (
    DEFAULT_MAPPINGS,
    CdpImporter,
    EcoVadisImporter,
    MappingRefused,
    SbtiImporter,
    match_review_confirm,
    match_review_reject,
    sbti_status,
)
from suppliers.models import SpendRecord, Supplier
from tests import clock

pytestmark = pytest.mark.django_db

LEI = "5493001KJTIIGC8Y1R12"
EV_COLUMNS = ["company_name", "country", "ecovadis_id", "published_on", "medal", "overall", "environment",
              "labor_human_rights", "ethics", "sustainable_procurement"]
CDP_COLUMNS = ["company_name", "country", "cdp_account", "score", "year"]
SBTI_COLUMNS = ["company_name", "lei", "near_term_status", "long_term_status", "net_zero_committed", "country",
                "date"]


def generated(kind: str, columns: list[str], rows: list[list]) -> bytes:
    """A file with the default headers of ``kind`` and some of the real export's other columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([DEFAULT_MAPPINGS[kind][name] for name in columns] + ["Sector"])
    for row in rows:
        writer.writerow([str(cell) for cell in row] + ["Electronics"])
    return buffer.getvalue().encode("utf-8")


def ecovadis(*rows) -> bytes:
    return generated("ecovadis", EV_COLUMNS, list(rows))


def ev_row(name="Acme Components GmbH", country="DE", ev_id="", published=None, overall="62", medal="Gold"):
    return [name, country, ev_id, published or clock.today().isoformat(), medal, overall, "70", "60", "55", "50"]


def cdp(*rows) -> bytes:
    return generated("cdp", CDP_COLUMNS, list(rows))


def sbti(*rows) -> bytes:
    return generated("sbti", SBTI_COLUMNS, list(rows))


def values_of(supplier) -> dict[str, str]:
    return {v.indicator.code: v.value for v in IndicatorValue.objects.filter(supplier=supplier)
            .select_related("indicator")}


@pytest.fixture
def acme(make_supplier):
    return make_supplier("ACME", name="Acme", legal_name="Acme Components GmbH", country="DE")


# --------------------------------------------------------------------------- EcoVadis


def test_ecovadis_exact_legal_name_and_country_writes_eco_values_medal_and_date(acme):
    result = EcoVadisImporter(actor="test").run(ecovadis(ev_row(name="  ACME   components gmbh ")))
    assert (result.extra["matched"], result.created) == (1, 5)
    assert values_of(acme) == {"ECO-01": "62", "ECO-02": "70", "ECO-03": "60", "ECO-04": "55", "ECO-05": "50"}
    value = IndicatorValue.objects.filter(supplier=acme).first()
    assert value.state == ValueState.ACCEPTED
    assert value.quarter == str(clock.current_quarter())
    assert value.source.startswith(f"EcoVadis scorecard {clock.today()}")
    card = EcoVadisScorecard.objects.get(supplier=acme)
    assert (card.medal, card.published_on, card.scored, float(card.overall)) == ("gold", clock.today(), True, 62)


def test_legal_form_suffixes_are_not_stripped_for_the_exact_match(acme):
    result = EcoVadisImporter(actor="test").run(ecovadis(ev_row(name="Acme Components")))
    assert result.extra["matched"] == 0
    assert result.extra["to_review"] == 1  # only a fuzzy candidate, never written
    assert not IndicatorValue.objects.exists()


def test_value_quarter_is_the_publication_quarter(acme):
    published = Quarter.containing(clock.months_ago(4)).first_day
    EcoVadisImporter(actor="test").run(ecovadis(ev_row(published=published.isoformat())))
    assert set(IndicatorValue.objects.values_list("quarter", flat=True)) == {str(Quarter.containing(published))}


def test_scorecard_exactly_12_months_old_is_refused_for_scoring_but_kept(acme):
    result = EcoVadisImporter(actor="test").run(ecovadis(ev_row(published=clock.months_ago(12).isoformat())))
    assert (result.extra["refused"], result.extra["matched"]) == (1, 0)
    assert not IndicatorValue.objects.exists()
    card = EcoVadisScorecard.objects.get(supplier=acme)
    assert card.scored is False


def test_scorecard_a_day_younger_than_12_months_is_scored(acme):
    day = clock.months_ago(12) + dt.timedelta(days=1)
    result = EcoVadisImporter(actor="test").run(ecovadis(ev_row(published=day.isoformat())))
    assert result.extra["matched"] == 1
    assert values_of(acme)["ECO-01"] == "62"


@pytest.mark.parametrize("overall", ["101", "-1", "good"])
def test_a_bad_score_refuses_the_whole_file(acme, make_supplier, overall):
    make_supplier("OTHER", legal_name="Beta Ltd", country="GB")
    with pytest.raises(ImportFailed) as failure:
        EcoVadisImporter(actor="test").run(ecovadis(ev_row(name="Beta Ltd", country="GB"), ev_row(overall=overall)))
    assert [(e.row, e.column) for e in failure.value.errors] == [(3, "Overall Score")]
    assert not IndicatorValue.objects.exists() and not EcoVadisScorecard.objects.exists()


def test_duplicate_rows_refuse_the_file(acme):
    with pytest.raises(ImportFailed) as failure:
        EcoVadisImporter(actor="test").run(ecovadis(ev_row(), ev_row()))
    assert "duplicate of row 2" in str(failure.value)
    assert not IndicatorValue.objects.exists()


def test_missing_mapped_column_names_the_header(acme):
    data = ecovadis(ev_row()).replace(b"Overall Score", b"Global Score")
    with pytest.raises(ImportFailed) as failure:
        EcoVadisImporter(actor="test").run(data)
    assert failure.value.errors[0].column == "Overall Score"
    result = EcoVadisImporter(actor="test", mapping={"overall": "global score"}).run(data)
    assert result.extra["matched"] == 1


def test_unknown_mapping_column_is_refused():
    with pytest.raises(MappingRefused):
        EcoVadisImporter(actor="test", mapping={"score": "Overall"})


def test_dry_run_previews_every_kind_of_row_and_writes_nothing(acme, make_supplier):
    make_supplier("ACME2", legal_name="Acme Components Kft", country="HU")
    result = EcoVadisImporter(actor="test").run(ecovadis(
        ev_row(),
        ev_row(name="Acme Component Kft", country="HU"),
        ev_row(name="Nobody Else Ltd", country="US"),
        ev_row(name="Acme Components GmbH", country="FR", published=clock.months_ago(13).isoformat()),
    ), dry_run=True)
    assert [row["status"] for row in result.extra["rows"]] == ["matched", "to_review", "unmatched", "refused"]
    assert result.extra["rows"][0]["supplier"] == "ACME"
    assert result.extra["rows"][1]["candidates"][0]["code"] == "ACME2"
    assert result.dry_run
    assert not IndicatorValue.objects.exists() and not MatchReview.objects.exists()
    assert not EcoVadisScorecard.objects.exists()


# --------------------------------------------------------------------------- identifiers and the review queue


def test_identifier_wins_over_name(acme, make_supplier):
    other = make_supplier("EV", legal_name="Something Else", country="CN", ecovadis_id="EV-9")
    EcoVadisImporter(actor="test").run(ecovadis(ev_row(ev_id="ev-9")))  # name says ACME, id says EV
    assert values_of(other)["ECO-01"] == "62"
    assert values_of(acme) == {}


def test_fuzzy_match_waits_then_confirm_stores_identifier_and_next_import_matches_by_it(acme, role_users):
    analyst = role_users["procurement_analyst"]
    data = ecovadis(ev_row(name="Acme Componnts GmbH", ev_id="EV-77"))
    result = EcoVadisImporter(actor="test").run(data)
    assert result.extra["to_review"] == 1 and not IndicatorValue.objects.exists()
    again = EcoVadisImporter(actor="test").run(data)  # re-import: the same review, not a second
    assert again.extra["to_review"] == 1 and MatchReview.objects.count() == 1
    review = MatchReview.objects.get()
    assert review.candidates[0]["code"] == "ACME"
    match_review_confirm(review=review, supplier=acme, actor=analyst, comment="same company")
    acme.refresh_from_db()
    assert acme.ecovadis_id == "EV-77"
    assert values_of(acme)["ECO-01"] == "62"
    assert EcoVadisScorecard.objects.filter(supplier=acme).exists()
    review.refresh_from_db()
    assert (review.status, review.decided_by, review.supplier) == ("confirmed", analyst, acme)
    assert acme.history.latest().history_change_reason.startswith("confirmed match")
    with pytest.raises(ValidationError):
        match_review_confirm(review=review, supplier=acme, actor=analyst)
    newer = ecovadis(ev_row(name="Acme Componnts GmbH", ev_id="EV-77", overall="71"))
    result = EcoVadisImporter(actor="test").run(newer)
    assert result.extra["rows"][0]["method"] == "ecovadis_id"
    assert values_of(acme)["ECO-01"] == "71"


def test_rejected_match_writes_nothing_and_is_not_asked_again(acme, role_users):
    data = ecovadis(ev_row(name="Acme Componnts GmbH"))
    EcoVadisImporter(actor="test").run(data)
    review = MatchReview.objects.get()
    with pytest.raises(ValidationError):
        match_review_reject(review=review, actor=role_users["procurement_analyst"], comment=" ")
    match_review_reject(review=review, actor=role_users["procurement_analyst"], comment="a different company")
    result = EcoVadisImporter(actor="test").run(data)
    assert result.extra["unmatched"] == 1 and MatchReview.objects.count() == 1
    assert not IndicatorValue.objects.exists()


def test_confirm_refuses_an_identifier_another_supplier_holds(acme, make_supplier, role_users):
    make_supplier("HOLDER", legal_name="Holder", country="CN", ecovadis_id="EV-77")
    review = MatchReview.objects.create(kind="ecovadis", match_key="k", line=2, company_name="Acme",
                                        identifier_field="ecovadis_id", identifier_value="EV-77",
                                        quarter=str(clock.current_quarter()),
                                        payload={"values": {"ECO-01": "50"}, "source": "x"})
    with pytest.raises(ValidationError):
        match_review_confirm(review=review, supplier=acme, actor=role_users["procurement_analyst"])
    assert not IndicatorValue.objects.exists()


def test_same_name_but_different_identifier_goes_to_review(make_supplier):
    make_supplier("X", legal_name="Delta Ltd", country="GB", cdp_account="111")
    result = CdpImporter(actor="test").run(cdp(["Delta Ltd", "GB", "222", "B", "2025"]))
    assert result.extra["to_review"] == 1
    assert "differs" in result.extra["rows"][0]["note"]


# --------------------------------------------------------------------------- CDP


@pytest.mark.parametrize(("grade", "stored"), [("A", "A"), ("a-", "A-"), ("D-", "D-"), ("F", "F")])
def test_cdp_letter_grades_become_env03(acme, grade, stored):
    CdpImporter(actor="test").run(cdp(["Acme Components GmbH", "Germany", "", grade, "2025"]))
    assert values_of(acme) == {"ENV-03": stored}
    assert IndicatorValue.objects.get().source.startswith("CDP climate 2025")


@pytest.mark.parametrize("grade", ["B+", "Not scored", "E"])
def test_unknown_cdp_grade_refuses_the_file(acme, grade):
    with pytest.raises(ImportFailed) as failure:
        CdpImporter(actor="test").run(cdp(["Acme Components GmbH", "DE", "", "A", ""],
                                          ["Other Co", "DE", "", grade, ""]))
    assert (failure.value.errors[0].row, failure.value.errors[0].column) == (3, "Climate Change Score")
    assert not IndicatorValue.objects.exists()


def test_cdp_value_takes_the_quarter_of_the_list_date(acme):
    as_of = Quarter.containing(clock.months_ago(6)).first_day
    CdpImporter(actor="test", as_of=as_of).run(cdp(["Acme Components GmbH", "DE", "", "B", ""]))
    assert IndicatorValue.objects.get().quarter == str(Quarter.containing(as_of))


# --------------------------------------------------------------------------- SBTi


@pytest.mark.parametrize(("near", "long", "net_zero", "code"), [
    ("Targets Set", "Targets Set", "Yes", "net_zero_validated"),
    ("Targets Set", "", "No", "near_term_validated"),
    ("Committed", "", "", "committed"),
    ("", "", "Yes", "committed"),
    ("Commitment Removed", "", "Yes", "none"),
    ("Removed", "", "", "none"),
])
def test_sbti_status_mapping(near, long, net_zero, code):
    from core.parsers import parse_bool
    assert sbti_status(near.lower() or None, long.lower() or None,
                       parse_bool(net_zero) if net_zero else None) == code


def test_sbti_lei_match_writes_env04(make_supplier):
    supplier = make_supplier("LEI-CO", legal_name="Unrelated name", country="SE", lei=LEI)
    result = SbtiImporter(actor="test").run(sbti(["Lei Company AB", LEI.lower(), "Targets Set", "", "No", "Sweden",
                                                  clock.days_ago(30).isoformat()]))
    assert result.extra["rows"][0]["method"] == "lei"
    assert values_of(supplier) == {"ENV-04": "near_term_validated"}


def test_unknown_sbti_status_refuses_the_file(acme):
    with pytest.raises(ImportFailed) as failure:
        SbtiImporter(actor="test").run(sbti(["Acme Components GmbH", "", "Pending", "", "", "Germany", ""]))
    assert failure.value.errors[0].column == "Near term - Target Status"


def test_bad_lei_in_a_list_refuses_the_file(acme):
    with pytest.raises(ImportFailed) as failure:
        SbtiImporter(actor="test").run(sbti(["Acme Components GmbH", LEI[:-1] + "3", "Committed", "", "", "DE", ""]))
    assert "check digits" in failure.value.errors[0].message


def test_confirmed_row_without_identifier_matches_next_time(acme, role_users):
    data = sbti(["Acme Component GmbH", "", "Committed", "", "", "Germany", ""])
    SbtiImporter(actor="test").run(data)
    match_review_confirm(review=MatchReview.objects.get(), supplier=acme, actor=role_users["procurement_analyst"])
    assert values_of(acme) == {"ENV-04": "committed"}
    result = SbtiImporter(actor="test").run(data)
    assert result.extra["rows"][0]["method"] == "confirmed"
    assert result.unchanged == 1


# --------------------------------------------------------------------------- commands and the recalculation


def test_commands_print_counts_and_exit_1_on_a_bad_file(acme, tmp_path, capsys):
    good = tmp_path / "cdp.csv"
    good.write_bytes(cdp(["Acme Components GmbH", "DE", "", "B", "2025"], ["Nobody", "US", "", "C", "2025"]))
    call_command("import_cdp_scores", str(good), "--dry-run")
    out = capsys.readouterr().out
    assert "matched 1, to review 0, unmatched 1, refused 0" in out and not IndicatorValue.objects.exists()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(cdp(["Acme Components GmbH", "DE", "", "B+", "2025"]))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_cdp_scores", str(bad))
    assert exit_info.value.code == 1
    assert "row 2, column Climate Change Score" in capsys.readouterr().err
    data = tmp_path / "ev.csv"
    data.write_bytes(ecovadis(ev_row()).replace(b"Overall Score", b"Global Score"))
    call_command("import_ecovadis", str(data), "--map", "overall=Global Score")
    assert values_of(acme)["ECO-01"] == "62"


def test_matched_values_flow_into_the_next_recalculation(acme, tmp_path):
    quarter = clock.current_quarter()
    SpendRecord.objects.create(supplier=acme, quarter=str(quarter), currency="USD", amount=1000)
    files = {"import_ecovadis": ecovadis(ev_row()), "import_cdp_scores": cdp(["Acme Components GmbH", "DE", "",
                                                                              "A-", "2025"]),
             "import_sbti": sbti(["Acme Components GmbH", "", "Committed", "", "", "Germany", ""])}
    for command, data in files.items():
        path = tmp_path / f"{command}.csv"
        path.write_bytes(data)
        call_command(command, str(path), stdout=io.StringIO())
    call_command("recalculate_scores", "--quarter", str(quarter), stdout=io.StringIO())
    score = QuarterlyScore.objects.get(supplier=acme, quarter=str(quarter))
    raw = {code: score.points[code]["raw"] for code in ("ECO-01", "ENV-03", "ENV-04")}
    assert raw == {"ECO-01": 62, "ENV-03": "A-", "ENV-04": "committed"}
    assert score.points["ENV-03"]["points"] == 90


def test_supplier_identifiers_are_checked_and_unique(make_supplier):
    from suppliers.importers import SupplierImporter

    make_supplier("HAS", lei=LEI)
    header = "code,name,country,category,lei,duns\n"
    with pytest.raises(ImportFailed) as failure:
        SupplierImporter(actor="test").run((header + f"N1,One,CN,production,{LEI},\n"
                                            "N2,Two,CN,production,5493001KJTIIGC8Y1R13,\n"
                                            "N3,Three,CN,production,,12345678\n").encode())
    messages = [str(error) for error in failure.value.errors]
    assert any("already the LEI of supplier HAS" in m for m in messages)
    assert any("row 3, column lei" in m and "check digits" in m for m in messages)
    assert any("row 4, column duns" in m for m in messages)
    SupplierImporter(actor="test").run((header + "N4,Four,CN,production,,12-345-6789\n").encode())
    assert Supplier.objects.get(code="N4").duns == "123456789"


def test_sbti_dashboard_as_xlsx_with_date_cells(make_supplier):
    from openpyxl import Workbook

    supplier = make_supplier("SE-1", legal_name="Nordic Metals AB", country="SE")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Company Name", "ISIN", "LEI", "Near term - Target Status", "Near term - Target Classification",
                  "Long term - Target Status", "Net-Zero Committed", "Organization Type", "Sector", "Location",
                  "Region", "Date"])
    sheet.append(["Nordic Metals AB", "", "", "Targets Set", "1.5°C", "Targets Set", "Yes", "Company", "Mining",
                  "Sweden", "Europe", clock.days_ago(40)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = SbtiImporter(actor="test").run(buffer.getvalue(), filename="dashboard.xlsx")
    assert result.extra["matched"] == 1
    assert values_of(supplier) == {"ENV-04": "net_zero_validated"}
    assert "dashboard.xlsx" in IndicatorValue.objects.get().source


def test_query_count_does_not_grow_with_rows(make_supplier):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(30):
        make_supplier(f"Q-{n:02d}", legal_name=f"Quantum Parts {n:02d} Ltd", country="GB")

    def queries(count: int) -> int:
        IndicatorValue.objects.all().delete()
        data = cdp(*[[f"Quantum Parts {n:02d} Ltd", "GB", "", "B", "2025"] for n in range(count)])
        with CaptureQueriesContext(connection) as context:
            CdpImporter(actor="test").run(data)
        return len(context.captured_queries)

    assert queries(3) == queries(30)
