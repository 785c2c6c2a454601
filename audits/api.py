"""REST endpoints for audits, findings, corrective action plans, provisions, the site
audit cycle, notifications, termination reviews and the deadline table.

Views translate HTTP only: every write goes through ``audits.services`` /
``audits.escalation``, and every queryset through ``SupplierScopedMixin``, so a supplier
user sees only its own rows and gets 404 for anyone else's.
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from audits import dates, escalation, importers, selectors, services
from audits.models import (
    DECISION_CHOICES,
    Audit,
    AuditStatus,
    CapEvidence,
    CapTransition,
    CorrectiveAction,
    DeadlineRule,
    Finding,
    Notification,
    Provision,
    Severity,
    TerminationReview,
)
from core import roles
from core.api import IdentifierField, IdentifierModelSerializerMixin, IdentifierSlugRelatedField, ImportActionMixin
from core.api_parsers import FormParser, JSONParser, MultiPartParser
from core.quarter import today as business_day
from suppliers.models import Site
from suppliers.scoping import SupplierScopedMixin
from suppliers.selectors import scope_to_user, visible_suppliers


class HasRole(IsAuthenticated):
    """Any user with a role (for endpoints scoped to the user's own rows)."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and roles.role_of(request.user) is not None


# --------------------------------------------------------------------------- audits


class AuditSerializer(serializers.ModelSerializer):
    audit_ref = IdentifierField(max_length=80, required=False)
    site_code = IdentifierSlugRelatedField(source="site", slug_field="code", queryset=Site.objects.all())
    supplier_code = serializers.CharField(source="site.supplier.code", read_only=True)
    supplier_termination_review = serializers.BooleanField(source="site.supplier.termination_review", read_only=True)
    end_date = serializers.DateField(source="conducted_on", read_only=True)  # earlier name, read-only
    parent_ref = IdentifierSlugRelatedField(source="parent", slug_field="audit_ref", required=False, allow_null=True,
                                              queryset=Audit.objects.all())

    class Meta:
        model = Audit
        fields = [
            "id", "audit_ref", "site_code", "supplier_code", "supplier_termination_review", "audit_type", "category",
            "protocol", "audit_firm", "rba_audit_id", "start_date", "conducted_on", "end_date", "due_by",
            "report_received_on", "score", "section_scores", "recognition", "saq_risk", "parent_ref", "report_file",
            "status", "valid_until", "responsible_analyst", "created_at", "updated_at",
        ]
        read_only_fields = ["status", "valid_until", "created_at", "updated_at"]

    def validate_section_scores(self, value):
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, int | float) and 0 <= v <= 200 for k, v in value.items()):
            raise serializers.ValidationError("give a mapping of section to a score between 0 and 200")
        return value

    def validate(self, attrs):
        if self.instance is not None and "audit_ref" in attrs and attrs["audit_ref"] != self.instance.audit_ref:
            raise serializers.ValidationError({"audit_ref": "the reference of an audit cannot change"})
        if self.instance is not None and "site" in attrs and attrs["site"] != self.instance.site:
            raise serializers.ValidationError({"site_code": "an audit cannot move to another site"})
        if self.instance is not None and "audit_type" in attrs and attrs["audit_type"] != self.instance.audit_type:
            raise serializers.ValidationError({"audit_type": "the type of an audit cannot change"})
        return attrs


class AuditStatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AuditStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AuditScheduleSerializer(serializers.Serializer):
    audit_firm = serializers.CharField(required=False, allow_blank=True, default="")
    start_date = serializers.DateField()
    conducted_on = serializers.DateField()


class AuditPlanSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False)
    horizon_days = serializers.IntegerField(required=False, min_value=0, max_value=3650, allow_null=True,
                                            default=None, help_text="default: the methodology's expiring days")
    limit = serializers.IntegerField(required=False, min_value=1, allow_null=True, default=None)
    audit_firm = serializers.CharField(required=False, allow_blank=True, default="")


