"""API routes of this app: (prefix, viewset, basename), registered by config/urls.py."""

from django.urls import path

from scoring import api

ROUTES = [
    ("indicators", api.IndicatorViewSet, "indicator"),
    ("methodologies", api.MethodologyViewSet, "methodology"),
    ("indicator-values", api.IndicatorValueViewSet, "indicator-value"),
    ("qbr-components", api.QbrComponentViewSet, "qbr-component"),
    ("scores", api.ScoreViewSet, "score"),
    ("score-runs", api.ScoreRunViewSet, "score-run"),
]

# Extra paths under /api/v1/ that are not viewsets.
URLS = [path("coverage/", api.CoverageView.as_view(), name="coverage"),
        path("trends/", api.TrendsView.as_view(), name="trends")]
