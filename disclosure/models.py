"""Suppliers' yearly greenhouse-gas inventories and the emission factors of the
spend-based estimate (scorecard.md section 11, contract.md "Additions")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.history import tracked_history
from core.jsontext import DocumentJSONField
from suppliers.models import Document, QuarterField, Supplier

DEFAULT_FACTOR = "*"


class InventorySource(models.TextChoices):
    CDP = "cdp", _("CDP")
    RBA = "rba", _("RBA platform")
    OTHER = "other", _("Other")


class InventoryState(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    SUBMITTED = "submitted", _("Submitted")
    REJECTED = "rejected", _("Rejected")


def _tco2e(**kwargs):
    return models.DecimalField(max_digits=24, decimal_places=6, **kwargs)


class EmissionInventory(models.Model):
    """One supplier's GHG inventory for one reporting year, in tCO2e.

    Only ``accepted`` inventories count (imports by procurement are accepted on import).
    """

    history = tracked_history()

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="emission_inventories")
    year = models.PositiveSmallIntegerField(help_text="Reporting year")
    scope1_tco2e = _tco2e()
    scope2_market_tco2e = _tco2e(null=True, blank=True)
    scope2_location_tco2e = _tco2e(null=True, blank=True)
    scope3_tco2e = _tco2e(null=True, blank=True)
    revenue = models.DecimalField(max_digits=24, decimal_places=4, null=True, blank=True)
    revenue_currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217")
    source = models.CharField(max_length=10, choices=InventorySource.choices, default=InventorySource.OTHER)
    verified = models.BooleanField(default=False, help_text="Externally verified")
    state = models.CharField(max_length=10, choices=InventoryState.choices, default=InventoryState.ACCEPTED)
    submitted_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    # A supplier's submission carries its evidence and, once reviewed, who decided and why.
    evidence = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    review_comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier_id", "-year"]
        constraints = [models.UniqueConstraint(fields=["supplier", "year"], name="inventory_unique_supplier_year")]
        verbose_name_plural = "emission inventories"

    def __str__(self) -> str:
        return f"{self.supplier_id} {self.year}"


class EmissionFactor(models.Model):
    """tCO2e per one unit of the base currency of spend, per commodity; ``*`` is the
    default factor. ``commodity_key`` (trimmed, lower-cased) is what matching uses."""

    history = tracked_history()

    commodity = models.CharField(max_length=120)
    commodity_key = models.CharField(max_length=120, unique=True, editable=False)
    tco2e_per_unit = models.DecimalField(max_digits=24, decimal_places=12)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["commodity_key"]

    def __str__(self) -> str:
        return f"{self.commodity}: {self.tco2e_per_unit}"

    def save(self, *args, **kwargs):
        # The admin edits this table directly; the key must follow the label it edits.
        self.commodity_key = commodity_key(self.commodity)
        super().save(*args, **kwargs)


def commodity_key(commodity: str | None) -> str:
    """How commodities are compared (section 11): trimmed and case-insensitive."""
    return (commodity or "").strip().lower()


# --------------------------------------------------------------------------- training records


class Course(models.Model):
    """One of the buyer's ESG courses. ``valid_months``: a completion counts for that many
    months (scorecard.md section 9); empty = never expires."""

    history = tracked_history()

    code = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=255)
    title_zh = models.CharField(max_length=255, blank=True)
    required = models.BooleanField(default=True)
    valid_months = models.PositiveSmallIntegerField(null=True, blank=True)
    material_url = models.URLField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class TrainingPerson(models.Model):
    """A person of a supplier, known by the supplier's own reference (personal data).
    ``is_esg_staff`` and ``active`` belong to the person: the latest import sets them."""

    history = tracked_history()

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="training_persons")
    person_ref = models.CharField(max_length=254, help_text="Staff id or e-mail (trimmed; e-mails lower-cased)")
    is_esg_staff = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier_id", "person_ref"]
        constraints = [models.UniqueConstraint(fields=["supplier", "person_ref"], name="training_person_unique_ref")]

    def __str__(self) -> str:
        return f"{self.supplier_id} {self.person_ref}"


class TrainingRecord(models.Model):
    """A person's enrolment in a course; ``completed_on`` empty = enrolled, not completed.
    Only ``accepted`` records count (imports by procurement are accepted on import)."""

    history = tracked_history()

    person = models.ForeignKey(TrainingPerson, on_delete=models.CASCADE, related_name="records")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="records")
    completed_on = models.DateField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    state = models.CharField(max_length=10, choices=InventoryState.choices, default=InventoryState.ACCEPTED)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person_id", "course_id"]
        constraints = [models.UniqueConstraint(fields=["person", "course"], name="training_record_unique_course")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.course_id} {self.completed_on or 'enrolled'}"


class TrainingSubmission(models.Model):
    """A completion a supplier registers for one of its persons, with the certificate, waiting
    for procurement's review. It counts only once accepted: acceptance writes the completion
    into the person's ``TrainingRecord`` (``disclosure.services.training_submission_review``);
    a rejection keeps the comment for the supplier."""

    history = tracked_history()

    person = models.ForeignKey(TrainingPerson, on_delete=models.CASCADE, related_name="submissions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="submissions")
    completed_on = models.DateField()
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    certificate = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=InventoryState.choices, default=InventoryState.SUBMITTED)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    review_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["person", "course"], condition=models.Q(state="submitted"),
                                               name="training_submission_one_pending")]
        indexes = [models.Index(fields=["state", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.course_id} {self.completed_on} ({self.state})"


def normalise_person_ref(text: str) -> str:
    """How person references are matched (section 9): trimmed, exact; an e-mail address
    (anything with ``@``) is lower-cased."""
    cleaned = text.strip()
    return cleaned.lower() if "@" in cleaned else cleaned


# --------------------------------------------------------------------------- responsible minerals


class Metal(models.TextChoices):
    """Metals of the RMI smelter list and templates (contract.md ``import_smelter_list``)."""

    TIN = "tin", _("Tin")
    TANTALUM = "tantalum", _("Tantalum")
    TUNGSTEN = "tungsten", _("Tungsten")
    GOLD = "gold", _("Gold")
    COBALT = "cobalt", _("Cobalt")
    MICA = "mica", _("Mica")
    COPPER = "copper", _("Copper")
    GRAPHITE = "graphite", _("Graphite")
    LITHIUM = "lithium", _("Lithium")
    NICKEL = "nickel", _("Nickel")


class RmapStatus(models.TextChoices):
    CONFORMANT = "conformant", _("Conformant")
    ACTIVE = "active", _("Active")
    NOT_ENROLLED = "not_enrolled", _("Not enrolled")


class Smelter(models.Model):
    """One facility of the RMI smelter/refiner list for one metal, with its current RMAP
    status (the status of its latest ``as_of``). Every dated status is kept in
    ``SmelterStatus``: a quarter reads the status in force at its date (scorecard.md §9)."""

    history = tracked_history()

    smelter_id = models.CharField(max_length=20, help_text="RMI smelter identification, e.g. CID000001")
    metal = models.CharField(max_length=10, choices=Metal.choices)
    name = models.CharField(max_length=255)
    country = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=RmapStatus.choices)
    as_of = models.DateField(help_text="Date of the list the current status comes from")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["metal", "smelter_id"]
        constraints = [models.UniqueConstraint(fields=["smelter_id", "metal"], name="smelter_unique_id_metal")]

    def __str__(self) -> str:
        return f"{self.smelter_id} {self.metal} {self.name}"


class SmelterStatus(models.Model):
    """A smelter's RMAP status as of one list date; in force from ``as_of`` until the next one."""

    smelter = models.ForeignKey(Smelter, on_delete=models.CASCADE, related_name="statuses")
    as_of = models.DateField()
    status = models.CharField(max_length=12, choices=RmapStatus.choices)

    class Meta:
        ordering = ["smelter_id", "as_of"]
        constraints = [models.UniqueConstraint(fields=["smelter", "as_of"], name="smelter_status_unique_as_of")]

    def __str__(self) -> str:
        return f"{self.smelter_id} {self.as_of} {self.status}"


