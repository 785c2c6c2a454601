"""API routes of this app: (prefix, viewset, basename), registered by config/urls.py."""

from django.urls import path

from disclosure import api, minerals_api, training_api

ROUTES = [
    ("emissions", api.EmissionInventoryViewSet, "emission-inventory"),
    ("emission-factors", api.EmissionFactorViewSet, "emission-factor"),
    ("courses", training_api.CourseViewSet, "course"),
    ("training-records", training_api.TrainingRecordViewSet, "training-record"),
    ("smelters", minerals_api.SmelterViewSet, "smelter"),
    ("minerals-reports", minerals_api.MineralsReportViewSet, "minerals-report"),
    ("training-submissions", training_api.TrainingSubmissionViewSet, "training-submission"),
]

URLS = [path("emissions-estimate/", api.EmissionsEstimateView.as_view(), name="emissions-estimate"),
        path("training-report/", training_api.TrainingReportView.as_view(), name="training-report")]
