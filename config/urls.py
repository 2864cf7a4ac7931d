from django.contrib import admin
from django.urls import include, path

from api import exceptions as api_errors
from disclosure import views as disclosure_views
from disclosure.feeds import DecisionFeed
from documents import views as document_pages
from exports import views as ledger_views
from patrol import map_views, password_reset, settings_views
from patrol import views as pages
from summaries import views as summary_views
from tuban import views as tuban_pages
from worker.health import healthz

urlpatterns = [
    path("", pages.home, name="home"),
    path("field/", pages.field_page, name="field"),
    path("sw.js", pages.service_worker, name="service-worker"),
    path("map/", map_views.map_page, name="map"),
    path("ledger/", ledger_views.ledger_page, name="ledger"),
    path("cases/<int:pk>/", pages.case_page, name="case"),
    path("cases/<int:pk>/actions/<str:action>/", pages.case_action, name="case-action"),
    path("cases/<int:pk>/sign/", document_pages.sign_page, name="case-sign"),
    path("cases/<int:pk>/documents/<int:document_pk>/service/", document_pages.record_service_page,
         name="case-document-service"),
    path("cases/<int:pk>/services/<int:service_pk>/receipt-date/", document_pages.postal_receipt_page,
         name="case-service-receipt-date"),
    path("cases/<int:pk>/notices/<int:notice_pk>/print/", pages.notice_print, name="notice-print"),
    path("settings/", settings_views.settings_page, name="settings"),
    path("settings/language/", settings_views.set_language_preference, name="settings-language"),
    path("settings/tokens/", settings_views.create_token, name="settings-token-create"),
    path("settings/tokens/<int:pk>/revoke/", settings_views.revoke_token, name="settings-token-revoke"),
    path("summaries/", summary_views.summary_list, name="summaries"),
    path("summaries/<int:pk>/", summary_views.summary_detail, name="summary"),
    path("summaries/<int:pk>/files/<str:name>/", summary_views.summary_file, name="summary-file"),
    path("summaries/settings/", summary_views.jurisdiction_summary_settings, name="summary-jurisdiction-settings"),
    path("summaries/campaigns/<int:pk>/settings/", summary_views.campaign_summary_settings,
         name="summary-campaign-settings"),
    path("summaries/campaigns/<int:pk>/send/", summary_views.campaign_summary_send, name="summary-campaign-send"),
    # 执法公示: public, no login (disclosure.views).
    path("gongshi/<str:code>/", disclosure_views.before, name="disclosure-before"),
    path("gongshi/<str:code>/decisions/", disclosure_views.decisions, name="disclosure-decisions"),
    path("gongshi/<str:code>/feed.atom", DecisionFeed(), name="disclosure-feed"),
    path("tuban/", tuban_pages.batch_list, name="tuban-batches"),
    path("tuban/upload/", tuban_pages.batch_upload, name="tuban-upload"),
    path("tuban/commit/", tuban_pages.batch_commit, name="tuban-commit"),
    path("tuban/discard/", tuban_pages.batch_discard, name="tuban-discard"),
    path("tuban/batches/<int:pk>/", tuban_pages.batch_detail, name="tuban-batch"),
    path("tuban/batches/<int:pk>/assign/", tuban_pages.assign_village, name="tuban-assign-village"),
    # Before Django's own: the reset is rate-limited and its links are built from SITE_URL.
    path("accounts/password_reset/", password_reset.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

# Under /api/ these answer in the API's error shape; elsewhere they are Django's own pages.
handler400 = api_errors.bad_request
handler403 = api_errors.permission_denied
handler404 = api_errors.page_not_found
handler500 = api_errors.server_error
