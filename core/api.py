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
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from core import jobs, roles, uploads
from core.api_parsers import FormParser, MultiPartParser
from core.auth import token_expires_at
from core.importing import ImportFailed
from core.parsers import CellError, normalize_identifier


class DownloadRenderer(BaseRenderer):
    """Lets a download answer any ``Accept`` header; errors still come out as JSON."""

    media_type = "*/*"
    format = "download"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


def identifier_value(value: str) -> str:
    """``core.parsers.normalize_identifier`` for the API: a field error instead of ``CellError``."""
    try:
        return normalize_identifier(value)
    except CellError as exc:
        raise serializers.ValidationError(str(exc)) from exc


class IdentifierField(serializers.CharField):
    """A code or reference typed in the API: trimmed, NFKC-normalised, ASCII letters, digits
    and ``-_./`` only (contract.md). Validators (uniqueness) see the normalised value."""

    def to_internal_value(self, data):
        return identifier_value(super().to_internal_value(data))


class IdentifierSlugRelatedField(serializers.SlugRelatedField):
    """A reference to another record by its code, normalised like ``IdentifierField``
    before the lookup (``ＳＵＰ－００１`` finds ``SUP-001``)."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = identifier_value(data)
        return super().to_internal_value(data)


class IdentifierModelSerializerMixin:
    """Model fields named in ``identifier_fields`` become ``IdentifierField`` (keeping the
    model's max length and unique validators)."""

    identifier_fields: tuple[str, ...] = ()

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name in self.identifier_fields and issubclass(field_class, serializers.CharField):
            field_class = IdentifierField
        return field_class, kwargs

class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=False)


IMPORT_RESULT = inline_serializer(
    "ImportResult",
    {"created": serializers.IntegerField(), "updated": serializers.IntegerField(),
     "unchanged": serializers.IntegerField(), "dry_run": serializers.BooleanField(),
     "warnings": serializers.ListField(child=serializers.CharField())},
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
        return import_upload(request, lambda _data: self.importer_class(actor=request.user))


def import_upload(request, make_importer, *, serializer_class=None) -> Response:
    """The upload side of every API import: the form checked (``ImportUploadSerializer`` or
    ``serializer_class``), the file through ``core.uploads.check_import``, then
    ``make_importer(validated_data)`` run as a tracked job; row errors as JSON (400)."""
    upload = (serializer_class or ImportUploadSerializer)(data=request.data)
    upload.is_valid(raise_exception=True)
    file = upload.validated_data["file"]
    try:
        # Size before reading, type by content, and the zip-bomb / macro checks of an XLSX.
        uploads.check_import(file)
    except uploads.UploadRefused as refused:
        return Response({"detail": "the file was refused; nothing was written", "file": [str(refused)]},
                        status=status.HTTP_400_BAD_REQUEST)
    importer = make_importer(upload.validated_data)
    try:
        # Tracked as a job (core.jobs.tracked); the import itself stays synchronous.
        with jobs.tracked("api_import", label=f"{importer.name}: {file.name}", actor=request.user) as job, \
                transaction.atomic():
            result = importer.run(file, dry_run=upload.validated_data["dry_run"], filename=file.name)
            job.counts = {key: value for key, value in result.as_dict().items() if key != "rows"}
    except ImportFailed as failure:
        return Response(
            {"detail": f"{len(failure.errors)} error(s); nothing was written",
             "errors": [error.as_dict() for error in failure.errors], "warnings": failure.warnings},
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
