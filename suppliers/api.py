"""REST endpoints for suppliers, sites, spend and FX rates."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import IdentifierModelSerializerMixin, IdentifierSlugRelatedField, ImportActionMixin
from core.parsers import CellError, parse_country, parse_currency, parse_past_quarter, parse_quarter
from suppliers import identifiers, importers, selectors, services
from suppliers.models import FxRate, Site, SpendRecord, Supplier, SupplierStatusChange
from suppliers.scoping import SupplierScopedMixin

SITE_MOVE_REFUSED = ("a site cannot move to another supplier (its audits and findings belong to the first one); "
                     "close it and create a new site")


def validate_country(value: str) -> str:
    try:
        return parse_country(value)
    except CellError as exc:
        raise serializers.ValidationError(str(exc)) from exc


def validate_currency(value: str) -> str:
    try:
        return parse_currency(value)
    except CellError as exc:
        raise serializers.ValidationError(str(exc)) from exc


def validate_past_quarter(value: str) -> str:
    """Spend cannot be for a quarter after the current one (contract.md, "Dates are plausible")."""
    try:
        return str(parse_past_quarter(value))
    except CellError as exc:
        raise serializers.ValidationError(str(exc)) from exc


def validate_quarter(value: str) -> str:
    try:
        return str(parse_quarter(value))
    except CellError as exc:
        raise serializers.ValidationError(str(exc)) from exc


class SupplierIdentifierField(serializers.CharField):
    """``lei``, ``duns``, ``ecovadis_id``, ``cdp_account``: parsed by ``suppliers.identifiers``
    (an LEI's check digits, 9-digit DUNS); empty means none."""

    def __init__(self, *, identifier: str, **kwargs):
        self.parse = identifiers.optional_parser(identifier)
        kwargs.update(required=False, allow_blank=True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return self.parse(super().to_internal_value(data))
        except CellError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class SupplierSerializer(IdentifierModelSerializerMixin, serializers.ModelSerializer):
    identifier_fields = ("code",)
    lei = SupplierIdentifierField(identifier="lei", max_length=40)
    duns = SupplierIdentifierField(identifier="duns", max_length=20)
    ecovadis_id = SupplierIdentifierField(identifier="ecovadis_id", max_length=100)
    cdp_account = SupplierIdentifierField(identifier="cdp_account", max_length=100)

    class Meta:
        model = Supplier
        fields = ["id", "code", "name", "legal_name", "country", "category", "commodity", "tier", "status",
                  "termination_review", "publishable", "lei", "duns", "ecovadis_id", "cdp_account",
                  "created_at", "updated_at"]
        # Status moves only through the change-status action, so every change has who/when/why.
        read_only_fields = ["status", "termination_review", "created_at", "updated_at"]

    def validate_country(self, value):
        return validate_country(value)

    def validate(self, attrs):
        code = attrs.get("code", getattr(self.instance, "code", None))
        given = {name: attrs[name] for name in identifiers.IDENTIFIER_FIELDS if attrs.get(name)}
        errors = {field: message for _, field, message in identifiers.assignment_errors([(0, code, given)])}
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Supplier._meta.get_field("status").choices)
    reason = serializers.CharField(allow_blank=False)


class StatusHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = SupplierStatusChange
        fields = ["from_status", "to_status", "changed_at", "changed_by_label", "reason"]


class SupplierFilter(django_filters.FilterSet):
    class Meta:
        model = Supplier
        fields = {"country": ["exact"], "category": ["exact"], "status": ["exact"], "tier": ["exact"],
                  "code": ["exact"], "termination_review": ["exact"]}


class SupplierViewSet(ImportActionMixin, SupplierScopedMixin, viewsets.ModelViewSet):
    queryset = Supplier.objects.all()
    serializer_class = SupplierSerializer
    filterset_class = SupplierFilter
    search_fields = ["code", "name", "legal_name", "commodity"]
    ordering_fields = ["code", "name", "country", "status", "tier"]
    supplier_path = ""
    importer_class = importers.SupplierImporter
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(request=StatusChangeSerializer, responses=SupplierSerializer)
    @action(detail=True, methods=["post"], url_path="change-status")
    def change_status(self, request, pk=None):
        supplier = self.get_object()
        payload = StatusChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.supplier_change_status(supplier=supplier, status=payload.validated_data["status"],
                                        actor=request.user, reason=payload.validated_data["reason"])
        return Response(SupplierSerializer(supplier).data)

    @extend_schema(responses=StatusHistorySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="status-history")
    def status_history(self, request, pk=None):
        supplier = self.get_object()
        changes = selectors.status_changes_for(request.user, supplier)
        return Response(StatusHistorySerializer(changes, many=True).data)


class SiteSerializer(IdentifierModelSerializerMixin, serializers.ModelSerializer):
    identifier_fields = ("code",)
    supplier_code = IdentifierSlugRelatedField(source="supplier", slug_field="code", queryset=Supplier.objects.all())

    class Meta:
        model = Site
        fields = ["id", "supplier_code", "code", "name", "country", "city", "province", "address", "is_production",
                  "status"]

    def validate_country(self, value):
        return validate_country(value)

    def validate_supplier_code(self, supplier):
        if self.instance is not None and supplier.pk != self.instance.supplier_id:
            raise serializers.ValidationError(SITE_MOVE_REFUSED)
        return supplier


class SiteViewSet(ImportActionMixin, SupplierScopedMixin, viewsets.ModelViewSet):
    queryset = Site.objects.select_related("supplier")
    serializer_class = SiteSerializer
    filterset_fields = {"supplier__code": ["exact"], "country": ["exact"], "is_production": ["exact"],
                        "status": ["exact"]}
    search_fields = ["code", "name", "city", "supplier__code", "supplier__name"]
    ordering_fields = ["code", "name", "country"]
    importer_class = importers.SiteImporter
    http_method_names = ["get", "post", "patch", "head", "options"]


class SpendSerializer(serializers.ModelSerializer):
    supplier_code = IdentifierSlugRelatedField(source="supplier", slug_field="code", queryset=Supplier.objects.all())

    class Meta:
        model = SpendRecord
        fields = ["id", "supplier_code", "quarter", "currency", "amount"]

    def validate_quarter(self, value):
        return validate_past_quarter(value)

    def validate_currency(self, value):
        return validate_currency(value)


class SpendViewSet(ImportActionMixin, SupplierScopedMixin, viewsets.ModelViewSet):
    """The buyer's spend: internal, procurement roles only (``roles.sees_internal_data``)."""

    procurement_only = True
    queryset = SpendRecord.objects.select_related("supplier")
    serializer_class = SpendSerializer
    filterset_fields = {"supplier__code": ["exact"], "quarter": ["exact", "gte", "lte"], "currency": ["exact"]}
    ordering_fields = ["quarter", "amount", "currency"]
    importer_class = importers.SpendImporter


class FxRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = FxRate
        fields = ["id", "quarter", "currency", "rate_to_base"]

    def validate_quarter(self, value):
        return validate_quarter(value)

    def validate_currency(self, value):
        return validate_currency(value)

    def validate_rate_to_base(self, value):
        if value <= 0:
            raise serializers.ValidationError("rate_to_base must be greater than 0")
        return value

    def validate(self, attrs):
        currency = attrs.get("currency", getattr(self.instance, "currency", None))
        rate = attrs.get("rate_to_base", getattr(self.instance, "rate_to_base", None))
        error = currency and rate is not None and services.fx_rate_error(currency, rate)
        if error:
            raise serializers.ValidationError({"rate_to_base": error})
        return attrs


class FxRateViewSet(ImportActionMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                    viewsets.GenericViewSet):
    queryset = FxRate.objects.all()
    serializer_class = FxRateSerializer
    filterset_fields = {"quarter": ["exact"], "currency": ["exact"]}
    ordering_fields = ["quarter", "currency"]
    importer_class = importers.FxRateImporter
    procurement_only = True
