from django.contrib import admin

from core.admin import ServiceOnlyAdmin
from disclosure.models import (
    Course,
    EmissionFactor,
    EmissionInventory,
    MineralsReport,
    Smelter,
    TrainingPerson,
    TrainingRecord,
    TrainingSession,
    TrainingSubmission,
)


@admin.register(EmissionFactor)
class EmissionFactorAdmin(admin.ModelAdmin):
    """Procurement admins maintain the factor table here; ``*`` is the default factor."""

    list_display = ["commodity", "tco2e_per_unit", "updated_at"]
    search_fields = ["commodity"]
    fields = ["commodity", "tco2e_per_unit"]


@admin.register(EmissionInventory)
class EmissionInventoryAdmin(ServiceOnlyAdmin):
    """Read-only with history: inventories change through ``import_emissions``, the supplier
    portal and the review in the procurement portal (disclosure/services.py)."""

    list_display = ["supplier", "year", "scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e",
                    "scope3_tco2e", "revenue", "revenue_currency", "source", "verified", "state"]
    list_filter = ["year", "source", "verified", "state"]
    search_fields = ["supplier__code", "supplier__name"]
    raw_id_fields = ["supplier"]


@admin.register(Smelter)
class SmelterAdmin(ServiceOnlyAdmin):
    """Read-only with history: the list changes through ``import_smelter_list`` (which keeps
    the status history)."""

    list_display = ["smelter_id", "metal", "name", "country", "status", "as_of"]
    list_filter = ["metal", "status"]
    search_fields = ["smelter_id", "name"]


@admin.register(MineralsReport)
class MineralsReportAdmin(ServiceOnlyAdmin):
    """Read-only with history: reports arrive through ``minerals_report_import`` and are
    reviewed through ``minerals_report_review`` (API, portal)."""

    list_display = ["supplier", "template", "version", "declaration_date", "state", "submitted_at"]
    list_filter = ["template", "state"]
    search_fields = ["supplier__code", "supplier__name", "company_name"]
    raw_id_fields = ["supplier"]


@admin.register(Course)
class CourseAdmin(ServiceOnlyAdmin):
    """Read-only with history: courses change through ``import_training`` (docs/training.md)."""

    list_display = ["code", "title", "required", "valid_months", "updated_at"]
    list_filter = ["required"]
    search_fields = ["code", "title", "title_zh"]


@admin.register(TrainingPerson)
class TrainingPersonAdmin(ServiceOnlyAdmin):
    """Read-only with history: the people of a supplier's training record."""

    list_display = ["supplier", "person_ref", "is_esg_staff", "active", "updated_at"]
    list_filter = ["is_esg_staff", "active"]
    search_fields = ["supplier__code", "supplier__name", "person_ref"]
    raw_id_fields = ["supplier"]


@admin.register(TrainingRecord)
class TrainingRecordAdmin(ServiceOnlyAdmin):
    """Read-only with history: records change through ``import_training`` and accepted submissions."""

    list_display = ["person", "course", "completed_on", "score", "state", "updated_at"]
    list_filter = ["state", "course"]
    search_fields = ["person__supplier__code", "person__person_ref", "course__code"]
    raw_id_fields = ["person"]


@admin.register(TrainingSubmission)
class TrainingSubmissionAdmin(ServiceOnlyAdmin):
    """Read-only with history: suppliers submit in the portal, procurement reviews there."""

    list_display = ["person", "course", "completed_on", "state", "submitted_at", "reviewed_at"]
    list_filter = ["state", "course"]
    search_fields = ["person__supplier__code", "person__person_ref", "course__code"]
    raw_id_fields = ["person", "certificate"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(ServiceOnlyAdmin):
    """Read-only with history: sessions are planned and their attendance recorded in the portal."""

    list_display = ["code", "held_on", "topic", "course", "updated_at"]
    search_fields = ["code", "topic"]
