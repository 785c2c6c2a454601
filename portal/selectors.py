"""Reads behind the portal pages. Every supplier-data query starts from
``visible_suppliers(user)`` or goes through ``scope_to_user``; list reads issue a fixed
number of queries whatever the number of rows (style.md habits 3 and 5)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from audits import dates
from audits import selectors as audit_selectors
from audits import summaries as audit_summaries
from audits.models import (
    UPCOMING_STATUSES,
    Audit,
    Finding,
    FindingStatus,
    Notification,
    Severity,
    TerminationReview,
)
from audits.selectors import site_cycle_rows, site_cycle_status
from core import roles
from core.history import describe, history_rows
from core.loose_scan import distinct_values
from core.parsers import CellError, parse_quarter
from core.quarter import Quarter
from core.summaries import Computed, latest_changes, stored
from portal.history_text import readable
from scoring import breakdown, serving
from scoring.breakdown import BreakdownRow
from scoring.methodology import CATEGORIES, MethodologyParams
from scoring.models import (
    IndicatorValue,
    QuarterlyScore,
    ScoreRun,
    ValueState,
)
from scoring.selectors import methodology_params, score_history, values_used
from suppliers.models import CERTIFICATE_KINDS, Document, FxRate, Screening, ScreeningStatus, Supplier, SupplierStatus
from suppliers.screening import latest_screenings as _latest_screenings
from suppliers.selectors import scope_to_user, visible_suppliers

METRICS = ("audit", "scorecard", "sbti", "ghg_disclosure", "foc")
EXPIRING_DAYS = dates.DEFAULT_EXPIRING_DAYS

# --------------------------------------------------------------------------- quarters


def scored_quarters() -> list[str]:
    """Quarters with stored results, newest first (``scoring.selectors.scored_quarters``)."""
    from scoring.selectors import scored_quarters

    return scored_quarters()


def pick_quarter(text: str | None, available: list[str]) -> str | None:
    """The requested quarter if it parses, else the latest scored one (or None)."""
    if text:
        try:
            return str(parse_quarter(text))
        except CellError:
            pass
    return available[0] if available else None


# --------------------------------------------------------------------------- dashboard


@dataclass
class GapRow:
    supplier_code: str
    supplier_name: str
    spend: float
    cumulative_share: float
    adds: float  # share points closing this gap adds to the metric


def coverage_digest(quarter: str | None) -> dict | None:
    """The quarter's coverage digest stored at recalculation (``scoring.serving``):
    ``metrics`` (rows name, share, target, met, gaps count), ``gaps`` (each metric's first
    gaps with supplier names) and ``grades``; ``None`` without a snapshot. Two queries."""
    if not quarter:
        return None
    summary = serving.coverage_summary(quarter)
    return None if summary is None else summary.payload


def digest_gap_rows(digest: dict | None, metric: str) -> list[GapRow]:
    """The first gaps of the metric kept in the digest, with what closing each adds. No query."""
    if not digest:
        return []
    share = next((row["share"] for row in digest["metrics"] if row["name"] == metric), None)
    gaps = digest["gaps"].get(metric, [])
    return _gap_rows(gaps, share, {gap["supplier"]: gap.get("supplier_name", "") for gap in gaps})


def _gap_rows(gaps: list[dict], before: float | None, names: dict[str, str]) -> list[GapRow]:
    rows = []
    for gap in gaps:
        cumulative = float(gap["cumulative_share"])
        rows.append(GapRow(supplier_code=gap["supplier"], supplier_name=names.get(gap["supplier"], ""),
                           spend=float(gap["spend"]), cumulative_share=cumulative,
                           adds=cumulative - float(before if before is not None else cumulative)))
        before = cumulative
    return rows


class GapList:
    """A metric's stored gap list (``scoring.serving.gap_summary``) as a sequence the
    paginator reads a page at a time: ``count()`` from the summary, a slice in two queries
    (the gaps from the one before the page, for "adds"; the page's supplier names)."""

    def __init__(self, summary):
        self.summary = summary

    def count(self) -> int:
        return self.summary.item_count if self.summary is not None else 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[GapRow]:
        if not isinstance(index, slice):
            raise TypeError("GapList is read by slices")
        if self.summary is None:
            return []
        start, stop = index.start or 0, min(index.stop if index.stop is not None else self.count(), self.count())
        if stop <= start:
            return []
        gaps = serving.gap_items(self.summary, max(start - 1, 0), stop - max(start - 1, 0))
        before = self.summary.payload["share"]
        if start > 0:
            before, gaps = gaps[0]["cumulative_share"], gaps[1:]
        names = dict(Supplier.objects.filter(code__in=[gap["supplier"] for gap in gaps]).values_list("code", "name"))
        return _gap_rows(gaps, before, names)

    def export_rows(self):
        """Every gap as ``(position, GapRow)``, position 1 the biggest spend (two queries)."""
        return enumerate(self[0:self.count()], 1)


def coverage_metrics(snapshot) -> list[dict]:
    """The section 7 metrics of a stored snapshot as rows (``scoring.serving.metric_rows``);
    empty without a snapshot. No query."""
    return serving.metric_rows(snapshot.data) if snapshot is not None else []


def gap_list(quarter: str | None, metric: str) -> GapList:
    """The metric's gap list of the quarter, biggest spend first, read by pages (``GapList``)."""
    return GapList(serving.gap_summary(quarter, metric) if quarter else None)


def cycle_summary(as_of: dt.date) -> dict:
    """The dashboard's audit cycle of every site at ``as_of`` (``audits.summaries.cycle_summary``)."""
    return audit_summaries.cycle_summary(as_of)


def open_findings_summary(user, today: dt.date) -> dict:
    """Open findings by severity and the overdue counts (``audits.summaries``): procurement's
    (every finding) from the stored summary of the day, a supplier user's by one aggregate query."""
    if roles.is_procurement(user):
        counts = audit_summaries.open_findings(today)
    else:
        findings = scope_to_user(Finding.objects.all(), user, "audit__site__supplier")
        counts = audit_summaries.open_findings_counts(findings, today)
    counts["by_severity"] = [(value, label, counts[value]) for value, label in Severity.choices]
    return counts


def termination_review_suppliers(user) -> QuerySet[Supplier]:
    """Visible suppliers flagged for termination review, by code."""
    return visible_suppliers(user).filter(termination_review=True).order_by("code")


def open_termination_reviews(user) -> dict[int, TerminationReview]:
    """Supplier id → its undecided termination review, for the suppliers the user may see. One query."""
    reviews = scope_to_user(TerminationReview.objects.filter(decided_at__isnull=True), user, "supplier")
    return {review.supplier_id: review for review in reviews}


def termination_reviews(supplier: Supplier) -> list[TerminationReview]:
    """The supplier's termination reviews, the open one first, then the decisions newest
    first, each with its zero-tolerance findings (two queries)."""
    findings = Finding.objects.select_related("audit__site", "provision").order_by("opened_on", "finding_ref")
    reviews = (supplier.termination_reviews.select_related("decided_by")
               .prefetch_related(Prefetch("findings", queryset=findings))
               .order_by(F("decided_at").desc(nulls_first=True), "-opened_at", "-id"))
    return list(reviews)


def cycle_rows(user, as_of: dt.date, *, status: str = "", query: str = "", relevant_only: bool = True,
               expiring_days: int | None = None) -> list[dict]:
    """The two-year cycle of every site the user may see, filtered; validity and the
    expiring horizon are the methodology's in force at ``as_of`` unless given."""
    frame = site_cycle_status(as_of, visible_suppliers(user).values("id"), expiring_days=expiring_days)
    if relevant_only and len(frame):
        frame = frame[frame["relevant"]]
    if status and len(frame):
        frame = frame[frame["status"] == status]
    if query and len(frame):
        needle = query.lower()
        mask = [needle in str(a).lower() or needle in str(b).lower() or needle in str(c).lower()
                for a, b, c in zip(frame["site_code"], frame["site_name"], frame["supplier_code"], strict=True)]
        frame = frame[mask]
    rows = frame.to_dict("records")
    if status == dates.EXPIRING:
        rows.sort(key=lambda row: (row["valid_until"] or dt.date.max, row["site_code"]))
    return rows


def supplier_cycle(supplier: Supplier, as_of: dt.date) -> dict[int, dict]:
    """Site id → the site's two-year cycle row, for one supplier (``site_cycle_rows``:
    two queries, plus the policy's one or two)."""
    return {row["site_id"]: row for row in site_cycle_rows(as_of, [supplier.pk])}


def cycle_counts(rows: list[dict]) -> dict[str, int]:
    """Rows per cycle status (``audits.dates.CYCLE_STATUSES``), zero included."""
    counts = dict.fromkeys(dates.CYCLE_STATUSES, 0)
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


def expiring_documents(user, today: dt.date, days: int = EXPIRING_DAYS) -> QuerySet[Document]:
    """Certificates expired or expiring within ``days``, soonest first."""
    documents = scope_to_user(Document.objects.filter(kind__in=CERTIFICATE_KINDS, expires_on__isnull=False),
                              user, "supplier")
    return (documents.filter(expires_on__lte=today + dt.timedelta(days=days))
            .select_related("supplier").order_by("expires_on", "id"))


# --------------------------------------------------------------------------- suppliers

SUPPLIER_SORTS = {
    "code": "code", "name": "name", "country": "country", "status": "status", "category": "category",
    "score": "q_score", "grade": "q_grade", "spend": "q_rank", "spend_basis": "q_spend", "change": "q_change",
}


def supplier_rows(user, quarter: str | None, *, query: str = "", country: str = "", category: str = "",
                  status: str = "", grade: str = "", population: str = "", flag: str = "", mine: str = "",
                  sort: str = "code") -> QuerySet[Supplier] | ScoredFirst:
    """Suppliers the user may see with the quarter's stored score joined in (one query
    per page: the score comes through a filtered LEFT JOIN, not a query per row).
    ``q_spend`` is the stored spend basis (base currency) and ``q_change`` the score change
    against the previous quarter's stored score (``None`` without both). ``mine``: only the
    suppliers the user owns (category manager)."""
    previous = str(Quarter.parse(quarter).previous()) if quarter else ""
    suppliers = visible_suppliers(user).annotate(
        q=FilteredRelation("scores", condition=Q(scores__quarter=quarter or "", scores__official=True)),
        q_score=F("q__score"), q_grade=F("q__grade"), q_population=F("q__population"),
        q_flags=F("q__flags_text"), q_rank=F("q__rank"), q_spend=F("q__spend_basis"),
        p=FilteredRelation("scores", condition=Q(scores__quarter=previous, scores__official=True)),
        q_change=F("q__score") - F("p__score"),
    )
    if query:
        suppliers = suppliers.filter(Q(code__icontains=query) | Q(name__icontains=query)
                                     | Q(legal_name__icontains=query) | Q(commodity__icontains=query))
    if mine:
        suppliers = suppliers.filter(owner_id=user.pk)
    if country:
        suppliers = suppliers.filter(country=country.upper())
    if category:
        suppliers = suppliers.filter(category=category)
    if status:
        suppliers = suppliers.filter(status=status)
    if grade:
        suppliers = suppliers.filter(q_grade=grade)
    if population:
        suppliers = suppliers.filter(q_population=population)
    if flag == "termination_review":
        suppliers = suppliers.filter(Q(termination_review=True) | Q(q_flags__contains=flag))
    elif flag:
        suppliers = suppliers.filter(q_flags__contains=flag)
    descending = sort.startswith("-")
    column = SUPPLIER_SORTS.get(sort.lstrip("-"), "code")
    ordering = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
    # Equal stored scores or grades are ordered by spend rank (biggest spend first), then the
    # unscored suppliers by code.
    ties = ("q_rank", "code") if column in STORED_SORTS else ("code",)
    if quarter and column in STORED_SORTS:
        # Scored suppliers first in the stored column's order, ties by rank (read straight from
        # the quarter's partial index on (column, rank), never a whole group of equal scores),
        # then the unscored ones by code: the same order as the single query below without
        # sorting every supplier on each page.
        stored = F(column).desc() if descending else F(column).asc()
        return ScoredFirst(suppliers.filter(**{f"{column}__isnull": False}).order_by(stored, "q_rank"),
                           suppliers.filter(**{f"{column}__isnull": True}).order_by("code"), suppliers)
    return suppliers.order_by(ordering, *ties)


def supplier_count(user, quarter: str | None, **filters: str) -> int | None:
    """How many suppliers ``supplier_rows`` lists with these ``filters`` (its keyword
    arguments but ``sort``), when it is known without counting the joined list: a procurement
    user's whole list (``supplier_total``) or the list narrowed by grade or population only (the
    quarter's stored digest, ``scoring.serving.score_count``). ``None`` otherwise: the
    paginator counts. Two queries when stored."""
    grade, population = filters.get("grade", ""), filters.get("population", "")
    narrowed = any(value for name, value in filters.items() if name not in ("grade", "population"))
    if not roles.is_procurement(user) or narrowed:
        return None
    if grade or population:
        return serving.score_count(quarter, grade=grade, population=population) if quarter else 0
    return supplier_total()


def supplier_total() -> int:
    """How many suppliers there are, stored (``core.summaries``) under the newest change of
    the supplier table (``latest_changes``: a new supplier, or one changed or deleted with
    its history recorded, counts them again): at 100,000 suppliers the count read 100,000
    index entries on every page of the whole list (#13). Two queries when stored."""
    return stored("supplier-total", latest_changes([Supplier]),
                  lambda: Computed(payload={"count": Supplier.objects.count()})).payload["count"]


# Sorts on a stored score column that is never empty for a scored supplier.
STORED_SORTS = ("q_score", "q_grade", "q_rank")


class ScoredFirst:
    """The supplier list sorted by a stored score column (nulls last) as a sequence the
    paginator reads a page at a time: a page of the scored suppliers (one query through the
    quarter's index on the column), completed by the unscored ones by code when the scored
    run out. ``count()`` counts the whole filtered list (one query); the number of scored
    suppliers is counted only for a page past their end. At most four queries per page."""

    def __init__(self, scored: QuerySet[Supplier], unscored: QuerySet[Supplier], everyone: QuerySet[Supplier]):
        self.scored, self.unscored, self.everyone = scored, unscored, everyone
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.everyone.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, int):
            return self[index:index + 1][0]
        start, stop = index.start or 0, index.stop  # a paginator's slice: no count needed
        if index.step is not None or stop is None or start < 0 or stop < 0:
            start, stop, _ = index.indices(self.count())
        if stop <= start:
            return []
        rows = list(self.scored[start:stop])
        if len(rows) == stop - start:
            return rows
        scored_count = start + len(rows) if rows else self.scored.count()
        offset = max(start - scored_count, 0)
        return rows + list(self.unscored[offset:offset + (stop - start - len(rows))])

    def export_rows(self):
        """Every supplier of the list in its order: the scored, then the unscored (two queries)."""
        return itertools.chain(self.scored.iterator(chunk_size=2000), self.unscored.iterator(chunk_size=2000))


