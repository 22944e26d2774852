import os

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from .views import health

api_v1 = [
    path("", include("sanctions.api.urls")),  # first: the check, the busiest endpoint, resolves soonest
    path("", include("registry.api.urls")),
    path("", include("disputes.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("workbench/sanctions/", include("sanctions.urls")),
    path("workbench/disputes/", include("disputes.urls")),
    path("workbench/", include("registry.urls")),
    path("api/v1/", include(api_v1)),
    path(
        "api/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="api-schema"
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", authentication_classes=[], permission_classes=[]),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", authentication_classes=[], permission_classes=[]),
        name="api-redoc",
    ),
    path("healthz", health, name="health"),
    path("", include("publicity.urls")),
]

if os.environ.get("BENCH_FLOOR") == "1":
    # Benchmark only (bench/run.py): the floors the other endpoints are compared with.
    from bench.floors import urlpatterns as floors

    urlpatterns[:0] = floors
