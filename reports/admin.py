from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from core import roles
from reports import services
from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only: reports are requested through the API and written by the worker; an
    administrator cancels or retries one through the services (recorded)."""

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

    actions = ["cancel_reports", "retry_reports"]

    @admin.action(description="Cancel the selected queued or running reports")
    def cancel_reports(self, request, queryset):
        if not roles.is_admin(request.user):
            raise PermissionDenied
        for report in queryset:
            if services.report_cancel(report=report, actor=request.user):
                self.message_user(request, f"Report {report.pk} cancelled.")
            else:
                self.message_user(request, f"Report {report.pk} had already finished.", level=messages.WARNING)

    @admin.action(description="Retry the selected failed or cancelled reports")
    def retry_reports(self, request, queryset):
        if not roles.is_admin(request.user):
            raise PermissionDenied
        for report in queryset:
            try:
                retried = services.report_retry(report=report, actor=request.user)
            except services.ReportRefused as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
            else:
                level = messages.INFO if retried else messages.WARNING
                self.message_user(request, f"Report {report.pk} queued again." if retried else
                                  f"Report {report.pk} is {report.status}; only failed or cancelled reports are "
                                  "retried.", level=level)