def supplier_countries(user) -> list[str]:
    """Country codes of the suppliers the user may see, sorted, for the list filter. One query:
    for procurement (every supplier) a loose index scan, one probe of the (country, …) index
    per country instead of reading every supplier."""
    if not roles.is_procurement(user):
        return list(visible_suppliers(user).order_by("country").values_list("country", flat=True).distinct())
    return distinct_values(Supplier, "country")


@dataclass
class Scorecard:
    score: QuarterlyScore
    rows: list[BreakdownRow]
    subscores: list[tuple[str, str, Decimal, Decimal | None]]  # (key, title, weight, value)
    gains: list = field(default_factory=list)
    params: MethodologyParams | None = None  # the score's methodology (``methodology_params``)


def scorecard(supplier: Supplier, quarter: str, scores: list[QuarterlyScore] | None = None) -> Scorecard | None:
    """The stored score of ``quarter`` with its per-indicator breakdown
    (``scoring.breakdown``: points, weight, contribution, raw value, source) and the
    reported value (with its evidence) the run used. ``scores``: the supplier's stored
    official scores already read (``stored_scores``), to pick the quarter's without a query."""
    if scores is not None:
        score = next((row for row in scores if row.quarter == quarter), None)
    else:
        score = supplier.scores.filter(quarter=quarter, official=True).select_related("methodology", "run").first()
    if score is None:
        return None
    params = methodology_params(score.methodology)
    used = values_used(Quarter.parse(quarter), supplier.pk)
    rows = breakdown.breakdown(score, params)
    for row in rows:
        row.value = used.get(row.code)
    category_weights = params.category_weights()
    subscores = [(key, title, category_weights.get(key, Decimal(0)), getattr(score, key)) for key, title in CATEGORIES]
    return Scorecard(score=score, rows=rows, subscores=subscores,
                     gains=breakdown.points_to_gain(params, score.population, score.points,
                                                     flags=score.flags), params=params)


