"""API of the third-party lists (docs/industry-files.md, docs/api.md):

- ``POST /api/v1/third-party-lists/{ecovadis|cdp|sbti}/import/`` (multipart: ``file``,
  ``dry_run``, ``as_of``, ``mapping`` as a JSON object {column: header}): procurement writers
  only; answers the counts, ``matched``/``to_review``/``unmatched``/``refused`` and the preview
  ``rows``, or the row errors (400) with nothing written.
- ``/api/v1/match-reviews/``: the match review queue (procurement roles read; filters ``status``,
  ``kind``); ``POST …/{id}/confirm/`` with ``supplier_code`` (and ``comment``) and
  ``POST …/{id}/reject/`` with ``comment``: procurement writers.
"""

from __future__ import annotations

import json

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core import roles
from core.api import IdentifierSlugRelatedField, ImportUploadSerializer, import_upload
from core.api_parsers import FormParser, MultiPartParser
from scoring import thirdparty
from scoring.models import MatchReview, ThirdPartyList
from suppliers.models import Supplier


class ThirdPartyUploadSerializer(ImportUploadSerializer):
    as_of = serializers.DateField(required=False, allow_null=True, default=None)
    mapping = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text='JSON object {"column": "header in the file"}')

    def validate_mapping(self, value):
        if not value.strip():
            return {}
        try:
            mapping = json.loads(value)
        except ValueError as exc:
            raise serializers.ValidationError(f"not JSON: {exc}") from exc
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise serializers.ValidationError('a JSON object {"column": "header in the file"}')
        return mapping


class ThirdPartyImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ThirdPartyUploadSerializer, responses={200: dict})
    def post(self, request, kind: str):
        if kind not in ThirdPartyList.values:
            return Response({"detail": f"unknown list '{kind}'; expected one of: {', '.join(ThirdPartyList.values)}"},
                            status=status.HTTP_404_NOT_FOUND)
        if not roles.can_write_master_data(request.user):
            return Response({"detail": "Only procurement analysts and admins import files."},
                            status=status.HTTP_403_FORBIDDEN)
        importer_class = thirdparty.IMPORTERS[kind]
        return import_upload(request, lambda data: importer_class(actor=request.user, mapping=data["mapping"],
                                                                   as_of=data["as_of"]),
                             serializer_class=ThirdPartyUploadSerializer)


class MatchReviewSerializer(serializers.ModelSerializer):
    supplier_code = serializers.CharField(source="supplier.code", read_only=True, default=None)

    class Meta:
        model = MatchReview
        fields = ["id", "kind", "file_name", "line", "company_name", "country", "identifier_field",
                  "identifier_value", "quarter", "payload", "candidates", "note", "status", "supplier_code",
                  "decided_at", "decided_by_label", "comment", "created_at"]
        read_only_fields = fields


class MatchConfirmSerializer(serializers.Serializer):
    supplier_code = IdentifierSlugRelatedField(slug_field="code", queryset=Supplier.objects.all())
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class MatchRejectSerializer(serializers.Serializer):
    comment = serializers.CharField()


class MatchReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Procurement's queue of uncertain matches; supplier users never see it."""

    procurement_only = True
    queryset = MatchReview.objects.select_related("supplier")
    serializer_class = MatchReviewSerializer
    filterset_fields = {"status": ["exact"], "kind": ["exact"]}
    ordering_fields = ["created_at", "company_name"]

    @extend_schema(request=MatchConfirmSerializer, responses=MatchReviewSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        review = self.get_object()
        payload = MatchConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        review = thirdparty.match_review_confirm(review=review, supplier=payload.validated_data["supplier_code"],
                                                 actor=request.user, comment=payload.validated_data["comment"])
        return Response(MatchReviewSerializer(review).data)

    @extend_schema(request=MatchRejectSerializer, responses=MatchReviewSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        review = self.get_object()
        payload = MatchRejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        review = thirdparty.match_review_reject(review=review, actor=request.user,
                                                comment=payload.validated_data["comment"])
        return Response(MatchReviewSerializer(review).data)
