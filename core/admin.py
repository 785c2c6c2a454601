from django.contrib import admin

from core.models import ChangeLogEntry


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "entity_type", "entity_id", "action"]
    list_filter = ["entity_type", "action"]
    search_fields = ["entity_id", "actor_label", "reason"]
    readonly_fields = [f.name for f in ChangeLogEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
