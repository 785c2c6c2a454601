"""Admin building blocks. The admin is for administrators: objects whose changes matter are
shown with their history and changed only through admin actions that call the same services
as the API and the portal (docs/security.md)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin


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
