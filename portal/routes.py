"""API routes of this app: (prefix, viewset, basename), registered by config/urls.py."""

ROUTES = []

# Extra paths under /api/v1/ that are not viewsets.
URLS = []
