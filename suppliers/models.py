"""Supplier master data: suppliers, their sites (factories), spend and FX rates; the
supplier's documents and its onboarding screening.

Documents are stored under a generated name (``core.uploads.stored_name``) and served
only through views that scope them to the user; the original name is kept for display.
Documents and screenings keep the tables they were created with (``portal_*``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.history import tracked_history
from core.quarter import Quarter
from suppliers import identifiers


class SupplierCategory(models.TextChoices):
    PRODUCTION = "production", _("Production")
    NON_PRODUCTION = "non_production", _("Non-production")


class SupplierStatus(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


class Tier(models.IntegerChoices):
    TIER_1 = 1, _("Tier 1")
    TIER_2 = 2, _("Tier 2")
    TIER_3 = 3, _("Tier 3")


class Supplier(models.Model):
    code = models.CharField(max_length=50, unique=True, help_text="ERP vendor id")
    name = models.CharField(max_length=255, db_index=True)
    legal_name = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166 alpha-2")
    category = models.CharField(max_length=20, choices=SupplierCategory.choices)
    commodity = models.CharField(max_length=120, blank=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    status = models.CharField(max_length=20, choices=SupplierStatus.choices, default=SupplierStatus.ACTIVE)
    termination_review = models.BooleanField(
        default=False, help_text="Set by a zero-tolerance finding until a decision is recorded."
    )
    publishable = models.BooleanField(
        default=True, help_text="May appear on the public supplier list (scorecard.md section 10)."
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_suppliers",
                              help_text="Category manager: the procurement analyst or admin who owns the supplier.")
    # Identifiers for matching third-party lists (suppliers.identifiers): checked, unique when set.
    lei = models.CharField("LEI", max_length=20, blank=True, validators=[identifiers.validate_lei],
                           help_text="Legal Entity Identifier (ISO 17442), 20 characters")
    # 13 wide: values stored before the check (e.g. "12-345-6789") keep fitting.
    duns = models.CharField("DUNS", max_length=13, blank=True, validators=[identifiers.validate_duns],
                            help_text="D-U-N-S number, 9 digits")
    ecovadis_id = models.CharField("EcoVadis id", max_length=64, blank=True,
                                   validators=[identifiers.validate_ecovadis_id])
    cdp_account = models.CharField("CDP account", max_length=64, blank=True,
                                   validators=[identifiers.validate_cdp_account])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = tracked_history()

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["country", "category", "status"]),
                   # The dashboard's "flagged for termination review", a handful among 100,000.
                   models.Index(fields=["code"], condition=models.Q(termination_review=True),
                                name="supplier_termination_review")]
        constraints = [
            models.UniqueConstraint(fields=[name], condition=~models.Q(**{name: ""}), name=f"supplier_unique_{name}")
            for name in identifiers.IDENTIFIER_FIELDS
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierStatusChange(models.Model):
    """Who moved a supplier from one status to another, when and why."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=SupplierStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=SupplierStatus.choices)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    changed_by_label = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.supplier_id}: {self.from_status or '-'} → {self.to_status}"


class SiteStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Site(models.Model):
    """A factory or other facility of a supplier; RBA audits attach to sites."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="sites")
    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=255)
    country = models.CharField(max_length=2)
    city = models.CharField(max_length=120, blank=True)
    province = models.CharField(max_length=120, blank=True)
    address = models.CharField(max_length=500, blank=True)
    is_production = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=SiteStatus.choices, default=SiteStatus.ACTIVE)

    history = tracked_history()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class QuarterField(models.CharField):
    """Stores a quarter as ``YYYY-Qn`` text: sorts chronologically and reads well in SQL."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 7)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def get_prep_value(self, value):
        if isinstance(value, Quarter):
            value = str(value)
        return super().get_prep_value(value)


class SpendRecord(models.Model):
    # Indexes (every one is paid for on each import row): the unique key serves lookups by
    # supplier (its leading column); quarter is read by equality, IN and ranges (spend_frame,
    # the API's filters, the admin's list filter), never by LIKE, so it has one plain index.
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="spend_records",
                                 db_index=False)
    quarter = QuarterField()
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=20, decimal_places=4)

    # The spend history is read by object (id) and by date (core.history.history_rows), never
    # by quarter or supplier: those copies of the model's indexes are left out.
    history = tracked_history(no_db_index=["quarter", "supplier"])

    class Meta:
        indexes = [models.Index(fields=["quarter"], name="spend_quarter")]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "quarter", "currency"], name="spend_unique_supplier_quarter_ccy"
            )
        ]
        ordering = ["supplier_id", "quarter", "currency"]

    def __str__(self) -> str:
        return f"{self.supplier_id} {self.quarter} {self.amount} {self.currency}"


