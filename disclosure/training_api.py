"""``courses`` and ``training-records`` (contract.md "Additions").

Courses: everyone with a role reads, procurement writers write. Training records carry
person references (personal data): procurement roles read them all; a supplier user reads
its own supplier's only (another supplier's is a 404); only procurement writes.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import IdentifierSlugRelatedField, ImportActionMixin
from core.parsers import CellError
from disclosure import services, sessions, training
from disclosure.models import (
    Course,
    InventoryState,
    TrainingPerson,
    TrainingRecord,
    TrainingSubmission,
    normalise_person_ref,
)
from suppliers.models import Supplier
from suppliers.scoping import SupplierScopedMixin, VisibleSupplierField


class CourseSerializer(serializers.ModelSerializer):
    valid_months = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1200)

    class Meta:
        model = Course
        fields = ["id", "code", "title", "title_zh", "required", "valid_months", "material_url", "updated_at"]
        read_only_fields = ["updated_at"]


class CourseViewSet(ImportActionMixin, viewsets.ModelViewSet):
    queryset = Course.objects.all()
    serializer_class = CourseSerializer
    filterset_fields = ["required"]
    search_fields = ["code", "title", "title_zh"]
    importer_class = training.CourseImporter
    http_method_names = ["get", "post", "patch", "head", "options"]


class TrainingRecordSerializer(serializers.ModelSerializer):
    supplier_code = serializers.SlugRelatedField(source="person.supplier", slug_field="code",
                                                 queryset=Supplier.objects.all())
    person_ref = serializers.CharField(source="person.person_ref", max_length=254)
    is_esg_staff = serializers.BooleanField(source="person.is_esg_staff", required=False, default=True)
    active = serializers.BooleanField(source="person.active", required=False, default=True)
    course_code = serializers.SlugRelatedField(source="course", slug_field="code", queryset=Course.objects.all())
    score = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False,
                                     allow_null=True)

    class Meta:
        model = TrainingRecord
        fields = ["id", "supplier_code", "person_ref", "is_esg_staff", "active", "course_code", "completed_on",
                  "score", "state", "updated_at"]
        read_only_fields = ["state", "updated_at"]

    def validate_person_ref(self, value):
        ref = normalise_person_ref(value)
        if not ref:
            raise serializers.ValidationError("a person reference is required")
        return ref

    def validate_completed_on(self, value):
        if value is None:
            return value
        try:
            return training.check_completed_on(value)
        except CellError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs):
        person = attrs.get("person", {})
        supplier = person.get("supplier")
        ref = person.get("person_ref")
        course = attrs.get("course")
        if self.instance is None and TrainingRecord.objects.filter(
                person__supplier=supplier, person__person_ref=ref, course=course).exists():
            raise serializers.ValidationError({"course_code": "this person already has a record for this course"})
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        person_data = validated_data.pop("person")
        person, _ = TrainingPerson.objects.get_or_create(
            supplier=person_data["supplier"], person_ref=person_data["person_ref"],
            defaults={"is_esg_staff": person_data.get("is_esg_staff", True), "active": person_data.get("active", True)})
        # The person's flags belong to the person: the latest write sets them.
        changed = [name for name in training.PERSON_FIELDS
                   if name in person_data and getattr(person, name) != person_data[name]]
        for name in changed:
            setattr(person, name, person_data[name])
        if changed:
            person.save(update_fields=[*changed, "updated_at"])
        return TrainingRecord.objects.create(person=person, **validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("person", None)  # who and which course are the record's identity
        validated_data.pop("course", None)
        return super().update(instance, validated_data)


class TrainingRecordViewSet(ImportActionMixin, SupplierScopedMixin, viewsets.ModelViewSet):
    queryset = TrainingRecord.objects.select_related("person__supplier", "course")
    serializer_class = TrainingRecordSerializer
    supplier_path = "person__supplier"
    filterset_fields = {"person__supplier__code": ["exact"], "course__code": ["exact"],
                        "completed_on": ["exact", "gte", "lte", "isnull"]}
    importer_class = training.TrainingRecordImporter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class TrainingReportView(APIView):
    """``GET training-report/``: per calendar year, sessions, attendances, attendees,
    suppliers attending, persons and suppliers completing a course, suppliers trained
    (``disclosure.sessions.yearly_report``; counts only). Procurement roles only.
    ``?year=YYYY`` keeps one year (400 when not a year)."""

    procurement_only = True

    @extend_schema(parameters=[OpenApiParameter("year", int, required=False)], responses={200: dict})
    def get(self, request):
        rows = sessions.yearly_report()
        year = request.query_params.get("year", "").strip()
        if year:
            if len(year) != 4 or not year.isdigit():
                return Response({"year": [f"'{year}' is not a year (YYYY)"]}, status=status.HTTP_400_BAD_REQUEST)
            rows = [row for row in rows if row["year"] == int(year)]
        return Response({"years": rows})


# --------------------------------------------------------------------------- supplier submissions


def run_service(function, **kwargs):
    """Run a service; its Django ``ValidationError`` becomes a 400 naming the fields (a full
    disk, ``core.uploads.StorageUnavailable``, is the one exception handler's 503)."""
    try:
        return function(**kwargs)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        raise serializers.ValidationError(detail) from exc


class TrainingSubmissionSerializer(serializers.ModelSerializer):
    supplier_code = VisibleSupplierField(source="person.supplier")
    person_ref = serializers.CharField(source="person.person_ref", max_length=254)
    course_code = IdentifierSlugRelatedField(source="course", slug_field="code", queryset=Course.objects.all())
    score = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True)
    certificate = serializers.FileField(write_only=True)
    certificate_document = serializers.IntegerField(source="certificate_id", read_only=True)

    class Meta:
        model = TrainingSubmission
        fields = ["id", "supplier_code", "person_ref", "course_code", "completed_on", "score", "certificate",
                  "certificate_document", "state", "submitted_at", "reviewed_at", "review_comment"]
        read_only_fields = ["state", "submitted_at", "reviewed_at", "review_comment"]


class SubmissionReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TrainingSubmissionViewSet(SupplierScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                mixins.CreateModelMixin, viewsets.GenericViewSet):
    """``training-submissions``: completions registered with a certificate (multipart). A
    supplier user submits for its own supplier (waits for review); a procurement writer's is
    accepted at once; ``accept``/``reject`` are procurement writers' (docs/training.md)."""

    queryset = TrainingSubmission.objects.select_related("person__supplier", "course")
    serializer_class = TrainingSubmissionSerializer
    supplier_path = "person__supplier"
    supplier_writable = True
    parser_classes = [MultiPartParser, FormParser]
    filterset_fields = {"person__supplier__code": ["exact"], "state": ["exact"], "course__code": ["exact"]}

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = run_service(
            services.training_completion_submit, supplier=data["person"]["supplier"],
            person_ref=data["person"]["person_ref"], course=data["course"], completed_on=data["completed_on"],
            score=data.get("score"), certificate=data["certificate"], actor=self.request.user)

    def _review(self, request, state: str):
        submission = self.get_object()
        payload = SubmissionReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        submission = run_service(services.training_submission_review, submission=submission, state=state,
                              actor=request.user, comment=payload.validated_data["comment"])
        return Response(self.get_serializer(submission).data)

    @extend_schema(request=SubmissionReviewSerializer, responses=TrainingSubmissionSerializer)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def accept(self, request, pk=None):
        return self._review(request, InventoryState.ACCEPTED)

    @extend_schema(request=SubmissionReviewSerializer, responses=TrainingSubmissionSerializer)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def reject(self, request, pk=None):
        return self._review(request, InventoryState.REJECTED)
