"""API routes of this app: (prefix, viewset, basename), registered by config/urls.py."""

from django.urls import path

from scoring import api, thirdparty_api

ROUTES = [
    ("indicators", api.IndicatorViewSet, "indicator"),
    ("methodologies", api.MethodologyViewSet, "methodology"),
    ("indicator-values", api.IndicatorValueViewSet, "indicator-value"),
    ("qbr-components", api.QbrComponentViewSet, "qbr-component"),
    ("scores", api.ScoreViewSet, "score"),
    ("score-runs", api.ScoreRunViewSet, "score-run"),
    ("match-reviews", thirdparty_api.MatchReviewViewSet, "match-review"),
]

# Extra paths under /api/v1/ that are not viewsets.
URLS = [
    path("coverage/", api.CoverageView.as_view(), name="coverage"),
    path("coverage/gaps/", api.CoverageGapView.as_view(), name="coverage-gaps"),
    path("trends/", api.TrendsView.as_view(), name="trends"),
    path("third-party-lists/<str:kind>/import/", thirdparty_api.ThirdPartyImportView.as_view(),
         name="third-party-import"),
]
