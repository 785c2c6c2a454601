"""API routes of this app, registered by config/urls.py."""

from django.urls import path

from core.changes import ChangesView

ROUTES = []

# Extra paths under /api/v1/ that are not viewsets.
URLS = [path("changes/", ChangesView.as_view(), name="changes")]
