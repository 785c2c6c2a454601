"""Supplier master data: suppliers, their sites (factories), spend and FX rates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.history import tracked_history
from core.quarter import Quarter


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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = tracked_history()

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["country", "category", "status"])]

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
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="spend_records")
    quarter = QuarterField(db_index=True)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=20, decimal_places=4)

    history = tracked_history()

    class Meta:
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

    history = tracked_history()

    def __str__(self) -> str:
        return f"{self.user} @ {self.supplier.code}"
