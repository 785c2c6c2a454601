"""Admin screens. Workflow fields (statuses, CAP states, closure, decisions) are read-only
here: they move through the API and the portal so that every change has who/when/why. What
the admin edits (audit details, finding texts and due dates) goes through the same services
as the API (``audit_update``, ``finding_update``); a finding is never deleted, a procurement
admin may withdraw it (``finding_withdraw``, with a reason). The provision catalogue, the
deadline table and the register of audit firms are admin-only reference data. Every change is in the models' history."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from audits import services
from audits.models import (
    Audit,
    AuditFirm,
    CapEvidence,
    CapTransition,
    CorrectiveAction,
    DeadlineRule,
    Finding,
    Notification,
    Provision,
    TerminationReview,
)
from core import roles
from core.admin import ReadOnlyInline, ServiceOnlyAdmin


class FindingInline(ReadOnlyInline):
    model = Finding
    fk_name = "audit"
    fields = ["finding_ref", "provision", "severity", "zero_tolerance", "opened_on", "correction_due_on", "status"]
    readonly_fields = fields


class AuditForm(forms.ModelForm):
    class Meta:
        model = Audit
        fields = ["audit_ref", "site", "audit_type", "category", "protocol", "audit_firm", "rba_audit_id", "start_date",
                  "conducted_on", "due_by", "report_received_on", "score", "section_scores", "recognition", "saq_risk",
                  "parent", "report_file", "status", "responsible_analyst"]

    def _post_clean(self):
        super()._post_clean()
        # ``audit_errors`` needs the instance filled in from the form first.
        errors = services.audit_errors(self.instance)
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)


@admin.register(Audit)
class AuditAdmin(SimpleHistoryAdmin):
    form = AuditForm
    list_display = ["audit_ref", "site", "audit_type", "status", "conducted_on", "valid_until", "score", "recognition",
                    "saq_risk", "audit_firm"]
    list_filter = ["audit_type", "status", "category", "protocol", "recognition", "saq_risk"]
    search_fields = ["audit_ref", "rba_audit_id", "audit_firm", "site__code", "site__supplier__code"]
    list_select_related = ["site"]
    raw_id_fields = ["site", "parent", "responsible_analyst"]
    readonly_fields = ["valid_until", "created_at", "updated_at"]
    date_hierarchy = "conducted_on"
    inlines = [FindingInline]

    def get_readonly_fields(self, request, obj=None):
        # Only what ``audit_update`` accepts; the status moves through change-status (who/why).
        return [name for name in AuditForm.Meta.fields if name not in services.AUDIT_EDITABLE_FIELDS] \
            + self.readonly_fields

    def has_add_permission(self, request):
        # Audits are recorded through the API, the portal or import_audits.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in services.AUDIT_EDITABLE_FIELDS}
        services.audit_update(audit=Audit.objects.get(pk=obj.pk), actor=request.user, **fields)


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


class WithdrawForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Why the finding was recorded in error; kept in its history.")


@admin.register(Finding)
class FindingAdmin(SimpleHistoryAdmin):
    form = FindingForm
    list_display = ["finding_ref", "audit", "provision", "severity", "zero_tolerance", "opened_on", "cap_due_on",
                    "correction_due_on", "closed_on", "status"]
    list_filter = ["severity", "status", "zero_tolerance", "closed_via"]
    search_fields = ["finding_ref", "description", "audit__audit_ref", "audit__site__code"]
    list_select_related = ["audit", "provision"]
    raw_id_fields = ["audit", "provision", "closure_audit", "termination_review"]
    fields = ["finding_ref", "audit", "provision", "severity", "zero_tolerance", "description", "sample_share",
              "opened_on", "cap_due_on", "correction_due_on", "cap_due_extended_to", "correction_due_extended_to",
              "due_extension_reason", "status", "closed_on", "closed_via", "closure_audit",
              "termination_review", "withdrawn_at", "withdrawn_by", "withdrawal_reason"]
    inlines = [CapInline]
    actions = ["withdraw"]

    def get_readonly_fields(self, request, obj=None):
        editable = set(services.FINDING_EDITABLE_FIELDS) if obj and obj.is_open else set()
        return [name for name in self.fields if name not in editable]

    def has_add_permission(self, request):
        # Findings are recorded through the API or import, which start their CAP and deadlines.
        return False

    def has_delete_permission(self, request, obj=None):
        # Never deleted: a procurement admin withdraws a finding recorded in error.
        return False

    def has_withdraw_permission(self, request):
        return roles.is_admin(request.user)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        current = Finding.objects.get(pk=obj.pk)
        services.finding_update(finding=current, actor=request.user, reason="admin", **fields)

    @admin.action(description="Withdraw the selected findings (recorded in error)", permissions=["withdraw"])
    def withdraw(self, request, queryset):
        if not roles.is_admin(request.user):
            raise PermissionDenied
        form = WithdrawForm(request.POST if "reason" in request.POST else None)
        if not form.is_valid():
            context = {**self.admin_site.each_context(request), "title": "Withdraw findings", "form": form,
                       "findings": queryset, "opts": self.model._meta,
                       "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME}
            return TemplateResponse(request, "admin/audits/finding_withdraw.html", context)
        done = 0
        for finding in queryset:
            try:
                services.finding_withdraw(finding=finding, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                self.message_user(request, f"{finding.finding_ref}: {'; '.join(exc.messages)}", level=messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{done} finding(s) withdrawn.")
        return None


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
class CorrectiveActionAdmin(ServiceOnlyAdmin):
    list_display = ["finding", "state", "manager", "owner", "planned_completion", "state_changed_at"]
    list_filter = ["state", "manager"]
    search_fields = ["finding__finding_ref", "owner", "root_cause"]
    list_select_related = ["finding"]
    inlines = [CapTransitionInline, CapEvidenceInline]


@admin.register(Provision)
class ProvisionAdmin(SimpleHistoryAdmin):
    list_display = ["standard", "version", "code", "title"]
    list_filter = ["standard", "version"]
    search_fields = ["code", "title"]


@admin.register(AuditFirm)
class AuditFirmAdmin(SimpleHistoryAdmin):
    """The register of audit firms: reference data (planning suggests approved firms and
    flags others; it never changes a score). Kept by procurement admins; every change is in
    its history."""

    list_display = ["name", "approved", "countries"]
    list_filter = ["approved"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return False  # untick "approved" instead: audits keep naming the firm


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(SimpleHistoryAdmin):
    list_display = ["severity", "cap_days", "cap_clock", "correction_days", "correction_days_health_safety",
                    "overall_limit_months"]
    readonly_fields = ["severity"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False



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
class TerminationReviewAdmin(ServiceOnlyAdmin):
    list_display = ["supplier", "opened_at", "decision", "decided_at", "decided_by_label"]
    list_filter = ["decision"]
    search_fields = ["supplier__code", "supplier__name", "reason"]
    list_select_related = ["supplier"]
    # Decisions go through termination-reviews/{id}/decide/ (who/when/why).
    inlines = [ReviewFindingInline]
