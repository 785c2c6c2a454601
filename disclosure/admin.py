from django.contrib import admin

from disclosure.models import EmissionFactor, EmissionInventory, MineralsReport, Smelter


@admin.register(EmissionFactor)
class EmissionFactorAdmin(admin.ModelAdmin):
    """Procurement admins maintain the factor table here; ``*`` is the default factor."""

    list_display = ["commodity", "tco2e_per_unit", "updated_at"]
    search_fields = ["commodity"]
    fields = ["commodity", "tco2e_per_unit"]


@admin.register(EmissionInventory)
class EmissionInventoryAdmin(admin.ModelAdmin):
    list_display = ["supplier", "year", "scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e",
                    "scope3_tco2e", "revenue", "revenue_currency", "source", "verified", "state"]
    list_filter = ["year", "source", "verified", "state"]
    search_fields = ["supplier__code", "supplier__name"]
    raw_id_fields = ["supplier"]
    readonly_fields = ["submitted_at", "updated_at"]


@admin.register(Smelter)
class SmelterAdmin(admin.ModelAdmin):
    """Read-only: the list changes through ``import_smelter_list`` (which keeps the status history)."""

    list_display = ["smelter_id", "metal", "name", "country", "status", "as_of"]
    list_filter = ["metal", "status"]
    search_fields = ["smelter_id", "name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MineralsReport)
class MineralsReportAdmin(admin.ModelAdmin):
    """Read-only: reports arrive through ``minerals_report_import`` and are reviewed in the portal."""

    list_display = ["supplier", "template", "version", "declaration_date", "state", "submitted_at"]
    list_filter = ["template", "state"]
    search_fields = ["supplier__code", "supplier__name", "company_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
