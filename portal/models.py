"""Records the portal adds: supplier documents and onboarding screenings.

Documents are stored under a generated name (``portal.uploads.stored_name``) and served
only through a view that scopes them to the user; the original name is kept for display.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from suppliers.models import Supplier


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
    # ``filename`` is already the generated name (portal.uploads.stored_name).
    return f"documents/{document.supplier_id}/{filename}"


class Document(models.Model):
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
        indexes = [models.Index(fields=["supplier", "kind"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.original_name})"

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

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="screenings",
                                 verbose_name=_("supplier"))
    status = models.CharField(_("status"), max_length=10, choices=ScreeningStatus.choices,
                              default=ScreeningStatus.OPEN, db_index=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    opened_by_label = models.CharField(_("opened by"), max_length=150, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by_label = models.CharField(_("submitted by"), max_length=150, blank=True)
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
    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="items",
                                  verbose_name=_("screening"))
    topic = models.CharField(_("topic"), max_length=30, choices=ScreeningTopic.choices)
    answer = models.TextField(_("supplier's answer"), blank=True)
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
        constraints = [models.UniqueConstraint(fields=["screening", "topic"], name="screening_item_unique_topic")]

    def __str__(self) -> str:
        return f"{self.screening_id} {self.topic} {self.verdict}"

    @property
    def is_iso(self) -> bool:
        return self.topic in ISO_TOPICS
