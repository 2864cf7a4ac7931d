from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from api import auth, cases, docs, views
from api import patrols as patrol_views

urlpatterns = [
    path("v1/auth/token/", auth.ObtainTokenView.as_view(), name="api-token"),
    path("v1/me/", views.MeView.as_view(), name="api-me"),
    path("v1/villages/", views.VillageListView.as_view(), name="api-villages"),
    path("v1/cases/", cases.CaseListCreateView.as_view(), name="api-cases"),
    path("v1/cases/nearby/", cases.NearbyCasesView.as_view(), name="api-cases-nearby"),
    path("v1/cases/<int:pk>/", cases.CaseDetailView.as_view(), name="api-case"),
    path("v1/cases/<int:pk>/actions/<str:action>/", cases.CaseActionView.as_view(), name="api-case-action"),
    path("v1/cases/<int:pk>/photos/", cases.CasePhotoUploadView.as_view(), name="api-case-photos"),
    path("v1/cases/<int:pk>/events/", cases.CaseEventsView.as_view(), name="api-case-events"),
    path("v1/photos/<int:pk>/file/", cases.PhotoFileView.as_view(), {"variant": "file"}, name="api-photo-file"),
    path("v1/photos/<int:pk>/thumbnail/", cases.PhotoFileView.as_view(), {"variant": "thumbnail"},
         name="api-photo-thumbnail"),
    path("v1/patrols/", patrol_views.PatrolListCreateView.as_view(), name="api-patrols"),
    path("v1/patrols/<int:pk>/", patrol_views.PatrolDetailView.as_view(), name="api-patrol"),
    path("v1/patrols/<int:pk>/track/", patrol_views.PatrolTrackView.as_view(), name="api-patrol-track"),
    path("v1/patrols/<int:pk>/finish/", patrol_views.PatrolFinishView.as_view(), name="api-patrol-finish"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs.SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", docs.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