class MineralsTemplate(models.TextChoices):
    CMRT = "cmrt", _("CMRT")
    EMRT = "emrt", _("EMRT")


class MineralsReport(models.Model):
    """A supplier's CMRT or EMRT as read from the RMI workbook: the declaration (company,
    scope, declaration date, answers) and its smelter rows. Only ``accepted`` reports count
    (procurement's imports are accepted on import; a supplier's upload waits for review)."""

    history = tracked_history()

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="minerals_reports")
    template = models.CharField(max_length=4, choices=MineralsTemplate.choices)
    version = models.CharField(max_length=10, help_text="Template revision, from Declaration!J3")
    company_name = models.CharField(max_length=255, blank=True)
    declaration_scope = models.CharField(max_length=255, blank=True)
    declaration_date = models.DateField(help_text="Effective Date (Date of Completion in older templates)")
    answers = models.JSONField(default=list, blank=True,
                               help_text="[{question, metal, answer}] as read from the Declaration sheet")
    products = models.JSONField(default=list, blank=True,
                                help_text="[{row, cells: {header: text}}] as read from the CMRT's Product List")
    mines = models.JSONField(default=list, blank=True,
                             help_text="[{row, cells: {header: text}}] as read from the EMRT's Mine List")
    original_name = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=10, choices=InventoryState.choices, default=InventoryState.ACCEPTED)
    submitted_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    review_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["supplier_id", "template", "-declaration_date", "-id"]
        indexes = [models.Index(fields=["template", "state", "declaration_date"], name="minerals_report_window")]

    def __str__(self) -> str:
        return f"{self.supplier_id} {self.template} {self.version} {self.declaration_date}"


