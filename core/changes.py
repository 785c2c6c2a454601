"""``GET /api/v1/changes/``: the change history of any tracked model (core/history.py), for
procurement roles only (supplier users get 403: the history names procurement's users and
internal reasons)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView

from core.history import describe, history_rows, tracked_models


class ChangeSerializer(serializers.Serializer):
    entity = serializers.CharField()
    object_id = serializers.IntegerField()
    object = serializers.CharField()
    action = serializers.ChoiceField(choices=["created", "updated", "deleted"])
    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    channel = serializers.CharField(help_text="api, portal, admin, import:<file name>, task:<task name>, "
                                              "command:<name>, system, legacy:<label> (the former change log)")
    reason = serializers.CharField()
    changes = serializers.DictField(child=serializers.ListField(allow_null=True),
                                    help_text="field → [old, new]")


def _since(text: str | None):
    if not text:
        return None
    value = parse_datetime(text)
    if value is None and parse_date(text) is not None:
        value = parse_datetime(f"{text}T00:00:00")
    if value is None:
        raise ValidationError({"since": ["give an ISO 8601 date or date-time, e.g. 2026-11-01T00:00:00Z"]})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class ChangesView(ListAPIView):
    """Who changed what, when, through which channel, newest first."""

    procurement_only = True
    serializer_class = ChangeSerializer
    filter_backends = []  # the query parameters below are the only filters

    def _model(self):
        models = tracked_models()
        entity = (self.request.query_params.get("entity") or "").strip()
        if entity not in models:
            raise ValidationError({"entity": [f"'{entity}' is not a tracked model; use one of: "
                                              + ", ".join(models)]})
        return models[entity]

    def get_queryset(self):
        object_key = (self.request.query_params.get("object") or "").strip() or None
        return history_rows(self._model(), object_key=object_key,
                            since=_since(self.request.query_params.get("since")))

    @extend_schema(parameters=[
        OpenApiParameter("entity", str, required=True,
                         description="model: supplier, site, spend_record, fx_rate, audit, finding, "
                                     "corrective_action, methodology, indicator_value, qbr_component, ..."),
        OpenApiParameter("object", str, description="the object's id or natural key (code, audit_ref, "
                                                    "finding_ref, version)"),
        OpenApiParameter("since", str, description="ISO 8601 date-time: changes at or after it"),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ChangeSerializer(describe(self._model(), page), many=True).data)
