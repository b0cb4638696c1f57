"""URL map: pages (web), the agency API (intake) and the published OpenAPI schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("openmash.intake.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("openmash.governance.urls")),
    path("", include("openmash.web.urls")),
]
