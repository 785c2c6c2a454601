"""Scorecard data: indicator catalogue, methodology versions, indicator values, QBR
components, recalculation runs and their stored results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.history import tracked_history
from core.jsontext import DocumentJSONField
from scoring.methodology import CATEGORIES, NORMALISATIONS
from suppliers.models import QuarterField, Supplier


class Indicator(models.Model):
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=CATEGORIES)
    source = models.CharField(max_length=10, choices=[("audit", _("Audit-derived")), ("reported", _("Reported"))])

    history = tracked_history()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class MethodologyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Methodology(models.Model):
    """A version of the scoring rules. Published versions are immutable; every stored
    score names the version that produced it."""

    version = models.CharField(max_length=30, unique=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=MethodologyStatus.choices, default=MethodologyStatus.DRAFT)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="drafts")
    coverage_target = models.DecimalField(max_digits=5, decimal_places=4, default="0.9500")
    # [["A", "85"], ["B", "70"], ["C", "50"], ["D", "0"]]: best first.
    grade_bands = models.JSONField(default=list)
    # {"quality": "30", "delivery": "25", "cost": "20", "service": "15", "esg": "10"}
    qbr_weights = models.JSONField(default=dict)
    audit_validity_months = models.PositiveSmallIntegerField(default=24)
    expiring_days = models.PositiveSmallIntegerField(default=90)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    history = tracked_history()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name_plural = "methodologies"

    def __str__(self) -> str:
        return f"{self.version} ({str(self.get_status_display()).lower()})"

    @property
    def is_published(self) -> bool:
        return self.status == MethodologyStatus.PUBLISHED


class MethodologyIndicator(models.Model):
    methodology = models.ForeignKey(Methodology, on_delete=models.CASCADE, related_name="indicators")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(max_digits=7, decimal_places=3)
    normalisation = models.CharField(max_length=10, choices=[(n, n) for n in NORMALISATIONS])
    params = models.JSONField(default=dict, blank=True)
    # scorecard.md section 9: a derived source for this indicator in this version
    # (``scoring.methodology.DERIVED_SOURCES``); empty = the catalogue's source (audit or reported).
    source = models.CharField(max_length=20, blank=True, default="",
                              help_text="Derived source (section 9); empty: the indicator's own source")

    history = tracked_history()

    class Meta:
        ordering = ["indicator__code"]
        constraints = [
            models.UniqueConstraint(fields=["methodology", "indicator"], name="methodology_indicator_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.methodology.version} {self.indicator.code} w={self.weight}"


class ValueState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class ValueOrigin(models.TextChoices):
    IMPORT = "import", _("Imported by procurement")
    PROCUREMENT = "procurement", _("Entered by procurement")
    SUPPLIER = "supplier", _("Submitted by the supplier")


class IndicatorValue(models.Model):
    """A reported raw value. Only ``accepted`` values count (scorecard.md section 5)."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="indicator_values")
    quarter = QuarterField(db_index=True)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    # Canonical text, validated at input: "72.5", "true"/"false", or the mapping code.
    value = models.CharField(max_length=60)
    source = models.CharField(max_length=200, blank=True)
    evidence_ref = models.CharField(max_length=300, blank=True)
    origin = models.CharField(max_length=12, choices=ValueOrigin.choices, default=ValueOrigin.IMPORT)
    state = models.CharField(max_length=10, choices=ValueState.choices, default=ValueState.SUBMITTED)
    submitted_at = models.DateTimeField(db_index=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    submitted_by_label = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    review_comment = models.TextField(blank=True)

    history = tracked_history()

    class Meta:
        ordering = ["supplier_id", "quarter", "indicator_id", "-submitted_at"]
        constraints = [
            # Imports upsert on (supplier, quarter, indicator); supplier submissions add rows.
            models.UniqueConstraint(fields=["supplier", "quarter", "indicator"], condition=models.Q(origin="import"),
                                    name="indicator_value_import_unique"),
        ]
        indexes = [models.Index(fields=["state", "quarter"])]

    def __str__(self) -> str:
        return f"{self.supplier_id} {self.quarter} {self.indicator_id}={self.value} ({self.state})"


class QbrComponentName(models.TextChoices):
    QUALITY = "quality", _("Quality")
    DELIVERY = "delivery", _("Delivery")
    COST = "cost", _("Cost")
    SERVICE = "service", _("Service")


class QbrComponent(models.Model):
    """A non-ESG component (0–100) of a supplier's quarterly business review card."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="qbr_components")
    quarter = QuarterField(db_index=True)
    component = models.CharField(max_length=10, choices=QbrComponentName.choices)
    score = models.DecimalField(max_digits=6, decimal_places=2)

    history = tracked_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supplier", "quarter", "component"], name="qbr_component_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id} {self.quarter} {self.component}={self.score}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class ScoreRun(models.Model):

    history = tracked_history()
    quarter = QuarterField(db_index=True)
    methodology = models.ForeignKey(Methodology, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=20, default="api")  # api, portal, command, schedule
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    started_by_label = models.CharField(max_length=150, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    # The job lifecycle (core/jobs.py): when the task was published, how many times a
    # worker claimed the run, and until when the running worker's claim holds.
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Work done while running (core.jobs.progress_of): "progress_done of progress_total".
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    # A preview computes (quarter, methodology) results that are never official: a draft's
    # what-if, compared side by side with the official results (docs/scoring.md, "Previews").
    preview = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The quarter lock: at most one queued or running official run per quarter.
            models.UniqueConstraint(fields=["quarter"],
                                    condition=models.Q(status__in=["queued", "running"], preview=False),
                                    name="scorerun_one_active_per_quarter"),
            # Previews lock per (quarter, methodology) and never hold the quarter.
            models.UniqueConstraint(fields=["quarter", "methodology"],
                                    condition=models.Q(status__in=["queued", "running"], preview=True),
                                    name="scorerun_one_active_preview"),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} {self.quarter} {self.status}"


class QuarterLock(models.Model):
    """Claimed with a conditional UPDATE so two runs of one quarter never overlap."""

    quarter = QuarterField(unique=True)
    run = models.ForeignKey(ScoreRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    locked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lock {self.quarter}: {'free' if self.run_id is None else f'run {self.run_id}'}"


class QuarterlyScore(models.Model):
    """The stored result of a supplier for a (quarter, methodology version): a new run of
    that pair replaces its rows atomically. ``official`` marks the rows of the version that
    is official for the quarter (``QuarterOfficial``); pages, exports and the API read those
    unless another version is asked for."""

    run = models.ForeignKey(ScoreRun, on_delete=models.PROTECT, related_name="scores")
    # Indexed by (supplier, quarter) below: the key's own index would only slow the recalculation's write.
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="scores", db_index=False)
    quarter = QuarterField()
    # Every read of a version's scores names the quarter too (the unique key's index serves it),
    # and a methodology is never deleted (ServiceOnlyAdmin): an index of its own would only slow
    # the recalculation's write of 100,000 rows (#13).
    methodology = models.ForeignKey(Methodology, on_delete=models.PROTECT, related_name="+", db_index=False)
    population = models.CharField(max_length=15, choices=[("full", _("Full scorecard")),
                                                          ("ecovadis_only", _("EcoVadis only"))])
    rank = models.PositiveIntegerField()
    spend_basis = models.DecimalField(max_digits=32, decimal_places=2)
    score = models.DecimalField(max_digits=5, decimal_places=2)
    grade = models.CharField(max_length=1)
    rba = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    environment = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    minerals = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    ecovadis = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    esg_disclosure = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    completeness = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    # ";"-joined, for filtering with ``contains`` (LIKE '%…%', which no b-tree index serves).
    flags_text = models.CharField(max_length=200, blank=True)
    qbr_total = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    qbr_incomplete = models.BooleanField(default=False)
    qbr_components = models.JSONField(default=dict, blank=True)
    # {code: {"raw": ..., "points": float|None, "status": "value"|"missing"|"not_applicable"}}
    points = models.JSONField(default=dict, blank=True)
    official = models.BooleanField(default=True)
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["quarter", "rank"]
        constraints = [models.UniqueConstraint(fields=["quarter", "methodology", "supplier"],
                                               name="quarterly_score_unique")]
        indexes = [
            # The scores API's order within one (quarter, version).
            models.Index(fields=["quarter", "methodology", "rank"], name="quarterly_score_qmr"),
            models.Index(fields=["supplier", "quarter"]),
            # The official results' orders at 100,000 suppliers (#13), each read straight from its
            # index: the scores API and the spend sort by rank (the id carried, so a deep page is an
            # index-only scan); the supplier list by score or grade, ties by rank (spend, biggest
            # first) in either direction, so a page never reads a whole group of equal scores; the
            # grade filter.
            models.Index(fields=["quarter", "rank"], include=["id"], condition=models.Q(official=True),
                         name="qscore_official_rank"),
            models.Index(fields=["quarter", "score", "rank"], condition=models.Q(official=True),
                         name="qscore_official_score"),
            models.Index(fields=["quarter", "-score", "rank"], condition=models.Q(official=True),
                         name="qscore_official_score_desc"),
            models.Index(fields=["quarter", "grade", "rank"], condition=models.Q(official=True),
                         name="qscore_official_grade"),
            models.Index(fields=["quarter", "-grade", "rank"], condition=models.Q(official=True),
                         name="qscore_official_grade_desc"),
        ]

    def __str__(self) -> str:
        return f"{self.quarter} {self.supplier_id} {self.score} {self.grade}"


class CoverageSnapshot(models.Model):
    """The section 7 coverage metrics of a (quarter, methodology version) as of its latest
    run; ``official`` as on ``QuarterlyScore``."""

    quarter = QuarterField()
    run = models.ForeignKey(ScoreRun, on_delete=models.PROTECT, related_name="+")
    methodology = models.ForeignKey(Methodology, on_delete=models.PROTECT, related_name="+")
    data = DocumentJSONField()  # about 20 MB at 100,000 suppliers: encoded with orjson
    audit_met = models.BooleanField()
    all_met = models.BooleanField()
    official = models.BooleanField(default=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["quarter", "methodology"], name="coverage_snapshot_unique")]

    def __str__(self) -> str:
        return f"coverage {self.quarter}"


class QuarterOfficial(models.Model):
    """Which methodology version's results are official for a quarter (the scores API, the
    CSV export, coverage, the dashboard and reports read them). Set by the official run that
    produced them or switched by an administrator; every change is in the history."""

    quarter = QuarterField(unique=True)
    methodology = models.ForeignKey(Methodology, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(ScoreRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    history = tracked_history()

    def __str__(self) -> str:
        return f"{self.quarter} official: {self.methodology_id}"


class QuarterClose(models.Model):
    """A closed quarter: its final results stay as they are; nightly runs leave it alone."""

    quarter = QuarterField(unique=True)
    run = models.ForeignKey(ScoreRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(auto_now_add=True)
    closed_by_label = models.CharField(max_length=150, blank=True)

    history = tracked_history()

    def __str__(self) -> str:
        return f"{self.quarter} closed"


# --------------------------------------------------------------------------- third-party lists


class ThirdPartyList(models.TextChoices):
    """The lists ``scoring.thirdparty`` imports (docs/industry-files.md)."""

    ECOVADIS = "ecovadis", _("EcoVadis scorecards")
    CDP = "cdp", _("CDP climate scores")
    SBTI = "sbti", _("SBTi target dashboard")


class EcoVadisMedal(models.TextChoices):
    PLATINUM = "platinum", _("Platinum")
    GOLD = "gold", _("Gold")
    SILVER = "silver", _("Silver")
    BRONZE = "bronze", _("Bronze")
    NONE = "none", _("No medal")


class EcoVadisScorecard(models.Model):
    """An EcoVadis scorecard of a supplier as imported: scores, medal and publication date.
    ``scored`` is false for a scorecard older than 12 months at import: kept for history,
    never turned into ECO-01…05 values."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="ecovadis_scorecards")
    published_on = models.DateField()
    medal = models.CharField(max_length=10, choices=EcoVadisMedal.choices, default=EcoVadisMedal.NONE)
    overall = models.DecimalField(max_digits=5, decimal_places=2)
    environment = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    labor_human_rights = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    ethics = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    sustainable_procurement = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    scored = models.BooleanField(default=True)
    source = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    history = tracked_history()

    class Meta:
        ordering = ["supplier_id", "-published_on"]
        constraints = [models.UniqueConstraint(fields=["supplier", "published_on"],
                                               name="ecovadis_scorecard_unique_supplier_date")]

    def __str__(self) -> str:
        return f"{self.supplier_id} {self.published_on} {self.overall} {self.medal}"


class MatchReviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class MatchReview(models.Model):
    """A row of a third-party list whose supplier is uncertain (fuzzy name, or an exact name
    that several suppliers share): it writes nothing until procurement confirms a supplier,
    which stores the row's identifier on that supplier and applies the row's values."""

    kind = models.CharField(max_length=10, choices=ThirdPartyList.choices)
    # Normalised name, country, identifier and quarter: one pending review per list and key.
    match_key = models.CharField(max_length=400)
    file_name = models.CharField(max_length=255, blank=True)
    line = models.PositiveIntegerField()
    company_name = models.CharField(max_length=255)
    country = models.CharField(max_length=2, blank=True)
    identifier_field = models.CharField(max_length=20, blank=True)
    identifier_value = models.CharField(max_length=64, blank=True)
    quarter = QuarterField()
    # {"values": {indicator code: canonical value}, "source": ..., "scorecard": {...} | None}
    payload = models.JSONField(default=dict)
    # [{"supplier_id", "code", "name", "score"}], best first
    candidates = models.JSONField(default=list)
    note = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=MatchReviewStatus.choices, default=MatchReviewStatus.PENDING,
                              db_index=True)
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_by_label = models.CharField(max_length=150, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = tracked_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "match_key"], condition=models.Q(status="pending"),
                                               name="match_review_one_pending_per_key")]

    def __str__(self) -> str:
        return f"{self.kind} row {self.line} {self.company_name} ({self.status})"