def stored_scores(supplier: Supplier) -> list[QuarterlyScore]:
    """The supplier's official stored scores with their methodology and run, oldest quarter
    first. One query."""
    return list(supplier.scores.filter(official=True).select_related("methodology", "run").order_by("quarter"))


def score_change(supplier: Supplier, quarter: str, scores: list[QuarterlyScore] | None = None,
                 params: MethodologyParams | None = None):
    """Why the supplier's official score of ``quarter`` moved since the quarter before
    (``scoring.decomposition.decompose``), or ``None`` without both stored scores.
    ``scores``: the supplier's official stored scores already read (``stored_scores``);
    ``params``: the current score's methodology's (``Scorecard.params``); neither is read again."""
    from scoring.decomposition import decompose

    return decompose(supplier.pk, Quarter.parse(quarter), official=scores, params=params)


def history(supplier: Supplier, scores: list[QuarterlyScore] | None = None) -> list[dict]:
    """The supplier's official stored scores by quarter, oldest first, with changes
    (``scoring.selectors.score_history``); ``scores`` as ``stored_scores`` gives them."""
    return score_history(stored_scores(supplier) if scores is None else scores)


def spend_in_base(supplier: Supplier, base_currency: str) -> list[dict]:
    """Spend per quarter converted to the base currency with each quarter's FX rate
    (two queries); a quarter with a missing rate is marked incomplete."""
    records = list(supplier.spend_records.order_by("quarter", "currency"))
    rates = {(r.quarter, r.currency): r.rate_to_base
             for r in FxRate.objects.filter(quarter__in={r.quarter for r in records})}
    quarters: dict[str, dict] = {}
    for record in records:
        entry = quarters.setdefault(record.quarter, {"quarter": record.quarter, "base": Decimal(0),
                                                     "complete": True, "rows": []})
        entry["rows"].append(record)
        rate = Decimal(1) if record.currency == base_currency else rates.get((record.quarter, record.currency))
        if rate is None:
            entry["complete"] = False
        else:
            entry["base"] += record.amount * rate
    return list(quarters.values())


