"""Pages and API that do not grow with the supply base (#13): a constant number of queries
per page at two data sizes, the stored dashboard summaries equal to the computation they
replace (and recomputed across midnight and after a change), the gap lists by page."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits import dates
from audits import services as audit_services
from audits import summaries as audit_summaries
from audits.models import Finding, Provision
from audits.selectors import site_cycle_status
from core import summaries
from core.models import StoredSummary
from scoring import serving
from scoring.models import CoverageSnapshot
from scoring.services import score_run_now
from suppliers.models import SpendRecord, Supplier
from tests import clock

# Query budgets per page, the same at every data size (session, user and groups included).
BUDGETS = {
    "dashboard": 20,
    "supplier_list_score": 11,  # the stored supplier total: two indexed reads instead of counting every supplier
    "supplier_list_grade": 10,
    "supplier_detail": 33,  # training summary, minerals reports, Factory of Choice per site; the score change
    # from the scores and methodology the scorecard read, the site cycle in two reads (#13)
    "scores_api": 5,
    "suppliers_api": 5,
    "coverage_api": 5,
    "gaps_api": 5,
}


def _urls(quarter: str, code: str) -> dict[str, tuple[str, str]]:
    return {
        "dashboard": ("web", "/dashboard/"),
        "supplier_list_score": ("web", f"/suppliers/?quarter={quarter}&sort=-score"),
        "supplier_list_grade": ("web", f"/suppliers/?quarter={quarter}&grade=D"),
        "supplier_detail": ("web", f"/suppliers/{code}/"),
        "scores_api": ("api", f"/api/v1/scores/?quarter={quarter}&page=1"),
        "suppliers_api": ("api", "/api/v1/suppliers/?page=1"),
        "coverage_api": ("api", f"/api/v1/coverage/?quarter={quarter}"),
        "gaps_api": ("api", f"/api/v1/coverage/gaps/?quarter={quarter}&metric=audit&page=1&page_size=2"),
    }


def _add_suppliers(make_supplier, make_site, analyst, start: int, count: int) -> None:
    quarter = str(clock.last_closed_quarter())
    provision = Provision.objects.get(standard="rba", version="8.0", code="A3")
    for n in range(start, start + count):
        supplier = make_supplier(f"SV-{n:03d}")
        SpendRecord.objects.create(supplier=supplier, quarter=quarter, currency="USD", amount=Decimal(1000 + n))
        site = make_site(supplier, code=f"SV-{n:03d}-F1")
        make_site(supplier, code=f"SV-{n:03d}-F2")
        end = clock.today() - dt.timedelta(days=100 + 200 * (n % 4))
        audit = audit_services.audit_create(site=site, audit_type="vap_full", status="corrective_actions_open",
                                            audit_ref=f"AUD-SV-{n:03d}", actor=analyst, audit_firm="Firm",
                                            start_date=end - dt.timedelta(days=2), conducted_on=end,
                                            score=Decimal(120 + n), recognition="silver")
        audit_services.finding_create(audit=audit, provision=provision, severity="minor", opened_on=end,
                                      actor=analyst, finding_ref=f"F-SV-{n:03d}", description="Overtime")


def _recalculate(analyst) -> str:
    quarter = clock.last_closed_quarter()
    run = score_run_now(quarter=quarter, actor=analyst, trigger="command")
    assert run.status == "succeeded", run.error
    return str(quarter)


def _count(client, url: str) -> int:
    client.get(url)  # a first request may compute a stale summary; the steady state is measured
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@pytest.mark.django_db
def test_queries_per_page_do_not_grow_with_the_suppliers(role_users, client_as, api_as, make_supplier, make_site,
                                                         django_assert_max_num_queries):
    analyst = role_users["procurement_analyst"]
    clients = {"web": client_as("procurement_analyst"), "api": api_as("procurement_analyst")}

    _add_suppliers(make_supplier, make_site, analyst, 0, 3)
    quarter = _recalculate(analyst)
    small = {}
    for name, (kind, url) in _urls(quarter, "SV-001").items():
        small[name] = _count(clients[kind], url)
        with django_assert_max_num_queries(BUDGETS[name]):
            clients[kind].get(url)

    _add_suppliers(make_supplier, make_site, analyst, 3, 9)
    quarter = _recalculate(analyst)
    for name, (kind, url) in _urls(quarter, "SV-001").items():
        assert _count(clients[kind], url) == small[name], name
        with django_assert_max_num_queries(BUDGETS[name]):
            clients[kind].get(url)


# --------------------------------------------------------------------------- the dashboard's audit cycle


def _old_dashboard_cycle(as_of: dt.date) -> tuple[dict, int, list[dict]]:
    """What the dashboard computed on each request before the stored summary: the cycle of
    every relevant site, the expiring ones soonest first."""
    frame = site_cycle_status(as_of)
    rows = [row for row in frame.to_dict("records") if row["relevant"]]
    counts = dict.fromkeys(dates.CYCLE_STATUSES, 0)
    for row in rows:
        counts[row["status"]] += 1
    expiring = sorted((row for row in rows if row["status"] == dates.EXPIRING),
                      key=lambda row: (row["valid_until"] or dt.date.max, row["site_code"]))
    return counts, len(expiring), expiring


def _assert_summary_matches(as_of: dt.date) -> dict:
    summary = audit_summaries.cycle_summary(as_of)
    counts, expiring_count, expiring = _old_dashboard_cycle(as_of)
    assert summary["day"] == as_of
    assert summary["counts"] == counts
    assert summary["expiring_count"] == expiring_count
    assert [(row["site_code"], row["valid_until"], row["upcoming_audit_ref"]) for row in summary["expiring"]] == [
        (row["site_code"], row["valid_until"], row["upcoming_audit_ref"])
        for row in expiring[:audit_summaries.EXPIRING_ROWS]]
    return summary


@pytest.fixture
def cycle_world(db, role_users, make_supplier, make_site):
    """Sites whose latest full audit sits on each boundary of the cycle as of tomorrow:
    valid until today (expired tomorrow), valid until the last day of the expiring
    horizon seen today and tomorrow, never audited, a closed and a non-production site."""
    analyst = role_users["procurement_analyst"]
    today = clock.today()
    tomorrow = today + dt.timedelta(days=1)
    supplier = make_supplier("CY-1")
    horizon = dates.DEFAULT_EXPIRING_DAYS
    # conducted_on such that valid_until equals the wanted day
    wanted = {
        "CY-UNTIL-TODAY": today,
        "CY-UNTIL-TOMORROW": tomorrow,
        "CY-EDGE-TODAY": today + dt.timedelta(days=horizon - 1),
        "CY-EDGE-TODAY+1": today + dt.timedelta(days=horizon),
        "CY-EDGE-TOMORROW": tomorrow + dt.timedelta(days=horizon),
        "CY-FRESH": today + dt.timedelta(days=400),
    }
    sites = {}
    for n, (code, until) in enumerate(wanted.items()):
        site = make_site(supplier, code=code)
        conducted = _conducted_for(until)
        audit_services.audit_create(site=site, audit_type="vap_full", status="closed", audit_ref=f"AUD-{code}",
                                    actor=analyst, audit_firm="Firm", start_date=conducted - dt.timedelta(days=1),
                                    conducted_on=conducted, score=Decimal(150 + n))
        sites[code] = site
    make_site(supplier, code="CY-NEVER")
    closed = make_site(supplier, code="CY-CLOSED", status="closed")
    office = make_site(supplier, code="CY-OFFICE", is_production=False)
    for site in (closed, office):
        conducted = _conducted_for(today + dt.timedelta(days=10))
        audit_services.audit_create(site=site, audit_type="vap_full", status="closed",
                                    audit_ref=f"AUD-{site.code}", actor=analyst, audit_firm="Firm",
                                    start_date=conducted - dt.timedelta(days=1), conducted_on=conducted)
    return sites


def _conducted_for(valid_until: dt.date) -> dt.date:
    """The latest end date whose audit is valid exactly until ``valid_until``."""
    day = valid_until - dt.timedelta(days=800)
    best = None
    while day <= valid_until:
        if dates.audit_valid_until(day) == valid_until:
            best = day
        day += dt.timedelta(days=1)
    assert best is not None, valid_until
    return best


@pytest.mark.django_db
def test_dashboard_cycle_summary_equals_the_per_request_computation_across_midnight(cycle_world, time_machine):
    today = clock.today()
    first = _assert_summary_matches(today)
    assert first["counts"][dates.EXPIRING] >= 2 and first["counts"][dates.VALID] >= 1
    stored_before = StoredSummary.objects.get(key=audit_summaries.KEY).fingerprint

    # The same day again: served from the stored summary, no recomputation.
    with CaptureQueriesContext(connection) as queries:
        audit_summaries.cycle_summary(today)
    assert len(queries) <= 4

    # Past midnight: the stored summary is stale and recomputed for the new day.
    time_machine.move_to(dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0, 1)).astimezone())
    tomorrow = clock.today()
    assert tomorrow == today + dt.timedelta(days=1)
    second = _assert_summary_matches(tomorrow)
    assert StoredSummary.objects.get(key=audit_summaries.KEY).fingerprint != stored_before
    assert second["counts"][dates.EXPIRED] == first["counts"][dates.EXPIRED] + 1  # valid until yesterday
    moved = {row["site_code"] for row in second["expiring"]} - {row["site_code"] for row in first["expiring"]}
    assert moved == {"CY-EDGE-TODAY+1"}  # valid → expiring at midnight


@pytest.mark.django_db
def test_dashboard_cycle_summary_follows_a_new_audit(cycle_world, role_users):
    today = clock.today()
    _assert_summary_matches(today)
    site = cycle_world["CY-UNTIL-TODAY"]
    audit_services.audit_create(site=site, audit_type="vap_full", status="closed", audit_ref="AUD-RENEWED",
                                actor=role_users["procurement_analyst"], audit_firm="Firm",
                                start_date=today - dt.timedelta(days=2), conducted_on=today - dt.timedelta(days=1),
                                score=Decimal(160))
    summary = _assert_summary_matches(today)
    assert "CY-UNTIL-TODAY" not in {row["site_code"] for row in summary["expiring"]}


@pytest.mark.django_db
def test_open_findings_summary_follows_the_day_and_a_new_finding(world, role_users):
    from portal import selectors

    analyst = role_users["procurement_analyst"]
    before = selectors.open_findings_summary(analyst, clock.today())
    expected = audit_summaries.open_findings_counts(Finding.objects.all(), clock.today())
    assert {k: before[k] for k in expected} == expected
    audit = world.own_audit
    audit_services.finding_create(audit=audit, provision=Provision.objects.get(standard="rba", version="8.0",
                                                                              code="A3"),
                                  severity="major", opened_on=audit.conducted_on, actor=analyst,
                                  finding_ref="F-NEW-1", description="Fire exit blocked")
    after = selectors.open_findings_summary(analyst, clock.today())
    assert after["total"] == before["total"] + 1 and after["major"] == before["major"] + 1


# --------------------------------------------------------------------------- coverage and gap lists


@pytest.mark.django_db
def test_coverage_api_serves_the_stored_snapshot_compressed(world, api_as):
    api_client = api_as("procurement_analyst")
    quarter = str(world.quarter)
    snapshot = CoverageSnapshot.objects.get(quarter=quarter)
    plain = api_client.get(f"/api/v1/coverage/?quarter={quarter}")
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    assert json.loads(plain.content) == snapshot.data
    packed = api_client.get(f"/api/v1/coverage/?quarter={quarter}", HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert json.loads(gzip.decompress(packed.content)) == snapshot.data


@pytest.mark.django_db
def test_coverage_api_sends_the_stored_body_as_it_is_and_reads_it_once_per_run(role_users, api_as, make_supplier,
                                                                               make_site):
    analyst = role_users["procurement_analyst"]
    _add_suppliers(make_supplier, make_site, analyst, 0, 3)
    quarter = _recalculate(analyst)
    api_client = api_as("procurement_analyst")
    url = f"/api/v1/coverage/?quarter={quarter}"

    def served() -> tuple[bytes, bytes]:
        packed = api_client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        plain = api_client.get(url)
        assert packed["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
        return packed.content, plain.content

    def matches_snapshot(body: tuple[bytes, bytes]) -> bool:
        """The plain body is the official snapshot's document, the packed one the same bytes gzipped."""
        data = CoverageSnapshot.objects.get(quarter=quarter, official=True).data
        return gzip.decompress(body[0]) == body[1] and json.loads(body[1]) == data

    first = served()
    assert matches_snapshot(first)
    assert served() == first  # kept: the same bytes
    with CaptureQueriesContext(connection) as queries:
        assert serving.coverage_body(quarter) == first[0]
    assert len(queries) == 1  # the snapshot's fingerprint alone

    # A new run with another supplier: its document is served, not the one kept.
    _add_suppliers(make_supplier, make_site, analyst, 3, 2)
    _recalculate(analyst)
    second = served()
    assert matches_snapshot(second) and second != first
    assert any(gap["supplier"] == "SV-004" for gap in json.loads(second[1])["metrics"]["audit"]["gaps"])


