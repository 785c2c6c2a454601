"""Admin building blocks. The admin is for administrators: objects whose changes matter are
shown with their history and changed only through admin actions that call the same services
as the API and the portal (docs/security.md)."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from core import roles


class ServiceOnlyAdmin(SimpleHistoryAdmin):
    """Read-only pages with a "History" button: no add, change or delete by hand. Subclasses
    may add actions that call services (validation, workflow and history included)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def job_actions(*, plural: str, name: Callable[[object], str], cancel: Callable[..., bool],
                retry: Callable[..., bool], refused: type[Exception]):
    """The admin actions ``(cancel, retry)`` of a job model (``core.jobs``: score runs,
    reports), for administrators only (``PermissionDenied`` otherwise), each job of the
    selection through the app's services, which record the action.

    ``plural`` names the jobs in the actions' descriptions ("reports"); ``name(job)`` in
    the messages ("Report 12"); ``cancel(job, actor)`` returns ``False`` when the job had
    finished; ``retry(job, actor)`` returns ``False`` when it is not failed or cancelled and
    raises ``refused`` (shown as an error) when it may not run again now. Assign them in the
    admin class: ``cancel_reports, retry_reports = job_actions(...)``."""

    @admin.action(description=f"Cancel the selected queued or running {plural}")
    def cancel_jobs(modeladmin, request, queryset):
        if not roles.is_admin(request.user):
            raise PermissionDenied
        for job in queryset:
            if cancel(job, request.user):
                modeladmin.message_user(request, f"{name(job)} cancelled.")
            else:
                modeladmin.message_user(request, f"{name(job)} had already finished.", level=messages.WARNING)

    @admin.action(description=f"Retry the selected failed or cancelled {plural}")
    def retry_jobs(modeladmin, request, queryset):
        if not roles.is_admin(request.user):
            raise PermissionDenied
        for job in queryset:
            try:
                retried = retry(job, request.user)
            except refused as exc:
                modeladmin.message_user(request, str(exc), level=messages.ERROR)
            else:
                if retried:
                    modeladmin.message_user(request, f"{name(job)} queued again.")
                else:
                    modeladmin.message_user(request, f"{name(job)} is {job.status}; only failed or cancelled "
                                            f"{plural} are retried.", level=messages.WARNING)

    return cancel_jobs, retry_jobs
