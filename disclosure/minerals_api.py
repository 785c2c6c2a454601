"""``smelters`` and ``minerals-reports`` (contract.md "Additions", docs/industry-files.md).

Smelters: everyone with a role reads the list (public RMI data); procurement writers import
it (``POST smelters/import/``). Minerals reports: procurement reads all; a supplier user reads
its own supplier's only (another's is a 404). ``POST minerals-reports/`` is a multipart upload
(``file``, ``template`` cmrt/emrt, ``supplier_code``, ``dry_run``): procurement writers for any
supplier (accepted at once), a supplier user for its own supplier only (submitted, counted
once procurement accepts it: ``accept``/``reject``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ImportActionMixin
from disclosure.minerals import SmelterListImporter, minerals_report_import, minerals_report_review
from disclosure.models import InventoryState, MineralsReport, MineralsReportSmelter, MineralsTemplate, Smelter
from suppliers.scoping import SupplierScopedMixin, VisibleSupplierField
from suppliers.selectors import can_act_for_supplier


class SmelterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Smelter
        fields = ["id", "smelter_id", "metal", "name", "country", "status", "as_of", "updated_at"]


class SmelterViewSet(ImportActionMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Smelter.objects.all()
    serializer_class = SmelterSerializer
    filterset_fields = {"metal": ["exact"], "status": ["exact"], "smelter_id": ["exact"]}
    search_fields = ["smelter_id", "name"]
    importer_class = SmelterListImporter


class MineralsReportSmelterSerializer(serializers.ModelSerializer):
    class Meta:
        model = MineralsReportSmelter
        fields = ["row", "metal", "smelter_id_input", "smelter_lookup", "smelter_name", "country",
                  "smelter_identification", "id_source"]


class MineralsReportSerializer(serializers.ModelSerializer):
    supplier_code = serializers.CharField(source="supplier.code", read_only=True)

    class Meta:
        model = MineralsReport
        fields = ["id", "supplier_code", "template", "version", "company_name", "declaration_scope",
                  "declaration_date", "answers", "original_name", "state", "submitted_at", "reviewed_at",
                  "review_comment"]
        read_only_fields = fields


class MineralsReportDetailSerializer(MineralsReportSerializer):
    smelters = MineralsReportSmelterSerializer(many=True, read_only=True)

    class Meta(MineralsReportSerializer.Meta):
        fields = [*MineralsReportSerializer.Meta.fields, "products", "mines", "smelters"]
        read_only_fields = fields


class MineralsUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    template = serializers.ChoiceField(choices=MineralsTemplate.choices)
    supplier_code = VisibleSupplierField()
    dry_run = serializers.BooleanField(required=False, default=False)


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class MineralsReportViewSet(SupplierScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    queryset = MineralsReport.objects.select_related("supplier")
    serializer_class = MineralsReportSerializer
    filterset_fields = {"supplier__code": ["exact"], "template": ["exact"], "state": ["exact"],
                        "declaration_date": ["exact", "gte", "lte"]}
    ordering_fields = ["declaration_date", "submitted_at"]
    supplier_writable = True

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("smelters")
        return queryset

    def get_serializer_class(self):
        return MineralsReportDetailSerializer if self.action == "retrieve" else MineralsReportSerializer

    @extend_schema(request={"multipart/form-data": MineralsUploadSerializer}, responses={201: dict})
    def create(self, request, *args, **kwargs):
        payload = MineralsUploadSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        supplier = data["supplier_code"]
        if not can_act_for_supplier(request.user, supplier):
            return Response({"detail": "Your role does not allow uploading minerals reports."},
                            status=status.HTTP_403_FORBIDDEN)
        try:
            result = minerals_report_import(supplier=supplier, template=data["template"], upload=data["file"],
                                            actor=request.user, dry_run=data["dry_run"],
                                            channel=f"api:{data['file'].name}"[:200])
        except DjangoValidationError as exc:
            return Response({"detail": "the file was refused; nothing was written", "file": exc.messages},
                            status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        body = result.as_dict()
        return Response(body, status=status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED)

    def _review(self, request, state: str):
        report = self.get_object()
        payload = ReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            report = minerals_report_review(report=report, state=state, actor=request.user,
                                   comment=payload.validated_data["comment"])
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(MineralsReportSerializer(report).data)

    @extend_schema(request=ReviewSerializer, responses=MineralsReportSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._review(request, InventoryState.ACCEPTED)

    @extend_schema(request=ReviewSerializer, responses=MineralsReportSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._review(request, InventoryState.REJECTED)