@pytest.mark.django_db
@pytest.mark.parametrize("block", [2, summaries.ITEM_BLOCK])  # pages of 3 across stored blocks of 2
def test_gap_list_pages_cover_the_whole_list_exactly_once(block, role_users, api_as, make_supplier, make_site,
                                                          monkeypatch):
    monkeypatch.setattr(summaries, "ITEM_BLOCK", block)
    analyst = role_users["procurement_analyst"]
    _add_suppliers(make_supplier, make_site, analyst, 0, 7)
    quarter = _recalculate(analyst)
    api_client = api_as("procurement_analyst")
    data = CoverageSnapshot.objects.get(quarter=quarter).data
    for metric in serving.METRICS:
        expected = data["metrics"][metric]["gaps"]
        seen, url = [], f"/api/v1/coverage/gaps/?quarter={quarter}&metric={metric}&page_size=3"
        while url:
            page = api_client.get(url).json()
            assert page["count"] == len(expected) and page["metric"] == metric
            seen += page["results"]
            url = page["next"]
        assert [row["position"] for row in seen] == list(range(1, len(expected) + 1))
        assert [{k: v for k, v in row.items() if k != "position"} for row in seen] == expected
    assert any(data["metrics"][metric]["gaps"] for metric in serving.METRICS)


@pytest.mark.django_db
def test_gap_list_refuses_an_unknown_metric_and_a_quarter_without_coverage(world, api_as):
    api_client = api_as("procurement_analyst")
    assert api_client.get("/api/v1/coverage/gaps/?metric=nope").status_code == 400
    assert api_client.get("/api/v1/coverage/gaps/?metric=audit&quarter=2019-Q1").status_code == 404
    assert api_client.get("/api/v1/coverage/gaps/?metric=audit").status_code == 200


