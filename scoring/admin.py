"""Admin screens for the scorecard. Methodologies, values and QBR components are read-only,
with their history; drafting, publishing, diffing and value reviews are admin actions that
run through the same services as the API and the portal."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from core import roles
from core.admin import ReadOnlyInline, ServiceOnlyAdmin, job_actions
from scoring import methodology_drafts, services
from scoring.models import (
    CoverageSnapshot,
    Indicator,
    IndicatorValue,
    Methodology,
    MethodologyIndicator,
    QbrComponent,
    QuarterClose,
    QuarterlyScore,
    QuarterOfficial,
    ScoreRun,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Results and records written by services: visible, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "category", "source"]
    list_filter = ["category", "source"]
    search_fields = ["code", "title"]


class MethodologyIndicatorInline(ReadOnlyInline):
    """Weights change on a draft through the API or the portal (``methodologies.weights_set``)."""

    model = MethodologyIndicator
    fields = ["indicator", "weight", "normalisation", "params"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Methodology)
class MethodologyAdmin(ServiceOnlyAdmin):
    list_display = ["version", "status", "based_on", "coverage_target", "published_at"]
    list_filter = ["status"]
    inlines = [MethodologyIndicatorInline]
    actions = ["create_draft_from", "publish", "diff_two"]

    def has_methodology_admin_permission(self, request):
        return roles.is_admin(request.user)

    def _require_admin(self, request):
        if not roles.is_admin(request.user):
            raise PermissionDenied

    @admin.action(description="Create a draft based on the selected version", permissions=["methodology_admin"])
    def create_draft_from(self, request, queryset):
        self._require_admin(request)
        for source in queryset:
            version = f"{source.version}-draft-{Methodology.objects.count() + 1}"
            methodology_drafts.draft_create(version=version, based_on=source, description="", actor=request.user)
            self.message_user(request, f"Draft {version} created from {source.version}.")

    @admin.action(description="Publish the selected drafts", permissions=["methodology_admin"])
    def publish(self, request, queryset):
        self._require_admin(request)
        for methodology in queryset:
            try:
                services.methodology_publish(methodology=methodology, actor=request.user)
            except services.MethodologyNotPublishable as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
            else:
                self.message_user(request, f"{methodology.version} published.")

    @admin.action(description="Compare the two selected versions")
    def diff_two(self, request, queryset):
        if queryset.count() != 2:
            self.message_user(request, "Select exactly two versions to compare.", level=messages.WARNING)
            return None
        first, second = queryset.order_by("id")
        context = {**self.admin_site.each_context(request), "diff": methodology_drafts.diff(first, second),
                   "title": f"{first.version} → {second.version}"}
        return TemplateResponse(request, "admin/scoring/methodology_diff.html", context)


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ServiceOnlyAdmin):
    """Values are added through imports, the API and the portal. The admin accepts selected
    submitted values through the review queue's bulk rule (``values_review``: all or nothing);
    a rejection needs its reason, written in the portal's review queue."""

    list_display = ["supplier", "quarter", "indicator", "value", "state", "origin", "submitted_at"]
    list_filter = ["state", "origin", "quarter", "indicator__category"]
    search_fields = ["supplier__code", "supplier__name", "indicator__code", "evidence_ref"]
    list_select_related = ["supplier", "indicator"]
    actions = ["accept"]

    def has_review_permission(self, request):
        return roles.can_write_master_data(request.user)

    @admin.action(description="Accept the selected submitted values", permissions=["review"])
    def accept(self, request, queryset):
        try:
            done = services.values_review(value_ids=list(queryset.values_list("pk", flat=True)),
                                          state="accepted", actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, f"Nothing was accepted: {text}", messages.ERROR)
            return
        self.message_user(request, f"{len(done)} value(s) accepted.")


@admin.register(QbrComponent)
class QbrComponentAdmin(ServiceOnlyAdmin):
    """Components change through ``import_qbr_components``, which records every row."""

    list_display = ["supplier", "quarter", "component", "score"]
    list_filter = ["quarter", "component"]
    search_fields = ["supplier__code", "supplier__name"]


@admin.register(ScoreRun)
class ScoreRunAdmin(ReadOnlyAdmin):
    """Runs are written by the recalculation; administrators cancel, retry or delete a
    mistaken one (with its results) through the same services as the portal, recorded."""

    list_display = ["id", "quarter", "methodology", "status", "trigger", "started_by_label", "created_at",
                    "duration_seconds", "attempts", "lease_expires_at"]
    list_filter = ["status", "quarter", "trigger"]
    actions = ["cancel_runs", "retry_runs", "delete_runs_with_results"]

    def _require_admin(self, request):
        if not roles.is_admin(request.user):
            raise PermissionDenied

    cancel_runs, retry_runs = job_actions(
        plural="runs", name=lambda run: f"Run {run.pk} of {run.quarter}",
        cancel=lambda run, actor: services.score_run_cancel(run=run, actor=actor),
        retry=lambda run, actor: services.score_run_retry(run=run, actor=actor),
        refused=services.RecalculationRefused)

    @admin.action(description="Delete the selected mistaken runs and their results")
    def delete_runs_with_results(self, request, queryset):
        self._require_admin(request)
        reason = (request.POST.get("reason") or "").strip()
        if not reason:
            context = {**self.admin_site.each_context(request), "runs": queryset, "title": "Delete runs",
                       "action": "delete_runs_with_results", "opts": self.model._meta}
            return TemplateResponse(request, "admin/scoring/scorerun_delete.html", context)
        for run in queryset:
            try:
                deleted = services.score_run_delete(run=run, actor=request.user, reason=reason)
            except services.RecalculationRefused as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
            else:
                self.message_user(request, f"Run {deleted['run']} of {deleted['quarter']} deleted with "
                                  f"{deleted['scores']} stored score(s) and {deleted.get('reports', 0)} report(s).")
        return None


@admin.register(QuarterlyScore)
class QuarterlyScoreAdmin(ReadOnlyAdmin):
    list_display = ["quarter", "methodology", "official", "supplier", "population", "rank", "score", "grade",
                     "flags_text"]
    list_filter = ["quarter", "official", "population", "grade"]
    search_fields = ["supplier__code", "supplier__name"]
    list_select_related = ["supplier"]


@admin.register(CoverageSnapshot)
class CoverageSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["quarter", "methodology", "official", "audit_met", "all_met", "run", "computed_at"]


@admin.register(QuarterOfficial)
class QuarterOfficialAdmin(ReadOnlyAdmin):
    list_display = ["quarter", "methodology", "run", "set_at"]


@admin.register(QuarterClose)
class QuarterCloseAdmin(ReadOnlyAdmin):
    list_display = ["quarter", "closed_at", "closed_by_label", "run"]
