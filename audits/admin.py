"""Admin screens. Workflow fields (statuses, CAP states, closure, decisions) are read-only
here: they move through the API so that every change has who/when/why. What an admin
edits directly (audit details, finding texts and due dates, the provision catalogue and
the deadline table) goes through the same validation and change log as the API."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from audits import services
from audits.models import (
    Audit,
    CapEvidence,
    CapTransition,
    CorrectiveAction,
    DeadlineRule,
    Finding,
    Notification,
    Provision,
    TerminationReview,
)
from core.changelog import record_change


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FindingInline(ReadOnlyInline):
    model = Finding
    fk_name = "audit"
    fields = ["finding_ref", "provision", "severity", "zero_tolerance", "opened_on", "correction_due_on", "status"]
    readonly_fields = fields


class AuditForm(forms.ModelForm):
    class Meta:
        model = Audit
        fields = ["audit_ref", "site", "audit_type", "category", "protocol", "audit_firm", "rba_audit_id", "start_date",
                  "end_date", "due_by", "report_received_on", "score", "section_scores", "recognition", "saq_risk",
                  "parent", "report_file", "status", "responsible_analyst"]

    def _post_clean(self):
        super()._post_clean()
        # ``audit_errors`` needs the instance filled in from the form first.
        errors = services.audit_errors(self.instance)
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)


@admin.register(Audit)
class AuditAdmin(admin.ModelAdmin):
    form = AuditForm
    list_display = ["audit_ref", "site", "audit_type", "status", "end_date", "valid_until", "score", "recognition",
                    "saq_risk", "audit_firm"]
    list_filter = ["audit_type", "status", "category", "protocol", "recognition", "saq_risk"]
    search_fields = ["audit_ref", "rba_audit_id", "audit_firm", "site__code", "site__supplier__code"]
    list_select_related = ["site"]
    raw_id_fields = ["site", "parent", "responsible_analyst"]
    readonly_fields = ["valid_until", "created_at", "updated_at"]
    date_hierarchy = "end_date"
    inlines = [FindingInline]

    def get_readonly_fields(self, request, obj=None):
        # The status moves through the API (audits/{id}/change-status/) for the change log.
        return [*self.readonly_fields, "status"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        obj.valid_until = obj.computed_valid_until()
        super().save_model(request, obj, form, change)
        changes = {name: str(form.cleaned_data.get(name)) for name in form.changed_data}
        record_change(actor=request.user, entity_type="audit", entity_id=obj.audit_ref,
                      action="admin_update" if change else "admin_create", changes=changes)


class CapInline(ReadOnlyInline):
    model = CorrectiveAction
    fields = ["state", "manager", "owner", "planned_completion", "state_changed_at"]
    readonly_fields = fields


class FindingForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = list(services.FINDING_EDITABLE_FIELDS)

    def clean(self):
        cleaned = super().clean()
        for name in ("cap_due_on", "correction_due_on"):
            value = cleaned.get(name)
            if value is not None and self.instance.opened_on and value < self.instance.opened_on:
                self.add_error(name, "the due date is before the opened date")
        return cleaned


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    form = FindingForm
    list_display = ["finding_ref", "audit", "provision", "severity", "zero_tolerance", "opened_on", "cap_due_on",
                    "correction_due_on", "closed_on", "status"]
    list_filter = ["severity", "status", "zero_tolerance", "closed_via"]
    search_fields = ["finding_ref", "description", "audit__audit_ref", "audit__site__code"]
    list_select_related = ["audit", "provision"]
    raw_id_fields = ["audit", "provision", "closure_audit", "termination_review"]
    fields = ["finding_ref", "audit", "provision", "severity", "zero_tolerance", "description", "sample_share",
              "opened_on", "cap_due_on", "correction_due_on", "status", "closed_on", "closed_via", "closure_audit",
              "termination_review"]
    inlines = [CapInline]

    def get_readonly_fields(self, request, obj=None):
        editable = set(services.FINDING_EDITABLE_FIELDS) if obj and obj.is_open else set()
        return [name for name in self.fields if name not in editable]

    def has_add_permission(self, request):
        # Findings are recorded through the API or import, which start their CAP and deadlines.
        return False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        current = Finding.objects.get(pk=obj.pk)
        services.finding_update(finding=current, actor=request.user, reason="admin", **fields)


class CapTransitionInline(ReadOnlyInline):
    model = CapTransition
    fields = ["from_state", "to_state", "at", "by_label", "note"]
    readonly_fields = fields
    show_change_link = False


class CapEvidenceInline(ReadOnlyInline):
    model = CapEvidence
    fields = ["file", "description", "uploaded_at", "uploaded_by"]
    readonly_fields = fields
    show_change_link = False


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(admin.ModelAdmin):
    list_display = ["finding", "state", "manager", "owner", "planned_completion", "state_changed_at"]
    list_filter = ["state", "manager"]
    search_fields = ["finding__finding_ref", "owner", "root_cause"]
    list_select_related = ["finding"]
    readonly_fields = [f.name for f in CorrectiveAction._meta.fields]
    inlines = [CapTransitionInline, CapEvidenceInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Provision)
class ProvisionAdmin(admin.ModelAdmin):
    list_display = ["standard", "version", "code", "title"]
    list_filter = ["standard", "version"]
    search_fields = ["code", "title"]


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = ["severity", "cap_days", "cap_clock", "correction_days", "correction_days_health_safety",
                    "overall_limit_months"]
    readonly_fields = ["severity"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_change(actor=request.user, entity_type="deadline_rule", entity_id=obj.severity, action="admin_update",
                      changes={name: str(form.cleaned_data.get(name)) for name in form.changed_data})


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "threshold", "due_on", "subject", "emailed_at", "read_at",
                    "cancelled_at"]
    list_filter = ["kind", "threshold"]
    search_fields = ["subject", "recipient__username", "key"]
    list_select_related = ["recipient"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReviewFindingInline(ReadOnlyInline):
    model = Finding
    fk_name = "termination_review"
    fields = ["finding_ref", "severity", "provision", "opened_on", "status"]
    readonly_fields = fields


@admin.register(TerminationReview)
class TerminationReviewAdmin(admin.ModelAdmin):
    list_display = ["supplier", "opened_at", "decision", "decided_at", "decided_by_label"]
    list_filter = ["decision"]
    search_fields = ["supplier__code", "supplier__name", "reason"]
    list_select_related = ["supplier"]
    readonly_fields = [f.name for f in TerminationReview._meta.fields]
    inlines = [ReviewFindingInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Decisions go through termination-reviews/{id}/decide/ (who/when/why).
        return False
