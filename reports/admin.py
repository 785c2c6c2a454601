from django.contrib import admin

from core.admin import job_actions
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
    cancel_reports, retry_reports = job_actions(
        plural="reports", name=lambda report: f"Report {report.pk}",
        cancel=lambda report, actor: services.report_cancel(report=report, actor=actor),
        retry=lambda report, actor: services.report_retry(report=report, actor=actor),
        refused=services.ReportRefused)
