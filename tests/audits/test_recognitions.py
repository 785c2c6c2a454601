"""Site recognitions (RBA Factory of Choice): import_site_recognitions, the API
site-recognitions and the foc metric of a stored run (contract.md "Additions",
scorecard.md section 9)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.management import call_command

from audits.models import SiteRecognition
from audits.recognitions import SiteRecognitionImporter
from core.importing import ImportFailed
from tests.history import changes

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
HEADER = "site_code,program,awarded_on,expires_on\n"


def run(text: str, **kwargs):
    return SiteRecognitionImporter(actor="test").run(text.encode("utf-8"), **kwargs)


def errors_of(text: str) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        run(text)
    return [str(error) for error in failure.value.errors]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def sites(own_supplier, other_supplier, make_site):
    return make_site(own_supplier, "OWN-F1"), make_site(other_supplier, "OTH-F1")


def test_import_creates_with_default_expiry_and_reimport_changes_nothing(sites):
    text = HEADER + "OWN-F1,RBA_FOC,2024-10-01,\nOTH-F1,rba_foc,2026-11-30,2027-06-30\n"
    result = run(text)
    assert (result.created, result.updated) == (2, 0)
    rows = {r.site.code: (r.program, r.awarded_on, r.expires_on) for r in SiteRecognition.objects.all()}
    assert rows == {"OWN-F1": ("rba_foc", dt.date(2024, 10, 1), dt.date(2026, 9, 30)),
                    "OTH-F1": ("rba_foc", dt.date(2026, 11, 30), dt.date(2027, 6, 30))}
    again = run(text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    updated = run(HEADER + "OWN-F1,rba_foc,2024-10-01,2026-12-31\n")
    assert updated.updated == 1
    assert SiteRecognition.objects.get(site__code="OWN-F1").expires_on == dt.date(2026, 12, 31)
    assert [row["action"] for row in changes(SiteRecognition)] == ["created", "created", "updated"]


def test_import_refuses_bad_rows_precisely_and_writes_nothing(sites):
    text = HEADER + ("OWN-F1,rba_foc,2026-01-01,\n"
                     "NOPE,rba_foc,2026-01-01,\n"
                     "OWN-F1,other_program,2026-01-01,\n"
                     "OWN-F1,rba_foc,2026-12-01,\n"
                     "OWN-F1,rba_foc,1999-12-31,\n"
                     "OWN-F1,rba_foc,2025-05-01,2025-04-30\n"
                     "OWN-F1,rba_foc,2026-02-30,\n")
    errors = errors_of(text)
    assert len(errors) == 6
    joined = "\n".join(errors)
    for expected in ("unknown site code 'NOPE'", "'other_program' is not a known program",
                     "the award date 2026-12-01 is after today (2026-11-30)",
                     "the award date 1999-12-31 is before 2000-01-01",
                     "expires_on 2025-04-30 is before awarded_on 2025-05-01", "'2026-02-30' is not a valid date"):
        assert expected in joined
    assert SiteRecognition.objects.count() == 0


def test_awarded_today_is_plausible(sites):
    assert run(HEADER + "OWN-F1,rba_foc,2026-11-30,\n").created == 1


def test_command_dry_run_writes_nothing(sites, tmp_path):
    path = tmp_path / "foc.csv"
    path.write_text(HEADER + "OWN-F1,rba_foc,2026-01-01,\n", encoding="utf-8")
    call_command("import_site_recognitions", str(path), "--dry-run", stdout=io.StringIO())
    assert SiteRecognition.objects.count() == 0
    call_command("import_site_recognitions", str(path), stdout=io.StringIO())
    assert SiteRecognition.objects.count() == 1


def test_supplier_user_reads_its_own_sites_only(sites, api_as):
    own_site, other_site = sites
    own = SiteRecognition.objects.create(site=own_site, awarded_on=dt.date(2026, 1, 1),
                                         expires_on=dt.date(2027, 12, 31))
    other = SiteRecognition.objects.create(site=other_site, awarded_on=dt.date(2026, 1, 1),
                                           expires_on=dt.date(2027, 12, 31))
    client = api_as("supplier_user")
    rows = client.get("/api/v1/site-recognitions/").json()["results"]
    assert [(row["site_code"], row["supplier_code"]) for row in rows] == [("OWN-F1", "OWN-1")]
    assert client.get(f"/api/v1/site-recognitions/{own.pk}/").status_code == 200
    assert client.get(f"/api/v1/site-recognitions/{other.pk}/").status_code == 404
    response = client.post("/api/v1/site-recognitions/", {"site_code": "OWN-F1", "program": "rba_foc",
                                                         "awarded_on": "2026-02-01"}, format="json")
    assert response.status_code == 403
    assert client.delete(f"/api/v1/site-recognitions/{own.pk}/").status_code == 403
    assert SiteRecognition.objects.count() == 2


def test_procurement_writes_with_default_expiry_and_field_errors(sites, api_as):
    client = api_as("procurement_analyst")
    response = client.post("/api/v1/site-recognitions/", {"site_code": "OWN-F1", "program": "rba_foc",
                                                         "awarded_on": "2024-10-01"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["expires_on"] == "2026-09-30"
    assert len(changes(SiteRecognition, action="created")) == 1
    bad = client.post("/api/v1/site-recognitions/", {"site_code": "OWN-F1", "program": "smeta",
                                                    "awarded_on": "2026-12-01"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"program", "awarded_on"}
    backwards = client.post("/api/v1/site-recognitions/", {"site_code": "OWN-F1", "program": "rba_foc",
                                                          "awarded_on": "2026-05-01", "expires_on": "2026-04-30"},
                            format="json")
    assert backwards.status_code == 400
    assert "expires_on" in backwards.json()
    assert SiteRecognition.objects.count() == 1


def test_foc_in_the_stored_coverage_and_the_api(sites, own_supplier, other_supplier, api_as, make_site):
    from suppliers.models import SpendRecord


    SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q3", currency="USD", amount=600)
    SpendRecord.objects.create(supplier=other_supplier, quarter="2026-Q3", currency="USD", amount=400)
    own_site, other_site = sites
    SiteRecognition.objects.create(site=own_site, awarded_on=dt.date(2024, 10, 1), expires_on=dt.date(2026, 9, 30))
    # The other supplier's only relevant site was recognised until the day before D.
    SiteRecognition.objects.create(site=other_site, awarded_on=dt.date(2024, 9, 30), expires_on=dt.date(2026, 9, 29))
    call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    out = io.StringIO()
    call_command("coverage_report", "--quarter", "2026-Q3", "--format", "json", stdout=out)
    foc = json.loads(out.getvalue())["metrics"]["foc"]
    assert foc["share"] == 0.6
    assert foc["met"] is False
    assert foc["gaps"] == [{"supplier": "OTHER-1", "spend": 400.0, "cumulative_share": 1.0}]
    body = api_as("procurement_analyst").get("/api/v1/coverage/", {"quarter": "2026-Q3"}).json()
    assert body["metrics"]["foc"] == foc


def test_foc_in_the_workbook(sites, own_supplier, other_supplier, tmp_path):
    from openpyxl import load_workbook

    from suppliers.models import SpendRecord

    SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q3", currency="USD", amount=600)
    SpendRecord.objects.create(supplier=other_supplier, quarter="2026-Q3", currency="USD", amount=400)
    SiteRecognition.objects.create(site=sites[0], awarded_on=dt.date(2026, 9, 30), expires_on=dt.date(2028, 9, 29))
    call_command("recalculate_scores", "--quarter", "2026-Q3", stdout=io.StringIO())
    output = tmp_path / "q.xlsx"
    call_command("export_quarterly_report", "--quarter", "2026-Q3", "--format", "xlsx", "--output", str(output),
                 stdout=io.StringIO())
    book = load_workbook(output, read_only=True)
    summary = [row for row in book["Summary"].iter_rows(values_only=True) if row and row[0] == "foc"]
    assert [tuple(row[:4]) for row in summary] == [("foc", 0.6, 0.95, "missed")]
    gaps = [row[:2] for row in book["Coverage gaps"].iter_rows(values_only=True) if row and row[0] == "foc"]
    assert gaps == [("foc", "OTHER-1")]


def test_api_refuses_a_second_recognition_with_the_same_natural_key(sites, api_as):
    client = api_as("procurement_analyst")
    payload = {"site_code": "OWN-F1", "program": "rba_foc", "awarded_on": "2026-01-01"}
    assert client.post("/api/v1/site-recognitions/", payload, format="json").status_code == 201
    again = client.post("/api/v1/site-recognitions/", payload, format="json")
    assert again.status_code == 400
    assert SiteRecognition.objects.count() == 1
