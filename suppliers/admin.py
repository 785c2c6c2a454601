from django.contrib import admin

from suppliers.models import FxRate, Site, SpendRecord, Supplier, SupplierMembership, SupplierStatusChange


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ["code", "name", "country", "city", "is_production", "status"]


class StatusChangeInline(admin.TabularInline):
    model = SupplierStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "changed_at", "changed_by_label", "reason"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "category", "tier", "status", "termination_review"]
    list_filter = ["status", "category", "country", "tier", "termination_review"]
    search_fields = ["code", "name", "legal_name", "commodity"]
    # Status and publication changes go through the API/portal so that who/when/why is recorded.
    readonly_fields = ["status", "termination_review", "publishable", "created_at", "updated_at"]
    inlines = [SiteInline, StatusChangeInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "supplier", "country", "city", "is_production", "status"]
    list_filter = ["status", "is_production", "country"]
    search_fields = ["code", "name", "city", "supplier__code", "supplier__name"]
    list_select_related = ["supplier"]
    raw_id_fields = ["supplier"]


@admin.register(SpendRecord)
class SpendRecordAdmin(admin.ModelAdmin):
    list_display = ["supplier", "quarter", "currency", "amount"]
    list_filter = ["quarter", "currency"]
    search_fields = ["supplier__code", "supplier__name"]
    list_select_related = ["supplier"]
    raw_id_fields = ["supplier"]


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ["quarter", "currency", "rate_to_base"]
    list_filter = ["quarter", "currency"]


@admin.register(SupplierMembership)
class SupplierMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "supplier"]
    search_fields = ["user__username", "supplier__code", "supplier__name"]
    raw_id_fields = ["user", "supplier"]
