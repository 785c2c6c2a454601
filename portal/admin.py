from django.contrib import admin

from suppliers.models import Document, Screening, ScreeningItem


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "supplier", "kind", "original_name", "expires_on", "uploaded_at", "uploaded_by_label"]
    list_filter = ["kind"]
    search_fields = ["title", "original_name", "supplier__code", "supplier__name"]
    raw_id_fields = ["supplier", "uploaded_by"]


class ScreeningItemInline(admin.TabularInline):
    model = ScreeningItem
    extra = 0
    raw_id_fields = ["evidence"]


@admin.register(Screening)
class ScreeningAdmin(admin.ModelAdmin):
    list_display = ["supplier", "status", "decision", "decided_by_label", "decided_at"]
    list_filter = ["status", "decision"]
    search_fields = ["supplier__code", "supplier__name"]
    raw_id_fields = ["supplier", "decided_by"]
    inlines = [ScreeningItemInline]
