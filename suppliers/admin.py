"""Supplier master data is read-only here, with its history: it changes through imports, the
API and the portal, whose services validate and record every change (docs/security.md)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyInline, ServiceOnlyAdmin
from suppliers.models import FxRate, Site, SpendRecord, Supplier, SupplierMembership, SupplierStatusChange


class SiteInline(ReadOnlyInline):
    model = Site
    fields = ["code", "name", "country", "city", "is_production", "status"]
    readonly_fields = fields


class StatusChangeInline(ReadOnlyInline):
    model = SupplierStatusChange
    readonly_fields = ["from_status", "to_status", "changed_at", "changed_by_label", "reason"]
    fields = readonly_fields
    show_change_link = False


@admin.register(Supplier)
class SupplierAdmin(ServiceOnlyAdmin):
    list_display = ["code", "name", "country", "category", "tier", "status", "termination_review"]
    list_filter = ["status", "category", "country", "tier", "termination_review"]
    search_fields = ["code", "name", "legal_name", "commodity"]
    inlines = [SiteInline, StatusChangeInline]


@admin.register(Site)
class SiteAdmin(ServiceOnlyAdmin):
    list_display = ["code", "name", "supplier", "country", "city", "is_production", "status"]
    list_filter = ["status", "is_production", "country"]
    search_fields = ["code", "name", "city", "supplier__code", "supplier__name"]
    list_select_related = ["supplier"]


@admin.register(SpendRecord)
class SpendRecordAdmin(ServiceOnlyAdmin):
    list_display = ["supplier", "quarter", "currency", "amount"]
    list_filter = ["quarter", "currency"]
    search_fields = ["supplier__code", "supplier__name"]
    list_select_related = ["supplier"]


@admin.register(FxRate)
class FxRateAdmin(ServiceOnlyAdmin):
    list_display = ["quarter", "currency", "rate_to_base"]
    list_filter = ["quarter", "currency"]


@admin.register(SupplierMembership)
class SupplierMembershipAdmin(SimpleHistoryAdmin):
    """Who may act for which supplier: access management, kept by procurement admins
    (``core.setup.ADMIN_ONLY_MODELS``); every change is in its history."""

    list_display = ["user", "supplier"]
    search_fields = ["user__username", "supplier__code", "supplier__name"]
    raw_id_fields = ["user", "supplier"]