class FxRate(models.Model):
    quarter = QuarterField()
    currency = models.CharField(max_length=3)
    rate_to_base = models.DecimalField(max_digits=24, decimal_places=10)

    history = tracked_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["quarter", "currency"], name="fx_unique_quarter_currency")]
        ordering = ["quarter", "currency"]

    def __str__(self) -> str:
        return f"{self.quarter} {self.currency} {self.rate_to_base}"


class SupplierMembership(models.Model):
    """Binds a supplier user to exactly one supplier."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supplier_membership"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="memberships")
    # Supplier contacts invited from the portal (suppliers.contacts): who invited them, in
    # which language they read e-mail, and who deactivated them, when and why.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    invited_by_label = models.CharField(_("invited by"), max_length=150, blank=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    deactivated_by_label = models.CharField(_("deactivated by"), max_length=150, blank=True)
    deactivation_reason = models.TextField(_("reason for deactivation"), blank=True)

    history = tracked_history()

    def __str__(self) -> str:
        return f"{self.user} @ {self.supplier.code}"


# --------------------------------------------------------------------------- documents


class DocumentKind(models.TextChoices):
    ISO_9001 = "iso_9001", _("ISO 9001 certificate")
    ISO_14001 = "iso_14001", _("ISO 14001 certificate")
    ISO_45001 = "iso_45001", _("ISO 45001 certificate")
    OTHER_CERTIFICATE = "certificate", _("Other certificate")
    CDP_RESPONSE = "cdp_response", _("CDP response")
    CMRT = "cmrt", _("CMRT (conflict minerals report)")
    EMRT = "emrt", _("EMRT (extended minerals report)")
    SUSTAINABILITY_REPORT = "sustainability_report", _("Sustainability report")
    AUDIT_REPORT = "audit_report", _("Audit report")
    CODE_OF_CONDUCT = "code_of_conduct", _("Signed supplier code of conduct")
    POLICY = "policy", _("Policy")
    EVIDENCE = "evidence", _("Evidence")
    OTHER = "other", _("Other")


CERTIFICATE_KINDS = (DocumentKind.ISO_9001, DocumentKind.ISO_14001, DocumentKind.ISO_45001,
                     DocumentKind.OTHER_CERTIFICATE)


def document_upload_to(document: Document, filename: str) -> str:
    # ``filename`` is already the generated name (core.uploads.stored_name).
    return f"documents/{document.supplier_id}/{filename}"


class Document(models.Model):

    # Historical table in ``core`` (``core_historical<model>``), made before these models moved here.
    history = tracked_history(app="core")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="documents",
                                 verbose_name=_("supplier"))
    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True, db_index=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("uploaded by"))
    uploaded_by_label = models.CharField(_("uploaded by"), max_length=150, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [models.Index(fields=["supplier", "kind"], name="portal_docu_supplie_7ca6ad_idx")]
        db_table = "portal_document"

    def __str__(self) -> str:
        return f"{self.title} ({self.original_name})"

    def save(self, *args, **kwargs) -> None:
        # A document belongs to the supplier it was uploaded for, whatever the path (admin,
        # shell, service): moving it would hand one supplier's file to another's users.
        if self.pk is not None and self._stored_supplier_id() not in (None, self.supplier_id):
            raise ValidationError({"supplier": _("A document's supplier never changes after upload.")})
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.pk is not None and self._stored_supplier_id() not in (None, self.supplier_id):
            raise ValidationError({"supplier": _("A document's supplier never changes after upload.")})

    def _stored_supplier_id(self) -> int | None:
        return type(self).objects.filter(pk=self.pk).values_list("supplier_id", flat=True).first()

    @property
    def is_certificate(self) -> bool:
        return self.kind in CERTIFICATE_KINDS

    def days_to_expiry(self, today: dt.date) -> int | None:
        return None if self.expires_on is None else (self.expires_on - today).days


# --------------------------------------------------------------------------- screening


class ScreeningTopic(models.TextChoices):
    """What our policy (domain.md) asks before a supplier becomes active."""

    SUSTAINABILITY_POLICY = "sustainability_policy", _("Sustainability policy")
    CODE_OF_CONDUCT = "code_of_conduct", _("Signed supplier code of conduct")
    ISO_9001 = "iso_9001", _("ISO 9001 certification")
    ISO_14001 = "iso_14001", _("ISO 14001 certification")
    ISO_45001 = "iso_45001", _("ISO 45001 certification")
    ESG_STANDARDS = "esg_standards", _("ESG standards followed")
    ENVIRONMENTAL_IMPACT = "environmental_impact", _("Environmental impact")
    FORCED_LABOUR = "forced_labour", _("Forced-labour prevention controls")
    PUBLIC_REPORTING = "public_reporting", _("Public reporting")
    OPERATIONS = "operations", _("Operations")
    FINANCIAL_STABILITY = "financial_stability", _("Financial stability")
    PRODUCT_SECURITY = "product_security", _("Product security")
    INFORMATION_SECURITY = "information_security", _("Information security")
    ESG_EXPECTATIONS = "esg_expectations", _("ESG expectations accepted")


ISO_TOPICS = (ScreeningTopic.ISO_9001, ScreeningTopic.ISO_14001, ScreeningTopic.ISO_45001)


class ScreeningStatus(models.TextChoices):
    OPEN = "open", _("Questionnaire open")
    SUBMITTED = "submitted", _("Submitted for review")
    DECIDED = "decided", _("Decided")


class ScreeningDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    CONDITIONAL = "conditional", _("Approved with conditions")
    REJECTED = "rejected", _("Rejected")


# Decisions that let a candidate become active.
ACTIVATING_DECISIONS = (ScreeningDecision.APPROVED, ScreeningDecision.CONDITIONAL)


class Screening(models.Model):
    """The onboarding screening of a candidate supplier: the questionnaire the supplier
    answers, the reviewer's verdict per item and the decision (who, when, why)."""

    # Historical table in ``core`` (``core_historical<model>``), made before these models moved here.
    history = tracked_history(app="core")

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="screenings",
                                 verbose_name=_("supplier"))
    status = models.CharField(_("status"), max_length=10, choices=ScreeningStatus.choices,
                              default=ScreeningStatus.OPEN, db_index=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    opened_by_label = models.CharField(_("opened by"), max_length=150, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by_label = models.CharField(_("submitted by"), max_length=150, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("submitted by"))
    decision = models.CharField(_("decision"), max_length=12, choices=ScreeningDecision.choices, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_by_label = models.CharField(_("decided by"), max_length=150, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        db_table = "portal_screening"
        constraints = [
            models.UniqueConstraint(fields=["supplier"], condition=~models.Q(status="decided"),
                                    name="one_undecided_screening_per_supplier"),
        ]

    def __str__(self) -> str:
        return f"screening {self.supplier_id} {self.status} {self.decision}"

    @property
    def allows_activation(self) -> bool:
        return self.status == ScreeningStatus.DECIDED and self.decision in ACTIVATING_DECISIONS

    @property
    def is_editable_by_supplier(self) -> bool:
        return self.status == ScreeningStatus.OPEN


class Verdict(models.TextChoices):
    PENDING = "pending", _("Not reviewed")
    SATISFACTORY = "satisfactory", _("Satisfactory")
    NEEDS_IMPROVEMENT = "needs_improvement", _("Needs improvement")
    UNSATISFACTORY = "unsatisfactory", _("Unsatisfactory")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class ScreeningItem(models.Model):

    # Historical table in ``core`` (``core_historical<model>``), made before these models moved here.
    history = tracked_history(app="core")
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="items",
                                  verbose_name=_("screening"))
    topic = models.CharField(_("topic"), max_length=30, choices=ScreeningTopic.choices)
    answer = models.TextField(_("supplier's answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("answered by"))
    evidence = models.ForeignKey(Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("evidence"))
    certificate_expires_on = models.DateField(_("certificate expires on"), null=True, blank=True)
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices, default=Verdict.PENDING)
    reviewer_comment = models.TextField(_("reviewer's comment"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by_label = models.CharField(_("reviewed by"), max_length=150, blank=True)

    class Meta:
        ordering = ["screening_id", "id"]
        verbose_name = _("screening item")
        verbose_name_plural = _("screening items")
        db_table = "portal_screeningitem"
        constraints = [models.UniqueConstraint(fields=["screening", "topic"], name="screening_item_unique_topic")]

    def __str__(self) -> str:
        return f"{self.screening_id} {self.topic} {self.verdict}"

    @property
    def is_iso(self) -> bool:
        return self.topic in ISO_TOPICS


class ScreeningCondition(models.Model):
    """One condition of a conditional approval, with the date it is due by and, once
    procurement confirms it, the day it was met (suppliers.screening)."""

    history = tracked_history()

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="condition_items",
                                  verbose_name=_("screening"))
    text = models.TextField(_("condition"))
    due_on = models.DateField(_("due on"))
    met_on = models.DateField(_("met on"), null=True, blank=True)
    met_by_label = models.CharField(_("confirmed by"), max_length=150, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("screening condition")
        verbose_name_plural = _("screening conditions")

    def __str__(self) -> str:
        return f"{self.screening_id} {self.due_on} {self.text[:40]}"

    def is_overdue(self, as_of) -> bool:
        """Not met and its due date has passed at ``as_of``."""
        return self.met_on is None and self.due_on < as_of