def supplier_audits(supplier: Supplier) -> QuerySet[Audit]:
    """The supplier's audits, latest end date first (planned ones on top), with open and total finding counts."""
    return (Audit.objects.filter(site__supplier=supplier).select_related("site")
            .annotate(open_findings=Count("findings", filter=Q(findings__status=FindingStatus.OPEN)),
                      all_findings=Count("findings"))
            .order_by(F("conducted_on").desc(nulls_first=True), "audit_ref"))


# --------------------------------------------------------------------------- audits and findings


def planned_audits(user, *, country: str = "", firm: str = "", supplier: str = "", status: str = "") -> QuerySet[Audit]:
    """Audits still to take place that ``user`` may see, by their date (end date, else the
    date they are due by), filtered by the site's country (ISO code), the audit firm
    (case-insensitive, part of the name), the supplier (code or part of the name) and the
    status (one of ``UPCOMING_STATUSES``; anything else is ignored)."""
    audits = scope_to_user(Audit.objects.filter(status__in=UPCOMING_STATUSES), user, "site__supplier")
    if country:
        audits = audits.filter(site__country__iexact=country)
    if firm:
        audits = audits.filter(audit_firm__icontains=firm)
    if supplier:
        audits = audits.filter(Q(site__supplier__code__iexact=supplier) | Q(site__supplier__name__icontains=supplier))
    if status in UPCOMING_STATUSES:
        audits = audits.filter(status=status)
    return (audits.select_related("site__supplier").annotate(planned_on=Coalesce("conducted_on", "due_by"))
            .order_by(F("planned_on").asc(nulls_last=True), "audit_ref"))