@pytest.mark.django_db
def test_gap_list_is_procurement_only(world, api_as):
    assert api_as("supplier_user").get("/api/v1/coverage/gaps/?metric=audit").status_code in (403, 404)


@pytest.mark.django_db
def test_a_new_run_makes_the_coverage_summaries_stale(world, role_users):
    quarter = str(world.quarter)
    first = serving.coverage_summary(quarter)
    score_run_now(quarter=world.quarter, actor=role_users["procurement_analyst"], trigger="command")
    second = serving.coverage_summary(quarter)
    assert second.fingerprint != first.fingerprint
    assert second.fingerprint.startswith(str(CoverageSnapshot.objects.get(quarter=quarter).pk))


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["-score", "score", "grade", "-grade", "spend", "-spend"])
def test_supplier_list_by_a_stored_column_pages_like_the_single_sorted_query(sort, role_users, make_supplier,
                                                                             make_site):
    from django.core.paginator import Paginator
    from django.db.models import F

    from portal import selectors

    analyst = role_users["procurement_analyst"]
    _add_suppliers(make_supplier, make_site, analyst, 0, 5)
    for n in range(3):
        make_supplier(f"UN-{n}")  # no spend: not scored
    quarter = _recalculate(analyst)
    rows = selectors.supplier_rows(analyst, quarter, sort=sort)
    assert isinstance(rows, selectors.ScoredFirst)
    column = selectors.SUPPLIER_SORTS[sort.lstrip("-")]
    single = selectors.supplier_rows(analyst, quarter, sort="code").order_by(
        F(column).desc(nulls_last=True) if sort.startswith("-") else F(column).asc(nulls_last=True), "q_rank", "code")
    expected = [supplier.code for supplier in single]
    for per_page in (1, 2, 3, 50):
        paginator = Paginator(rows, per_page)
        assert paginator.count == len(expected)
        seen = [supplier.code for number in paginator.page_range for supplier in paginator.page(number)]
        assert seen == expected, per_page


