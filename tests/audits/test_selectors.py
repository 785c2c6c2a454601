import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from audits import selectors
from audits.models import Audit, AuditStatus, AuditType
from suppliers.models import Site, Supplier

D = dt.date


@pytest.fixture
def data(own_supplier, other_supplier, make_site, make_audit, make_finding):
    """Own supplier: two production sites and a closed one; other supplier: one site."""
    s1 = make_site(own_supplier, "OWN-1-F1")
    s2 = make_site(own_supplier, "OWN-1-F2")
    closed = make_site(own_supplier, "OWN-1-F3", status="closed")
    o1 = make_site(other_supplier, "OTHER-1-F1", is_production=False)
    a1 = make_audit(s1, conducted_on=D(2025, 3, 10), score=Decimal("182.5"), recognition="gold", audit_ref="A1")
    make_audit(s1, audit_type="saq", conducted_on=D(2025, 1, 15), saq_risk="medium", audit_ref="SAQ1")
    make_audit(s1, audit_type="vap_closure", conducted_on=D(2025, 9, 1), parent=a1, audit_ref="C1")
    make_audit(s2, conducted_on=D(2024, 2, 29), audit_ref="A2")
    make_audit(s2, conducted_on=None, status="planned", audit_ref="PLANNED", due_by=D(2026, 2, 1))
    make_audit(o1, conducted_on=D(2025, 6, 1), score=Decimal("150"), audit_ref="O1")
    make_finding(a1, severity="priority", code="A1", zero_tolerance=True, finding_ref="F1")
    make_finding(a1, severity="minor", code="C1", closed_on=D(2025, 5, 1), finding_ref="F2")
    return {"sites": (s1, s2, closed, o1), "a1": a1}


def test_scoring_frames_have_the_documented_columns_and_dtypes(data):
    sites, audits, findings = selectors.scoring_frames(None)
    assert list(sites.columns) == ["site_id", "supplier_id", "is_production", "status"]
    assert [str(t) for t in sites.dtypes] == ["int64", "int64", "bool", "str"]
    assert list(audits.columns) == ["audit_ref", "site_id", "audit_type", "conducted_on", "score", "recognition",
                                    "saq_risk"]
    assert [str(t) for t in audits.dtypes] == ["str", "int64", "str", "datetime64[ns]", "float64", "object",
                                               "object"]
    assert list(findings.columns) == ["finding_ref", "site_id", "severity", "zero_tolerance", "opened_on", "due_on",
                                      "closed_on"]
    assert [str(t) for t in findings.dtypes] == ["str", "int64", "str", "bool", "datetime64[ns]", "datetime64[ns]",
                                                 "datetime64[ns]"]
    # Planned audits have not taken place: they are not in the frame.
    assert sorted(audits["audit_ref"]) == ["A1", "A2", "C1", "O1", "SAQ1"]
    row = audits.set_index("audit_ref").loc["A1"]
    assert row["conducted_on"] == pd.Timestamp("2025-03-10")
    assert row["score"] == 182.5 and row["recognition"] == "gold" and row["saq_risk"] is None
    assert np.isnan(audits.set_index("audit_ref").loc["A2", "score"])
    assert audits.set_index("audit_ref").loc["A2", "recognition"] is None
    f1 = findings.set_index("finding_ref").loc["F1"]
    assert bool(f1["zero_tolerance"]) and pd.isna(f1["closed_on"])
    assert f1["due_on"] == pd.Timestamp(Audit.objects.get(audit_ref="A1").findings.get(finding_ref="F1")
                                        .correction_due_on)


def test_scoring_frames_restrict_to_the_given_suppliers(data, own_supplier, other_supplier):
    sites, audits, findings = selectors.scoring_frames([other_supplier.pk])
    assert sites["supplier_id"].tolist() == [other_supplier.pk]
    assert audits["audit_ref"].tolist() == ["O1"]
    assert findings.empty
    assert [str(t) for t in findings.dtypes] == ["str", "int64", "str", "bool", "datetime64[ns]", "datetime64[ns]",
                                                 "datetime64[ns]"]
    # A queryset is used as a subquery; a long list is filtered after one read.
    by_subquery = selectors.scoring_frames(Supplier.objects.filter(code="OWN-1").values("id"))
    assert sorted(by_subquery[1]["audit_ref"]) == ["A1", "A2", "C1", "SAQ1"]
    long_list = [own_supplier.pk] + list(range(10_000, 10_000 + selectors.LARGE_ID_LIST + 5))
    by_list = selectors.scoring_frames(long_list)
    assert sorted(by_list[1]["audit_ref"]) == ["A1", "A2", "C1", "SAQ1"]
    assert sorted(by_list[2]["finding_ref"]) == ["F1", "F2"]


