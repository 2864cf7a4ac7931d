from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from api import auth, cases, docs, views
from api import disclosure as disclosure_views
from api import documents as document_views
from api import exports as export_views
from api import map as map_views
from api import patrols as patrol_views
from api import signatures as signature_views
from api import summaries as summary_views
from api import tuban as tuban_views
from api import videos as video_views

urlpatterns = [
    path("v1/auth/token/", auth.ObtainTokenView.as_view(), name="api-token"),
    path("v1/me/", views.MeView.as_view(), name="api-me"),
    path("v1/jurisdictions/", views.JurisdictionListView.as_view(), name="api-jurisdictions"),
    path("v1/jurisdictions/<int:pk>/", views.JurisdictionDetailView.as_view(), name="api-jurisdiction"),
    path("v1/villages/", views.VillageListView.as_view(), name="api-villages"),
    path("v1/villages/<int:pk>/", views.VillageDetailView.as_view(), name="api-village"),
    path("v1/campaigns/", views.CampaignListView.as_view(), name="api-campaigns"),
    path("v1/campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="api-campaign"),
    path("v1/cases/", cases.CaseListCreateView.as_view(), name="api-cases"),
    path("v1/cases/nearby/", cases.NearbyCasesView.as_view(), name="api-cases-nearby"),
    path("v1/cases/field/", cases.FieldCasesView.as_view(), name="api-cases-field"),
    path("v1/cases/export.<str:fmt>", export_views.CaseExportView.as_view(), name="api-cases-export"),
    path("v1/exports/<int:pk>/", export_views.ExportJobView.as_view(), name="api-export-job"),
    path("v1/exports/<int:pk>/file/", export_views.ExportJobFileView.as_view(), name="api-export-job-file"),
    path("v1/cases/<int:pk>/", cases.CaseDetailView.as_view(), name="api-case"),
    path("v1/cases/<int:pk>/actions/<str:action>/", cases.CaseActionView.as_view(), name="api-case-action"),
    path("v1/cases/<int:pk>/photos/", cases.CasePhotoUploadView.as_view(), name="api-case-photos"),
    path("v1/cases/<int:pk>/videos/", video_views.CaseVideoUploadView.as_view(), name="api-case-videos"),
    path("v1/uploads/<int:pk>/", video_views.VideoUploadView.as_view(), name="api-upload"),
    path("v1/videos/<int:pk>/file/", video_views.VideoFileView.as_view(), name="api-video-file"),
    path("v1/cases/<int:pk>/events/", cases.CaseEventsView.as_view(), name="api-case-events"),
    path("v1/cases/<int:pk>/notices/", cases.CaseNoticesView.as_view(), name="api-case-notices"),
    path("v1/cases/<int:pk>/documents/", document_views.CaseDocumentsView.as_view(), name="api-case-documents"),
    path("v1/cases/<int:pk>/dossier.pdf", document_views.CaseDossierView.as_view(), name="api-case-dossier"),
    path("v1/documents/<int:pk>/pdf", document_views.DocumentPdfView.as_view(), name="api-document-pdf"),
    path("v1/documents/<int:pk>/services/", document_views.DocumentServicesView.as_view(),
         name="api-document-services"),
    path("v1/services/<int:pk>/receipt-date/", document_views.ServiceReceiptDateView.as_view(),
         name="api-service-receipt-date"),
    path("v1/cases/<int:pk>/signatures/", signature_views.CaseSignatureUploadView.as_view(),
         name="api-case-signatures"),
    path("v1/signatures/<int:pk>/file/", signature_views.SignatureFileView.as_view(), name="api-signature-file"),
    path("v1/photos/<int:pk>/file/", cases.PhotoFileView.as_view(), {"variant": "file"}, name="api-photo-file"),
    path("v1/photos/<int:pk>/thumbnail/", cases.PhotoFileView.as_view(), {"variant": "thumbnail"},
         name="api-photo-thumbnail"),
    path("v1/patrols/", patrol_views.PatrolListCreateView.as_view(), name="api-patrols"),
    path("v1/patrols/<int:pk>/", patrol_views.PatrolDetailView.as_view(), name="api-patrol"),
    path("v1/patrols/<int:pk>/track/", patrol_views.PatrolTrackView.as_view(), name="api-patrol-track"),
    path("v1/patrols/<int:pk>/finish/", patrol_views.PatrolFinishView.as_view(), name="api-patrol-finish"),
    path("v1/map/cases/", map_views.MapCasesView.as_view(), name="api-map-cases"),
    path("v1/map/list/", map_views.MapCaseListView.as_view(), name="api-map-list"),
    path("v1/map/kpis/", map_views.MapKpiView.as_view(), name="api-map-kpis"),
    path("v1/map/heat/", map_views.MapHeatView.as_view(), name="api-map-heat"),
    path("v1/map/villages/", map_views.MapVillagesView.as_view(), name="api-map-villages"),
    path("v1/map/campaigns/", map_views.MapCampaignsView.as_view(), name="api-map-campaigns"),
    path("v1/map/tracks/", map_views.MapTracksView.as_view(), name="api-map-tracks"),
    path("v1/campaigns/<int:pk>/summary/", summary_views.CampaignSummaryView.as_view(), name="api-campaign-summary"),
    path("v1/campaigns/<int:pk>/summary/send/", summary_views.CampaignSummarySendView.as_view(),
         name="api-campaign-summary-send"),
    path("v1/summaries/", summary_views.SummaryListView.as_view(), name="api-summaries"),
    path("v1/summaries/<int:pk>/", summary_views.SummaryDetailView.as_view(), name="api-summary"),
    path("v1/tuban/", tuban_views.TubanListView.as_view(), name="api-tuban"),
    path("v1/tuban/batches/", tuban_views.BatchListView.as_view(), name="api-tuban-batches"),
    path("v1/tuban/batches/<int:pk>/report.<str:fmt>", tuban_views.BatchReportView.as_view(), name="api-tuban-report"),
    path("v1/tuban/assign/", tuban_views.AssignView.as_view(), name="api-tuban-assign"),
    path("v1/tuban/<int:pk>/", tuban_views.TubanDetailView.as_view(), name="api-tuban-detail"),
    path("v1/tuban/<int:pk>/photos/", tuban_views.TubanPhotoUploadView.as_view(), name="api-tuban-photos"),
    path("v1/tuban/<int:pk>/verify/", tuban_views.TubanVerifyView.as_view(), name="api-tuban-verify"),
    path("v1/tuban/photos/<int:pk>/file/", tuban_views.TubanPhotoFileView.as_view(), name="api-tuban-photo-file"),
    path("v1/disclosure/entries/", disclosure_views.DisclosureEntryListView.as_view(), name="api-disclosure-entries"),
    path("v1/disclosure/entries/<int:pk>/hold/", disclosure_views.DisclosureHoldView.as_view(),
         name="api-disclosure-hold"),
    path("v1/disclosure/entries/<int:pk>/release/", disclosure_views.DisclosureReleaseView.as_view(),
         name="api-disclosure-release"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs.SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", docs.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
