"""Documents and screenings are read-only here: uploads and the screening workflow go through
the portal and the API, whose services check and record them. A document's supplier never
changes after upload."""

from django.contrib import admin

from core.admin import ReadOnlyInline, ServiceOnlyAdmin
from suppliers.models import Document, Screening, ScreeningItem


@admin.register(Document)
class DocumentAdmin(ServiceOnlyAdmin):
    list_display = ["title", "supplier", "kind", "original_name", "expires_on", "uploaded_at", "uploaded_by_label"]
    list_filter = ["kind"]
    search_fields = ["title", "original_name", "supplier__code", "supplier__name"]


class ScreeningItemInline(ReadOnlyInline):
    model = ScreeningItem
    fields = ["topic", "answer", "evidence", "certificate_expires_on", "verdict", "reviewer_comment"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Screening)
class ScreeningAdmin(ServiceOnlyAdmin):
    list_display = ["supplier", "status", "decision", "decided_by_label", "decided_at"]
    list_filter = ["status", "decision"]
    search_fields = ["supplier__code", "supplier__name"]
    inlines = [ScreeningItemInline]
