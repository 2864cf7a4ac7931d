from django.contrib import admin
from django.urls import include, path

from patrol import views as pages
from worker.health import healthz

urlpatterns = [
    path("", pages.home, name="home"),
    path("field/", pages.field_page, name="field"),
    path("sw.js", pages.service_worker, name="service-worker"),
    path("map/", pages.map_page, name="map"),
    path("cases/<int:pk>/", pages.case_page, name="case"),
    path("cases/<int:pk>/actions/<str:action>/", pages.case_action, name="case-action"),
    path("cases/<int:pk>/notices/<int:notice_pk>/print/", pages.notice_print, name="notice-print"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]