def planned_audit_countries(user) -> list[str]:
    """Countries (ISO codes) of the sites with an audit still to take place that ``user`` may see."""
    audits = scope_to_user(Audit.objects.filter(status__in=UPCOMING_STATUSES), user, "site__supplier")
    return list(audits.order_by("site__country").values_list("site__country", flat=True).distinct())


FINDING_SORTS = {
    # The working due dates (an extension's, else the given one; audits.selectors.working_due).
    "due": ("correction_due_sort",), "cap_due": ("cap_due_sort",), "overdue": ("overdue_since",),
    "supplier": ("audit__site__supplier__name", "audit__site__supplier__code"),
    "finding": ("finding_ref",), "severity": ("severity_rank",),
}
SEVERITY_ORDER = ("priority", "major", "minor", "risk", "ofi")


def board_findings(user, today: dt.date, *, severity: str = "", status: str = "open", overdue: str = "",
                   cap_state: str = "", supplier: str = "", query: str = "", mine: str = "") -> QuerySet[Finding]:
    """The findings of the board (``findings_board``, the same filters) without its
    annotations and order: what the board counts (the supplier page's open findings).
    ``overdue`` filters by ``audits.selectors.overdue_conditions`` at ``today``."""
    findings = scope_to_user(Finding.objects.all(), user, "audit__site__supplier")
    if severity:
        findings = findings.filter(severity=severity)
    if status:
        findings = findings.filter(status=status)
    if overdue in ("cap", "correction", "any"):
        conditions = audit_selectors.overdue_conditions(today)
        findings = findings.filter(conditions["cap_overdue"] if overdue == "cap" else
                                   conditions["correction_overdue"] if overdue == "correction" else
                                   conditions["cap_overdue"] | conditions["correction_overdue"])
    if cap_state:
        findings = findings.filter(corrective_action__state=cap_state)
    if supplier:
        findings = findings.filter(audit__site__supplier__code=supplier)
    if mine:
        findings = findings.filter(audit__site__supplier__owner_id=user.pk)
    if query:
        findings = findings.filter(Q(finding_ref__icontains=query) | Q(description__icontains=query)
                                   | Q(audit__audit_ref__icontains=query)
                                   | Q(audit__site__supplier__name__icontains=query))
    return findings


