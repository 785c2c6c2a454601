"""Building blocks shared by every API module."""

from __future__ import annotations

import json

from axes.exceptions import AxesBackendPermissionDenied
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from core import roles
from core.auth import token_expires_at
from core.importing import ImportFailed
from suppliers.selectors import scope_to_user


class DownloadRenderer(BaseRenderer):
    """Lets a download answer any ``Accept`` header; errors still come out as JSON."""

    media_type = "*/*"
    format = "download"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class SupplierScopedMixin:
    """Every queryset goes through ``scope_to_user``: a supplier user's list never holds
    another supplier's rows and another supplier's object is a 404, never a 403."""

    supplier_path = "supplier"

    def get_queryset(self):
        return scope_to_user(super().get_queryset(), self.request.user, self.supplier_path)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=False)


IMPORT_RESULT = inline_serializer(
    "ImportResult",
    {"created": serializers.IntegerField(), "updated": serializers.IntegerField(),
     "unchanged": serializers.IntegerField(), "dry_run": serializers.BooleanField()},
)


class ImportActionMixin:
    """Adds ``POST <endpoint>/import/``: the same importer as the management command,
    returning the same row errors as JSON."""

    importer_class = None

    @extend_schema(request=ImportUploadSerializer, responses={200: IMPORT_RESULT})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request):
        # Imports write accepted data for any supplier: procurement writers only, even on
        # endpoints where supplier users may submit their own rows.
        if not roles.can_write_master_data(request.user):
            return Response({"detail": "Only procurement analysts and admins import files."},
                            status=status.HTTP_403_FORBIDDEN)
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        importer = self.importer_class(actor=request.user)
        try:
            with transaction.atomic():
                result = importer.run(file, dry_run=upload.validated_data["dry_run"], filename=file.name)
        except ImportFailed as failure:
            return Response(
                {"detail": f"{len(failure.errors)} error(s); nothing was written",
                 "errors": [error.as_dict() for error in failure.errors]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(result.as_dict())


LOCKED_OUT = ("Too many failed sign-in attempts for this account from your address: try again later, "
              "or ask a procurement admin to unlock it.")


class ObtainExpiringToken(ObtainAuthToken):
    """``POST /api/v1/auth/token/`` with username and password: the user's token (a new one
    when the stored one has expired) and its expiry. Failed attempts count towards the
    sign-in lock-out (django-axes): a locked account answers 429 with a clear message."""

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            valid = serializer.is_valid()
        except AxesBackendPermissionDenied:
            valid = False
        # django-axes marks the request when the account is locked (authenticate() then fails).
        if getattr(request, "axes_locked_out", False) or getattr(request._request, "axes_locked_out", False):
            return Response({"detail": LOCKED_OUT}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if not valid:
            raise serializers.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token, created = Token.objects.get_or_create(user=user)
        if not created and timezone.now() >= token_expires_at(token):
            token.delete()
            token = Token.objects.create(user=user)
        return Response({"token": token.key, "expires_at": token_expires_at(token)})
