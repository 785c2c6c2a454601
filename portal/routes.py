"""API routes of this app: (prefix, viewset, basename), registered by config/urls.py."""

from portal import api

ROUTES = [
    ("documents", api.DocumentViewSet, "document"),
]

# Extra paths under /api/v1/ that are not viewsets.
URLS = []
