from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/evaluation/", include("evaluation.api_urls")),
    path("evaluation/", include("evaluation.urls")),
    path("field/", include("field.urls")),
    path("hotline/", include("hotline.urls")),
    path("maps/", include("maps.urls")),
    path("open311/v2/", include("open311.urls")),
    path("report/", include("open311.report_urls")),  # the public report page
    path("", include("mobile_api.urls")),  # /api/v1/…, /api/schema/, /api/docs/, /m/
    path("", include("dispatch.urls")),  # consoles and department portal
]

if settings.DEBUG:
    urlpatterns += [path(f"{settings.MEDIA_URL.lstrip('/')}<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]

handler400 = "citymgmt.error_pages.bad_request"
handler403 = "citymgmt.error_pages.permission_denied"
handler404 = "citymgmt.error_pages.page_not_found"
handler500 = "citymgmt.error_pages.server_error"
