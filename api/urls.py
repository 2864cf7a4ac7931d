from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api import cases, views

urlpatterns = [
    path("v1/me/", views.MeView.as_view(), name="api-me"),
    path("v1/villages/", views.VillageListView.as_view(), name="api-villages"),
    path("v1/cases/", cases.CaseListCreateView.as_view(), name="api-cases"),
    path("v1/cases/<int:pk>/", cases.CaseDetailView.as_view(), name="api-case"),
    path("v1/cases/<int:pk>/actions/<str:action>/", cases.CaseActionView.as_view(), name="api-case-action"),
    path("v1/cases/<int:pk>/photos/", cases.CasePhotoUploadView.as_view(), name="api-case-photos"),
    path("v1/cases/<int:pk>/events/", cases.CaseEventsView.as_view(), name="api-case-events"),
    path("v1/photos/<int:pk>/file/", cases.PhotoFileView.as_view(), {"variant": "file"}, name="api-photo-file"),
    path("v1/photos/<int:pk>/thumbnail/", cases.PhotoFileView.as_view(), {"variant": "thumbnail"},
         name="api-photo-thumbnail"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