def findings_board(user, today: dt.date, *, severity: str = "", status: str = "open", overdue: str = "",
                   cap_state: str = "", supplier: str = "", query: str = "", mine: str = "",
                   sort: str = "due") -> QuerySet[Finding]:
    """Findings the user may see, filtered (``board_findings``); each carries
    ``cap_overdue``/``correction_overdue`` and ``overdue_since`` at ``today``
    (``audits.selectors.with_overdue``); ``overdue`` is ``any``, ``cap``, ``correction`` or
    empty. ``sort``: a key of ``FINDING_SORTS`` (``due``, the earliest working correction due
    date first, by default; ``overdue``: the longest overdue first), ``-`` before it reverses;
    empty dates last either way, then by reference. ``mine``: only findings of suppliers the
    user owns."""
    findings = board_findings(user, today, severity=severity, status=status, overdue=overdue, cap_state=cap_state,
                              supplier=supplier, query=query, mine=mine)
    findings = audit_selectors.with_overdue(
        findings.select_related("audit__site__supplier", "provision", "corrective_action"), today)
    descending = sort.startswith("-")
    fields = FINDING_SORTS.get(sort.lstrip("-"), FINDING_SORTS["due"])
    if "severity_rank" in fields:
        findings = findings.annotate(severity_rank=Case(
            *[When(severity=name, then=Value(rank)) for rank, name in enumerate(SEVERITY_ORDER)],
            default=Value(len(SEVERITY_ORDER)), output_field=IntegerField()))
    findings = findings.alias(cap_due_sort=audit_selectors.working_due("cap_due_on"),
                              correction_due_sort=audit_selectors.working_due("correction_due_on"))
    order = [F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True) for name in fields]
    return findings.order_by(*order, "finding_ref")


def finding_for(user, ref: str, today: dt.date) -> Finding | None:
    """One finding the user may see, with its overdue flags at ``today``, or ``None``."""
    findings = (scope_to_user(Finding.objects.all(), user, "audit__site__supplier")
                .select_related("audit__site__supplier", "provision", "corrective_action", "closure_audit",
                                "termination_review"))
    return audit_selectors.with_overdue(findings, today).filter(finding_ref=ref).first()