def test_scoring_frames_are_three_queries(data, django_assert_num_queries):
    with django_assert_num_queries(3):
        selectors.scoring_frames(None)
    with django_assert_num_queries(3):
        selectors.scoring_frames(list(range(1, 5000)))


def test_empty_database_gives_empty_frames_with_dtypes(db):
    sites, audits, findings = selectors.scoring_frames(None)
    assert sites.empty and audits.empty and findings.empty
    assert str(audits["conducted_on"].dtype) == "datetime64[ns]"
    assert str(audits["score"].dtype) == "float64"


def test_site_cycle_status(data):
    s1, s2, closed, o1 = data["sites"]
    cycle = selectors.site_cycle_status(D(2026, 1, 1)).set_index("site_code")
    assert cycle.loc["OWN-1-F1", "status"] == "valid"
    assert cycle.loc["OWN-1-F1", "last_full_audit_ref"] == "A1"  # the closure audit does not renew
    assert cycle.loc["OWN-1-F1", "valid_until"] == D(2027, 3, 9)
    assert cycle.loc["OWN-1-F1", "next_due"] == D(2027, 3, 9)
    assert cycle.loc["OWN-1-F2", "status"] == "expiring"  # valid until 2026-02-28
    assert cycle.loc["OWN-1-F2", "upcoming_audit_ref"] == "PLANNED"
    assert cycle.loc["OWN-1-F2", "upcoming_audit_date"] == D(2026, 2, 1)
    assert cycle.loc["OWN-1-F3", "status"] == "never_audited"
    assert cycle.loc["OWN-1-F3", "next_due"] == D(2026, 1, 1)
    assert not cycle.loc["OWN-1-F3", "relevant"]
    assert cycle.loc["OTHER-1-F1", "status"] == "valid"
    assert selectors.site_cycle_status(D(2026, 3, 1)).set_index("site_code").loc["OWN-1-F2", "status"] == "expired"
    assert selectors.site_cycle_status(D(2026, 2, 28)).set_index("site_code").loc["OWN-1-F2", "status"] == "expiring"
    # Before the audit took place the site was never audited.
    assert selectors.site_cycle_status(D(2024, 1, 1)).set_index("site_code").loc["OWN-1-F1", "status"] == \
        "never_audited"


def test_site_cycle_status_picks_the_latest_full_audit_like_the_engine(own_supplier, make_site, make_audit):
    site = make_site(own_supplier, "S")
    make_audit(site, conducted_on=D(2025, 1, 1), score=Decimal("150"), audit_ref="B")
    make_audit(site, conducted_on=D(2025, 1, 1), score=Decimal("190"), audit_ref="A")
    make_audit(site, conducted_on=D(2025, 1, 1), audit_type="equivalent_third_party", audit_ref="C")
    row = selectors.site_cycle_status(D(2025, 6, 1)).iloc[0]
    assert row["last_full_audit_ref"] == "A" and row["score"] == Decimal("190")


def test_site_cycle_status_is_two_queries(data, django_assert_num_queries):
    with django_assert_num_queries(2):  # the sites, their full audits (taken place and upcoming)
        selectors.site_cycle_status(D(2026, 1, 1), expiring_days=90, validity_months=24)
    with django_assert_num_queries(4):  # plus the methodology in force (no stored quarter, the published one)
        selectors.site_cycle_status(D(2026, 1, 1))


