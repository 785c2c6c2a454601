from django.contrib import admin

from disclosure.models import EmissionFactor, EmissionInventory


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