@pytest.mark.django_db
def test_coverage_gaps_page_pages_the_stored_gaps_with_what_each_adds(role_users, client_as, make_supplier, make_site):
    from portal import selectors

    analyst = role_users["procurement_analyst"]
    _add_suppliers(make_supplier, make_site, analyst, 0, 7)
    quarter = _recalculate(analyst)
    data = CoverageSnapshot.objects.get(quarter=quarter).data["metrics"]["audit"]
    gaps = selectors.gap_list(quarter, "audit")
    rows = [row for start in range(0, gaps.count(), 2) for row in gaps[start:start + 2]]
    assert [row.supplier_code for row in rows] == [gap["supplier"] for gap in data["gaps"]]
    before = float(data["share"])
    for row, gap in zip(rows, data["gaps"], strict=True):
        assert row.adds == pytest.approx(float(gap["cumulative_share"]) - before)
        before = float(gap["cumulative_share"])
    assert selectors.gap_list("2019-Q1", "audit")[0:50] == []
    page = client_as("procurement_analyst").get(f"/dashboard/gaps/audit/?quarter={quarter}")
    assert page.status_code == 200
    assert client_as("procurement_analyst").get("/dashboard/gaps/audit/?quarter=2019-Q1").status_code == 200


@pytest.mark.django_db
def test_the_dashboard_never_reads_a_whole_coverage_document(role_users, client_as, make_supplier, make_site):
    """The coverage snapshot's document holds every gap list (megabytes at 100,000 suppliers):
    the dashboard reads the stored digest and the snapshot's run and version only."""
    analyst = role_users["procurement_analyst"]
    _add_suppliers(make_supplier, make_site, analyst, 0, 3)
    _recalculate(analyst)
    client = client_as("procurement_analyst")
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dashboard/").status_code == 200
    documents = ('"scoring_coveragesnapshot"."data"', '"disclosure_emissionsestimate"."data"')
    big = [query["sql"] for query in queries.captured_queries if any(column in query["sql"] for column in documents)]
    assert big == []


