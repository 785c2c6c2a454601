"""``site-recognitions`` (contract.md "Additions"): procurement reads and writes; a supplier
user reads the recognitions of its own sites only (another supplier's is a 404)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from audits import recognitions
from audits.models import SiteRecognition
from core.api import ImportActionMixin
from core.parsers import CellError
from suppliers.models import Site
from suppliers.scoping import SupplierScopedMixin


class SiteRecognitionSerializer(serializers.ModelSerializer):
    site_code = serializers.SlugRelatedField(source="site", slug_field="code", queryset=Site.objects.all())
    supplier_code = serializers.CharField(source="site.supplier.code", read_only=True)
    expires_on = serializers.DateField(required=False, allow_null=True,
                                       help_text="The last valid day; default: the day before awarded_on + 24 months")

    class Meta:
        model = SiteRecognition
        fields = ["id", "site_code", "supplier_code", "program", "awarded_on", "expires_on", "updated_at"]
        read_only_fields = ["updated_at"]

    def validate_program(self, value):
        try:
            return recognitions.parse_program(value)
        except CellError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_awarded_on(self, value):
        try:
            return recognitions.check_awarded_on(value)
        except CellError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs):
        awarded_on = attrs.get("awarded_on", getattr(self.instance, "awarded_on", None))
        if "expires_on" in attrs or self.instance is None or "awarded_on" in attrs:
            given = attrs.get("expires_on") if "expires_on" in attrs else (
                None if "awarded_on" in attrs else self.instance.expires_on)
            message = recognitions.expiry_error(awarded_on, given)
            if message:
                raise serializers.ValidationError({"expires_on": message})
            attrs["expires_on"] = recognitions.effective_expiry(awarded_on, given)
        return attrs


class SiteRecognitionViewSet(ImportActionMixin, SupplierScopedMixin, viewsets.ModelViewSet):
    queryset = SiteRecognition.objects.select_related("site__supplier")
    serializer_class = SiteRecognitionSerializer
    filterset_fields = {"site__code": ["exact"], "site__supplier__code": ["exact"], "program": ["exact"],
                        "awarded_on": ["exact", "gte", "lte"], "expires_on": ["exact", "gte", "lte"]}
    ordering_fields = ["awarded_on", "expires_on"]
    supplier_path = "site__supplier"
    importer_class = recognitions.SiteRecognitionImporter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _entity_id(self, instance) -> str:
        return f"{instance.site.code}/{instance.program}/{instance.awarded_on.isoformat()}"
