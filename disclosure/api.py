"""REST endpoints: emission inventories, emission factors and the emissions estimate."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ImportActionMixin
from core.parsers import CellError, parse_quarter
from disclosure import importers, selectors, services
from disclosure.models import EmissionFactor, EmissionInventory, InventoryState, commodity_key
from disclosure.training_api import SubmissionReviewSerializer, run_service
from suppliers.api import validate_currency
from suppliers.models import Supplier
from suppliers.scoping import SupplierScopedMixin
from suppliers.spend import MissingFxRates

_TCO2E = {"max_digits": 24, "decimal_places": 6, "min_value": 0}


class EmissionInventorySerializer(serializers.ModelSerializer):
    supplier_code = serializers.SlugRelatedField(source="supplier", slug_field="code", queryset=Supplier.objects.all())
    scope1_tco2e = serializers.DecimalField(**_TCO2E)
    scope2_market_tco2e = serializers.DecimalField(**_TCO2E, required=False, allow_null=True)
    scope2_location_tco2e = serializers.DecimalField(**_TCO2E, required=False, allow_null=True)
    scope3_tco2e = serializers.DecimalField(**_TCO2E, required=False, allow_null=True)
    revenue = serializers.DecimalField(max_digits=24, decimal_places=4, required=False, allow_null=True)

    class Meta:
        model = EmissionInventory
        fields = ["id", "supplier_code", "year", "scope1_tco2e", "scope2_market_tco2e", "scope2_location_tco2e",
                  "scope3_tco2e", "revenue", "revenue_currency", "source", "verified", "state", "submitted_at",
                  "evidence", "reviewed_at", "review_comment", "updated_at"]
        # Procurement's entries are accepted, like its imports; review states belong to submissions.
        read_only_fields = ["state", "submitted_at", "evidence", "reviewed_at", "review_comment", "updated_at"]

    def validate_year(self, value):
        try:
            return importers.parse_year(str(value))
        except CellError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_revenue(self, value):
        if value is not None and value <= 0:
            raise serializers.ValidationError("revenue must be greater than 0")
        return value

    def validate_revenue_currency(self, value):
        return validate_currency(value) if value else value

    def validate(self, attrs):
        merged = {name: getattr(self.instance, name) for name in
                  ("scope2_market_tco2e", "scope2_location_tco2e", "revenue", "revenue_currency")} \
            if self.instance is not None else {}
        merged.update(attrs)
        for name in ("scope2_market_tco2e", "scope2_location_tco2e", "revenue", "revenue_currency"):
            merged.setdefault(name, None)
        errors = importers.inventory_errors(merged)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class EmissionInventoryViewSet(ImportActionMixin, SupplierScopedMixin, viewsets.ModelViewSet):
    """Procurement reads and writes; a supplier user reads its own inventories only."""

    queryset = EmissionInventory.objects.select_related("supplier")
    serializer_class = EmissionInventorySerializer
    filterset_fields = {"supplier__code": ["exact"], "year": ["exact", "gte", "lte"], "source": ["exact"],
                        "state": ["exact"], "verified": ["exact"]}
    ordering_fields = ["year", "scope1_tco2e"]
    importer_class = importers.EmissionInventoryImporter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _entity_id(self, instance) -> str:
        return f"{instance.supplier.code}/{instance.year}"

    def _review(self, request, state: str):
        inventory = self.get_object()
        payload = SubmissionReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        inventory = run_service(services.inventory_review, inventory=inventory, state=state, actor=request.user,
                             comment=payload.validated_data["comment"])
        return Response(self.get_serializer(inventory).data)

    @extend_schema(request=SubmissionReviewSerializer, responses=EmissionInventorySerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept an inventory a supplier submitted in the portal (procurement writers)."""
        return self._review(request, InventoryState.ACCEPTED)

    @extend_schema(request=SubmissionReviewSerializer, responses=EmissionInventorySerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a submitted inventory; ``comment`` is required."""
        return self._review(request, InventoryState.REJECTED)


class EmissionFactorSerializer(serializers.ModelSerializer):
    tco2e_per_unit = serializers.DecimalField(max_digits=24, decimal_places=12, min_value=0)

    class Meta:
        model = EmissionFactor
        fields = ["id", "commodity", "tco2e_per_unit", "updated_at"]
        read_only_fields = ["updated_at"]

    def validate_commodity(self, value):
        value = value.strip()
        clash = EmissionFactor.objects.filter(commodity_key=commodity_key(value))
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("a factor for this commodity exists (compared trimmed, any case)")
        return value


class EmissionFactorViewSet(ImportActionMixin, viewsets.ModelViewSet):
    """The admin-maintained factor table (``*`` = default factor); procurement only."""

    queryset = EmissionFactor.objects.all()
    serializer_class = EmissionFactorSerializer
    procurement_only = True
    admin_only_write = True
    importer_class = importers.EmissionFactorImporter

    def _entity_id(self, instance) -> str:
        return instance.commodity_key


class EmissionsEstimateView(APIView):
    """``GET emissions-estimate/?quarter=Q``: scorecard.md section 11, the shape of
    ``emissions_report --format json``. Procurement roles only."""

    procurement_only = True

    @extend_schema(parameters=[OpenApiParameter("quarter", str, required=True)], responses={200: dict})
    def get(self, request):
        try:
            quarter = parse_quarter(request.query_params.get("quarter", ""))
        except CellError as exc:
            return Response({"quarter": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            return Response(selectors.emissions_estimate(quarter, settings.BASE_CURRENCY))
        except MissingFxRates as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
