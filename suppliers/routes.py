"""API routes of this app: (prefix, viewset, basename), registered by config/urls.py."""

from suppliers import api

ROUTES = [
    ("suppliers", api.SupplierViewSet, "supplier"),
    ("sites", api.SiteViewSet, "site"),
    ("spend", api.SpendViewSet, "spend"),
    ("fx-rates", api.FxRateViewSet, "fx-rate"),
]

# Extra paths under /api/v1/ that are not viewsets (e.g. coverage/).
URLS = []