class AuditFilter(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="site__code")
    supplier = django_filters.CharFilter(field_name="site__supplier__code")
    conducted_after = django_filters.DateFilter(field_name="conducted_on", lookup_expr="gte")
    conducted_before = django_filters.DateFilter(field_name="conducted_on", lookup_expr="lte")

    class Meta:
        model = Audit
        fields = ["site", "supplier", "audit_type", "status", "category", "protocol", "recognition", "saq_risk"]


class AuditViewSet(ImportActionMixin, SupplierScopedMixin, viewsets.ModelViewSet):
    queryset = Audit.objects.select_related("site__supplier", "parent")
    serializer_class = AuditSerializer
    filterset_class = AuditFilter
    search_fields = ["audit_ref", "site__code", "site__supplier__code", "audit_firm", "rba_audit_id"]
    ordering_fields = ["conducted_on", "audit_ref", "score", "valid_until", "due_by"]
    supplier_path = "site__supplier"
    importer_class = importers.AuditImporter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.audit_create(site=data.pop("site"), audit_type=data.pop("audit_type"),
            audit_ref=data.pop("audit_ref", ""), actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        for name in ("audit_ref", "site", "audit_type"):
            data.pop(name, None)
        serializer.instance = services.audit_update(audit=serializer.instance,
                                           actor=self.request.user, **data)

    def _respond(self, audit):
        return Response(AuditSerializer(self.get_queryset().get(pk=audit.pk), context={"request": self.request}).data)

    @extend_schema(request=AuditStatusChangeSerializer, responses=AuditSerializer)
    @action(detail=True, methods=["post"], url_path="change-status")
    def change_status(self, request, pk=None):
        audit = self.get_object()
        payload = AuditStatusChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        audit = services.audit_change_status(audit=audit, actor=request.user,
                             status=payload.validated_data["status"], note=payload.validated_data["note"])
        return self._respond(audit)

    @extend_schema(request=AuditScheduleSerializer, responses=AuditSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        audit = self.get_object()
        payload = AuditScheduleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        audit = services.audit_schedule(audit=audit, actor=request.user, **payload.validated_data)
        return self._respond(audit)

    @extend_schema(request=AuditPlanSerializer, responses={201: AuditSerializer(many=True)})
    @action(detail=False, methods=["post"], pagination_class=None)  # the audits created: a plain list
    def plan(self, request):
        """Create planned full audits for the sites that are due, biggest spend first."""
        payload = AuditPlanSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        planned = services.audits_plan(as_of=data.get("as_of") or business_day(),
                               horizon_days=data["horizon_days"], limit=data["limit"],
                               audit_firm=data["audit_firm"], actor=request.user)
        audits = self.get_queryset().filter(pk__in=[a.pk for a in planned]).order_by("id")
        return Response(AuditSerializer(audits, many=True, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- findings


class FindingSerializer(IdentifierModelSerializerMixin, serializers.ModelSerializer):
    identifier_fields = ("finding_ref",)
    audit_ref = IdentifierSlugRelatedField(source="audit", slug_field="audit_ref", queryset=Audit.objects.all())
    site_code = serializers.CharField(source="audit.site.code", read_only=True)
    supplier_code = serializers.CharField(source="audit.site.supplier.code", read_only=True)
    supplier_termination_review = serializers.BooleanField(source="audit.site.supplier.termination_review",
                                                           read_only=True)
    provision = serializers.PrimaryKeyRelatedField(queryset=Provision.objects.all(), required=False)
    provision_code = IdentifierField(required=False, write_only=True,
                                           help_text="RBA Code section, e.g. A1 (newest code version)")
    provision_label = serializers.CharField(source="provision.__str__", read_only=True)
    zero_tolerance = serializers.BooleanField(required=False, allow_null=True, default=None,
                                              help_text="Default: true for a Priority finding in A1/A2.")
    due_on = serializers.DateField(source="correction_due_on", read_only=True)
    closure_audit_ref = serializers.CharField(source="closure_audit.audit_ref", read_only=True, default=None)
    cap_id = serializers.IntegerField(source="corrective_action.id", read_only=True, default=None)
    cap_state = serializers.CharField(source="corrective_action.state", read_only=True, default=None)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True, default=False)

    class Meta:
        model = Finding
        fields = [
            "id", "finding_ref", "audit_ref", "site_code", "supplier_code", "supplier_termination_review",
            "provision", "provision_code", "provision_label", "severity", "zero_tolerance", "description",
            "sample_share", "opened_on", "cap_due_on", "correction_due_on", "due_on", "cap_due_extended_to",
            "correction_due_extended_to", "due_extension_reason", "closed_on", "closed_via",
            "closure_audit_ref", "status", "overdue", "cap_id", "cap_state", "termination_review",
            "created_at", "updated_at",
        ]
        read_only_fields = ["closed_on", "closed_via", "status", "termination_review", "created_at", "updated_at",
                            "cap_due_extended_to", "correction_due_extended_to", "due_extension_reason"]
        extra_kwargs = {"finding_ref": {"required": False}}

    def validate(self, attrs):
        if self.instance is None:
            code = attrs.pop("provision_code", None)
            if attrs.get("provision") is None:
                if not code:
                    raise serializers.ValidationError({"provision_code": "give the provision (id or code)"})
                found = selectors.rba_provisions_by_code().get(code.strip().lower())
                if found is None:
                    raise serializers.ValidationError({"provision_code": f"unknown provision code '{code}'"})
                attrs["provision"] = Provision.objects.get(pk=found[0])
            for name in ("severity", "opened_on"):
                if name not in attrs:
                    raise serializers.ValidationError({name: "This field is required."})
        else:
            fixed = {"finding_ref", "audit", "provision", "provision_code", "severity", "opened_on"} & set(attrs)
            if fixed:
                raise serializers.ValidationError(
                    dict.fromkeys(sorted(fixed), "cannot change after the finding is recorded"))
            if attrs.get("zero_tolerance", False) is None:
                attrs.pop("zero_tolerance")
        return attrs


class FindingCloseSerializer(serializers.Serializer):
    closed_on = serializers.DateField(required=False)
    closure_audit_ref = IdentifierSlugRelatedField(slug_field="audit_ref", queryset=Audit.objects.all(),
                                                     required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class FindingWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="why the finding was recorded in error; kept in its history")


class FindingExtendSerializer(serializers.Serializer):
    deadline = serializers.ChoiceField(choices=["cap", "correction"], help_text="which due date to extend")
    due_on = serializers.DateField(help_text="the new working due date (not before today)")
    reason = serializers.CharField(help_text="why the due date is extended; kept in the finding's history")


class FindingFilter(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="audit__site__code")
    supplier = django_filters.CharFilter(field_name="audit__site__supplier__code")
    audit = django_filters.CharFilter(field_name="audit__audit_ref")
    provision_code = django_filters.CharFilter(field_name="provision__code", lookup_expr="iexact")
    overdue = django_filters.BooleanFilter(field_name="is_overdue")
    opened_after = django_filters.DateFilter(field_name="opened_on", lookup_expr="gte")
    opened_before = django_filters.DateFilter(field_name="opened_on", lookup_expr="lte")

    class Meta:
        model = Finding
        fields = ["site", "supplier", "audit", "severity", "status", "zero_tolerance", "provision_code", "overdue"]


class FindingViewSet(SupplierScopedMixin, ImportActionMixin, viewsets.ModelViewSet):
    queryset = Finding.objects.select_related(
        "audit__site__supplier", "provision", "corrective_action", "closure_audit")
    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    search_fields = ["finding_ref", "description", "audit__audit_ref", "audit__site__code"]
    ordering_fields = ["opened_on", "correction_due_on", "cap_due_on", "severity", "finding_ref"]
    supplier_path = "audit__site__supplier"
    importer_class = importers.FindingImporter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.with_overdue(super().get_queryset(), business_day())

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.finding_create(audit=data.pop("audit"), provision=data.pop("provision"),
            severity=data.pop("severity"), opened_on=data.pop("opened_on"), actor=self.request.user, **data)

    def perform_update(self, serializer):
        serializer.instance = services.finding_update(finding=serializer.instance,
                                           actor=self.request.user, **serializer.validated_data)

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response.data = self.get_serializer(self.get_queryset().get(pk=response.data["id"])).data
        return response

    def update(self, request, *args, **kwargs):
        super().update(request, *args, **kwargs)
        return Response(self.get_serializer(self.get_queryset().get(pk=kwargs["pk"])).data)

    @extend_schema(request=FindingCloseSerializer, responses=FindingSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close a finding whose CAP is verified (an opportunity for improvement needs none)."""
        finding = self.get_object()
        payload = FindingCloseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.finding_close(finding=finding, actor=request.user, closed_on=data.get("closed_on"),
                     closure_audit=data.get("closure_audit_ref"), note=data["note"])
        return Response(self.get_serializer(self.get_queryset().get(pk=finding.pk)).data)

    @extend_schema(request=FindingWithdrawSerializer, responses=FindingSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Withdraw a finding recorded in error (procurement admins; ``services.finding_withdraw``)."""
        finding = self.get_object()
        payload = FindingWithdrawSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.finding_withdraw(finding=finding, actor=request.user, reason=payload.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=finding.pk)).data)


    @extend_schema(request=FindingExtendSerializer, responses=FindingSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """Extend the finding's CAP or correction due date with a reason
        (``services.findings_extend_due``: the working due date moves, RBA-06 does not)."""
        finding = self.get_object()
        payload = FindingExtendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.findings_extend_due(finding_ids=[finding.pk], deadline=data["deadline"], due_on=data["due_on"],
                                     reason=data["reason"], actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=finding.pk)).data)


# --------------------------------------------------------------------------- CAPs


class CapTransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapTransition
        fields = ["from_state", "to_state", "at", "by_label", "note"]


class CapEvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapEvidence
        fields = ["id", "file", "description", "uploaded_at"]
        read_only_fields = ["uploaded_at"]


class CorrectiveActionSerializer(serializers.ModelSerializer):
    finding = serializers.PrimaryKeyRelatedField(queryset=Finding.objects.none())
    finding_ref = serializers.CharField(source="finding.finding_ref", read_only=True)
    severity = serializers.CharField(source="finding.severity", read_only=True)
    supplier_code = serializers.CharField(source="finding.audit.site.supplier.code", read_only=True)
    cap_due_on = serializers.DateField(source="finding.cap_due_on", read_only=True)
    transitions = CapTransitionSerializer(many=True, read_only=True)
    evidence = CapEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = CorrectiveAction
        fields = [
            "id", "finding", "finding_ref", "severity", "supplier_code", "cap_due_on", "manager", "root_cause",
            "corrective_action", "preventive_action", "owner", "planned_completion", "state", "rejection_reason",
            "state_changed_at", "transitions", "evidence", "created_at", "updated_at",
        ]
        read_only_fields = ["state", "rejection_reason", "state_changed_at", "created_at", "updated_at"]
        extra_kwargs = {"manager": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "finding" in self.fields:
            # Only findings the user may see can get a plan: others do not exist for them.
            self.fields["finding"].queryset = scope_to_user(Finding.objects.all(), request.user,
                                                            "audit__site__supplier")

    def validate(self, attrs):
        if self.instance is not None and "finding" in attrs and attrs["finding"] != self.instance.finding:
            raise serializers.ValidationError({"finding": "a CAP cannot move to another finding"})
        return attrs


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField()


class VerifySerializer(serializers.Serializer):
    closed_on = serializers.DateField(required=False)
    closure_audit_ref = IdentifierSlugRelatedField(slug_field="audit_ref", queryset=Audit.objects.all(),
                                                     required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class CorrectiveActionFilter(django_filters.FilterSet):
    supplier = django_filters.CharFilter(field_name="finding__audit__site__supplier__code")
    site = django_filters.CharFilter(field_name="finding__audit__site__code")
    finding = django_filters.CharFilter(field_name="finding__finding_ref")
    severity = django_filters.ChoiceFilter(field_name="finding__severity", choices=Severity.choices)

    class Meta:
        model = CorrectiveAction
        fields = ["supplier", "site", "finding", "severity", "state", "manager"]


class CorrectiveActionViewSet(SupplierScopedMixin, viewsets.ModelViewSet):
    """Supplier users write here, for their own findings only: they edit and submit a
    plan and report it implemented; approving, rejecting and verifying is procurement's."""

    queryset = CorrectiveAction.objects.select_related("finding__audit__site__supplier").prefetch_related(
        "transitions", "evidence")
    serializer_class = CorrectiveActionSerializer
    filterset_class = CorrectiveActionFilter
    ordering_fields = ["updated_at", "state", "planned_completion"]
    supplier_path = "finding__audit__site__supplier"
    supplier_writable = True
    http_method_names = ["get", "post", "patch", "head", "options"]
    SUPPLIER_ACTIONS = {"list", "retrieve", "create", "partial_update", "update", "submit", "implement", "evidence"}

    def check_permissions(self, request):
        super().check_permissions(request)
        if roles.is_supplier_user(request.user) and self.action not in self.SUPPLIER_ACTIONS:
            raise PermissionDenied("Supplier users cannot approve, reject or verify corrective action plans.")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        finding = data.pop("finding")
        if CorrectiveAction.objects.filter(finding=finding).exists():
            raise serializers.ValidationError({"finding": "this finding already has a CAP; edit it instead"})
        cap = services.cap_for_finding(finding)
        serializer.instance = services.cap_update(cap=cap, actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("finding", None)
        serializer.instance = services.cap_update(cap=serializer.instance, actor=self.request.user,
                                           **data)

    def _respond(self, cap):
        return Response(self.get_serializer(self.get_queryset().get(pk=cap.pk)).data)

    @extend_schema(request=NoteSerializer, responses=CorrectiveActionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._respond(services.cap_submit(cap=self.get_object(), actor=request.user,
                                          note=payload.validated_data["note"]))

    @extend_schema(request=NoteSerializer, responses=CorrectiveActionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._respond(services.cap_approve(cap=self.get_object(), actor=request.user,
                                          note=payload.validated_data["note"]))

    @extend_schema(request=RejectSerializer, responses=CorrectiveActionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        payload = RejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._respond(services.cap_reject(cap=self.get_object(), actor=request.user,
                                          reason=payload.validated_data["reason"]))

    @extend_schema(request=NoteSerializer, responses=CorrectiveActionSerializer)
    @action(detail=True, methods=["post"])
    def implement(self, request, pk=None):
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._respond(services.cap_implement(cap=self.get_object(), actor=request.user,
                                          note=payload.validated_data["note"]))

    @extend_schema(request=VerifySerializer, responses=CorrectiveActionSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Verify the implemented plan and close the finding."""
        payload = VerifySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        return self._respond(services.cap_verify(cap=self.get_object(), actor=request.user,
                                          closed_on=data.get("closed_on"), closure_audit=data.get("closure_audit_ref"),
                                          note=data["note"]))

    @extend_schema(request=EvidenceUploadSerializer, responses=CapEvidenceSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request, pk=None):
        """Attach an evidence document to the plan."""
        cap = self.get_object()
        payload = EvidenceUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        evidence = services.cap_add_evidence(cap=cap, actor=request.user, **payload.validated_data)
        return Response(CapEvidenceSerializer(evidence, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- reference data


class ProvisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Provision
        fields = ["id", "standard", "version", "code", "title"]


class ProvisionViewSet(viewsets.ModelViewSet):
    """The provision catalogue: everyone reads, procurement admins maintain it."""

    queryset = Provision.objects.all()
    serializer_class = ProvisionSerializer
    filterset_fields = {"standard": ["exact"], "version": ["exact"], "code": ["exact", "iexact"]}
    search_fields = ["code", "title"]
    ordering_fields = ["standard", "version", "code"]
    admin_only_write = True
    http_method_names = ["get", "post", "patch", "head", "options"]


class DeadlineRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeadlineRule
        fields = ["id", "severity", "cap_days", "cap_clock", "correction_days", "correction_days_health_safety",
                  "overall_limit_months"]
        read_only_fields = ["severity"]
        # Days and months stay within what date arithmetic and a real programme allow.
        extra_kwargs = {name: {"max_value": 3650} for name in ("cap_days", "correction_days",
                                                                "correction_days_health_safety")}
        extra_kwargs["overall_limit_months"] = {"max_value": 120}


class DeadlineRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The deadline table per severity; procurement admins may change it (new findings only)."""

    queryset = DeadlineRule.objects.all()
    serializer_class = DeadlineRuleSerializer
    procurement_only = True
    admin_only_write = True
    http_method_names = ["get", "patch", "head", "options"]
    pagination_class = None


# --------------------------------------------------------------------------- cycle status


class SiteCycleSerializer(serializers.Serializer):
    site_id = serializers.IntegerField()
    site_code = serializers.CharField()
    site_name = serializers.CharField()
    supplier_code = serializers.CharField()
    is_production = serializers.BooleanField()
    site_status = serializers.CharField()
    relevant = serializers.BooleanField()
    last_full_audit_ref = serializers.CharField(allow_null=True)
    last_full_audit_on = serializers.DateField(allow_null=True)
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    recognition = serializers.CharField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=dates.CYCLE_STATUSES)
    next_due = serializers.DateField()
    upcoming_audit_ref = serializers.CharField(allow_null=True)
    upcoming_audit_status = serializers.CharField(allow_null=True)
    upcoming_audit_date = serializers.DateField(allow_null=True)


class AuditCycleViewSet(viewsets.GenericViewSet):
    """Per site: the two-year audit cycle at ``as_of`` (default today)."""

    serializer_class = SiteCycleSerializer
    queryset = Site.objects.none()  # for the schema; rows come from the cycle selector

    @extend_schema(parameters=[
        OpenApiParameter("as_of", str, description="YYYY-MM-DD, default today"),
        OpenApiParameter("supplier", str, description="supplier code"),
        OpenApiParameter("site", str, description="site code"),
        OpenApiParameter("status", str, enum=list(dates.CYCLE_STATUSES)),
        OpenApiParameter("relevant", bool, description="only active production sites"),
        OpenApiParameter("expiring_days", int,
                         description="expiring horizon in days, default: the methodology in force (90 in v1)"),
    ])
    def list(self, request):
        params = CycleParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        supplier_ids = visible_suppliers(request.user).values("id")
        frame = selectors.site_cycle_status(p.get("as_of") or business_day(), supplier_ids,
                                            expiring_days=p["expiring_days"])
        if p.get("supplier"):
            frame = frame[frame["supplier_code"] == p["supplier"]]
        if p.get("site"):
            frame = frame[frame["site_code"] == p["site"]]
        if p.get("status"):
            frame = frame[frame["status"] == p["status"]]
        if p.get("relevant") is not None:
            frame = frame[frame["relevant"] == p["relevant"]]
        rows = frame.to_dict("records")
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(SiteCycleSerializer(page, many=True).data)
        return Response(SiteCycleSerializer(rows, many=True).data)


class CycleParams(serializers.Serializer):
    as_of = serializers.DateField(required=False)
    supplier = serializers.CharField(required=False)
    site = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=dates.CYCLE_STATUSES, required=False)
    relevant = serializers.BooleanField(required=False, allow_null=True, default=None)
    expiring_days = serializers.IntegerField(required=False, min_value=0, max_value=3650, allow_null=True,
                                             default=None)


class SupplierCoverageSerializer(serializers.Serializer):
    supplier_code = serializers.CharField()
    relevant_sites = serializers.IntegerField()
    valid_sites = serializers.IntegerField()
    covered = serializers.BooleanField(allow_null=True, help_text="null: the supplier has no active production site")


class AuditCoverageViewSet(viewsets.GenericViewSet):
    """Per supplier: are all active production sites covered by a valid full audit at ``as_of``?"""

    serializer_class = SupplierCoverageSerializer
    queryset = Site.objects.none()

    @extend_schema(parameters=[
        OpenApiParameter("as_of", str, description="YYYY-MM-DD, default today"),
        OpenApiParameter("supplier", str, description="supplier code"),
        OpenApiParameter("covered", bool),
    ])
    def list(self, request):
        params = CoverageParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        frame = selectors.supplier_cycle_coverage(p.get("as_of") or business_day(),
                                                  visible_suppliers(request.user).values("id"))
        rows = frame.to_dict("records")
        if p.get("supplier"):
            rows = [row for row in rows if row["supplier_code"] == p["supplier"]]
        if p.get("covered") is not None:
            rows = [row for row in rows if row["covered"] is p["covered"]]
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(SupplierCoverageSerializer(page, many=True).data)
        return Response(SupplierCoverageSerializer(rows, many=True).data)


class CoverageParams(serializers.Serializer):
    as_of = serializers.DateField(required=False)
    supplier = serializers.CharField(required=False)
    covered = serializers.BooleanField(required=False, allow_null=True, default=None)


# --------------------------------------------------------------------------- notifications


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "threshold", "due_on", "subject", "body", "supplier", "site", "audit", "finding",
                  "created_at", "read_at"]


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The user's own in-app notifications (cancelled ones are hidden)."""

    serializer_class = NotificationSerializer
    permission_classes = [HasRole]
    filterset_fields = {"kind": ["exact"], "read_at": ["isnull"]}
    queryset = Notification.objects.none()

    def get_queryset(self):
        return selectors.notifications_for(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(self.get_serializer(notification).data)


# --------------------------------------------------------------------------- termination reviews


class TerminationReviewSerializer(serializers.ModelSerializer):
    supplier_code = serializers.CharField(source="supplier.code", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    finding_refs = serializers.SerializerMethodField()

    class Meta:
        model = TerminationReview
        fields = ["id", "supplier_code", "supplier_name", "opened_at", "finding_refs", "decision", "conditions",
                  "reason", "decided_at", "decided_by_label"]

    def get_finding_refs(self, review) -> list[str]:
        return [finding.finding_ref for finding in review.findings.all()]


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=DECISION_CHOICES)
    reason = serializers.CharField()
    conditions = serializers.CharField(required=False, allow_blank=True, default="")


class TerminationReviewFilter(django_filters.FilterSet):
    supplier = django_filters.CharFilter(field_name="supplier__code")
    open = django_filters.BooleanFilter(field_name="decided_at", lookup_expr="isnull")

    class Meta:
        model = TerminationReview
        fields = ["supplier", "open", "decision"]


class TerminationReviewViewSet(SupplierScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                               viewsets.GenericViewSet):
    """Suppliers under termination review and the decisions taken (procurement only;
    procurement admins decide)."""

    queryset = TerminationReview.objects.select_related("supplier").prefetch_related("findings")
    serializer_class = TerminationReviewSerializer
    filterset_class = TerminationReviewFilter
    supplier_path = "supplier"
    procurement_only = True
    admin_only_write = True

    @extend_schema(request=DecisionSerializer, responses=TerminationReviewSerializer)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def decide(self, request, pk=None):
        review = self.get_object()
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        escalation.termination_review_decide(review=review, actor=request.user,
                     **payload.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)