def _equal_scores_world(make_supplier, make_site, analyst) -> str:
    """Five scored suppliers, three of them sharing one score (same data but spend), and two
    unscored ones."""
    _add_suppliers(make_supplier, make_site, analyst, 0, 5)
    for n in range(2):
        make_supplier(f"UN-{n}")  # no spend: not scored
    return _recalculate(analyst)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["-score", "score", "-grade", "grade"])
def test_equal_scores_and_grades_are_listed_by_spend_rank_in_either_direction(sort, role_users, make_supplier,
                                                                              make_site):
    from django.core.paginator import Paginator

    from portal import selectors
    from scoring.models import QuarterlyScore

    analyst = role_users["procurement_analyst"]
    quarter = _equal_scores_world(make_supplier, make_site, analyst)
    scores = QuarterlyScore.objects.filter(quarter=quarter, official=True)
    # ties made on purpose: every stored score and grade the same, ranks stay by spend
    scores.update(score=Decimal("42.00"), grade="C")
    by_rank = list(scores.order_by("rank").values_list("supplier__code", flat=True))
    assert len(by_rank) == 5
    rows = selectors.supplier_rows(analyst, quarter, sort=sort)
    paginator = Paginator(rows, 2)
    seen = [supplier.code for number in paginator.page_range for supplier in paginator.page(number)]
    unscored = sorted(Supplier.objects.exclude(code__in=by_rank).values_list("code", flat=True))
    assert "UN-0" in unscored
    assert seen == [*by_rank, *unscored]


@pytest.mark.django_db
@pytest.mark.parametrize("filters", [{}, {"grade": "D"}, {"population": "full"}, {"grade": "A"},
                                     {"grade": "D", "population": "ecovadis_only"}])
def test_a_stored_count_equals_the_counted_list(filters, role_users, make_supplier, make_site):
    from portal import selectors

    analyst = role_users["procurement_analyst"]
    quarter = _equal_scores_world(make_supplier, make_site, analyst)
    rows = selectors.supplier_rows(analyst, quarter, **filters)
    with CaptureQueriesContext(connection) as queries:
        known = selectors.supplier_count(analyst, quarter, **filters)
    assert known == rows.count()
    assert not any("COUNT(" in query["sql"] and "scoring_quarterlyscore" in query["sql"]
                   for query in queries.captured_queries)
    assert serving.score_count(quarter, **filters) == (
        rows.count() if filters else rows.filter(q_score__isnull=False).count())


