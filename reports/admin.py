from django.contrib import admin

from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only: reports are requested through the API and written by the worker."""

    list_display = ["id", "quarter", "format", "supplier", "status", "progress", "requested_by_label", "created_at",
                    "run", "size"]
    list_filter = ["status", "format", "quarter"]
    search_fields = ["supplier__code", "supplier__name", "requested_by_label"]
    list_select_related = ["supplier", "run"]
    readonly_fields = [field.name for field in Report._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