def test_site_cycle_rows_are_the_frames_rows_as_python_values(data, own_supplier, django_assert_num_queries):
    for day in (D(2024, 1, 1), D(2026, 1, 1), D(2026, 2, 28), D(2026, 3, 1)):
        frame = selectors.site_cycle_status(day)
        rows = selectors.site_cycle_rows(day)
        assert [row["site_code"] for row in rows] == frame["site_code"].tolist()
        for row, expected in zip(rows, frame.to_dict("records"), strict=True):
            assert list(row) == selectors.CYCLE_COLUMNS
            # The frame's id columns are float64 where a site has none; the rows keep int or None.
            assert row == {name: (None if pd.isna(value) else int(value)) if name.endswith("_id") else value
                           for name, value in expected.items()}
            assert all(value is None or type(value) is int for name, value in row.items() if name.endswith("_id"))
    own = selectors.site_cycle_rows(D(2026, 1, 1), [own_supplier.pk])
    assert {row["site_code"] for row in own} == {"OWN-1-F1", "OWN-1-F2", "OWN-1-F3"}
    assert {row["site_code"]: row["status"] for row in own}["OWN-1-F2"] == "expiring"
    with django_assert_num_queries(2):
        selectors.site_cycle_rows(D(2026, 1, 1), [own_supplier.pk], expiring_days=90, validity_months=24)


def test_one_suppliers_cycle_rows_are_its_rows_of_the_whole_read(data, own_supplier, other_supplier):
    """A few suppliers' rows come from the ORM's tuples, everyone's from the columnar reader:
    the same rows, values and types either way."""
    Audit.objects.create(audit_ref="UP-1", site=Site.objects.get(code="OWN-1-F1"), audit_type=AuditType.VAP_FULL,
                         status=AuditStatus.SCHEDULED, due_by=D(2026, 3, 1))
    for day in (D(2024, 1, 1), D(2026, 1, 1), D(2026, 3, 1)):
        everyone = selectors.site_cycle_rows(day)
        for supplier in (own_supplier, other_supplier):
            own = selectors.site_cycle_rows(day, [supplier.pk])
            assert own and own == [row for row in everyone if row["supplier_id"] == supplier.pk]
            assert [[type(value) for value in row.values()] for row in own] == [
                [type(value) for value in row.values()] for row in everyone if row["supplier_id"] == supplier.pk]
    upcoming = {row["site_code"]: row for row in selectors.site_cycle_rows(D(2026, 1, 1), [own_supplier.pk])}
    assert (upcoming["OWN-1-F1"]["upcoming_audit_ref"], upcoming["OWN-1-F1"]["upcoming_audit_date"]) == (
        "UP-1", D(2026, 3, 1))


def test_supplier_cycle_coverage(data, own_supplier, other_supplier):
    coverage = selectors.supplier_cycle_coverage(D(2026, 1, 1)).set_index("supplier_code")
    assert coverage.loc["OWN-1", "relevant_sites"] == 2
    assert coverage.loc["OWN-1", "valid_sites"] == 2
    assert coverage.loc["OWN-1", "covered"] is True
    assert coverage.loc["OTHER-1", "covered"] is None  # no production site
    later = selectors.supplier_cycle_coverage(D(2026, 6, 1)).set_index("supplier_code")
    assert later.loc["OWN-1", "covered"] is False


def test_scoring_engine_consumes_the_frames(data, own_supplier, other_supplier):
    """The frames go straight into the scoring engine (scoring/inputs.py contract)."""
    engine = pytest.importorskip("scoring.engine")
    from core.quarter import Quarter
    from scoring.inputs import ScoringInputs, empty_frame
    from scoring.methodology import V1
    from suppliers.spend import assign_populations

    population = assign_populations(pd.DataFrame({
        "supplier_id": [own_supplier.pk, other_supplier.pk], "supplier_code": ["OWN-1", "OTHER-1"],
        "basis": [Decimal("900"), Decimal("100")]}), Decimal("0.95"))
    sites, audits, findings = selectors.scoring_frames([own_supplier.pk, other_supplier.pk])
    inputs = ScoringInputs(
        quarter=Quarter.parse("2025-Q2"), population=population, sites=sites, audits=audits, findings=findings,
        values=empty_frame(["value_id", "supplier_id", "indicator_code", "quarter_ordinal", "submitted_at", "value"]),
        qbr=empty_frame(["supplier_id", "component", "score"]),
    )
    result = engine.compute_quarter(inputs, V1)
    points = result.points.set_index(["supplier_id", "indicator_code"])
    assert points.loc[(own_supplier.pk, "RBA-01"), "raw"] == 100.0
    assert points.loc[(own_supplier.pk, "RBA-03"), "raw"] == 1.0
    scores = result.scores.set_index("supplier_id")
    assert scores.loc[own_supplier.pk, "grade"] == "X"  # the zero-tolerance gate