@pytest.mark.django_db
def test_the_whole_list_count_follows_new_changed_and_deleted_suppliers(role_users, make_supplier, client_as):
    from portal import selectors

    analyst = role_users["procurement_analyst"]
    client = client_as("procurement_analyst")

    def listed() -> int:
        return client.get("/suppliers/").context["page"].paginator.count

    assert selectors.supplier_count(analyst, None) == Supplier.objects.count() == listed()
    with CaptureQueriesContext(connection) as queries:
        stored = selectors.supplier_count(analyst, None)
    assert stored == Supplier.objects.count()
    assert len(queries) == 2 and not any("COUNT(" in query["sql"] for query in queries.captured_queries)
    added = make_supplier("NEW-1")
    assert listed() == Supplier.objects.count()
    added.name = "Renamed"
    added.save()
    assert listed() == Supplier.objects.count()
    Supplier.objects.filter(pk=added.pk).delete()
    assert listed() == Supplier.objects.count()
    make_supplier("NEW-2").delete()
    assert listed() == Supplier.objects.count() and selectors.supplier_count(analyst, None) == listed()


@pytest.mark.django_db
def test_a_count_is_left_to_the_list_when_it_is_not_stored(role_users, make_supplier, make_site):
    from portal import selectors

    analyst = role_users["procurement_analyst"]
    quarter = _equal_scores_world(make_supplier, make_site, analyst)
    assert selectors.supplier_count(analyst, quarter, grade="D", country="CN") is None
    assert selectors.supplier_count(role_users["supplier_user"], quarter) is None
    assert serving.score_count("2019-Q1") is None
    assert selectors.supplier_count(analyst, "2019-Q1", grade="D") is None


@pytest.mark.django_db
def test_the_supplier_list_counts_from_the_digest_and_shows_every_page(role_users, client_as, make_supplier,
                                                                       make_site):
    analyst = role_users["procurement_analyst"]
    quarter = _equal_scores_world(make_supplier, make_site, analyst)
    client = client_as("procurement_analyst")
    client.get(f"/suppliers/?quarter={quarter}&grade=C")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/suppliers/?quarter={quarter}&sort=-score")
    assert response.context["page"].paginator.count == Supplier.objects.count()
    assert not any("COUNT(" in query["sql"] and "scoring_quarterlyscore" in query["sql"]
                   for query in queries.captured_queries)
    from scoring.models import QuarterlyScore

    grade = QuarterlyScore.objects.filter(quarter=quarter, official=True).values_list("grade", flat=True).first()
    response = client.get(f"/suppliers/?quarter={quarter}&grade={grade}")
    assert response.context["page"].paginator.count == len(response.context["page"].object_list) == (
        QuarterlyScore.objects.filter(quarter=quarter, official=True, grade=grade).count())


@pytest.mark.django_db
def test_scores_api_pages_with_the_stored_count(role_users, api_as, make_supplier, make_site):
    from scoring.models import QuarterlyScore

    analyst = role_users["procurement_analyst"]
    quarter = _equal_scores_world(make_supplier, make_site, analyst)
    client = api_as("procurement_analyst")
    grade = QuarterlyScore.objects.filter(quarter=quarter, official=True).values_list("grade", flat=True).first()
    expected = QuarterlyScore.objects.filter(quarter=quarter, official=True, grade=grade).count()
    for url in (f"/api/v1/scores/?quarter={quarter}&grade={grade}&page_size=2",
                f"/api/v1/scores/?grade={grade}&page_size=2"):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            body = client.get(url).json()
        assert body["count"] == expected
        assert not any("COUNT(" in query["sql"] for query in queries.captured_queries), url
    # a filter the digest does not know is counted, and agrees
    body = client.get(f"/api/v1/scores/?quarter={quarter}&supplier=SV-001").json()
    assert body["count"] == 1
    # a supplier user's list is its own, counted
    own = api_as("supplier_user").get(f"/api/v1/scores/?quarter={quarter}").json()
    assert own["count"] <= 1
