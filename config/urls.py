from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from audits import routes as audit_routes
from core import routes as core_routes
from core.api import ObtainExpiringToken
from disclosure import routes as disclosure_routes
from portal import routes as portal_routes
from reports import routes as report_routes
from scoring import routes as scoring_routes
from suppliers import routes as supplier_routes

APPS = (core_routes, supplier_routes, audit_routes, scoring_routes, report_routes, portal_routes, disclosure_routes)

router = DefaultRouter()
for app_routes in APPS:
    for prefix, viewset, basename in app_routes.ROUTES:
        router.register(prefix, viewset, basename=basename)
extra_api_urls = [url for app_routes in APPS for url in app_routes.URLS]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(extra_api_urls + router.urls)),
    path("api/v1/auth/token/", ObtainExpiringToken.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("portal.urls")),
]
