"""REST endpoint ``reports``: POST starts an export (202), GET follows it, ``download/``
streams the file. Supplier users see only their own supplier's report cards."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core import jobs, roles
from core.api import DownloadRenderer
from core.parsers import CellError, parse_quarter
from reports import services
from reports.models import Report, ReportFormat
from suppliers.models import Supplier
from suppliers.scoping import SupplierScopedMixin, VisibleSupplierField
from suppliers.selectors import supplier_id_of


class AnyRolePermission(BasePermission):
    """Every role may list its (scoped) reports and ask for one; what it may ask for is
    ``services.report_access_refusal``."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view) -> bool:
        return roles.role_of(request.user) is not None



class ReportSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(read_only=True)
    supplier_code = serializers.CharField(source="supplier.code", read_only=True, default=None)
    methodology = serializers.CharField(source="run.methodology.version", read_only=True, default=None)
    file_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "quarter", "format", "scope", "supplier_code", "status", "progress", "requested_by_label",
                  "created_at", "started_at", "finished_at", "run", "methodology", "suppliers", "size", "checksum",
                  "file_name", "download_url", "error"]
        read_only_fields = fields

    def get_file_name(self, report: Report) -> str:
        return report.download_name()

    def get_download_url(self, report: Report) -> str | None:
        if not report.is_ready:
            return None
        url = reverse("report-download", kwargs={"pk": report.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ReportRequestSerializer(serializers.Serializer):
    quarter = serializers.CharField(help_text="YYYY-Qn, e.g. 2026-Q3")
    format = serializers.ChoiceField(choices=ReportFormat.choices)
    supplier_code = VisibleSupplierField(
        required=False, allow_null=True,
        help_text="Only for format pdf: that supplier's report card. Omitted: the whole quarter "
                  "(a supplier user's own supplier).")

    def validate_quarter(self, value):
        try:
            return parse_quarter(value)
        except CellError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs):
        user = self.context["request"].user
        if attrs.get("supplier_code") is None and roles.is_supplier_user(user):
            attrs["supplier_code"] = Supplier.objects.filter(pk=supplier_id_of(user)).first()
        return attrs


class ReportViewSet(SupplierScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    queryset = Report.objects.select_related("supplier", "run__methodology")
    serializer_class = ReportSerializer
    permission_classes = [IsAuthenticated, AnyRolePermission]
    filterset_fields = {"quarter": ["exact"], "status": ["exact"], "supplier__code": ["exact"]}
    ordering_fields = ["created_at", "quarter"]

    @extend_schema(request=ReportRequestSerializer, responses={
        202: ReportSerializer, 200: ReportSerializer,
        429: OpenApiResponse(description="Too many jobs started; see Retry-After.")})
    def create(self, request, *args, **kwargs):
        """202 with a new report; 200 with the identical report already queued or running
        (same quarter, format and supplier, requested by anyone)."""
        payload = ReportRequestSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if (wait := jobs.start_wait(request.user)) is not None:
            raise Throttled(wait=wait)
        report = services.report_enqueue(quarter=data["quarter"], format=data["format"],
                                         supplier=data.get("supplier_code"), actor=request.user)
        reused = report.reused
        report = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(report).data,
                        status=status.HTTP_200_OK if reused else status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              409: OpenApiResponse(description="The report is not ready (queued, running or failed).")})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, DownloadRenderer])
    def download(self, request, pk=None):
        """The file itself, for whoever may see the report (others get 404)."""
        report = self.get_object()
        if not report.is_ready:
            return Response({"detail": f"report {report.pk} is {report.status}; no file to download",
                             "status": report.status, "error": report.error}, status=status.HTTP_409_CONFLICT)
        response = FileResponse(report.file.open("rb"), as_attachment=True, filename=report.download_name(),
                                content_type=report.content_type)
        response["ETag"] = f'"{report.checksum}"'
        response["X-Checksum-SHA256"] = report.checksum
        return response
