"""REST endpoints: indicators, methodologies, indicator values, scores, score runs, coverage."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import asdict
from decimal import Decimal

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from core import jobs, roles
from core.api import IdentifierSlugRelatedField, ImportActionMixin
from core.paging import Counted
from core.parsers import CellError, parse_past_quarter, parse_quarter
from scoring import comparison, importers, methodology_drafts, services, serving
from scoring.decomposition import decompose
from scoring.models import (
    Indicator,
    IndicatorValue,
    Methodology,
    MethodologyIndicator,
    QbrComponent,
    QuarterlyScore,
    ScoreRun,
    ValueState,
)
from scoring.selectors import (
    UnknownMethodology,
    coverage_snapshot,
    current_methodology,
    default_quarter,
    methodology_params,
    of_version,
    results_methodology,
    score_history,
)
from scoring.values import canonical_value
from suppliers.scoping import SupplierScopedMixin, VisibleSupplierField
from suppliers.selectors import visible_suppliers

ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def quarter_param(value: str | None, *, required: bool = True):
    if not value:
        if required:
            raise ValidationError({"quarter": "this query parameter is required (YYYY-Qn)"})
        return None
    try:
        return parse_quarter(value)
    except CellError as exc:
        raise ValidationError({"quarter": str(exc)}) from exc


NO_SCORED_QUARTER = "no quarter has been recalculated yet: recalculate a quarter first, or give ?quarter=YYYY-Qn"


def quarter_or_default(value: str | None):
    """The ``quarter`` query parameter, or when it is missing the default quarter (the
    latest quarter whose stored scores come from a successful run,
    ``scoring.selectors.scored_quarters``; docs/api.md "The default quarter"). A malformed
    quarter is a 400 on ``quarter``; no recalculated quarter at all is a 404."""
    if value:
        return quarter_param(value)
    quarter = default_quarter()
    if quarter is None:
        raise NotFound(NO_SCORED_QUARTER)
    return parse_quarter(quarter)


METHODOLOGY_PARAMETER = OpenApiParameter(
    "methodology", str, description="a methodology version; omitted: each quarter's official version")


def methodology_param(request) -> Methodology | None:
    """The ``methodology`` query parameter as a version (400 on ``methodology`` when there is
    no such version), or ``None`` when omitted: the official version of each quarter. A
    draft's what-if results are procurement's: anyone else asking for a draft gets a 403."""
    version = request.query_params.get("methodology")
    if not version:
        return None
    try:
        methodology = results_methodology(None, version)
    except UnknownMethodology as exc:
        raise ValidationError({"methodology": str(exc)}) from exc
    if not methodology.is_published and not roles.sees_internal_data(request.user):
        raise PermissionDenied("a draft's results are internal to procurement")
    return methodology


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "code", "title", "category", "source"]


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Indicator.objects.all()
    serializer_class = IndicatorSerializer
    filterset_fields = ["category", "source"]
    search_fields = ["code", "title"]


class MethodologyIndicatorSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="indicator.code", read_only=True)
    category = serializers.CharField(source="indicator.category", read_only=True)
    source = serializers.SerializerMethodField()

    class Meta:
        model = MethodologyIndicator
        fields = ["code", "category", "weight", "normalisation", "params", "source"]

    def get_source(self, row) -> str:
        return methodology_drafts.effective_source(row)


class MethodologySerializer(serializers.ModelSerializer):
    indicators = MethodologyIndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Methodology
        fields = ["id", "version", "description", "status", "based_on", "coverage_target", "grade_bands",
                  "qbr_weights", "audit_validity_months", "expiring_days", "created_at", "published_at",
                  "indicators"]
        read_only_fields = ["status", "based_on", "created_at", "published_at"]
        extra_kwargs = {"audit_validity_months": {"min_value": 1, "max_value": 120},
                        "expiring_days": {"max_value": 3650},
                        "coverage_target": {"min_value": Decimal("0.01"), "max_value": Decimal("1")}}

    def validate(self, attrs):
        current = self.instance
        errors = methodology_drafts.settings_errors(
            grade_bands=attrs.get("grade_bands", current.grade_bands if current else None),
            qbr_weights=attrs.get("qbr_weights", current.qbr_weights if current else None))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class DraftSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=30)
    based_on = serializers.SlugRelatedField(slug_field="version", queryset=Methodology.objects.all(), required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class WeightChangeSerializer(serializers.Serializer):
    code = serializers.CharField()
    weight = serializers.DecimalField(max_digits=7, decimal_places=3, min_value=0, required=False)
    params = serializers.JSONField(required=False)
    source = serializers.CharField(required=False, help_text="reported, or a derived source (scorecard.md section 9)")


class MethodologyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                         viewsets.GenericViewSet):
    """Methodology versions: drafting, changing weights, diffing and publishing are for admins."""

    queryset = Methodology.objects.prefetch_related("indicators__indicator")
    serializer_class = MethodologySerializer
    lookup_field = "version"
    admin_only_write = True
    procurement_only = True
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_update(self, serializer):
        methodology_drafts.ensure_draft(serializer.instance)
        serializer.save()

    @extend_schema(request=DraftSerializer, responses={201: MethodologySerializer})
    @action(detail=False, methods=["post"], url_path="drafts")
    def create_draft(self, request):
        payload = DraftSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        draft = methodology_drafts.draft_create(version=data["version"], based_on=data.get("based_on"),
                                           description=data["description"], actor=request.user)
        return Response(MethodologySerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WeightChangeSerializer(many=True), responses=MethodologySerializer)
    @action(detail=True, methods=["post"], url_path="weights")
    def set_weights(self, request, version=None):
        methodology = self.get_object()
        payload = WeightChangeSerializer(data=request.data, many=True)
        payload.is_valid(raise_exception=True)
        methodology_drafts.weights_set(methodology=methodology, changes=payload.validated_data, actor=request.user)
        return Response(MethodologySerializer(self.get_queryset().get(pk=methodology.pk)).data)

    @extend_schema(responses=MethodologySerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, version=None):
        methodology = self.get_object()
        services.methodology_publish(methodology=methodology, actor=request.user)
        return Response(MethodologySerializer(methodology).data)

    @extend_schema(parameters=[OpenApiParameter("other", str, required=True)], responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def diff(self, request, version=None):
        methodology = self.get_object()
        other = get_object_or_404(self.get_queryset(), version=request.query_params.get("other", ""))
        return Response(methodology_drafts.diff(methodology, other))


def _service(function, **kwargs):
    """Run a service; its Django ``ValidationError`` becomes a 400 naming the fields."""
    try:
        return function(**kwargs)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        raise ValidationError(detail) from exc


class IndicatorValueSerializer(serializers.ModelSerializer):
    supplier_code = VisibleSupplierField(source="supplier")
    indicator_code = IdentifierSlugRelatedField(source="indicator", slug_field="code",
                                                queryset=Indicator.objects.all())

    class Meta:
        model = IndicatorValue
        fields = ["id", "supplier_code", "quarter", "indicator_code", "value", "source", "evidence_ref", "origin",
                  "state", "submitted_at", "submitted_by_label", "reviewed_at", "review_comment"]
        read_only_fields = ["origin", "state", "submitted_at", "submitted_by_label", "reviewed_at", "review_comment"]
        # The unique constraint holds for imported rows only; submissions add rows.
        validators = []

    def validate_quarter(self, value):
        # Not after the current quarter (contract.md, "Dates are plausible"), as in imports.
        try:
            return str(parse_past_quarter(value))
        except CellError as exc:
            raise ValidationError(str(exc)) from exc

    def validate(self, attrs):
        spec = methodology_params(current_methodology()).indicator(attrs["indicator"].code)
        try:
            attrs["value"] = canonical_value(spec, attrs["value"])
        except CellError as exc:
            raise serializers.ValidationError({"value": str(exc)}) from exc
        return attrs


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class IndicatorValueViewSet(ImportActionMixin, SupplierScopedMixin, mixins.ListModelMixin,
                            mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Procurement values are accepted when entered; a supplier's own submissions wait for
    a procurement user to accept or reject them."""

    queryset = IndicatorValue.objects.select_related("supplier", "indicator")
    serializer_class = IndicatorValueSerializer
    filterset_fields = {"supplier__code": ["exact"], "quarter": ["exact"], "indicator__code": ["exact"],
                        "state": ["exact"], "origin": ["exact"]}
    ordering_fields = ["quarter", "submitted_at"]
    importer_class = importers.IndicatorValueImporter
    supplier_writable = True

    def perform_create(self, serializer):
        data = serializer.validated_data
        # The rules (value against its indicator, evidence of the same supplier) are the service's.
        serializer.instance = _service(
            services.indicator_value_submit,
            supplier=data["supplier"], quarter=data["quarter"], indicator=data["indicator"], value=data["value"],
            actor=self.request.user, source=data.get("source", ""), evidence_ref=data.get("evidence_ref", ""))

    def _review(self, request, state: str):
        # Who may review is the service's rule (core.review.ensure_reviewer): refused with 403.
        value = self.get_object()
        payload = ReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        _service(services.value_review, value=value, state=state, actor=request.user,
                 comment=payload.validated_data["comment"])
        return Response(self.get_serializer(value).data)

    @extend_schema(request=ReviewSerializer, responses=IndicatorValueSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._review(request, ValueState.ACCEPTED)

    @extend_schema(request=ReviewSerializer, responses=IndicatorValueSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._review(request, ValueState.REJECTED)


class QbrComponentSerializer(serializers.ModelSerializer):
    supplier_code = serializers.CharField(source="supplier.code", read_only=True)

    class Meta:
        model = QbrComponent
        fields = ["id", "supplier_code", "quarter", "component", "score"]


class QbrComponentViewSet(ImportActionMixin, SupplierScopedMixin, viewsets.ReadOnlyModelViewSet):
    queryset = QbrComponent.objects.select_related("supplier").order_by("supplier__code", "quarter", "component")
    serializer_class = QbrComponentSerializer
    filterset_fields = {"supplier__code": ["exact"], "quarter": ["exact"], "component": ["exact"]}
    importer_class = importers.QbrComponentImporter


class ScoreSerializer(serializers.ModelSerializer):
    supplier_code = serializers.CharField(source="supplier.code", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True)
    methodology = serializers.CharField(source="methodology.version", read_only=True)
    # The buyer's spend is internal: null for supplier users (``roles.sees_internal_data``).
    rank = serializers.IntegerField(read_only=True, allow_null=True)
    spend_basis = serializers.DecimalField(max_digits=32, decimal_places=2, read_only=True, allow_null=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not roles.sees_internal_data(request.user):
            data["rank"] = data["spend_basis"] = None
        return data

    class Meta:
        model = QuarterlyScore
        fields = ["id", "supplier_code", "supplier_name", "quarter", "methodology", "population", "rank",
                  "spend_basis", "score", "grade", "rba", "environment", "minerals", "ecovadis", "esg_disclosure",
                  "completeness", "flags", "qbr_total", "qbr_incomplete", "qbr_components", "run", "computed_at"]


class ScoreDetailSerializer(ScoreSerializer):
    class Meta(ScoreSerializer.Meta):
        fields = [*ScoreSerializer.Meta.fields, "points"]


class ScoreFilter(django_filters.FilterSet):
    flag = django_filters.CharFilter(field_name="flags_text", lookup_expr="contains")
    supplier = django_filters.CharFilter(field_name="supplier__code")

    class Meta:
        model = QuarterlyScore
        fields = ["quarter", "grade", "population"]


class IdPagePagination(PageNumberPagination):
    """Page-number pagination that reads a page's ids first (the ordering's index alone, an
    index-only scan even deep in the list) and then only those rows with their joins, in the
    same order. Two queries per page plus the count."""

    def paginate_queryset(self, queryset, request, view=None):
        ids = queryset.values_list("pk", flat=True)
        count = view.known_count() if hasattr(view, "known_count") else None
        ids = super().paginate_queryset(ids if count is None else Counted(ids, count), request, view=view)
        if ids is None:
            return None
        ids = list(ids)
        rows = queryset.order_by().in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]


class ScoreViewSet(SupplierScopedMixin, viewsets.ReadOnlyModelViewSet):
    queryset = QuarterlyScore.objects.select_related("supplier", "methodology")
    pagination_class = IdPagePagination
    filterset_class = ScoreFilter
    search_fields = ["supplier__code", "supplier__name"]

    @property
    def ordering_fields(self):
        if roles.sees_internal_data(self.request.user):
            return ["rank", "score", "spend_basis", "quarter"]
        return ["score", "quarter"]

    def get_serializer_class(self):
        return ScoreDetailSerializer if self.action == "retrieve" else ScoreSerializer

    listed_quarter: str | None = None  # the default quarter ``list`` read when none was asked for
    # Query parameters that leave the list's count to the quarter's stored digest.
    COUNTED_PARAMS = frozenset({"quarter", "grade", "population", "ordering", "page", "page_size", "format"})

    def known_count(self) -> int | None:
        """The list's length without counting it, when only the quarter, a grade or a
        population narrows the official scores and the user sees every supplier (the
        quarter's stored digest, ``scoring.serving.score_count``); ``None`` otherwise."""
        params = self.request.query_params
        if self.action != "list" or not roles.is_procurement(self.request.user) or set(params) - self.COUNTED_PARAMS:
            return None
        quarter = params.get("quarter") or self.listed_quarter
        try:
            canonical = quarter is not None and str(parse_quarter(quarter)) == quarter
        except CellError:
            canonical = False
        if not canonical:  # left to the filter and its count
            return None
        return serving.score_count(quarter, grade=params.get("grade", ""), population=params.get("population", ""))

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in ("list", "history"):
            queryset = of_version(queryset, methodology_param(self.request))
        if self.action == "list":
            queryset = queryset.defer("points")
        return queryset

    @extend_schema(parameters=[OpenApiParameter(
        "quarter", str, description="YYYY-Qn; omitted: the latest quarter with a successful recalculation"),
        METHODOLOGY_PARAMETER])
    def list(self, request, *args, **kwargs):
        """One quarter's scores: ``quarter``, or the default quarter when it is omitted
        (never several quarters mixed), of the quarter's official methodology version or
        the ``methodology`` asked for; 404 when no quarter has been recalculated."""
        if not request.query_params.get("quarter"):
            self.filter_queryset(self.get_queryset())  # an unreadable filter value is a 400 first
            self.listed_quarter = str(quarter_or_default(None))
            self.queryset = self.queryset.filter(quarter=self.listed_quarter)
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=OpenApiTypes.OBJECT, parameters=[METHODOLOGY_PARAMETER])
    @action(detail=False, methods=["get"], url_path=r"history/(?P<supplier_code>[^/]+)")
    def history(self, request, supplier_code=None):
        """A supplier's scores by quarter (each quarter's official version, or the
        ``methodology`` asked for) with the change against the previous quarter."""
        scores = list(self.filter_queryset(self.get_queryset()).filter(supplier__code=supplier_code)
                      .order_by("quarter"))
        if not scores:
            raise NotFound("no scores for this supplier")
        return Response(score_history(scores))


    @extend_schema(responses=OpenApiTypes.OBJECT, parameters=[
        OpenApiParameter("quarter", str, description="YYYY-Qn; omitted: the default quarter"),
        OpenApiParameter("previous", str, description="YYYY-Qn; omitted: the quarter before"),
        METHODOLOGY_PARAMETER])
    @action(detail=False, methods=["get"], url_path=r"decomposition/(?P<supplier_code>[^/]+)")
    def decomposition(self, request, supplier_code=None):
        """Why a supplier's score moved from ``previous`` to ``quarter`` (docs/scoring.md,
        "Change decomposition"): total change = method effect + data effect, the data effect
        in lines sorted by absolute effect (every indicator that changed, gate, population,
        rescaling, rounding) that add up to it to the cent. 404 without both stored scores."""
        supplier = visible_suppliers(request.user).filter(code=supplier_code).first()
        if supplier is None:
            raise NotFound("no such supplier")
        quarter = quarter_or_default(request.query_params.get("quarter"))
        previous = quarter_param(request.query_params.get("previous"), required=False)
        result = decompose(supplier.pk, quarter, previous=previous, methodology=methodology_param(request))
        if result is None:
            raise NotFound("the decomposition needs a stored score in both quarters")
        return Response({"supplier_code": supplier.code, **asdict(result)})


    @extend_schema(responses=OpenApiTypes.OBJECT, parameters=[
        OpenApiParameter("quarter", str, description="YYYY-Qn; omitted: the default quarter"),
        OpenApiParameter("base", str, description="a version; omitted: the quarter's official version"),
        OpenApiParameter("other", str, description="the version compared with the base (required)")])
    @action(detail=False, methods=["get"], url_path="compare")
    def compare(self, request):
        """Two versions' stored results of a quarter side by side (docs/scoring.md, "Comparing
        versions"): grade migration matrix, population and gate changes, the largest score
        changes with their driving indicators, coverage under each. Procurement only."""
        if not roles.is_procurement(request.user):
            raise PermissionDenied("procurement only")
        quarter = quarter_or_default(request.query_params.get("quarter"))
        try:
            base = results_methodology(quarter, request.query_params.get("base") or None)
            other = results_methodology(quarter, request.query_params.get("other") or "-")
        except UnknownMethodology as exc:
            raise ValidationError({"other": str(exc)}) from exc
        if base is None:
            raise NotFound(f"no official results for {quarter}")
        return Response(asdict(comparison.stored_compare(quarter, base, other)))


class ScoreRunSerializer(serializers.ModelSerializer):
    methodology = serializers.SlugRelatedField(slug_field="version", queryset=Methodology.objects.all(),
                                               required=False)

    class Meta:
        model = ScoreRun
        fields = ["id", "quarter", "methodology", "preview", "status", "trigger", "started_by_label", "created_at",
                  "started_at", "finished_at", "duration_seconds", "counts", "fingerprint", "error"]
        read_only_fields = ["status", "trigger", "started_by_label", "created_at", "started_at", "finished_at",
                            "duration_seconds", "counts", "fingerprint", "error"]
        # "One active run per quarter" is answered by the service (200 with the identical run,
        # 409 naming a different one), not by a generic uniqueness error.
        validators = []

    def validate_quarter(self, value):
        return str(quarter_param(value))


class ScoreRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):
    """POST starts a recalculation (queued on Celery); GET follows it."""

    queryset = ScoreRun.objects.select_related("methodology")
    serializer_class = ScoreRunSerializer
    filterset_fields = ["quarter", "status", "preview"]
    procurement_only = True

    @extend_schema(responses={202: ScoreRunSerializer, 200: ScoreRunSerializer,
                              409: OpenApiResponse(description="Another run of the quarter is queued or running; "
                                                               "``run`` is its id."),
                              429: OpenApiResponse(description="Too many jobs started; see Retry-After.")})
    def create(self, request, *args, **kwargs):
        """202 with a new run; 200 with the identical run already queued or running (same
        quarter and methodology, from anyone); 409 naming the run that holds the quarter.
        ``preview: true`` computes a version's what-if results of the quarter (a draft may be
        previewed) without touching the official ones; a preview never holds the quarter."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        methodology = serializer.validated_data.get("methodology")
        if (wait := jobs.start_wait(request.user)) is not None:
            raise Throttled(wait=wait)
        with transaction.atomic():
            run = services.score_run_enqueue(quarter=parse_quarter(serializer.validated_data["quarter"]),
                                             methodology=methodology, actor=request.user, trigger="api",
                                             preview=serializer.validated_data.get("preview", False))
        reused = run.reused
        run.refresh_from_db()
        return Response(self.get_serializer(run).data,
                        status=status.HTTP_200_OK if reused else status.HTTP_202_ACCEPTED)


class CoverageView(APIView):
    """The section 7 coverage metrics of a quarter, as stored by the latest run of its
    official methodology version (or of the ``methodology`` asked for): the contract's full
    shape (every gap list inline). The official version's is served as the JSON stored at
    recalculation, gzip-compressed when the client accepts it, and kept by each process until a
    new run or version (``scoring.serving.coverage_body``)."""

    procurement_only = True

    @extend_schema(parameters=[OpenApiParameter(
        "quarter", str, description="YYYY-Qn; omitted: the latest quarter with a successful recalculation"),
        METHODOLOGY_PARAMETER], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        methodology = methodology_param(request)
        quarter = quarter_or_default(request.query_params.get("quarter"))
        if methodology is not None:
            snapshot = coverage_snapshot(quarter, methodology)
            if snapshot is None:
                raise NotFound(f"no coverage for {quarter}: recalculate the quarter first")
            if not snapshot.official:
                return Response(snapshot.data)
        body = serving.coverage_body(str(quarter))
        if body is None:
            raise NotFound(f"no coverage for {quarter}: recalculate the quarter first")
        if request.accepted_renderer.format != "json":  # the browsable API renders the document itself
            return Response(json.loads(gzip.decompress(body)))
        if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
            response = HttpResponse(body, content_type="application/json")
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(gzip.decompress(body), content_type="application/json")
        patch_vary_headers(response, ("Accept-Encoding",))
        return response


class GapPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class CoverageGapView(APIView):
    """One coverage metric's gap list of a quarter, a page at a time (docs/api.md "Gap
    lists by page"): the gaps of ``coverage/`` in the same order (biggest spend first),
    each with its ``position``; ``count`` is the length of the whole list."""

    procurement_only = True

    @extend_schema(parameters=[
        OpenApiParameter("quarter", str, description="YYYY-Qn; omitted: the default quarter"),
        OpenApiParameter("metric", str, required=True, enum=list(serving.METRICS)),
        OpenApiParameter("page", int), OpenApiParameter("page_size", int, description="1-1000, default 50")],
        responses=OpenApiTypes.OBJECT)
    def get(self, request):
        metric = request.query_params.get("metric", "")
        if metric not in serving.METRICS:
            raise ValidationError({"metric": [f"one of {', '.join(serving.METRICS)}"]})
        quarter = quarter_or_default(request.query_params.get("quarter"))
        summary = serving.gap_summary(str(quarter), metric)
        if summary is None:
            raise NotFound(f"no coverage for {quarter} and {metric}: recalculate the quarter first")
        paginator = GapPagination()
        page = paginator.paginate_queryset(serving.GapItems(summary), request, view=self)
        response = paginator.get_paginated_response(page)
        payload = summary.payload
        response.data = {"quarter": str(quarter), "metric": metric, "share": payload["share"],
                         "target": payload["target"], "met": payload["met"], **response.data}
        return response


class TrendsView(APIView):
    """Portfolio trends of the last ``quarters`` quarters ending with ``quarter``
    (``scoring.trends.portfolio_trends``; docs/scoring.md, "Portfolio trends")."""

    procurement_only = True

    @extend_schema(parameters=[
        OpenApiParameter("quarter", str, description="the last quarter, YYYY-Qn; omitted: the default quarter"),
        OpenApiParameter("quarters", int, description="how many quarters (2-40, default 8)")],
        responses=OpenApiTypes.OBJECT)
    def get(self, request):
        from scoring.trends import DEFAULT_QUARTERS, portfolio_trends

        quarter = quarter_or_default(request.query_params.get("quarter"))
        try:
            quarters = int(request.query_params.get("quarters") or DEFAULT_QUARTERS)
        except ValueError:
            quarters = 0
        if not 2 <= quarters <= 40:
            raise ValidationError({"quarters": "a whole number from 2 to 40"})
        trends = portfolio_trends(quarter, quarters)
        return Response({"quarters": trends.quarters, **trends.tables()})