class MineralsReportSmelter(models.Model):
    """One non-blank row of a report's Smelter List sheet, as written (cells trimmed)."""

    report = models.ForeignKey(MineralsReport, on_delete=models.CASCADE, related_name="smelters")
    row = models.PositiveIntegerField(help_text="Row in the Smelter List sheet")
    metal = models.CharField(max_length=50, blank=True, help_text="As written (trimmed)")
    smelter_id_input = models.CharField(max_length=50, blank=True,
                                        help_text="Smelter Identification Number Input Column (typed)")
    smelter_lookup = models.CharField(max_length=255, blank=True)
    smelter_name = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=100, blank=True)
    smelter_identification = models.CharField(max_length=50, blank=True,
                                              help_text="Smelter Identification (filled from the look-up)")
    id_source = models.CharField(max_length=255, blank=True,
                                 help_text="Source of Smelter Identification Number")

    class Meta:
        ordering = ["report_id", "row"]

    def __str__(self) -> str:
        return f"{self.report_id} row {self.row}"
class TrainingSession(models.Model):
    """A webinar or on-site session the buyer runs (issue #14): ``held_on``, a topic, and the
    course it teaches (optional). Attendance is imported or ticked in the portal."""

    history = tracked_history()

    code = models.CharField(max_length=50, unique=True)
    held_on = models.DateField()
    topic = models.CharField(max_length=255)
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-held_on", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.held_on} {self.topic}"


class SessionAttendance(models.Model):
    """One person of a supplier attended one session (the person reference is personal data)."""

    history = tracked_history()

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(TrainingPerson, on_delete=models.CASCADE, related_name="attendances")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session_id", "person_id"]
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="session_attendance_unique")]

    def __str__(self) -> str:
        return f"{self.session_id} {self.person_id}"


class EmissionsEstimate(models.Model):
    """The section 11 estimate of a quarter as stored after its latest successful
    recalculation (``disclosure.services.store_emissions_estimate``), so that the dashboard
    reads one row. ``data`` is the ``emissions_report --format json`` document."""

    quarter = QuarterField(unique=True)
    data = DocumentJSONField()  # a line per scored supplier: encoded with orjson
    # ``data`` without its supplier lines beyond the first ``HEAD_LINES`` (the largest
    # emitters): what the dashboard shows, a few hundred bytes instead of a line per supplier.
    head = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    HEAD_LINES = 20

    def __str__(self) -> str:
        return f"emissions estimate {self.quarter}"

    def save(self, *args, **kwargs):
        # The head always follows the document, whoever writes it.
        self.head = self.head_of(self.data or {})
        if kwargs.get("update_fields") is not None and "data" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "head"}
        super().save(*args, **kwargs)

    @classmethod
    def head_of(cls, report: dict) -> dict:
        """``report`` with its first ``HEAD_LINES`` supplier lines only."""
        return {**report, "suppliers": list(report.get("suppliers", []))[:cls.HEAD_LINES]}
