"""REST endpoint ``documents``: supplier documents (certificates, CDP responses, CMRT/EMRT,
reports, evidence). List and retrieve are scoped to the user's suppliers; a multipart
POST uploads through ``suppliers.documents.document_upload`` (the same rules and the same
``core.uploads`` content checks as the portal); ``download/`` streams the file under its original name."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework.reverse import reverse

from core.api import DownloadRenderer
from core.api_parsers import FormParser, MultiPartParser
from portal.downloads import file_response
from suppliers.documents import document_upload
from suppliers.models import CERTIFICATE_KINDS, Document, Supplier
from suppliers.scoping import SupplierScopedMixin, VisibleSupplierField
from suppliers.selectors import supplier_id_of


class DocumentSerializer(serializers.ModelSerializer):
    supplier_code = VisibleSupplierField(
        source="supplier", required=False,
        error_messages={"does_not_exist": "no supplier '{value}' you may upload documents for"},
        help_text="Required for procurement; a supplier user's own supplier when omitted.")
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    file = serializers.FileField(write_only=True, help_text=(
        "PDF, PNG, JPEG, XLSX, DOCX, CSV or plain text, checked by content; the name's extension must match."))
    is_certificate = serializers.BooleanField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "supplier_code", "supplier_name", "kind", "title", "original_name", "content_type", "size",
                  "expires_on", "is_certificate", "uploaded_at", "uploaded_by_label", "download_url", "file"]
        read_only_fields = ["original_name", "content_type", "size", "uploaded_at", "uploaded_by_label"]
        extra_kwargs = {"title": {"required": False, "allow_blank": True,
                                  "help_text": "Empty: the file name."},
                        "expires_on": {"help_text": "Required for certificates."}}

    def get_download_url(self, document: Document) -> str:
        return reverse("document-download", kwargs={"pk": document.pk}, request=self.context.get("request"))

    def validate(self, attrs):
        if attrs.get("supplier") is None:
            user = self.context["request"].user
            own = supplier_id_of(user)
            if own is None:
                raise serializers.ValidationError({"supplier_code": "name the supplier the document belongs to"})
            attrs["supplier"] = Supplier.objects.get(pk=own)
        return attrs


class DocumentFilter(django_filters.FilterSet):
    supplier = django_filters.CharFilter(field_name="supplier__code", help_text="supplier code")
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lt",
                                               help_text="expiry date strictly before this date (YYYY-MM-DD)")
    certificate = django_filters.BooleanFilter(method="filter_certificate", help_text="only certificates")

    class Meta:
        model = Document
        fields = ["supplier", "kind", "expires_before", "certificate"]

    def filter_certificate(self, queryset, name, value):
        return queryset.filter(kind__in=CERTIFICATE_KINDS) if value else queryset.exclude(kind__in=CERTIFICATE_KINDS)


class DocumentViewSet(SupplierScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Supplier users read and upload their own supplier's documents; procurement reads
    all of them and writers upload for any supplier; viewers only read."""

    queryset = Document.objects.select_related("supplier")
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    search_fields = ["title", "original_name", "supplier__code", "supplier__name"]
    ordering_fields = ["uploaded_at", "expires_on", "title", "size"]
    parser_classes = [MultiPartParser, FormParser]
    supplier_writable = True

    def perform_create(self, serializer):
        data = serializer.validated_data
        supplier = data["supplier"]
        try:
            serializer.instance = document_upload(
                supplier=supplier, kind=data["kind"], title=data.get("title", ""), upload=data["file"],
                expires_on=data.get("expires_on"), actor=self.request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            raise serializers.ValidationError(detail) from exc

    @extend_schema(request=None, responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, DownloadRenderer])
    def download(self, request, pk=None):
        """The file under its original name (RFC 5987 ``filename*``), for whoever may see
        the document; anyone else gets 404."""
        document = self.get_object()
        return file_response(document.file, document.original_name, document.content_type)

