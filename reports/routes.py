"""API routes of this app: (prefix, viewset, basename), registered by config/urls.py."""

from reports import api

ROUTES = [
    ("reports", api.ReportViewSet, "report"),
]

# Extra paths under /api/v1/ that are not viewsets.
URLS = []