# --------------------------------------------------------------------------- scoring


def values_awaiting_review(user) -> QuerySet[IndicatorValue]:
    """Submitted indicator values the user may see, oldest submission first."""
    return (scope_to_user(IndicatorValue.objects.filter(state=ValueState.SUBMITTED), user, "supplier")
            .select_related("supplier", "indicator").order_by("submitted_at", "id"))


def supplier_values(supplier: Supplier) -> QuerySet[IndicatorValue]:
    """The supplier's indicator values, newest submission first."""
    return (supplier.indicator_values.select_related("indicator")
            .order_by("-submitted_at", "-id"))


def runs() -> QuerySet[ScoreRun]:
    """Score runs, newest first, with their methodology."""
    return ScoreRun.objects.select_related("methodology").order_by("-created_at", "-id")


# --------------------------------------------------------------------------- screening


def screenings_board(user) -> QuerySet[Supplier]:
    """Candidate suppliers with their latest screening (two queries with the page)."""
    return (visible_suppliers(user).filter(status=SupplierStatus.CANDIDATE)
            .annotate(open_screenings=Count("screenings", filter=~Q(screenings__status=ScreeningStatus.DECIDED)))
            .order_by("code"))


def latest_screenings(supplier_ids: list[int]) -> dict[int, Screening]:
    return _latest_screenings(supplier_ids)


# --------------------------------------------------------------------------- notifications


def notifications_for(user) -> QuerySet[Notification]:
    """The user's own in-app notifications (``audits.selectors.notifications_for``)."""
    return audit_selectors.notifications_for(user)


def unread_notification_count(user) -> int:
    """The user's unread in-app notifications. One query."""
    return notifications_for(user).filter(read_at__isnull=True).count()


def change_history(user, model, *, limit: int = 20, **filters) -> list[dict] | None:
    """The latest ``limit`` recorded changes (``core.history.describe``) of ``model`` rows
    matching ``filters`` (e.g. ``id=...``, ``methodology_id=...``), newest first, for the
    "History" panels, each with ``readable`` (``portal.history_text``: labels and values in
    words); ``None`` for users who may not see the history (supplier users)."""
    if not roles.sees_internal_data(user):
        return None
    return readable(model, describe(model, history_rows(model).filter(**filters)[:limit]))


@dataclass
class MineralsSummary:
    """The latest accepted CMRT or EMRT of a supplier as scorecard.md section 9 counts it at
    ``as_of``: the counted smelters with their RMAP status, and those that keep the share of
    conformant smelters below 100 %."""

    template: str
    report: object | None
    units: list[dict] = field(default_factory=list)
    share: float | None = None
    stored_rows: int = 0

    @property
    def below_full(self) -> list[dict]:
        return [unit for unit in self.units if not unit["conformant"]]


def minerals_summary(supplier: Supplier, as_of: dt.date) -> list[MineralsSummary]:
    """Per template (CMRT, EMRT), the latest accepted report and its counted smelters
    (``scoring.derived.minerals_counted``, the rule of MIN-02/MIN-04) with the status in force
    at ``as_of``. At most four queries."""
    import pandas as pd

    from disclosure.minerals import latest_reports, smelter_list_at
    from scoring.derived import MINERALS_METALS, minerals_counted
    from scoring.inputs import MINERALS_ROW_COLUMNS, SMELTER_COLUMNS

    latest = latest_reports(supplier)
    if not any(latest.values()):
        return [MineralsSummary(template, None) for template in MINERALS_METALS]
    smelters = pd.DataFrame(list(smelter_list_at(as_of).values_list("smelter_id", "metal", "name", "status_at")),
                            columns=SMELTER_COLUMNS)
    summaries = []
    for template, metals in MINERALS_METALS.items():
        report = latest[template]
        if report is None:
            summaries.append(MineralsSummary(template, None))
            continue
        rows = pd.DataFrame(list(report.smelters.values_list(*MINERALS_ROW_COLUMNS)), columns=MINERALS_ROW_COLUMNS)
        units = minerals_counted(rows, smelters, metals).to_dict("records")
        share = 100.0 * sum(u["conformant"] for u in units) / len(units) if units else None
        summaries.append(MineralsSummary(template, report, units, share, len(rows)))
    return summaries
